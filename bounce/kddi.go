package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// KDDI's au one net mail system (dion.ne.jp, auone-net.jp) sends from
// no-reply@… with Reply-To no-reply@app.auone-net.jp a Japanese notice
// ("メールエラー通知") whose English lines say
//
//	Could not be delivered to: <bob@ezweb.ne.jp>
//	As their mailbox is full.
//
// and attaches the original as message/rfc822.

// kddiMarker introduces the failed address, lower case.
const kddiMarker = "could not be delivered to:"

// matchKDDI: au one net's no-reply addresses.
func matchKDDI(in *input) bool {
	if !strings.HasPrefix(in.from, "no-reply@") {
		return false
	}
	_, dom, _ := strings.Cut(in.from, "@")
	_, replyDom, _ := strings.Cut(mailparse.Address(in.header("Reply-To")), "@")
	return strings.HasPrefix(in.from, "no-reply@") &&
		(dom == "dion.ne.jp" || strings.HasSuffix(dom, ".dion.ne.jp") || strings.HasSuffix(replyDom, "auone-net.jp"))
}

// decodeKDDI reads each "Could not be delivered to:" and the reason under it.
func decodeKDDI(in *input) *Report {
	text := in.text()
	lower := in.lower()
	r := &Report{Kind: Bounce}
	for off := 0; len(r.Recipients) < maxRecipients; {
		i := strings.Index(lower[off:], kddiMarker)
		if i < 0 {
			break
		}
		at := off + i + len(kddiMarker)
		line, rest, _ := strings.Cut(text[at:], "\n")
		off = at + len(line)
		addr := mailparse.Address(line)
		if addr == "" {
			continue
		}
		reason, _, _ := strings.Cut(rest, "\n")
		r.Recipients = append(r.Recipients, Recipient{Address: addr, Action: "failed",
			Diagnostic: squeeze(strings.TrimSpace(line) + " " + strings.TrimSpace(reason))})
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}
