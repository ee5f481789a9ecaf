package classifier

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestExplain: explain shows every signal, with its weight, what the
// classifier knew and how the verdict followed — also the signals that
// Classify does not need once the sent index has proved the case.
func TestExplain(t *testing.T) {
	ctx := context.Background()
	c := coveringIndex(t)
	c.DNS = dnsFor(t, "example.com")
	c.Relays = []string{"smtp.example.com"}
	c.BATV = testBATV
	msg := dsnWith("message/rfc822", sign(t, original("mine1@example.com")), "failed")

	v := c.Classify(ctx, msg)
	if _, ok := signalNamed(v, "dkim"); ok {
		t.Errorf("Classify checked DKIM although the sent index proved the case: %+v", v.Signals)
	}
	x := c.Explain(ctx, msg)
	if x.Class != v.Class || x.Action != v.Action {
		t.Errorf("Explain says %s/%s, Classify %s/%s", x.Class, x.Action, v.Class, v.Action)
	}
	for _, name := range []string{"message-id", "dkim", "relay", "batv"} {
		if _, ok := signalNamed(x.Verdict, name); !ok {
			t.Errorf("Explain lacks the %s signal: %+v", name, x.Signals)
		}
	}
	var b bytes.Buffer
	if err := x.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Kind:     dsn", "Original: <mine1@example.com>",
		"sent-proof    message-id", "sent-proof    dkim", "valid DKIM signature of example.com",
		"forged-strong batv", "neutral       relay",
		"your relays (--relay): smtp.example.com", "DNS: on", "BATV: on",
		"Verdict: bounce-legit, keep", "strong signs of sending: message-id, dkim: bounce-legit",
		"the strong signs of forgery (batv) are outweighed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}

	// A message that is not bounce-like says so.
	b.Reset()
	c.Explain(ctx, []byte("From: bob@example.org\nTo: alice@example.com\nSubject: lunch\n\nLunch?\n")).WriteText(&b)
	if !strings.Contains(b.String(), "not bounce-like") || !strings.Contains(b.String(), "Verdict: clean, keep") {
		t.Errorf("explain of ordinary mail:\n%s", b.String())
	}
}

// TestReasonsListEvidence: every verdict on a bounce lists the signals
// that decided it, and those that were outweighed.
func TestReasonsListEvidence(t *testing.T) {
	ctx := context.Background()
	c := coveringIndex(t)
	c.DNS = dnsFor(t, "example.com")
	v := c.Classify(ctx, dsnWith("text/rfc822-headers", headerOf(sign(t, original("webmail-9@example.com"))), "failed"))
	for _, s := range v.Signals {
		if s.Weight == Neutral {
			continue
		}
		if !reasonsMention(v, s.Reason) {
			t.Errorf("signal %s (%s) is not among the reasons %q", s.Name, s.Weight, v.Reasons)
		}
	}
}

func TestDNSCache(t *testing.T) {
	f := dnsFor(t, "example.com")
	r := NewDNSCache(f, 0, 2)
	ctx := context.Background()
	for range 3 {
		if txt, err := r.LookupTXT(ctx, "sel._domainkey.example.com"); err != nil || len(txt) != 1 {
			t.Fatalf("got %q, %v", txt, err)
		}
		if _, err := r.LookupTXT(ctx, "missing._domainkey.example.com"); err == nil {
			t.Fatal("a failing look-up succeeded")
		}
	}
	if f.asked != 2 {
		t.Errorf("asked the resolver %d times, want 2 (answers and failures cached)", f.asked)
	}
	for _, n := range []string{"a.example", "b.example", "c.example"} {
		r.LookupTXT(ctx, n)
	}
	if n := len(r.(*dnsCache).m); n > 2 {
		t.Errorf("cache holds %d entries, more than its size 2", n)
	}
}
