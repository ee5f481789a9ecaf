package dsn

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// MaxHumanText bounds Report.HumanText: enough for any MTA's explanation.
const MaxHumanText = 256 << 10

// maxOriginalHeader bounds the header read from an original that
// mailparse did not parse (too deep) or that came as text/plain.
const maxOriginalHeader = 256 << 10

// FromMessage reads the report in an already parsed message. It returns an
// error when m is not a delivery status notification.
//
// Besides multipart/report with report-type delivery-status or
// global-delivery-status (RFC 3462, RFC 6533), it accepts any message with
// a delivery-status part outside its attached messages, because several
// MTAs wrap their reports in multipart/mixed; read receipts
// (disposition-notification) and feedback reports are refused. When the
// status part yields no recipient, the report read so far comes back with
// the error.
func FromMessage(m *mailparse.Message) (*Report, error) {
	if m == nil || len(m.Parts) == 0 {
		return nil, errors.New("empty message")
	}
	top := m.Parts[0]
	st := statusPart(m)
	if top.MediaType == "multipart/report" {
		switch rt := strings.ToLower(top.Params["report-type"]); rt {
		case "delivery-status", "global-delivery-status":
		case "":
			if st < 0 {
				return nil, errors.New("multipart/report without report-type and without a delivery-status part")
			}
		default:
			return nil, fmt.Errorf("report-type %q, must be delivery-status", rt)
		}
	} else if st < 0 {
		return nil, fmt.Errorf("content-type %q, must be multipart/report", top.MediaType)
	}
	if st < 0 {
		return salvage(m)
	}
	if top.MediaType != "multipart/report" {
		if p := otherReport(m); p != "" {
			return nil, fmt.Errorf("content-type %q with a %s part: not a delivery status notification", top.MediaType, p)
		}
	}
	r := &Report{
		HumanText: humanText(m.Parts[:st]),
		Original:  original(m.Parts, st),
	}
	s, err := ParseStatus(m.Parts[st].Body)
	r.Status = *s
	if err != nil {
		return r, fmt.Errorf("parsing %s: %w", m.Parts[st].MediaType, err)
	}
	return r, nil
}

// salvage reads a delivery-status report whose status part MIME did not
// find because its boundary line was mangled (indented, for one): the
// part then sits inside the text part before it. It is tried only on a
// message declared multipart/report, so that a person quoting a bounce in
// a plain-text mail is never read as one.
func salvage(m *mailparse.Message) (*Report, error) {
	errNoPart := errors.New("no message/delivery-status part")
	for i, p := range m.Parts {
		if p.MediaType != "text/plain" {
			continue
		}
		body := embeddedStatus(p.Body)
		if body == nil {
			continue
		}
		s, err := ParseStatus(body)
		if err != nil {
			continue
		}
		return &Report{
			Status:    *s,
			HumanText: humanText(m.Parts[i : i+1]),
			Original:  original(m.Parts, i),
		}, nil
	}
	return nil, errNoPart
}

// embeddedStatus finds a "Content-Type: message/delivery-status" line at
// the start of a line in b and returns the part body after it, up to the
// next boundary-like line ("--..."), or nil.
func embeddedStatus(b []byte) []byte {
	for rest := b; len(rest) > 0; {
		var line []byte
		line, rest = nextLine(rest)
		name, value, ok := splitField(trimSpace(line))
		if !ok || !strings.EqualFold(string(name), "content-type") {
			continue
		}
		mt, _, _ := strings.Cut(string(value), ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt != "message/delivery-status" && mt != "message/global-delivery-status" {
			continue
		}
		// Skip the rest of the part header.
		for len(rest) > 0 {
			line, rest = nextLine(rest)
			if isBlank(line) {
				break
			}
		}
		body := rest
		for len(rest) > 0 {
			start := len(body) - len(rest)
			line, rest = nextLine(rest)
			if bytes.HasPrefix(trimSpace(line), []byte("--")) {
				return body[:start]
			}
		}
		return body
	}
	return nil
}

// statusPart returns the index of the first delivery-status part, or -1.
func statusPart(m *mailparse.Message) int {
	for i, p := range m.Parts {
		if p.MediaType == "message/delivery-status" || p.MediaType == "message/global-delivery-status" {
			return i
		}
	}
	return -1
}

// otherReport names a part that makes m a different kind of report.
func otherReport(m *mailparse.Message) string {
	for _, p := range m.Parts {
		switch p.MediaType {
		case "message/disposition-notification", "message/global-disposition-notification", "message/feedback-report":
			return p.MediaType
		}
	}
	return ""
}

// humanText returns the first text/plain part among parts, else the first
// text/html one with its markup removed.
func humanText(parts []*mailparse.Part) string {
	for _, mt := range []string{"text/plain", "text/html"} {
		for _, p := range parts {
			if p.MediaType != mt {
				continue
			}
			b := p.Plain()
			if len(b) > MaxHumanText {
				b = b[:MaxHumanText]
			}
			return string(b)
		}
	}
	return ""
}

// original finds the returned message: an attached message or header part
// after the status part at index st, else a text/plain part after it that
// holds a header block (MTAs that attach "Undelivered Message Headers" as
// text), else an attached message anywhere before it.
func original(parts []*mailparse.Part, st int) *Original {
	for _, p := range parts[st+1:] {
		if p.IsMessage() {
			return attached(p)
		}
	}
	for _, p := range parts[st+1:] {
		if p.MediaType == "text/plain" {
			if o := textOriginal(p); o != nil {
				return o
			}
		}
	}
	for _, p := range parts[:st] {
		if p.IsMessage() {
			return attached(p)
		}
	}
	return nil
}

func attached(p *mailparse.Part) *Original {
	o := &Original{Raw: p.Body}
	switch p.MediaType {
	case "text/rfc822-headers", "message/global-headers", "message/rfc822-headers":
		o.HeadersOnly = true
	}
	if p.Embedded != nil {
		o.Header = p.Embedded.Header
	} else {
		o.Header, _, _ = mailparse.ParseHeader(p.Body, maxOriginalHeader)
	}
	o.MessageID = mailparse.MessageID(o.Header.Get("Message-ID"))
	return o
}

// textOriginal reads a text/plain part as a returned header (and maybe
// body), or returns nil when it does not start with a header block that
// looks like a message's: at least two of From, To, Subject and Message-ID.
func textOriginal(p *mailparse.Part) *Original {
	b := trimSpace(p.Body)
	if _, _, ok := splitField(firstLine(b)); !ok {
		return nil
	}
	h, body, _ := mailparse.ParseHeader(b, maxOriginalHeader)
	n := 0
	for _, k := range []string{"From", "To", "Subject", "Message-ID"} {
		if h.Has(k) {
			n++
		}
	}
	if n < 2 {
		return nil
	}
	return &Original{
		Header:      h,
		HeadersOnly: len(trimSpace(body)) == 0,
		MessageID:   mailparse.MessageID(h.Get("Message-ID")),
		Raw:         p.Body,
	}
}

func firstLine(b []byte) []byte {
	line, _ := nextLine(b)
	return line
}
