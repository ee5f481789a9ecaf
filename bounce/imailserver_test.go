package bounce

import "testing"

func TestIMailServer(t *testing.T) {
	// Reasons in words only; "Delivery failed N attempts" is an expiry.
	checkMTA(t, []mtaCase{
		{"imailserver-bounce.eml", Bounce, "imailserver", "imail-orig-1@example.net",
			[]mtaRecipient{{"fay@example.net", "failed", "5.2.2"}, {"gus@example.org", "failed", "5.4.7"}}},
	})
}
