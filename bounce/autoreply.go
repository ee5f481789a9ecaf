package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// isAutoReply looks for the marks of an automatic reply: RFC 3834
// Auto-Submitted, the de facto X-Autoreply family, Precedence: auto_reply,
// and vacation subjects.
func isAutoReply(in *input) bool {
	as := strings.ToLower(strings.TrimSpace(in.header("Auto-Submitted")))
	if strings.HasPrefix(as, "auto-replied") {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress-Reply", "X-Vacation"} {
		if in.header(k) != "" {
			return true
		}
	}
	if strings.EqualFold(strings.TrimSpace(in.header("Precedence")), "auto_reply") {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(in.header("X-Auto-Response-Suppress")), "all") && in.subjectHas("automatic reply", "autoreply") {
		return true
	}
	return in.subjectHas(vacationSubjects...)
}

// vacationSubjects are lower-case subject fragments of out-of-office
// replies in the languages the corpus shows.
var vacationSubjects = []string{
	"out of office", "out of the office", "automatic reply", "auto reply", "autoreply",
	"auto-reply", "away from the office", "away until", "on vacation", "vacation reply",
	"abwesenheitsnotiz", "automatische antwort", "abwesend", "absence", "réponse automatique",
	"respuesta automática", "fuera de la oficina", "risposta automatica", "不在",
	"自動応答", "自动回复", "автоответ",
}

// decodeAutoReply reports an auto-reply. The original is the message it
// answers: named by In-Reply-To/References, sometimes quoted in the text.
func decodeAutoReply(in *input) *Report {
	if in.ctype == "multipart/report" {
		return nil // MDNs and feedback reports are not vacation mail
	}
	r := &Report{Kind: AutoReply}
	r.Original.InReplyTo = mailparse.MessageID(in.header("In-Reply-To"))
	if o, ok := attachedOriginal(in.m); ok {
		o.InReplyTo = r.Original.InReplyTo
		r.Original = o
	} else if o, ok := inlineOriginal(in); ok {
		o.InReplyTo = r.Original.InReplyTo
		r.Original = o
	}
	if r.Original.MessageID == "" && r.Original.InReplyTo != "" {
		r.Original.MessageID, r.Original.Where = r.Original.InReplyTo, "in-reply-to"
	}
	if in.from != "" {
		// The one who auto-replied received the original.
		r.Recipients = []Recipient{{Address: in.from, Action: "auto-replied"}}
	}
	return r
}
