package classifier

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

var testBATV, _ = ParseBATVKeys([]byte("# the key of the outgoing relay\nsecret-one\n2 secret-two\n"))

// prvs tags addr as the person's MTA would, with key number num, expiring
// on day expires.
func prvs(num int, expires time.Time, addr string) string {
	key := testBATV.key(num)
	d := batvDay(expires)
	return fmt.Sprintf("prvs=%d%03d%s=%s", num, d, batvHash(key, num, d, addr), addr)
}

// batvBounce is a DSN of an original whose id is not in the sent index,
// delivered to rcpt, received at arrived.
func batvBounce(rcpt string, arrived time.Time) []byte {
	orig := strings.ReplaceAll(headerOf(original("elsewhere-1@example.com")), "\r\n", "\n")
	return append([]byte("Received: from mx.example.org by imap.example.com; "+arrived.Format(time.RFC1123Z)+"\n"+
		"Delivered-To: "+rcpt+"\n"), dsnWith("text/rfc822-headers", orig, "failed")...)
}

func TestBATV(t *testing.T) {
	ctx := context.Background()
	arrived := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	tests := []struct {
		name   string
		rcpt   string
		from   string
		want   Class
		weight Weight
		reason string
	}{
		{"valid and fresh", prvs(0, arrived.Add(week), "alice@example.com"), "", BounceLegit, SentProof, "verifies with your key and was fresh"},
		{"valid with key 2", prvs(2, arrived.Add(2*24*time.Hour), "alice@example.com"), "", BounceLegit, SentProof, "was fresh"},
		{"expired", prvs(0, arrived.Add(-5*24*time.Hour), "alice@example.com"), "", Backscatter, ForgedStrong, "had expired"},
		{"wrong hash", strings.Replace(prvs(0, arrived.Add(week), "alice@example.com"), "=alice", "=alicf", 1), "", Backscatter, ForgedStrong, "does not verify"},
		{"missing", "alice@example.com", "", Backscatter, ForgedStrong, "not addressed to a BATV-tagged address"},
		{"missing, bounced by own server", "alice@example.com", "MAILER-DAEMON@example.com", Backscatter, Neutral, "comes from your own system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := batvBounce(tt.rcpt, arrived)
			if tt.from != "" {
				msg = []byte(strings.Replace(string(msg), "From: MAILER-DAEMON@mx.example.org", "From: "+tt.from, 1))
			}
			c := coveringIndex(t)
			c.BATV = testBATV
			v := c.Classify(ctx, msg)
			s, ok := signalNamed(v, "batv")
			if v.Class != tt.want || !ok || s.Weight != tt.weight || !strings.Contains(s.Reason, tt.reason) {
				t.Errorf("got %s, batv signal %v %q; want %s, %s %q", v.Class, s.Weight, s.Reason, tt.want, tt.weight, tt.reason)
			}
		})
	}
	// Auto-replies answer the From header, which BATV never tags.
	c := coveringIndex(t)
	c.BATV = testBATV
	v := c.Classify(ctx, []byte("From: dave@example.net\nTo: alice@example.com\nAuto-Submitted: auto-replied\nIn-Reply-To: <mine1@example.com>\nSubject: Out of office\nDate: Mon, 02 Nov 2026 11:00:00 +0000\n\nI am away.\n"))
	if v.Class != BounceLegit {
		t.Errorf("auto-reply to own mail with BATV on: got %s, reasons %q", v.Class, v.Reasons)
	}
}

func TestParsePRVS(t *testing.T) {
	check := func(s string, ok bool, num, day int, addr string) {
		t.Helper()
		a, got := parsePRVS(s)
		if got != ok || (ok && (a.num != num || a.day != day || a.addr != addr)) {
			t.Errorf("parsePRVS(%q) = %+v, %v", s, a, got)
		}
	}
	check("prvs=9905c7c8d6=ms@dev.example.de", true, 9, 905, "ms@dev.example.de")
	check("PRVS=0123ABCDEF=Alice@Example.com", true, 0, 123, "Alice@Example.com")
	check("prvs=234d5777c=ross@example.com", false, 0, 0, "") // 9 characters: another scheme
	check("prvs=0123abcdeg=a@example.com", false, 0, 0, "")
	check("prvs=0123abcdef=example.com", false, 0, 0, "")
	check("prvs=0123abcdef=a@", false, 0, 0, "")
	check("", false, 0, 0, "")
}

func TestParseBATVKeys(t *testing.T) {
	if _, err := ParseBATVKeys([]byte("# nothing\n\n")); err == nil {
		t.Error("a key file without keys was accepted")
	}
	k, err := ParseBATVKeys([]byte("  any-key  \n3\tthree\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(k.key(3)) != "three" || string(k.key(4)) != "any-key" {
		t.Errorf("keys: 3=%q 4=%q", k.key(3), k.key(4))
	}
}

func TestBATVFresh(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	check := func(expires time.Time, want bool) {
		t.Helper()
		if got, _ := batvFresh(batvDay(expires), now); got != want {
			t.Errorf("tag expiring %s, bounce %s: fresh %v, want %v", day(expires), day(now), got, want)
		}
	}
	day := 24 * time.Hour
	check(now, true)
	check(now.Add(7*day), true)
	check(now.Add(-day), true) // grace
	check(now.Add(-2*day), false)
	check(now.Add(200*day), false)
	check(now.Add(-500*day), false)
	check(now.Add(-999*day), true) // day numbers wrap every 1000 days: indistinguishable from tomorrow
}
