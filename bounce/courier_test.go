package bounce

import "testing"

func TestCourier(t *testing.T) {
	checkMTA(t, []mtaCase{
		// Status 5.0.0 in the DSN, the remote's 5.1.1 in the diagnostic.
		{"courier-dsn.eml", DSN, "courier", "courier-orig-1@example.net",
			[]mtaRecipient{{"adam@example.org", "failed", "5.1.1"}}},
	})
}
