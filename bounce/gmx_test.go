package bounce

import "testing"

func TestGMX(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"gmx-bounce.eml", Bounce, "gmx", "gmx-orig-1@example.net",
			[]mtaRecipient{{"emma@example.org", "failed", "5.1.1"}, {"finn@example.org", "failed", "5.2.2"}}},
	})
}
