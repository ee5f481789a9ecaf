package bounce

import "testing"

func TestMailMarshal(t *testing.T) {
	// One reason for every address listed; no copy of the original.
	checkMTA(t, []mtaCase{
		{"mailmarshal-bounce.eml", Bounce, "mailmarshal", "",
			[]mtaRecipient{{"carl@example.net", "failed", "5.7.1"}, {"dana@example.net", "failed", "5.7.1"}}},
	})
}
