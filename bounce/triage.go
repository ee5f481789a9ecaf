package bounce

import "github.com/bounceguard/bounceguard/internal/mailparse"

// MightBe reports whether a message with header h could be bounce-like,
// judging by the header alone: whether any decoder's pre-check would look
// further. A false answer lets a caller that fetches mail skip fetching the
// body; a true one only means "fetch it and look".
func MightBe(h mailparse.Header) bool {
	in := newInput(&mailparse.Message{Header: h})
	viaList := in.viaList()
	for _, d := range decoders {
		if d.format == "rfc3834" && viaList {
			continue // an auto-reply to a list post is list traffic (inspect)
		}
		if d.match(in) {
			return true
		}
	}
	return false
}
