package bounce

import "testing"

func TestDomino(t *testing.T) {
	checkMTA(t, []mtaCase{
		// Plain text: only the original's subject comes back.
		{"domino-text.eml", Bounce, "domino", "",
			[]mtaRecipient{{"jonas@example.org", "failed", "5.1.1"}}},
	})
	if r := inspectFile(t, "testdata/domino-text.eml"); r.Original.Subject != "Budget review" {
		t.Errorf("original subject %q", r.Original.Subject)
	}
}
