package bounce

import "testing"

func TestAmazonWorkMail(t *testing.T) {
	checkMTA(t, []mtaCase{
		// The delivery-status fields written as text after "Technical report:".
		{"amazonworkmail-bounce.eml", Bounce, "amazonworkmail", "wm-orig-1@eu-west-1.amazonses.com",
			[]mtaRecipient{{"yann@example.org", "failed", "5.1.1"}}},
	})
}
