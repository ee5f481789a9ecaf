package bounce

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// TestTraps: mail that looks like a report, or talks of delivery, but is
// no backscatter stays none.
//
// Ticket systems and bug trackers: a tracker's notification (Bugzilla,
// Jira) answers nothing and stays none, whatever it quotes. A ticket
// system's acknowledgement of a new ticket (RT's "AutoReply:") is an
// RFC 3834 auto-reply to the message that opened it; when a worm forged
// the person's address, it is backscatter like a vacation notice, so
// without list headers it is an autoreply (ticket-autoack-direct.eml). One
// that came through a list (List-Id, Precedence: list) answered the list
// and is none, as every auto-reply to a list post is.
//
// ARF feedback reports (RFC 5965) stay none: a mailbox provider sends them
// to the address a domain's owner registered for its feedback loop, about
// mail that used the domain, so they answer a subscription, never a forged
// envelope sender, and the owner wants each one — moving them would hide
// the very complaints that show the domain is being abused. DMARC
// aggregate (RFC 7489) and SMTP TLS reports (RFC 8460) are the same kind
// of requested report.
func TestTraps(t *testing.T) {
	for _, s := range []vendorSample{
		{"trap-mdn.eml", "none", "", "", nil},
		{"trap-outlook-read.eml", "none", "", "", nil},
		{"trap-outlook-not-read.eml", "none", "", "", nil},
		{"trap-calendar-invite.eml", "none", "", "", nil},
		{"trap-calendar-accepted.eml", "none", "", "", nil},
		{"trap-bugzilla-virus.eml", "none", "", "", nil},
		{"trap-jira.eml", "none", "", "", nil},
		{"trap-rt-autoack-list.eml", "none", "", "", nil},
		{"ticket-autoack-direct.eml", "autoreply", "rfc3834", "7c1d9e20b8a4f@spam-host.example.net", []string{"help@help.example.org "}},
		{"trap-newsletter-delivery.eml", "none", "", "", nil},
		{"trap-human-forwards-dsn.eml", "none", "", "", nil},
		{"trap-dmarc-google.eml", "none", "", "", nil},
		{"trap-dmarc-yahoo.eml", "none", "", "", nil},
		{"trap-tlsrpt-google.eml", "none", "", "", nil},
		{"trap-tlsrpt-mixed.eml", "none", "", "", nil},
		{"trap-arf.eml", "none", "", "", nil},
	} {
		checkVendorSample(t, s)
	}
}

// TestIntl: bounces in other languages are found, and their Status is
// inferred from the words where they give no code.
func TestIntl(t *testing.T) {
	for _, s := range []vendorSample{
		{"intl-french.eml", "bounce", "generic", "facture-2291.0318@example.com", []string{"jean.dupont@fai.example.fr 5.1.1"}},
		{"intl-spanish.eml", "bounce", "generic", "presupuesto-0318@example.com", []string{"compras@proveedor.example.es 5.2.2"}},
		{"intl-japanese.eml", "bounce", "generic", "mitsumori-0318@example.com", []string{"tanaka@isp.example.jp 5.1.1"}},
		{"intl-russian.eml", "bounce", "generic", "dogovor-0318@example.com", []string{"ivanov@pochta.example.ru 5.2.2"}},
		{"intl-chinese.eml", "bounce", "generic", "baojia-0318@example.com", []string{"wangwei@youxiang.example.cn 5.1.1"}},
		{"intl-italian.eml", "bounce", "generic", "ordine-7781@example.com", []string{"m.rossi@posta.example.it 5.1.1"}},
		{"intl-portuguese.eml", "bounce", "generic", "proposta-0318@example.com", []string{"joao.silva@provedor.example.com.br 5.2.2"}},
		{"intl-dutch.eml", "bounce", "generic", "offerte-0318@example.com", []string{"p.devries@bedrijf.example.nl 5.1.1"}},
	} {
		checkVendorSample(t, s)
	}
}

// TestMightBeSamples: the header-only triage says "look further" for every
// challenge, antivirus notice, foreign-language bounce and ticket
// auto-reply among the samples.
func TestMightBeSamples(t *testing.T) {
	var files []string
	for _, pat := range []string{"challenge-*.eml", "avnotice-*.eml", "intl-*.eml", "ticket-*.eml"} {
		m, _ := filepath.Glob(filepath.Join("testdata", pat))
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("only %d samples found", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if h, _, _ := mailparse.ParseHeader(raw, mailparse.DefaultLimits.MaxHeaderBytes); !MightBe(h) {
			t.Errorf("%s: MightBe says no from its header", filepath.Base(f))
		}
	}
}

// FuzzNotices runs the challenge, antivirus-notice and receipt readers
// past their pre-checks on arbitrary bodies: they must not panic.
func FuzzNotices(f *testing.F) {
	f.Add("Your message has been held until you confirm.\n\nMessage-ID: <a@b>\nFrom: a@b\nTo: c@d\n")
	f.Add("Virus: W32/x found in a message you sent\nRecipient: x@y.example\n")
	f.Add("Your message\n\n  To: x\n\nwas read on Monday.")
	f.Fuzz(func(t *testing.T, body string) {
		for _, subject := range []string{"Please confirm your message", "Virus found", "Read: x"} {
			raw := "From: a@b.example\nTo: c@d.example\nReturn-Path: <>\nSubject: " + subject + "\n\n" + body
			in := newInput(mailparse.Parse([]byte(raw)))
			decodeChallenge(in)
			decodeAVNotice(in)
			plainReceipt(in)
		}
	})
}
