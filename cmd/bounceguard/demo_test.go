package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	start := time.Now()
	if err := demo(context.Background(), &out, &errOut, false); err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut.String())
	}
	t.Logf("demo took %s", time.Since(start))
	for _, want := range []string{"Moved to Quarantine", "Kept in INBOX", "backscatter", "bounce-legit", "virus", "before  after"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestOnceWithoutMove: on a server with neither MOVE nor UIDPLUS,
// bounceguard copies and flags, and never expunges: a message another
// client flagged \Deleted is still there afterwards.
func TestOnceWithoutMove(t *testing.T) {
	const pw = "rev1-pw"
	d, err := startDemoServer(pw, imap.CapSet{imap.CapIMAP4rev1: {}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.srv.Close()
	marked := []byte("From: carol@example.org\nTo: alice@example.com\nSubject: marked by another client\nMessage-ID: <marked@example.org>\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n\nbye\n")
	if _, err := d.user.Append("INBOX", literal{bytes.NewReader(marked)}, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDeleted}}); err != nil {
		t.Fatal(err)
	}
	before := d.counts()
	t.Setenv("BOUNCEGUARD_PASSWORD", pw)
	code, out, errOut := runCmd(t, "", "once", "--host", "127.0.0.1", "--port", strconv.Itoa(d.addr.Port), "--user", demoUser,
		"--tls", "none", "--state", t.TempDir())
	if code != exitOK {
		t.Fatalf("once: exit %d\n%s\n%s", code, out, errOut)
	}
	after := d.counts()
	if after["INBOX"] != before["INBOX"] {
		t.Errorf("INBOX went from %d to %d messages: something was expunged", before["INBOX"], after["INBOX"])
	}
	if after["Quarantine"] == 0 || !strings.Contains(out, "your mail client removes them") {
		t.Errorf("quarantine %d; output:\n%s", after["Quarantine"], out)
	}
}
