package bounce

import "testing"

func TestVerizon(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"verizon-mms.eml", Bounce, "verizon", "",
			[]mtaRecipient{{"5550100199@vzwpix.com", "failed", "5.1.1"}}},
		// A person's text message from a phone, whatever its words.
		{"verizon-human-sms.eml", None, "", "", nil},
	})
}
