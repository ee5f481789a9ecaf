package bounce

import "testing"

func TestMessagingServer(t *testing.T) {
	checkMTA(t, []mtaCase{
		// The DSN part lost: the per-recipient text blocks.
		{"messagingserver-text.eml", Bounce, "messagingserver", "ms-orig-1@example.com",
			[]mtaRecipient{{"uwe@example.org", "failed", "5.1.1"}, {"vera@example.org", "failed", "5.2.2"}}},
		// A source-routed Final-Recipient yields to the Original-Recipient;
		// a Status of 5.0.0 and a reply without a code stay as stated.
		{"messagingserver-dsn.eml", DSN, "messagingserver", "ms-orig-2@example.com",
			[]mtaRecipient{{"walt@example.org", "failed", "5.0.0"}}},
	})
}
