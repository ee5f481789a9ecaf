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
func HeaderVerdict() Verdict {
	return Verdict{Class: Clean, Action: Keep, Reasons: []string{"not bounce-like"}, Report: &bounce.Report{Kind: bounce.None}}
}
