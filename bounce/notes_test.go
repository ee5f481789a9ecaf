package bounce

import "testing"

func TestNotes(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"notes-bounce.eml", Bounce, "notes", "notes-orig-1@example.net",
			[]mtaRecipient{{"lara@example.org", "failed", "5.1.1"}}},
	})
}
