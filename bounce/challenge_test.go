package bounce

import "testing"

func TestChallenge(t *testing.T) {
	for _, s := range []vendorSample{
		{"challenge-tmda.eml", "challenge", "challenge", "7d1e0c9a44b2.1772442719@bulk-7.example.com", []string{"marta@quietmail.example.net "}},
		{"challenge-boxbe.eml", "challenge", "challenge", "", nil},
		{"challenge-spamarrest.eml", "challenge", "challenge", "4e2a77c1.90b1@mx7.example.com", []string{"greg.olsen@mail.example.net "}},
		{"challenge-bluebottle.eml", "challenge", "challenge", "00e701dcab8c$3f1d2a40$5c7e8ac0@example.com", []string{"pieter@bluebottle.example "}},
		{"challenge-mailinblack.eml", "challenge", "challenge", "", []string{"sophie.lefevre@cabinet.example.fr "}},
		{"challenge-qurb.eml", "challenge", "challenge", "", []string{"dana.w@example.org "}},
		{"challenge-ask.eml", "challenge", "challenge", "0f2b91a8e3c7@client-45.example.net", []string{"olav@fjord.example.no "}},
		{"challenge-boxtrapper.eml", "challenge", "challenge", "20260306034845.4411.qz@smtp.example.com", []string{"info@bakery.example.com "}},
		{"challenge-german.eml", "challenge", "challenge", "rechnung-2026-03-0417@example.com", []string{"k.brandt@handwerk.example.de "}},
		{"challenge-spanish.eml", "challenge", "challenge", "c81f2e.0042@mail.example.com", []string{"lucia.gomez@correo.example.es "}},
		{"challenge-human-check.eml", "challenge", "challenge", "gift-card-88812@promo.example.com", []string{"tom@smallbiz.example.net "}},
		// Mails that ask to verify an address for the reader's own sake
		// hold no message of theirs.
		{"trap-signup-confirm.eml", "none", "", "", nil},
		{"trap-double-optin.eml", "none", "", "", nil},
		{"trap-double-optin-german.eml", "none", "", "", nil},
		{"trap-password-reset.eml", "none", "", "", nil},
		// A person's words about a held order are no request.
		{"trap-human-order-held.eml", "none", "", "", nil},
	} {
		checkVendorSample(t, s)
	}
}
