package bounce

import (
	"strings"
)

// Sun Java System, later Oracle Communications, Messaging Server (iCloud's
// mail system too) sends a DSN under "Delivery Notification: Delivery has
// failed" ("… has been delayed"), with MIME boundaries "Boundary_(ID_…)",
// whose text says per recipient what its DSN part says:
//
//	This report relates to a message you sent with the following header fields:
//
//	  Message-id: <x@example.com>
//	  …
//
//	Your message cannot be delivered to the following recipients:
//
//	  Recipient address: bob@example.org
//	  Reason: Remote SMTP server has rejected address
//	  Diagnostic code: smtp;550 5.1.1 <bob@example.org>... User Unknown
//	  Remote system: dns;mx.example.org (TCP|…)
//
// Its Final-Recipient may keep a source route ("@relay:bob@host"); the
// Original-Recipient is then the address the sender wrote.

// matchMessagingServer: the fixed subject, or the boundary form.
func matchMessagingServer(in *input) bool {
	if forwardedByPerson(in) {
		return false
	}
	return strings.HasPrefix(in.subject, "delivery notification: ") ||
		strings.HasPrefix(in.boundary, "Boundary_(ID_")
}

// messagingServerIntro is the report's fixed first sentence.
const messagingServerIntro = "this report relates to a message you sent"

// decodeMessagingServer reads a Messaging Server report.
func decodeMessagingServer(in *input) *Report {
	text := in.text()
	lower := in.lower()
	at := strings.Index(lower, messagingServerIntro)
	if at < 0 {
		return nil
	}
	listed := messagingServerRecipients(text[at:])
	if r := reportFromDSN(in); r != nil {
		d := in.dsn()
		for i := range r.Recipients {
			rc := &r.Recipients[i]
			if strings.HasPrefix(rc.Address, "@") && i < len(d.Recipients) {
				if o := strings.ToLower(d.Recipients[i].OriginalRecipient); mailboxAddress(o) {
					rc.Address = o
				}
			}
		}
		mergeTextRecipients(r, listed)
		return r
	}
	if len(listed) == 0 {
		return nil
	}
	delayed := strings.Contains(in.subject, "delayed")
	for i := range listed {
		listed[i].Action = actionFor("", delayed)
	}
	finishRecipients(listed)
	return &Report{Kind: Bounce, Recipients: listed, Original: textOriginal(in)}
}

// messagingServerRecipients reads the "Recipient address:" blocks, taking
// the Diagnostic code, else the Reason, as the diagnostic.
func messagingServerRecipients(text string) []Recipient {
	var out []Recipient
	for _, l := range textLines(text) {
		t := strings.TrimSpace(l)
		low := lowerASCII(t)
		switch {
		case strings.HasPrefix(low, "recipient address:"):
			if len(out) >= maxRecipients {
				return out
			}
			a := strings.TrimSpace(t[len("recipient address:"):])
			out = append(out, Recipient{Address: bareAddress(a), Action: "failed"})
		case len(out) == 0:
		case strings.HasPrefix(low, "reason:"):
			if out[len(out)-1].Diagnostic == "" {
				out[len(out)-1].Diagnostic = clip(strings.TrimSpace(t[len("reason:"):]))
			}
		case strings.HasPrefix(low, "diagnostic code:"):
			v := strings.TrimSpace(t[len("diagnostic code:"):])
			if typ, rest, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(typ, " \t") {
				v = strings.TrimSpace(rest)
			}
			out[len(out)-1].Diagnostic = clip(v)
		}
	}
	return out
}
