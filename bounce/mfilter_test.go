package bounce

import "testing"

func TestMFilter(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"mfilter-bounce.eml", Bounce, "mfilter", "mfilter-orig-1@example.jp",
			[]mtaRecipient{{"adam@example.org", "failed", "5.2.2"}}},
	})
}
