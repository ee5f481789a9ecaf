package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Yahoo! Mail (and AOL, now on the same system) bounces in a qmail-like
// layout: "Sorry, we were unable to deliver your message to the following
// address.", then "<a@b.c>:" and the reason ("Remote host said: 550 …"),
// then "--- Below this line is a copy of the message." and the original.

// yahooMarkers open the report, lower case.
var yahooMarkers = []string{
	"sorry, we were unable to deliver your message to the following address",
}

// matchYahoo: a daemon's "Failure Notice". qmail uses the same subject,
// so decodeYahoo checks Yahoo's wording before it claims the message.
func matchYahoo(in *input) bool {
	return in.fromDaemon() && in.subjectHas("failure notice")
}

// decodeYahoo reads a Yahoo! bounce.
func decodeYahoo(in *input) *Report {
	text := in.text()
	lower := in.lower()
	start := firstMarker(lower, yahooMarkers)
	if start < 0 {
		return nil
	}
	region := text[start:]
	if end := strings.Index(lower[start:], "below this line is a copy of the message"); end >= 0 {
		region = region[:end]
	}
	var rs []Recipient
	var cur *Recipient
	for _, l := range textLines(region)[1:] {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "---") || len(rs) > maxGenericRecipients {
			break
		}
		if strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">:") && isAddressLine(t) {
			rs = append(rs, Recipient{Address: mailparse.FindAddresses(t, 1)[0], Action: "failed"})
			cur = &rs[len(rs)-1]
			continue
		}
		if cur != nil && t != "" {
			cur.Diagnostic = squeeze(cur.Diagnostic + " " + t)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	finishRecipients(rs)
	r := &Report{Kind: Bounce, Recipients: rs}
	r.Original, _ = bounceOriginal(in)
	return r
}
