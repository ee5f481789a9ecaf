package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/dsn"
)

// isDSN: a delivery-status report, or anything with a delivery-status
// part (some MTAs get the container type wrong).
func isDSN(in *input) bool {
	if in.ctype == "multipart/report" {
		rt := strings.ToLower(in.param("report-type"))
		return rt == "delivery-status" || rt == "global-delivery-status" || rt == ""
	}
	if in.ctype == "message/delivery-status" || in.ctype == "message/global-delivery-status" {
		return true // a report without its container; MightBe sees no parts
	}
	for _, p := range in.m.Parts {
		if p.MediaType == "message/delivery-status" || p.MediaType == "message/global-delivery-status" {
			return true
		}
	}
	return false
}

// decodeRFC3464 reads any standard DSN (RFC 3464, RFC 6533).
func decodeRFC3464(in *input) *Report {
	return reportFromDSN(in)
}

// reportFromDSN turns the message's DSN into a report; vendor decoders whose
// MTA writes standard DSNs use it and then add what their format says
// beyond it. nil when the message has no readable DSN.
func reportFromDSN(in *input) *Report {
	d := in.dsn()
	if d == nil || len(d.Recipients) == 0 {
		return nil
	}
	r := &Report{Kind: DSN}
	for _, rc := range d.Recipients {
		addr := rc.FinalRecipient
		if addr == "" {
			addr = rc.OriginalRecipient
		}
		r.Recipients = append(r.Recipients, Recipient{
			Address:    strings.ToLower(addr),
			Action:     rc.Action,
			Status:     refineStatus(rc.Status, rc.DiagnosticCode),
			Diagnostic: rc.DiagnosticCode,
			RemoteMTA:  rc.RemoteMTA,
		})
	}
	r.Original = dsnOriginal(in, d)
	return r
}

// dsnOriginal is the original a DSN returned, or failing that one quoted
// in its text.
func dsnOriginal(in *input, d *dsn.Report) Original {
	if d.Original != nil {
		return originalFromDSN(d.Original)
	}
	if o, ok := inlineOriginal(in); ok {
		return o
	}
	return Original{}
}
