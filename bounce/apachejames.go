package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Apache James's bounce mailet answers the sender with a reply ("Re:" and
// the original's subject, In-Reply-To naming it, a JavaMail Message-ID)
// that describes the failure and the message in fixed labels:
//
//	Error: Invalid user address
//
//	Error message below:
//	550 - Requested action not taken: no such user here
//
//	Message details:
//	  Subject: Quarterly figures
//	  Sent date: Wed Jun 12 02:21:53 GMT 2013
//	  MAIL FROM: alice@example.net
//	  RCPT TO: bob@example.org
//	  From: alice@example.net
//	  Size (in bytes): 39

// James's fixed labels, lower case.
const (
	jamesError   = "error message below:"
	jamesDetails = "message details:"
	jamesRcptTo  = "rcpt to:"
)

// matchApacheJames: a reply written with JavaMail.
func matchApacheJames(in *input) bool {
	return strings.Contains(in.header("Message-ID"), ".JavaMail.") && in.header("In-Reply-To") != ""
}

// decodeApacheJames reads the error and the RCPT TO of the details.
func decodeApacheJames(in *input) *Report {
	text := in.text()
	lower := in.lower()
	// The labels stand at the start of their lines: a person quoting a
	// notice puts "> " before them.
	e := atLineStart(lower, jamesError, " \t")
	d := atLineStart(lower, jamesDetails, " \t")
	if e < 0 || d < e || jamesDetail(text[d:], "mail from:") == "" {
		return nil
	}
	diag := squeeze(text[e+len(jamesError) : d])
	r := &Report{Kind: Bounce}
	for _, l := range textLines(text[d:]) {
		t := strings.TrimSpace(l)
		if len(t) <= len(jamesRcptTo) || !strings.EqualFold(t[:len(jamesRcptTo)], jamesRcptTo) {
			continue
		}
		for _, a := range mailparse.FindAddresses(t, maxRecipients-len(r.Recipients)) {
			r.Recipients = append(r.Recipients, Recipient{Address: a, Action: "failed", Diagnostic: diag})
		}
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	r.Original.Subject = jamesDetail(text[d:], "subject:")
	r.Original.From = mailparse.Address(jamesDetail(text[d:], "mail from:"))
	return r
}

// jamesDetail is the value of label (lower case) among the details.
func jamesDetail(details, label string) string {
	for _, l := range textLines(details) {
		t := strings.TrimSpace(l)
		if len(t) > len(label) && strings.EqualFold(t[:len(label)], label) {
			return strings.TrimSpace(t[len(label):])
		}
	}
	return ""
}
