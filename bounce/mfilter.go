package bounce

import (
	"strings"
)

// m-FILTER (Digital Arts' Japanese mail filter) writes, under the subject
// "failure notice", a Japanese text ("… 以下のメールアドレスへの送信に失敗
// しました。"), then
//
//	bob@example.org
//
//	-------server message
//	550 5.1.1 <bob@example.org>: Recipient address rejected
//
//	-------SMTP command
//	DATA
//
//	-------original message
//
// with the original's header after the last marker ("-------original mail
// info" in newer versions, which quote only From, Subject, Date and
// Message-ID). The markers are the same in every language and version.

// mfilterServerMarker starts the remote server's reply; the addresses
// stand on their own lines before it.
const mfilterServerMarker = "-------server message"

// matchMFilter: m-FILTER's X-Mailer, or qmail's subject, which it borrows.
func matchMFilter(in *input) bool {
	if forwardedByPerson(in) {
		return false
	}
	return in.subjectHas("failure notice") || containsFold(in.header("X-Mailer"), "m-filter")
}

// decodeMFilter reads an m-FILTER bounce.
func decodeMFilter(in *input) *Report {
	if senderEvidence(in) == 0 {
		return nil
	}
	text := in.text()
	lower := in.lower()
	at := indexFieldLine(lower, mfilterServerMarker)
	if at < 0 {
		return nil
	}
	var addrs []string
	for _, l := range textLines(text[:at]) {
		if t := strings.TrimSpace(l); isAddressLine(t) && len(addrs) < maxRecipients {
			addrs = append(addrs, bareAddress(t))
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	diag := mfilterBlock(text[at:])
	r := &Report{Kind: Bounce}
	for _, a := range addrs {
		r.Recipients = append(r.Recipients, Recipient{Address: a, Action: "failed", Diagnostic: diag})
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// mfilterBlock joins the lines after a "-------" marker line up to the
// next one.
func mfilterBlock(text string) string {
	_, rest, _ := strings.Cut(text, "\n")
	var parts []string
	for _, l := range textLines(rest) {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "-------") || len(parts) >= 16 {
			break
		}
		if t != "" {
			parts = append(parts, t)
		}
	}
	return squeeze(strings.Join(parts, " "))
}
