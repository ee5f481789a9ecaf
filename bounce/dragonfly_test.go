package bounce

import (
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

func TestDragonFly(t *testing.T) {
	checkMTA(t, []mtaCase{
		{"dragonfly-bounce.eml", Bounce, "dragonfly", "df-orig-1@relay.example.net",
			[]mtaRecipient{{"olga@example.org", "failed", "5.2.2"}}},
		// dma's own reason carries no code: the words say it gave up.
		{"dragonfly-expired.eml", Bounce, "dragonfly", "df-orig-2@box.example.net",
			[]mtaRecipient{{"quinn@example.com", "failed", "5.4.7"}}},
	})
	r := inspectFile(t, "testdata/dragonfly-bounce.eml")
	if got := r.Recipients[0].RemoteMTA; got != "mx.example.org" {
		t.Errorf("remote MTA %q, want mx.example.org", got)
	}
}

// FuzzGroupAText feeds arbitrary text, under the header fields that make
// each of them look, to the plain-text readers of DragonFly, Active!hunter,
// United Internet, Domino, Notes, fml, Apache James, Netscape, KDDI,
// GroupWise and Amazon WorkMail: no panic, bounded output.
func FuzzGroupAText(f *testing.F) {
	f.Add("This is the DragonFly Mail Agent v0.13 at x.\n\nThere was an error delivering your mail to <a@b.c>.\n\n550 5.1.1 no\n\nMessage headers follow.\n")
	f.Add(">>> a@b.c <a@b.c>\n  ----- Transcript of session follows -----\n550 no\n")
	f.Add("The following address\nfailed:\n\n\"a@b.c\":\nreason\n--- The header of the original message is following. ---\n")
	f.Add("Your message\n\n  Subject: x\n\nwas not delivered to:\n\n  a@b.c\n\nbecause:\n\n  not listed\n")
	f.Add("------- Failure Reasons  --------\nno\na@b.c\n------- Returned Message --------\n")
	f.Add("You are not a member of this mailing list <l@b.c>.\n")
	f.Add("Error message below:\n550 no\n\nMessage details:\n  MAIL FROM: a@b.c\n  RCPT TO: c@d.e\n")
	f.Add("This Message was undeliverable due to the following reason:\n\nover quota\n\n<a@b.c>\n    Recipient: <d@e.f>\n    Reason: 5.1.1\n")
	f.Add("Could not be delivered to: <a@b.c>\n As their mailbox is full.")
	f.Add("The message that you sent was undeliverable to the following:\n\ta@b.c (x) (y\n\tb (z)\n")
	f.Add("Technical report:\n\nAction: failed\nFinal-Recipient: rfc822; a@b.c\nStatus: 5.1.1\n")
	f.Fuzz(func(t *testing.T, text string) {
		head := "From: MAILER-DAEMON@mail.gmx.net\nSubject: Mail delivery failed\nX-UI-Out-Filterresults: x\n" +
			"X-AHMAILID: 1\nX-MLServer: fml\nMessage-ID: <1.JavaMail.x@y>\nIn-Reply-To: <o@p>\nX-Mailer: Amazon WorkMail\n" +
			"Received: by x (DragonFly Mail Agent v0.13);\n\n"
		in := newInput(mailparse.Parse([]byte(head + text)))
		for _, dec := range []func(*input) *Report{decodeDragonFly, decodeActiveHunter, decodeUnitedInternet,
			decodeDomino, decodeNotes, decodeFML, decodeApacheJames, decodeNetscape, decodeKDDI, decodeGroupWise,
			decodeAmazonWorkMail, decodeEZweb} {
			if r := dec(in); r != nil && len(r.Recipients) > maxRecipients {
				t.Fatalf("%d recipients", len(r.Recipients))
			}
		}
	})
}
