package bounce

import "testing"

func TestX3(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"x3-bounce.eml", Bounce, "x3", "x3-orig-1@example.org",
			[]mtaRecipient{{"kurt@example.com", "failed", "5.1.1"}}},
	})
}
