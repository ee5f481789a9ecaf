package bounce

import "testing"

func TestMimecast(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"mimecast-text.eml", Bounce, "mimecast", "",
			[]mtaRecipient{{"yann@corp.example.com", "failed", "5.1.1"}}},
	})
}

func TestMimecastItem(t *testing.T) {
	for text, want := range map[string]string{
		":\n\n-- bob@example.org\n\nThe problem":    "bob@example.org",
		" :\n-- 5.4.1 Access\ndenied.\n\nThis cond": "5.4.1 Access denied.",
		":\nno item here\n":                         "",
		"":                                          "",
	} {
		if got := mimecastItem(text); got != want {
			t.Errorf("mimecastItem(%q) = %q, want %q", text, got, want)
		}
	}
}
