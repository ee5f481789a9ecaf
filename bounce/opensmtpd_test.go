package bounce

import "testing"

func TestOpenSMTPD(t *testing.T) {
	checkMTA(t, []mtaCase{
		// The DSN's Status is 5.0.0 for both; the text says why.
		{"opensmtpd-dsn.eml", DSN, "opensmtpd", "osmtpd-orig-1@example.net",
			[]mtaRecipient{{"paul@example.org", "failed", "5.1.1"}, {"quinn@example.org", "failed", "5.2.2"}}},
		// Before the DSN part: the text alone, a reason without a code.
		{"opensmtpd-old.eml", Bounce, "opensmtpd", "osmtpd-orig-2@example.com",
			[]mtaRecipient{{"sven@nowhere.example", "failed", "5.1.2"}}},
	})
}
