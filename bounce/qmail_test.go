package bounce

import (
	"path/filepath"
	"testing"
)

func TestQmail(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"qmail-bounce.eml", Bounce, "qmail", "qm-orig-1@example.com",
			[]mtaRecipient{{"mona@example.net", "failed", "5.1.1"}, {"nils@example.org", "failed", "5.7.1"}}},
	})
}

// TestForwardedByPerson: a person passing a bounce on is no bounce.
func TestForwardedByPerson(t *testing.T) {
	r := inspectFile(t, filepath.Join("testdata", "qmail-forwarded-by-person.eml"))
	switch r.Format {
	case "postfix", "sendmail", "exim", "qmail":
		t.Errorf("claimed by %s as %s", r.Format, r.Kind)
	}
}

func TestQmailRecipient(t *testing.T) {
	for line, want := range map[string]string{
		"<bob@example.org>:": "bob@example.org",
		"<Bob@Example.org>:": "bob@example.org",
		"<bob@example.org>":  "",
		"<bob>:":             "",
		"<a b@example.org>:": "",
		"bob@example.org:":   "",
	} {
		if got := qmailRecipient(line); got != want {
			t.Errorf("qmailRecipient(%q) = %q, want %q", line, got, want)
		}
	}
}
