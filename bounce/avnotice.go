package bounce

import "strings"

// avSubjects are lower-case subject fragments of antivirus notices.
var avSubjects = []string{
	"virus", "infected", "malware", "worm", "trojan", "banned attachment", "blocked attachment",
	"attachment blocked", "dangerous attachment", "content filter", "mailscanner", "security alert",
	"warnung: virus", "alerte virus", "ウイルス", "病毒", "вирус",
}

// avWords say, lower case, that a scanner found something in mail the
// reader sent.
var avWords = []string{
	"message you sent", "you sent", "sent by you", "sent from your", "from you",
	"your message", "your e-mail", "your email", "originated from you", "the sender of",
	"ihre nachricht", "votre message",
}

// avFound are the scanner's own words for a finding, lower case.
var avFound = []string{
	"virus", "infected", "malware", "worm", "trojan", "banned", "blocked attachment",
	"attachment was removed", "dangerous content", "quarantined",
}

// isAVNotice: an automatic message (a daemon's address, an empty
// Return-Path or Auto-Submitted) whose subject speaks of a virus. People
// who write about viruses are not automatic.
func isAVNotice(in *input) bool {
	if !in.subjectHas(avSubjects...) {
		return false
	}
	as := strings.ToLower(in.header("Auto-Submitted"))
	return in.fromDaemon() || (as != "" && as != "no") || in.header("X-Virus-Notice") != ""
}

// decodeAVNotice claims the notice when its text says the scanner found
// something in a message the reader sent.
func decodeAVNotice(in *input) *Report {
	text := strings.ToLower(in.text())
	if !hasAny(text, avWords...) || !hasAny(text, avFound...) {
		return nil
	}
	r := &Report{Kind: AVNotice}
	if o, ok := attachedOriginal(in.m); ok {
		r.Original = o
	} else if o, ok := inlineOriginal(in); ok {
		r.Original = o
	}
	for _, a := range r.Original.To {
		r.Recipients = append(r.Recipients, Recipient{Address: a, Action: "failed", Diagnostic: avFinding(in.text())})
	}
	return r
}

// avFinding is the scanner's line naming what it found, if any.
func avFinding(text string) string {
	for _, line := range strings.SplitN(text, "\n", 200) {
		l := strings.ToLower(line)
		if strings.Contains(l, "virus") && strings.Contains(line, ":") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
