package bounce

import "testing"

func TestEinsUndEins(t *testing.T) {
	checkMTA(t, []mtaCase{
		// No code: "Mail size limit exceeded" says the message was too big.
		{"einsundeins-bounce.eml", Bounce, "einsundeins", "ui-orig-1@example.net",
			[]mtaRecipient{{"hans@example.org", "failed", "5.3.4"}}},
	})
}

func TestUIRecipient(t *testing.T) {
	for line, want := range map[string]string{
		"bob@example.org":                         "bob@example.org",
		`"Bob@example.org":`:                      "bob@example.org",
		"<bob@example.org>":                       "bob@example.org",
		"host: mx.example.org":                    "",
		"5.1.1 <bob@example.org>... User Unknown": "",
		"For the following reason:":               "",
	} {
		if got := uiRecipient(line); got != want {
			t.Errorf("uiRecipient(%q) = %q, want %q", line, got, want)
		}
	}
}
