package classifier

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// dsnMessage is a minimal RFC 3464 bounce of an original with the given
// Message-ID and Date, failed for rcpt.
func dsnMessage(origID, origDate, rcpt string) []byte {
	return []byte("From: MAILER-DAEMON@mx.example.net\n" +
		"To: alice@example.com\n" +
		"Date: Sat, 28 Nov 2026 10:00:00 +0000\n" +
		"Message-ID: <bounce1@mx.example.net>\n" +
		"Subject: Undelivered Mail Returned to Sender\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=BB\n\n" +
		"--BB\nContent-Type: text/plain\n\nYour message could not be delivered.\n" +
		"--BB\nContent-Type: message/delivery-status\n\n" +
		"Reporting-MTA: dns; mx.example.net\n\n" +
		"Final-Recipient: rfc822; " + rcpt + "\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n" +
		"--BB\nContent-Type: text/rfc822-headers\n\n" +
		"From: alice@example.com\nTo: " + rcpt + "\nSubject: hello\n" +
		"Date: " + origDate + "\nMessage-ID: <" + origID + ">\n" +
		"--BB--\n")
}

func sentIndex(t *testing.T, headers ...string) *sentindex.Index {
	t.Helper()
	idx := sentindex.New()
	for _, h := range headers {
		e, err := sentindex.EntryFromHeader([]byte(h))
		if err != nil {
			t.Fatal(err)
		}
		idx.Add(e)
	}
	return idx
}

func TestVerdicts(t *testing.T) {
	idx := sentIndex(t,
		"Message-ID: <mine1@example.com>\nDate: Mon, 02 Nov 2026 10:00:00 +0000\nFrom: alice@example.com\nTo: bob@example.org\n\n",
		"Message-ID: <mine2@example.com>\nDate: Wed, 25 Nov 2026 10:00:00 +0000\nFrom: alice@example.com\nTo: carol@example.org\n\n",
	)
	c := &Classifier{Sent: idx}
	ctx := context.Background()
	check := func(name string, raw []byte, want Class, wantAction Action) {
		t.Helper()
		v := c.Classify(ctx, raw)
		if v.Class != want || v.Action != wantAction {
			t.Errorf("%s: got %s/%s, want %s/%s; reasons %q", name, v.Class, v.Action, want, wantAction, v.Reasons)
		}
		if len(v.Reasons) == 0 {
			t.Errorf("%s: no reasons", name)
		}
	}
	check("own original", dsnMessage("mine1@example.com", "Mon, 02 Nov 2026 10:00:00 +0000", "bob@example.org"), BounceLegit, Keep)
	check("forged original", dsnMessage("spam123@bulk.example.biz", "Fri, 27 Nov 2026 09:00:00 +0000", "victim@example.net"), Backscatter, Quarantine)
	check("before coverage", dsnMessage("old@example.com", "Mon, 01 Jan 2024 09:00:00 +0000", "victim@example.net"), BounceUnknown, Keep)
	check("unknown id, recipient written to then", dsnMessage("phone@example.com", "Thu, 26 Nov 2026 09:00:00 +0000", "carol@example.org"), BounceLegit, Keep)
	check("ham", []byte("From: bob@example.org\nTo: alice@example.com\nSubject: lunch\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n\nLunch tomorrow?\n"), Clean, Keep)
	check("auto-reply to spam", []byte("From: dave@example.net\nTo: alice@example.com\nAuto-Submitted: auto-replied\nIn-Reply-To: <spam9@bulk.example.biz>\nSubject: Out of office\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n\nI am away.\n"), Backscatter, Quarantine)
	check("auto-reply to own", []byte("From: bob@example.org\nTo: alice@example.com\nAuto-Submitted: auto-replied\nIn-Reply-To: <mine1@example.com>\nSubject: Out of office\nDate: Mon, 02 Nov 2026 11:00:00 +0000\n\nI am away.\n"), BounceLegit, Keep)
	check("auto-reply via list", []byte("From: dave@example.net\nTo: list@lists.example.org\nList-Id: <dev.lists.example.org>\nAuto-Submitted: auto-replied\nIn-Reply-To: <spam9@bulk.example.biz>\nSubject: Out of office\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n\nI am away.\n"), Clean, Keep)

	empty := &Classifier{}
	if v := empty.Classify(ctx, dsnMessage("spam123@bulk.example.biz", "Fri, 27 Nov 2026 09:00:00 +0000", "victim@example.net")); v.Class != BounceUnknown {
		t.Errorf("no sent index: got %s, want bounce-unknown", v.Class)
	}
	unk := &Classifier{Sent: idx, QuarantineUnknown: true}
	if v := unk.Classify(ctx, dsnMessage("old@example.com", "Mon, 01 Jan 2024 09:00:00 +0000", "victim@example.net")); v.Action != Quarantine {
		t.Errorf("--quarantine-unknown: got %s", v.Action)
	}
}

