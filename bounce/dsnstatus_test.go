package bounce

import "testing"

func TestRefineStatus(t *testing.T) {
	check := func(status, diag, want string) {
		t.Helper()
		if got := refineStatus(status, diag); got != want {
			t.Errorf("refineStatus(%q, %q) = %q, want %q", status, diag, got, want)
		}
	}
	check("5.0.0", "smtp; 550 5.1.1 <a@example.org>: User unknown", "5.1.1")
	check("4.0.0", "421 4.7.0 try again later", "4.7.0")
	check("5.0.0", "550 #5.1.0 Address rejected.", "5.1.0")
	// The MTA's own detail stands; so does its class.
	check("5.1.1", "552 5.2.2 Over quota", "5.1.1")
	check("5.0.0", "451 4.3.0 temporary", "5.0.0")
	// Words alone do not overrule the MTA.
	check("5.0.0", "550 User unknown", "5.0.0")
	check("5.0.0", "", "5.0.0")
	check("", "550 5.1.1 x", "")
}

// TestStatusFromWordsGroupB covers the words added for the bounces of
// OpenSMTPD, IMail, McAfee and the unnamed MTAs.
func TestStatusFromWordsGroupB(t *testing.T) {
	check := func(diag string, delayed bool, want string) {
		t.Helper()
		if got := statusFromWords(diag, delayed); got != want {
			t.Errorf("statusFromWords(%q, %v) = %q, want %q", diag, delayed, got, want)
		}
	}
	check("Domain does not exist", false, "5.1.2")
	check("550 <a@example.org>... User not exist", false, "5.1.1")
	check("This user doesn't have a example.com account", false, "5.1.1")
	check("This account has been disabled or discontinued", false, "5.2.1")
	check("Envelope expired", true, "4.4.7")
	check("Network error on destination MXs", true, "4.4.1")
	check("552 Message too large", false, "5.3.4")
	check("550-REJECTED - Blacklisted URL in message", false, "5.7.1")
}
