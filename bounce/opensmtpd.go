package bounce

import (
	"strings"
)

// OpenSMTPD writes, under "Delivery status notification: failed" (before
// 6.x "…: error"; "…: delayed" for a delay):
//
//	    Hi!
//
//	    This is the MAILER-DAEMON, please DO NOT REPLY to this email.
//
//	    An error has occurred while attempting to deliver a message for
//	    the following list of recipients:
//
//	bob@example.org: 550 5.1.1 <bob@example.org>: Recipient address rejected
//
//	    Below is a copy of the original message:
//
// Since 6.4 a DSN follows, whose Status is always X.0.0: the reason is in
// the text only.

// opensmtpdIntro is OpenSMTPD's fixed greeting ("e-mail" in old versions).
const opensmtpdIntro = "this is the mailer-daemon, please do not reply to this e"

// matchOpenSMTPD: OpenSMTPD's subject.
func matchOpenSMTPD(in *input) bool {
	return strings.HasPrefix(in.subject, "delivery status notification:") && !forwardedByPerson(in)
}

// decodeOpenSMTPD reads an OpenSMTPD bounce or delay notice.
func decodeOpenSMTPD(in *input) *Report {
	text := in.text()
	lower := in.lower()
	at := strings.Index(lower, opensmtpdIntro)
	if at < 0 {
		return nil
	}
	delayed := strings.HasSuffix(strings.TrimSpace(in.subject), "delayed") || strings.Contains(lower, "a message is delayed")
	end := len(text)
	if i := strings.Index(lower[at:], "below is a copy of the original message"); i >= 0 {
		end = at + i
	}
	listed := opensmtpdRecipients(text[at:end], delayed)
	if r := reportFromDSN(in); r != nil {
		mergeTextRecipients(r, listed)
		for i := range r.Recipients {
			// OpenSMTPD's Status is X.0.0 whatever happened, so unlike
			// another MTA's it says nothing against the words' code.
			rc := &r.Recipients[i]
			rc.Status = refineStatus(rc.Status, rc.Diagnostic)
			if w := statusFromWords(rc.Diagnostic, rc.Action == "delayed"); strings.HasSuffix(rc.Status, ".0.0") && w != "" {
				rc.Status = w
			}
		}
		return r
	}
	if len(listed) == 0 {
		return nil
	}
	finishRecipients(listed)
	return &Report{Kind: Bounce, Recipients: listed, Original: textOriginal(in)}
}

// opensmtpdRecipients reads the unindented "address: reason" lines of the
// list; the indented lines around it are OpenSMTPD's own sentences.
func opensmtpdRecipients(text string, delayed bool) []Recipient {
	var out []Recipient
	for _, l := range textLines(text) {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		if len(out) >= maxRecipients {
			break
		}
		a, reason, ok := strings.Cut(l, ": ")
		if !ok || !isAddressLine(a) {
			continue
		}
		out = append(out, Recipient{Address: bareAddress(a), Action: actionFor("", delayed), Diagnostic: clip(strings.TrimSpace(reason))})
	}
	return out
}
