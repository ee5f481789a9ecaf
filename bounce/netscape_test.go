package bounce

import "testing"

func TestNetscape(t *testing.T) {
	checkMTA(t, []mtaCase{
		// One reason sentence for the addresses below it.
		{"netscape-quota.eml", Bounce, "netscape", "nms-orig-1@example.net",
			[]mtaRecipient{{"theo@example.org", "failed", "5.2.2"}}},
		// Each address with the remote server's reason; the advice's
		// postmaster address is no recipient.
		{"netscape-rejected.eml", Bounce, "netscape", "nms-orig-2@example.net",
			[]mtaRecipient{{"ulla@example.com", "failed", "5.1.1"}, {"vik@example.com", "failed", "5.2.2"}}},
	})
}
