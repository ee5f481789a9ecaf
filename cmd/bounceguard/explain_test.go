package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/fixtures"
)

func TestExplainFile(t *testing.T) {
	file := fixturesDir("inbox", "31-postfix-dsn-backscatter.eml")
	code, out, errOut := runCmd(t, "", "explain", "--no-dns", "--sent", fixturesDir("sent"), file)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Kind:     dsn (postfix)", "What bounceguard knew", "sent index: ",
		"DNS: off", "Signals considered", "forged-strong message-id",
		"Verdict: backscatter, quarantine", "strong signs of forgery: message-id",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runCmd(t, "", "explain", "--no-dns", "--format", "json", "--sent", fixturesDir("sent"), file)
	if code != exitOK {
		t.Fatalf("json: exit %d: %s", code, errOut)
	}
	var rec struct {
		Class   string `json:"class"`
		Signals []struct {
			Name, Weight, Reason string
			Value                int
		} `json:"signals"`
		Steps []string `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rec.Class != "backscatter" || len(rec.Signals) == 0 || rec.Signals[0].Weight == "" || len(rec.Steps) == 0 {
		t.Errorf("json explain: %+v", rec)
	}
}

func TestExplainUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-key")
	for _, args := range [][]string{
		{"explain"},
		{"explain", "a.eml", "b.eml"},
		{"explain", "--uid", "3", "a.eml"},
		{"explain", "--relay", "[", "a.eml"},
		{"scan", "--batv-key", missing, "a.eml"},
		{"explain", "--format", "xml", "a.eml"},
	} {
		if code, _, errOut := runCmd(t, "", args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
}

// TestPolicyFlags: --relay, --address and --batv-key reach the classifier
// of scan and check.
func TestPolicyFlags(t *testing.T) {
	dir := t.TempDir()
	bounce := "From: MAILER-DAEMON@mx.example.org\nTo: alice@example.com\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n" +
		"Subject: Undelivered Mail Returned to Sender\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=BB\n\n" +
		"--BB\nContent-Type: text/plain\n\nYour message could not be delivered.\n" +
		"--BB\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n" +
		"Final-Recipient: rfc822; zed@example.org\nAction: failed\nStatus: 5.1.1\n" +
		"--BB\nContent-Type: text/rfc822-headers\n\n" +
		"Received: from phone (dsl-1.example.net [198.51.100.7])\n\tby smtp.example.com with ESMTPSA id 1;\n\tSat, 28 Nov 2026 09:00:00 +0000\n" +
		"From: alice@example.com\nTo: zed@example.org\nSubject: hi\nDate: Sat, 28 Nov 2026 09:00:00 +0000\nMessage-ID: <phone-1@example.com>\n" +
		"--BB--\n"
	path := filepath.Join(dir, "bounce.eml")
	if err := os.WriteFile(path, []byte(bounce), 0o600); err != nil {
		t.Fatal(err)
	}
	class := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, "", append([]string{"scan", "--no-dns", "--format", "json", "--sent", fixturesDir("sent")}, append(args, path)...)...)
		if code != exitOK {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
		var rec struct{ Class string }
		if err := json.Unmarshal([]byte(out), &rec); err != nil {
			t.Fatalf("not JSON: %s", out)
		}
		return rec.Class
	}
	if got := class(); got != "backscatter" {
		t.Errorf("without --relay: %s, want backscatter", got)
	}
	if got := class("--relay", "SMTP.example.com", "--address", "alice@example.com"); got != "bounce-legit" {
		t.Errorf("with --relay: %s, want bounce-legit", got)
	}
	key := filepath.Join(dir, "batv.key")
	if err := os.WriteFile(key, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The sent index proves fixture 50 is the person's: a missing BATV
	// tag is outweighed.
	raw, err := os.ReadFile(fixturesDir("inbox", "50-postfix-dsn-legit.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, string(raw), "check", "--no-dns", "--batv-key", key, "--sent", fixturesDir("sent")); code != exitOK {
		t.Errorf("check of an own bounce with --batv-key: exit %d (%s)", code, errOut)
	}
}

// TestExplainUID explains a message on the server, with the sent index
// read from the server's sent folder.
func TestExplainUID(t *testing.T) {
	const pw = "explain-pw"
	d, err := startDemoServer(pw, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.srv.Close()
	inbox, err := fixtures.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	uid := 0
	for i, f := range inbox {
		if strings.HasSuffix(f.Name, "50-postfix-dsn-legit.eml") {
			uid = i + 1 // appended in order to an empty mailbox
		}
	}
	if uid == 0 {
		t.Fatal("fixture 50-postfix-dsn-legit.eml not found")
	}
	t.Setenv("BOUNCEGUARD_PASSWORD", pw)
	base := []string{"explain", "--no-dns", "--host", "127.0.0.1", "--port", strconv.Itoa(d.addr.Port), "--user", demoUser, "--tls", "none"}
	code, out, errOut := runCmd(t, "", append(base, "--uid", strconv.Itoa(uid))...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"INBOX UID " + strconv.Itoa(uid), "sent-proof    message-id", "Verdict: bounce-legit, keep"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain --uid output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runCmd(t, "", append(base, "--uid", "9999")...); code == exitOK {
		t.Error("explain of a UID that does not exist succeeded")
	}
}
