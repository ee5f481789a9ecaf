package bounce

import "testing"

func TestApacheJames(t *testing.T) {
	checkMTA(t, []mtaCase{
		// The original is named only by In-Reply-To.
		{"apachejames-bounce.eml", Bounce, "apachejames", "james-orig-1@example.net",
			[]mtaRecipient{{"petra@example.org", "failed", "5.1.1"}}},
		// A person's JavaMail reply quoting such a notice.
		{"apachejames-human-reply.eml", None, "", "", nil},
	})
}
