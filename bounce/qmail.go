package bounce

import (
	"strings"
)

// qmail-send (and netqmail, vpopmail, indimail, and clones) writes, under
// the subject "failure notice":
//
//	Hi. This is the qmail-send program at mx.example.net.
//	I'm afraid I wasn't able to deliver your message to the following addresses.
//	This is a permanent error; I've given up. Sorry it didn't work out.
//
//	<bob@example.org>:
//	192.0.2.1 does not like recipient.
//	Remote host said: 550 5.1.1 User unknown
//	Giving up on 192.0.2.1.
//
//	--- Below this line is a copy of the message.
//
// Its own reasons end in a status code: "Sorry, no mailbox here by that
// name. (#5.1.1)". indimail puts the copy in a message/rfc822 part after
// "--- Enclosed is a copy of the message."; translations and clones keep
// the "<addr>:" lines and the copy marker.

// qmailIntro shows the text is qmail's; qmailCopyMarkers also end the
// list of recipients.
var (
	qmailIntro       = []string{"qmail-send program", "i'm afraid i wasn't able to deliver your message"}
	qmailCopyMarkers = []string{"--- below this line is a copy of the message", "--- enclosed is a copy of the message"}
)

// matchQmail: qmail's fixed subject, or indimail's X-Bounced-Address.
func matchQmail(in *input) bool {
	if forwardedByPerson(in) {
		return false
	}
	return in.subjectHas("failure notice") || in.header("X-Bounced-Address") != ""
}

// decodeQmail reads a qmail bounce.
func decodeQmail(in *input) *Report {
	text := in.text()
	lower := in.lower()
	end := firstMarker(lower, qmailCopyMarkers)
	if end < 0 {
		if !hasAny(lower, qmailIntro...) {
			return nil
		}
		end = len(text)
	}
	r := &Report{Kind: Bounce}
	var diag strings.Builder
	flush := func() {
		if n := len(r.Recipients); n > 0 {
			r.Recipients[n-1].Diagnostic = clip(strings.TrimSpace(diag.String()))
		}
		diag.Reset()
	}
	for rest := text[:end]; rest != "" && len(r.Recipients) < maxRecipients; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		t := strings.TrimSpace(line)
		if addr := qmailRecipient(t); addr != "" {
			flush()
			r.Recipients = append(r.Recipients, Recipient{Address: addr, Action: "failed"})
			continue
		}
		if len(r.Recipients) == 0 || t == "" || diag.Len() >= maxDiagnostic {
			continue
		}
		if diag.Len() > 0 {
			diag.WriteByte(' ')
		}
		diag.WriteString(t)
	}
	flush()
	if len(r.Recipients) == 0 {
		return nil
	}
	r.Original = textOriginal(in)
	return r
}

// qmailRecipient returns the address of a "<bob@example.org>:" line, or "".
func qmailRecipient(t string) string {
	if len(t) < 6 || t[0] != '<' || !strings.HasSuffix(t, ">:") {
		return ""
	}
	a := strings.ToLower(t[1 : len(t)-2])
	if !strings.Contains(a, "@") || strings.ContainsAny(a, " \t<>") {
		return ""
	}
	return a
}
