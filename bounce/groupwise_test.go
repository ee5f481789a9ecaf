package bounce

import "testing"

func TestGroupWise(t *testing.T) {
	checkMTA(t, []mtaCase{
		// A name without a domain ("zeno") is left out.
		{"groupwise-bounce.eml", Bounce, "groupwise", "gw-orig-1@example.net",
			[]mtaRecipient{{"xavi@example.org", "failed", "5.1.1"}, {"yara@example.org", "failed", "5.2.2"}}},
		{"groupwise-mime.eml", Bounce, "groupwise", "gw-orig-2@example.net",
			[]mtaRecipient{{"anna@office.example.org", "failed", "5.2.2"}}},
		// A person forwarding the notice.
		{"groupwise-human-fwd.eml", None, "", "", nil},
	})
}

func TestGWRecipient(t *testing.T) {
	for line, want := range map[string][2]string{
		"bob@example.org (user not found)":                       {"bob@example.org", "user not found"},
		"bob@example.org (host: x) (queue: Smtp) (Mailbox full)": {"bob@example.org", "Mailbox full"},
		"bob@example.org":      {"bob@example.org", ""},
		"bob (user not found)": {"", ""},
		"(x":                   {"", ""},
	} {
		a, r := gwRecipient(line)
		if a != want[0] || r != want[1] {
			t.Errorf("gwRecipient(%q) = %q, %q; want %q, %q", line, a, r, want[0], want[1])
		}
	}
}
