package classifier

import (
	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// NeedsBody reports whether deciding on a message needs its body, given
// its parsed header and whether its structure shows parts other than text
// (attachments, embedded messages, reports). A message that is neither
// bounce-like by its header nor carries such parts is clean without
// reading further (HeaderVerdict), which spares fetching the bodies of
// most mail.
func NeedsBody(h mailparse.Header, nonText bool) bool {
	return nonText || bounce.MightBe(h)
}

// HeaderVerdict is the verdict on a message for which NeedsBody said no:
// ordinary mail, as Classify would find it, without parsing it again.
//
// It is the verdict on most of a mailbox, so its Reasons and Report are
// shared by every call: read them, never change them.
func HeaderVerdict() Verdict {
	return Verdict{Class: Clean, Action: Keep, Reasons: notBounceLike[:1:1], Report: &noReport}
}

var (
	notBounceLike = []string{"not bounce-like"}
	noReport      = bounce.Report{Kind: bounce.None}
)
