package classifier

import (
	"fmt"

	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// Learning the person's Message-ID styles needs enough sent mail to mean
// anything. Below minStyleSample ids nothing is said at all.
//
// A Message-ID unlike every style is weak evidence of forgery, because
// the person may have sent it from a client whose copies never reach the
// sent folder, or from a client they no longer use. It is strong only
// when the sample is large and the person's habits narrow
// (strongStyleSample ids from at most strongStyleMax styles, each with a
// real share of the mail), the original was sent within the index's
// coverage (so the clients of that time are the ones learned), and its
// right-hand side is of a domain none of those clients ever wrote: a
// different left-hand side on a known domain may be only a client update.
const (
	minStyleSample    = 10
	strongStyleSample = 50
	strongStyleMax    = 5
	// styleSlack is how far outside a style's learned length range an id
	// may fall and still match: counters and timestamps grow a digit.
	styleSlack = 2
)

// styleSignals compares the original's Message-ID with the styles learned
// from the sent index.
func (c *Classifier) styleSignals(e *evidence, id string, covered bool) {
	styles, total := c.Sent.Styles()
	if total < minStyleSample {
		return
	}
	dom, rhs, cls, n, ok := sentindex.IDStyle(id)
	if !ok {
		e.add("message-id-style", ForgedWeak, "original message-id <%s> has no right-hand side, unlike all %d of yours", id, total)
		return
	}
	var sameDomain *sentindex.Style
	for i := range styles {
		s := &styles[i]
		if s.Domain != dom {
			continue
		}
		sameDomain = s
		if cls&^s.Classes == 0 && n >= s.MinLen-styleSlack && n <= s.MaxLen+styleSlack {
			e.add("message-id-style", Neutral, "original message-id <%s> looks like your style %s", id, describeStyle(*s))
			return
		}
	}
	if sameDomain != nil {
		e.add("message-id-style", ForgedWeak, "original message-id <%s> (%d characters, %s, @%s) is unlike your style %s",
			id, n, cls, rhs, describeStyle(*sameDomain))
		return
	}
	w := ForgedWeak
	if covered && narrowHabits(styles, total) {
		w = ForgedStrong
	}
	e.add("message-id-style", w, "original message-id <%s> is @%s, a domain none of your %d sent messages' ids use (%s)",
		id, rhs, total, describeStyles(styles))
}

// narrowHabits reports whether the sample is large and the person's mail
// comes from few styles, ignoring styles of under 2% of it (a stray
// imported or redirected message).
func narrowHabits(styles []sentindex.Style, total int) bool {
	if total < strongStyleSample {
		return false
	}
	real := 0
	for _, s := range styles {
		if s.Count*50 >= total {
			real++
		}
	}
	return real <= strongStyleMax
}

func describeStyle(s sentindex.Style) string {
	length := fmt.Sprintf("%d", s.MinLen)
	if s.MaxLen != s.MinLen {
		length = fmt.Sprintf("%d-%d", s.MinLen, s.MaxLen)
	}
	return fmt.Sprintf("@%s (%s characters, %s, %d messages)", s.Example, length, s.Classes, s.Count)
}

// describeStyles names the three most used styles.
func describeStyles(styles []sentindex.Style) string {
	out := ""
	for i, s := range styles {
		if i == 3 {
			out += fmt.Sprintf(", and %d more", len(styles)-3)
			break
		}
		if i > 0 {
			out += "; "
		}
		out += describeStyle(s)
	}
	if out == "" {
		return "none learned"
	}
	return "yours: " + out
}
