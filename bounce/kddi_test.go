package bounce

import "testing"

func TestKDDI(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"kddi-bounce.eml", Bounce, "kddi", "kddi-orig-1@example.net",
			[]mtaRecipient{{"rin@ezweb.ne.jp", "failed", "5.2.2"}}},
	})
}
