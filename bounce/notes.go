package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Lotus Notes' SMTP gateway (the SMTP MTA of Notes/Domino before R5, and
// gateways built like it) reports under the subject "Undeliverable
// message" in plain text between two fixed rulers, each reason line just
// above the address it is about:
//
//	------- Failure Reasons  --------
//
//	User not listed in public Name & Address Book
//	bob@example.org
//
//	------- Returned Message --------
//	<the original, header and body>

// The rulers, lower case, without their run of hyphens.
const (
	notesReasons  = "------- failure reasons"
	notesReturned = "------- returned message"
)

// matchNotes: the gateway's subject, from a mail system.
func matchNotes(in *input) bool {
	return in.subject == "undeliverable message" && in.fromDaemon()
}

// decodeNotes reads the lines between the rulers.
func decodeNotes(in *input) *Report {
	text := in.text()
	lower := in.lower()
	start := strings.Index(lower, notesReasons)
	if start < 0 {
		return nil
	}
	region := text[start+len(notesReasons):]
	if end := strings.Index(lowerASCII(region), notesReturned); end >= 0 {
		region = region[:end]
	}
	lines := textLines(region)
	if len(lines) > 0 {
		lines = lines[1:] // the rest of the ruler line
	}
	r := &Report{Kind: Bounce}
	var reason []string
	for _, l := range lines {
		if len(r.Recipients) >= maxRecipients {
			break
		}
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if isAddressLine(t) {
			r.Recipients = append(r.Recipients, Recipient{Address: mailparse.Address(t), Action: "failed",
				Diagnostic: squeeze(strings.Join(reason, " "))})
			reason = reason[:0]
			continue
		}
		if len(reason) < 20 {
			reason = append(reason, t)
		}
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}
