package bounce

import "testing"

func TestActiveHunter(t *testing.T) {
	checkMTA(t, []mtaCase{
		// multipart/report without a delivery-status part.
		{"activehunter-bounce.eml", Bounce, "activehunter", "ah-orig-1@example.net",
			[]mtaRecipient{{"cem@example.org", "failed", "5.1.1"}}},
	})
}
