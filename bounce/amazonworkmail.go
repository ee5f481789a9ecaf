package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/dsn"
)

// Amazon WorkMail sends its bounces through SES, from MAILER-DAEMON@…
// amazonses.com with "X-Mailer: Amazon WorkMail", as multipart/mixed: a
// text part listing the failed addresses and then, after "Technical
// report:", the fields of an RFC 3464 delivery-status body written as
// plain text, and the original as message/rfc822:
//
//	An error occurred while trying to deliver the mail to the following recipients:
//	bob@example.org
//
//	Technical report:
//
//	Reporting-MTA: dsn; a27-80.smtp-out.us-west-2.amazonses.com
//
//	Action: failed
//	Final-Recipient: rfc822; bob@example.org
//	Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>... User Unknown
//	Status: 5.1.1

// workMailReport introduces the delivery-status fields in the text.
const workMailReport = "technical report:"

// matchAmazonWorkMail: WorkMail's X-Mailer on mail from a mail system.
func matchAmazonWorkMail(in *input) bool {
	return strings.HasPrefix(in.header("X-Mailer"), "Amazon WorkMail") && in.fromDaemon()
}

// decodeAmazonWorkMail reads the delivery-status fields after "Technical
// report:" (a real delivery-status part when there is one).
func decodeAmazonWorkMail(in *input) *Report {
	if r := reportFromDSN(in); r != nil {
		workMailStatus(r)
		return r
	}
	text := in.text()
	i := strings.Index(in.lower(), workMailReport)
	if i < 0 {
		return nil
	}
	st, err := dsn.ParseStatus([]byte(text[i+len(workMailReport):]))
	if err != nil {
		return nil
	}
	r := &Report{Kind: Bounce}
	for _, rc := range st.Recipients {
		if len(r.Recipients) >= maxRecipients {
			break
		}
		addr := strings.ToLower(rc.Address())
		if addr == "" {
			continue
		}
		r.Recipients = append(r.Recipients, Recipient{Address: addr, Action: rc.Action, Status: rc.Status,
			Diagnostic: clip(rc.DiagnosticCode), RemoteMTA: rc.RemoteMTA})
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	workMailStatus(r)
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// workMailStatus prefers, as for SES, the remote server's last reply that
// WorkMail quotes when it gives up.
func workMailStatus(r *Report) {
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		if c := sesStatus(rc.Diagnostic); c != "" {
			rc.Status = c
		}
	}
}