// notBounces are labelled corpus samples that are rightly not bounce-like.
var notBounces = map[string]string{
	"lhost-sendmail-14.eml": "a person forwarding a bounce",
	"lhost-fml-03.eml":      "a mailing-list manager's reply to a command",
}

func hasDate(raw []byte) bool {
	h, _, _ := mailparse.ParseHeader(raw, 1<<20)
	_, ok := mailparse.Date(h.Get("Date"))
	return ok
}

// TestCorpusScenario: a sent folder that holds the originals of every third
// labelled corpus bounce makes exactly those bounce-legit, and every other
// bounce whose original's Message-ID came back backscatter.
func TestCorpusScenario(t *testing.T) {
	corpus := filepath.Join("..", "..", "shared", "corpus", "sisimai")
	if _, err := os.Stat(corpus); err != nil {
		t.Skip("../shared/corpus/sisimai not present")
	}
	f, err := os.Open(filepath.Join("..", "bounce", "testdata", "corpus-originals.tsv"))
	if err != nil {
		t.Skip("no corpus labels")
	}
	defer f.Close()
	type sample struct{ file, id string }
	var samples []sample
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 2 && cols[1] != "-" {
			samples = append(samples, sample{cols[0], cols[1]})
		}
	}
	// The sent folder: every third original, and two messages that make the
	// index cover every date in the corpus.
	var sent []string
	mine := map[string]bool{}
	for i, s := range samples {
		if i%3 == 0 {
			mine[s.id] = true // anonymised ids repeat across files: key on the id
			sent = append(sent, fmt.Sprintf("Message-ID: <%s>\nFrom: someone@example.jp\nTo: x@example.org\n\n", s.id))
		}
	}
	sent = append(sent,
		"Message-ID: <first@example.jp>\nDate: Mon, 01 Jan 1990 00:00:00 +0000\nFrom: a@example.jp\n\n",
		"Message-ID: <last@example.jp>\nDate: "+time.Now().UTC().Format(time.RFC1123Z)+"\nFrom: a@example.jp\n\n")
	c := &Classifier{Sent: sentIndex(t, sent...)}
	counts := map[Class]int{}
	for _, s := range samples {
		raw, err := os.ReadFile(filepath.Join(corpus, s.file))
		if err != nil {
			t.Fatal(err)
		}
		v := c.Classify(context.Background(), raw)
		counts[v.Class]++
		if why, ok := notBounces[filepath.Base(s.file)]; ok {
			if v.Class != Clean {
				t.Errorf("%s: %s, want clean (%s)", s.file, v.Class, why)
			}
			continue
		}
		want := Backscatter
		if mine[s.id] {
			want = BounceLegit
		} else if v.Report.Original.Date.IsZero() && !hasDate(raw) {
			want = BounceUnknown // absence proves nothing without a date
		}
		if v.Class != want {
			t.Errorf("%s: %s, want %s (original %q, found %q); reasons %q", s.file, v.Class, want, s.id, v.Report.Original.MessageID, v.Reasons)
		}
	}
	t.Logf("%d corpus bounces with a known original: %v", len(samples), counts)
}

// TestGrace: a bounce of an original sent minutes ago is not judged on the
// original's absence yet — the sent copy may still be on its way.
func TestGrace(t *testing.T) {
	idx := sentIndex(t, "Message-ID: <mine1@example.com>\nDate: Mon, 02 Nov 2026 10:00:00 +0000\nFrom: alice@example.com\nTo: bob@example.org\n\n")
	now := time.Date(2026, 11, 27, 9, 5, 0, 0, time.UTC)
	c := &Classifier{Sent: idx, Grace: 10 * time.Minute, Now: func() time.Time { return now }}
	raw := dsnMessage("fresh@example.com", "Fri, 27 Nov 2026 09:00:00 +0000", "victim@example.net")
	if v := c.Classify(context.Background(), raw); !v.Defer || v.Class != BounceUnknown || v.Action != Keep {
		t.Errorf("5 minutes old: defer %v, %s/%s", v.Defer, v.Class, v.Action)
	}
	now = now.Add(time.Hour)
	if v := c.Classify(context.Background(), raw); v.Defer || v.Class != Backscatter {
		t.Errorf("an hour old: defer %v, %s", v.Defer, v.Class)
	}
}
