package bounce

import (
	"strings"
)

// MailMarshal (Trustwave's, earlier Marshal's mail gateway) writes, under
// the subject `Undeliverable Mail: "<original subject>"`:
//
//	Your message:
//	   From:    alice@example.com
//	   Subject: Hello
//
//	Could not be delivered because of
//
//	550 5.1.1 User unknown
//
//	The following recipients were affected:
//	    bob@example.org
//
//	Additional Information
//	======================
//	Original Sender:    <alice@example.com>
//	…
//
// One reason stands for every address listed.

// matchMailMarshal: MailMarshal's fixed subject.
func matchMailMarshal(in *input) bool {
	return strings.HasPrefix(in.subject, "undeliverable mail:") && !forwardedByPerson(in)
}

// decodeMailMarshal reads a MailMarshal bounce.
func decodeMailMarshal(in *input) *Report {
	if senderEvidence(in) == 0 {
		return nil
	}
	text := in.text()
	lower := in.lower()
	const (
		because  = "could not be delivered because of"
		affected = "the following recipients were affected:"
	)
	b := strings.Index(lower, because)
	a := strings.Index(lower, affected)
	if b < 0 || a < b {
		return nil
	}
	diag := squeeze(text[b+len(because) : a])
	r := &Report{Kind: Bounce}
	for _, l := range textLines(text[a+len(affected):]) {
		t := strings.TrimSpace(l)
		if t == "" {
			if len(r.Recipients) > 0 {
				break
			}
			continue
		}
		if !isAddressLine(t) || len(r.Recipients) >= maxRecipients {
			break
		}
		r.Recipients = append(r.Recipients, Recipient{Address: bareAddress(t), Action: "failed", Diagnostic: diag})
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}
