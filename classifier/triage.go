package classifier

import (
	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// NeedsBody reports whether deciding on a message needs its body, given
// its raw header and whether its structure shows parts other than text
// (attachments, embedded messages, reports). A message that is neither
// bounce-like by its header nor carries such parts is clean without
// reading further, which spares fetching the bodies of most mail.
func NeedsBody(header []byte, nonText bool) bool {
	if nonText {
		return true
	}
	h, _, _ := mailparse.ParseHeader(header, mailparse.DefaultLimits.MaxHeaderBytes)
	return bounce.MightBe(h)
}
