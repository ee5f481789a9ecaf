package bounce

import (
	"strings"
)

// Ipswitch IMail Server (its SMTP service is "SMTP32", named so in the
// X-Mailer field) writes, under "Undeliverable Mail", one line per failed
// address — the reason, a colon, the address — and then the original:
//
//	Unknown user: bob@example.org
//
//	Original message follows.
//
// Other lines: "User mailbox exceeds allowed size: …", "Invalid final
// delivery userid: …", "Delivery failed 20 attempts: …", and "undeliverable
// to bob@example.org" followed by "Body of message generated response:"
// and the remote server's reply.

// matchIMailServer: IMail's X-Mailer.
func matchIMailServer(in *input) bool {
	return containsFold(in.header("X-Mailer"), "<smtp32 ")
}

// decodeIMailServer reads an IMail bounce.
func decodeIMailServer(in *input) *Report {
	if !in.subjectHas("undeliverable") || senderEvidence(in) == 0 {
		return nil
	}
	text := in.text()
	lower := lowerASCII(text)
	if end := strings.Index(lower, "original message follows"); end >= 0 {
		text = text[:end]
	}
	r := &Report{Kind: Bounce}
	lines := textLines(text)
	for i, l := range lines {
		if len(r.Recipients) >= maxRecipients {
			break
		}
		t := strings.TrimSpace(l)
		rc := Recipient{Action: "failed"}
		if a, ok := strings.CutPrefix(lowerASCII(t), "undeliverable to "); ok && isAddressLine(a) {
			rc.Address, rc.Diagnostic = bareAddress(a), imailResponse(lines[i+1:])
		} else if reason, a, ok := strings.Cut(t, ": "); ok && isAddressLine(a) && strings.Contains(reason, " ") && !strings.Contains(reason, "@") {
			// A reason has words; a quoted "To: addr" field has one.
			rc.Address, rc.Diagnostic = bareAddress(a), reason
			low := lowerASCII(reason)
			if strings.HasPrefix(low, "delivery failed") && strings.HasSuffix(low, "attempts") {
				rc.Status = "5.4.7" // IMail gave up retrying: the message expired
			}
		} else {
			continue
		}
		r.Recipients = append(r.Recipients, rc)
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// imailResponse is the remote server's reply quoted after "Body of message
// generated response:", joined into one line.
func imailResponse(lines []string) string {
	var parts []string
	started := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(lowerASCII(t), "body of message generated response:"):
			started = true
		case !started:
			if t != "" {
				return ""
			}
		case t == "" || len(parts) >= 16:
			return squeeze(strings.Join(parts, " "))
		default:
			parts = append(parts, t)
		}
	}
	return squeeze(strings.Join(parts, " "))
}
