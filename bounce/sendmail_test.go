package bounce

import "testing"

func TestSendmail(t *testing.T) {
	checkMTA(t, []mtaCase{
		// Sendmail's own 4.4.7 (gave up) yields to the remote's 4.7.1.
		{"sendmail-dsn.eml", DSN, "sendmail", "sm-orig-1@example.com",
			[]mtaRecipient{{"erik@example.org", "failed", "4.7.1"}}},
		// Sendmail 5: one recipient per "NNN <addr>..." line, the host
		// line skipped, the original after "Unsent message follows"
		// (which has no Message-ID); Status from the reasons' words.
		{"sendmail-v5.eml", Bounce, "sendmail", "",
			[]mtaRecipient{{"fred@example.org", "failed", "5.1.1"}, {"gina@example.edu", "failed", "5.1.2"}}},
		// A DSN whose MIME header a relay dropped: the status fields
		// are read from the text, and name the local recipient in full.
		{"sendmail-flattened.eml", Bounce, "sendmail", "sm-orig-3@host.example.net",
			[]mtaRecipient{{"hanna@host.example.net", "failed", "4.4.7"}}},
	})
	r := inspectFile(t, "testdata/sendmail-v5.eml")
	if r.Original.From != "anna@example.com" || r.Original.Subject != "Old school" {
		t.Errorf("v5 original: %+v", r.Original)
	}
}
