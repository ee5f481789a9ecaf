package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// HCL (formerly IBM Lotus) Domino's router reports a failure from
// Postmaster under the subject "DELIVERY FAILURE: <reason>", as plain text
// or as a DSN whose Diagnostic-Code has type X-Notes, with this text:
//
//	Your message
//
//	  Subject: Quarterly figures
//
//	was not delivered to:
//
//	  bob@example.org
//
//	because:
//
//	  User Bob (bob@example.org) not listed in Domino Directory
//
// A plain-text report quotes only the original's subject.

// Domino's fixed sentences, lower case.
const (
	dominoNotDelivered = "was not delivered to:"
	dominoBecause      = "because:"
)

// matchDomino: Domino's subject, from a mail system.
func matchDomino(in *input) bool {
	return strings.HasPrefix(in.subject, "delivery failure:") && in.fromDaemon()
}

// decodeDomino reads Domino's DSN or text.
func decodeDomino(in *input) *Report {
	text := in.text()
	listed := dominoRecipients(text)
	if r := reportFromDSN(in); r != nil {
		// Domino writes the DSN's diagnostic in the raw charset of the
		// server's language; the text part is decoded.
		for i := range r.Recipients {
			for _, t := range listed {
				if t.Address == r.Recipients[i].Address && t.Diagnostic != "" {
					r.Recipients[i].Diagnostic = t.Diagnostic
				}
			}
		}
		preferDiagnosticCode(r)
		finishRecipients(r.Recipients)
		return r
	}
	if len(listed) == 0 {
		return nil
	}
	r := &Report{Kind: Bounce, Recipients: listed}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	if r.Original.Where == "" {
		r.Original.Subject = dominoSubject(text)
	}
	return r
}

// dominoRecipients reads each "was not delivered to:" block: the addresses
// up to "because:", then the reason up to a blank line.
func dominoRecipients(text string) []Recipient {
	lower := lowerASCII(text)
	var out []Recipient
	for off := 0; len(out) < maxRecipients; {
		i := strings.Index(lower[off:], dominoNotDelivered)
		if i < 0 {
			break
		}
		block := off + i + len(dominoNotDelivered)
		because := strings.Index(lower[block:], dominoBecause)
		if because < 0 {
			break
		}
		addrs := mailparse.FindAddresses(text[block:block+because], maxRecipients-len(out))
		off = block + because + len(dominoBecause)
		reason := paragraphAt(text[off:])
		for _, a := range addrs {
			out = append(out, Recipient{Address: a, Action: "failed", Diagnostic: reason})
		}
	}
	return out
}

// paragraphAt is the first paragraph of text (after blank lines), squeezed.
func paragraphAt(text string) string {
	var parts []string
	for _, l := range textLines(text) {
		t := strings.TrimSpace(l)
		if t == "" {
			if len(parts) > 0 {
				break
			}
			continue
		}
		if len(parts) >= 20 {
			break
		}
		parts = append(parts, t)
	}
	return squeeze(strings.Join(parts, " "))
}

// dominoSubject is the original's subject quoted after "Your message".
func dominoSubject(text string) string {
	lower := lowerASCII(text)
	i := strings.Index(lower, "your message")
	if i < 0 {
		return ""
	}
	end := strings.Index(lower[i:], dominoNotDelivered)
	if end < 0 {
		return ""
	}
	for _, l := range textLines(text[i : i+end]) {
		if t := strings.TrimSpace(l); len(t) > 8 && strings.EqualFold(t[:8], "subject:") {
			return strings.TrimSpace(t[8:])
		}
	}
	return ""
}
