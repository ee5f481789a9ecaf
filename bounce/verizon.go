package bounce

import (
	"strings"
)

// Verizon Wireless's gateways bounce mail to its phones in two forms. The
// MMS centre (vzwpix.com) writes, from "MMSC NDR Administrator":
//
//	Message could not be delivered to mobile.
//	Error: No valid recipients for this MM
//
//	Original Message:
//	From: alice@example.com
//	To: 5550100@vzwpix.com
//
// and the SMS gateway (vtext.com), as a reply to the original:
//
//	Error: Invalid user address
//	Error message below:
//	550 - Requested action not taken: no such user here
//
//	Message details:
//	  Subject: Hello
//	  MAIL FROM: alice@example.com
//	  RCPT TO: 5550100@vtext.com

// matchVerizon: a Verizon Wireless gateway's address, not a phone's (a
// person's text message comes from <number>@vtext.com).
func matchVerizon(in *input) bool {
	local, dom, _ := strings.Cut(in.from, "@")
	if local == "" || strings.Trim(local, "0123456789+") == "" {
		return false
	}
	return dom == "vtext.com" || dom == "vzwpix.com" || strings.HasSuffix(dom, ".vtext.com") || strings.HasSuffix(dom, ".vzwpix.com")
}

// decodeVerizon reads either form.
func decodeVerizon(in *input) *Report {
	text := in.text()
	lower := in.lower()
	var addr, diag string
	switch {
	case strings.Contains(lower, "message could not be delivered to mobile"):
		diag = verizonValue(text, lower, "error:")
		if at := strings.Index(lower, "original message:"); at >= 0 {
			addr = bareAddress(verizonValue(text[at:], lower[at:], "\nto:"))
		}
	case strings.Contains(lower, "error message below:") && strings.Contains(lower, "message details:"):
		diag = verizonValue(text, lower, "error:")
		if reply := verizonNextLine(text, lower, "error message below:"); reply != "" {
			diag += "; " + reply
		}
		addr = bareAddress(verizonValue(text, lower, "rcpt to:"))
	default:
		return nil
	}
	if !mailboxAddress(addr) {
		return nil
	}
	r := &Report{Kind: Bounce, Recipients: []Recipient{{Address: addr, Action: "failed", Diagnostic: clip(diag)}}}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// verizonValue is the rest of the line after label (lower case) in text.
func verizonValue(text, lower, label string) string {
	at := strings.Index(lower, label)
	if at < 0 {
		return ""
	}
	v, _, _ := strings.Cut(text[at+len(label):], "\n")
	return strings.TrimSpace(v)
}

// verizonNextLine is the first non-blank line after the line of label.
func verizonNextLine(text, lower, label string) string {
	at := strings.Index(lower, label)
	if at < 0 {
		return ""
	}
	lines := textLines(text[at:])
	for i := 1; i < len(lines) && i < 4; i++ {
		if t := strings.TrimSpace(lines[i]); t != "" {
			return t
		}
	}
	return ""
}
