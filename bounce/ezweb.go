package bounce

import "strings"

// KDDI's EZweb (au mobile mail, ezweb.ne.jp) bounced from
// Postmaster@ezweb.ne.jp with a Japanese paragraph and then Netscape
// Messaging Server's English text (see netscape.go): "The user(s) account
// is disabled.", "Each of the following recipients was rejected by a
// remote mail server." with "Recipient: <…>" and the SMTP dialogue, "The
// following recipients did not receive this message:", each address in
// angle brackets; sometimes as a DSN whose Status is always 5.0.0.

// matchEZweb: EZweb's postmaster.
func matchEZweb(in *input) bool {
	_, dom, _ := strings.Cut(in.from, "@")
	return dom == "ezweb.ne.jp" && in.fromDaemon()
}

// decodeEZweb reads the DSN, else the text.
func decodeEZweb(in *input) *Report {
	text := in.text()
	if end := originalStart(lowerASCII(text)); end >= 0 {
		text = text[:end]
	}
	listed := nmsRecipients(text)
	if r := reportFromDSN(in); r != nil {
		mergeTextRecipients(r, listed)
		return r
	}
	if len(listed) == 0 {
		return nil
	}
	r := &Report{Kind: Bounce, Recipients: listed}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}
