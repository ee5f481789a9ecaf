package classifier

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// fakeDNS answers TXT look-ups from a map; names it lacks fail as a DNS
// failure would.
type fakeDNS struct {
	mu      sync.Mutex
	records map[string][]string
	asked   int
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	if r, ok := f.records[strings.ToLower(name)]; ok {
		return r, nil
	}
	return nil, errors.New("lookup " + name + ": server misbehaving")
}

var (
	testKeysOnce sync.Once
	testRSA      *rsa.PrivateKey
	testEd       ed25519.PrivateKey
)

// testKeys makes one RSA and one Ed25519 key per test run: 1024 bits, the
// least a verifier accepts, to keep the run short.
func testKeys(t testing.TB) (*rsa.PrivateKey, ed25519.PrivateKey) {
	t.Helper()
	testKeysOnce.Do(func() {
		var err error
		if testRSA, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
		if _, testEd, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return testRSA, testEd
}

// dnsFor publishes the test keys: rsa under sel._domainkey.DOMAIN and
// ed25519 under ed._domainkey.DOMAIN for each domain.
func dnsFor(t testing.TB, domains ...string) *fakeDNS {
	rk, ek := testKeys(t)
	der, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{records: map[string][]string{}}
	for _, d := range domains {
		f.records["sel._domainkey."+d] = []string{"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)}
		f.records["ed._domainkey."+d] = []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(ek.Public().(ed25519.PublicKey))}
	}
	return f
}

// original is a message as the person's webmail would send it: its
// Message-ID is nowhere in the sent index.
func original(id string) string {
	return "From: Alice <alice@example.com>\r\n" +
		"To: bob@example.org\r\n" +
		"Subject: the figures\r\n" +
		"Date: Fri, 27 Nov 2026 09:00:00 +0000\r\n" +
		"Message-ID: <" + id + ">\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"Hello Bob,\r\n\r\nthe figures are attached.\r\n"
}

type signOpt func(*dkim.SignOptions)

func withDomain(d string) signOpt    { return func(o *dkim.SignOptions) { o.Domain = d } }
func withExpiry(t time.Time) signOpt { return func(o *dkim.SignOptions) { o.Expiration = t } }
func withSimple() signOpt {
	return func(o *dkim.SignOptions) { o.HeaderCanonicalization = dkim.CanonicalizationSimple }
}
func withEd25519(t testing.TB) signOpt {
	_, ek := testKeys(t)
	return func(o *dkim.SignOptions) { o.Signer, o.Selector = ek, "ed" }
}

// sign signs msg with the test RSA key as example.com, relaxed/relaxed,
// unless opts say otherwise.
func sign(t testing.TB, msg string, opts ...signOpt) string {
	t.Helper()
	rk, _ := testKeys(t)
	o := &dkim.SignOptions{
		Domain: "example.com", Selector: "sel", Signer: crypto.Signer(rk),
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
	}
	for _, f := range opts {
		f(o)
	}
	var b bytes.Buffer
	if err := dkim.Sign(&b, strings.NewReader(msg), o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// dsnWith wraps an original into an RFC 3464 report as a part of type
// partType (message/rfc822 or text/rfc822-headers), and text as the
// human-readable part.
func dsnWith(partType, orig, text string) []byte {
	return []byte("From: MAILER-DAEMON@mx.example.org\r\n" +
		"To: alice@example.com\r\n" +
		"Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
		"Message-ID: <bounce7@mx.example.org>\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"RR\"\r\n\r\n" +
		"--RR\r\nContent-Type: text/plain\r\n\r\n" + text + "\r\n" +
		"--RR\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Final-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n" +
		"--RR\r\nContent-Type: " + partType + "\r\n\r\n" + orig + "\r\n" +
		"--RR--\r\n")
}

func headerOf(msg string) string {
	h, _, _ := strings.Cut(msg, "\r\n\r\n")
	return h + "\r\n"
}

// coveringIndex is a sent index that covers November 2026 and holds
// none of the test originals' ids: without other evidence, each bounce
// below is backscatter.
func coveringIndex(t *testing.T) *Classifier {
	t.Helper()
	return &Classifier{Sent: sentIndex(t,
		"Message-ID: <mine1@example.com>\nDate: Mon, 02 Nov 2026 10:00:00 +0000\nFrom: alice@example.com\nTo: carol@example.net\n\n",
		"Message-ID: <mine2@example.com>\nDate: Sun, 29 Nov 2026 10:00:00 +0000\nFrom: alice@example.com\nTo: dan@example.net\n\n",
	)}
}

func signalNamed(v Verdict, name string) (Signal, bool) {
	for _, s := range v.Signals {
		if s.Name == name {
			return s, true
		}
	}
	return Signal{}, false
}

func TestDKIM(t *testing.T) {
	ctx := context.Background()
	signed := sign(t, original("webmail-1@example.com"))
	tampered := strings.Replace(signed, "Subject: the figures", "Subject: cheap pills", 1)
	bodyChanged := strings.Replace(signed, "attached", "ATTACHED", 1)
	multipart := sign(t, strings.Replace(original("webmail-2@example.com"),
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHello Bob,\r\n\r\nthe figures are attached.\r\n",
		"Content-Type: multipart/mixed; boundary=\"MM\"\r\n\r\n--MM\r\nContent-Type: text/plain\r\n\r\nHello Bob\r\n--MM\r\nContent-Type: application/pdf\r\n\r\nJVBERi0xLjQK\r\n--MM--\r\n", 1))
	cutShort := strings.Replace(multipart, "JVBERi0xLjQK\r\n--MM--\r\n", "JVBERi0x\r\n", 1)

	tests := []struct {
		name   string
		msg    []byte
		dns    *fakeDNS
		want   Class
		weight Weight
		reason string // in the dkim signal's reason
	}{
		{"valid signature of own domain, id not in index", dsnWith("message/rfc822", signed, "failed"), dnsFor(t, "example.com"),
			BounceLegit, SentProof, "valid DKIM signature of example.com"},
		{"ed25519", dsnWith("message/rfc822", sign(t, original("ed-1@example.com"), withEd25519(t)), "failed"), dnsFor(t, "example.com"),
			BounceLegit, SentProof, "valid DKIM signature of example.com (s=ed)"},
		{"another domain's signature", dsnWith("message/rfc822", sign(t, original("x-1@example.com"), withDomain("mailer.example.net")), "failed"), dnsFor(t, "mailer.example.net"),
			Backscatter, Neutral, "not one of your domains"},
		{"forged: header changed after signing", dsnWith("message/rfc822", tampered, "failed"), dnsFor(t, "example.com"),
			Backscatter, ForgedWeak, "does not verify"},
		{"expired", dsnWith("message/rfc822", sign(t, original("old-1@example.com"), withExpiry(time.Now().Add(-time.Hour))), "failed"), dnsFor(t, "example.com"),
			Backscatter, Neutral, "expired"},
		{"whole body came back changed", dsnWith("message/rfc822", bodyChanged, "failed"), dnsFor(t, "example.com"),
			Backscatter, Neutral, "no longer matches its body hash"},
		{"body cut short by the bounce", dsnWith("message/rfc822", cutShort, "failed"), dnsFor(t, "example.com"),
			BounceLegit, SentStrong, "header-only DKIM check: body hash taken as given (the original's multipart body ends before its closing boundary"},
		{"bounce says it truncated", dsnWith("message/rfc822", bodyChanged, "The message was truncated to 1 KB."), dnsFor(t, "example.com"),
			BounceLegit, SentStrong, "header-only DKIM check: body hash taken as given (the bounce says it shortened the copy"},
		{"header-only copy", dsnWith("text/rfc822-headers", headerOf(signed), "failed"), dnsFor(t, "example.com"),
			BounceLegit, SentStrong, "header-only DKIM check: body hash taken as given (only the header came back)"},
		{"header-only copy, simple canonicalization", dsnWith("text/rfc822-headers", headerOf(sign(t, original("s-1@example.com"), withSimple())), "failed"), dnsFor(t, "example.com"),
			BounceLegit, SentStrong, "header-only DKIM check"},
		{"header-only copy, ed25519", dsnWith("text/rfc822-headers", headerOf(sign(t, original("ed-2@example.com"), withEd25519(t))), "failed"), dnsFor(t, "example.com"),
			BounceLegit, SentStrong, "header-only DKIM check"},
		{"header-only copy, forged", dsnWith("text/rfc822-headers", headerOf(tampered), "failed"), dnsFor(t, "example.com"),
			Backscatter, ForgedWeak, "does not verify"},
		{"header-only copy, expired", dsnWith("text/rfc822-headers", headerOf(sign(t, original("old-2@example.com"), withExpiry(time.Now().Add(-time.Hour)))), "failed"), dnsFor(t, "example.com"),
			Backscatter, Neutral, "expired"},
		{"quoted inline", inlineBounce(strings.ReplaceAll(signed, "\r\n", "\n")), dnsFor(t, "example.com"),
			BounceLegit, SentStrong, "header-only DKIM check: body hash taken as given (the original was quoted in the bounce's text)"},
		{"quoted inline, simple canonicalization", inlineBounce(strings.ReplaceAll(sign(t, original("s-2@example.com"), withSimple()), "\r\n", "\n")), dnsFor(t, "example.com"),
			Backscatter, Neutral, "the quoted copy cannot be checked"},
		{"DNS failure is no evidence", dsnWith("message/rfc822", signed, "failed"), &fakeDNS{},
			Backscatter, Neutral, "could not be checked"},
		{"header-only, DNS failure", dsnWith("text/rfc822-headers", headerOf(signed), "failed"), &fakeDNS{},
			Backscatter, Neutral, "could not be checked"},
		{"DNS off", dsnWith("message/rfc822", signed, "failed"), nil,
			Backscatter, Neutral, "DNS look-ups are off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := coveringIndex(t)
			if tt.dns != nil {
				c.DNS = tt.dns
			}
			v := c.Classify(ctx, tt.msg)
			s, ok := signalNamed(v, "dkim")
			if v.Class != tt.want || !ok || s.Weight != tt.weight || !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("got %s, dkim signal %v %q; want %s, %s %q\nsignals %+v", v.Class, s.Weight, s.Reason, tt.want, tt.weight, tt.reason, v.Signals)
			}
			if !reasonsMention(v, s.Reason) && s.Weight != Neutral {
				t.Errorf("reasons %q do not list the dkim evidence %q", v.Reasons, s.Reason)
			}
		})
	}
}

func reasonsMention(v Verdict, part string) bool {
	for _, r := range v.Reasons {
		if strings.Contains(r, part) {
			return true
		}
	}
	return false
}
