package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/bench/mailgen"
	"github.com/bounceguard/bounceguard/fixtures"
	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// dovecot is the package's real IMAP server, nil when not installed.
var dovecot *testdovecot.Server

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" && !strings.Contains(f.Value.String(), "IMAP") {
		return m.Run()
	}
	srv, err := testdovecot.ForPackage(testdovecot.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting dovecot:", err)
		return 1
	}
	if srv != nil {
		dovecot = srv
		defer srv.Stop()
	}
	return m.Run()
}

func needDovecot(t *testing.T) *testdovecot.Server {
	t.Helper()
	if dovecot == nil {
		t.Skip("dovecot not installed; set " + testdovecot.RequireEnv + "=1 to fail instead")
	}
	return dovecot
}

// withID gives a fixture a Message-ID of its own, so one fixture can stand
// in a mailbox many times; the original it bounces keeps its id.
func withID(raw []byte, id string) []byte {
	return mailgen.SetHeader(raw, "Message-ID", "<"+id+">")
}

// mailboxIDs reads the Message-IDs of the messages in a Dovecot mailbox
// straight from its Maildir, with the number of copies of each; messages
// flagged \Deleted (awaiting expunge) do not count.
func mailboxIDs(t *testing.T, srv *testdovecot.Server, user, mailbox string) map[string]int {
	t.Helper()
	ids, ok := liveIDs(t, srv, user, mailbox)
	if !ok {
		t.Fatalf("%s of %s changed while read", mailbox, user)
	}
	return ids
}

// imapArgs are the flags that reach the test Dovecot as user.
func imapArgs(t *testing.T, srv *testdovecot.Server, user, addr string) []string {
	t.Helper()
	host, port := "127.0.0.1", strconv.Itoa(srv.Port)
	if addr != "" {
		host, port, _ = strings.Cut(addr, ":")
	}
	return []string{"--host", host, "--port", port, "--user", user, "--tls", "none", "--state", filepath.Join(t.TempDir(), "state")}
}

// TestOnceDovecot is issue 3's acceptance against a real server: over 500
// messages made from the fixtures, one once puts each in the right folder,
// none lost, none twice; a second once fetches nothing; restore --all
// brings INBOX back to what it held.
func TestOnceDovecot(t *testing.T) {
	srv := needDovecot(t)
	const user, password = "once", "once-pw-1"
	if err := srv.AddUser(user, password); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BOUNCEGUARD_PASSWORD", password)
	inbox, _ := fixtures.Inbox()
	sent, _ := fixtures.Sent()
	want, _ := fixtures.ExpectedByFile()
	for _, f := range sent {
		if err := srv.WriteMessage(user, "Sent", f.Raw, `\Seen`); err != nil {
			t.Fatal(err)
		}
	}
	wantInbox, wantQuarantine := map[string]int{}, map[string]int{}
	for copyN := range 11 {
		for i, f := range inbox {
			id := fmt.Sprintf("copy%d.fixture%d@test.example", copyN, i)
			if err := srv.WriteMessage(user, "INBOX", withID(f.Raw, id)); err != nil {
				t.Fatal(err)
			}
			if want[f.Name].Action == "quarantine" {
				wantQuarantine[id] = 1
			} else {
				wantInbox[id] = 1
			}
		}
	}
	before := mailboxIDs(t, srv, user, "INBOX")
	if len(before) < 500 {
		t.Fatalf("only %d messages", len(before))
	}

	args := imapArgs(t, srv, user, "")
	// A dry run first: it says what it would move, and moves nothing.
	code, out, errOut := runCmd(t, "", append([]string{"once", "--dry-run"}, args...)...)
	if wantLine := fmt.Sprintf("would move %d to Quarantine", len(wantQuarantine)); code != exitOK || !strings.Contains(out, wantLine) {
		t.Errorf("once --dry-run: exit %d, want %q in\n%s\n%s", code, wantLine, out[max(0, len(out)-500):], errOut)
	}
	sameIDs(t, "INBOX after once --dry-run", mailboxIDs(t, srv, user, "INBOX"), before)
	code, out, errOut = runCmd(t, "", append([]string{"once", "--verbose"}, args...)...)
	if code != exitOK {
		t.Fatalf("once: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "level=DEBUG") || strings.Contains(out+errOut, password) {
		t.Errorf("--verbose logged nothing, or logged the password:\n%s", errOut[:min(len(errOut), 2000)])
	}
	sameIDs(t, "INBOX after once", mailboxIDs(t, srv, user, "INBOX"), wantInbox)
	sameIDs(t, "Quarantine after once", mailboxIDs(t, srv, user, "Quarantine"), wantQuarantine)

	// Nothing new: a second once through a counting proxy fetches nothing.
	proxy, err := testdovecot.NewProxy(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	second := append([]string{"once"}, imapArgs(t, srv, user, proxy.Addr())...)
	second[len(second)-1] = args[len(args)-1] // the same state
	start := time.Now()
	if code, out, errOut := runCmd(t, "", second...); code != exitOK || proxy.Fetches() != 0 {
		t.Errorf("second once: exit %d, %d FETCH commands\n%s\n%s", code, proxy.Fetches(), out, errOut)
	}
	t.Logf("second once with nothing new: %s, %d FETCH commands", time.Since(start), proxy.Fetches())

	restoreArgs := append([]string{"restore", "--all"}, args...)
	if code, out, errOut := runCmd(t, "", restoreArgs...); code != exitOK {
		t.Fatalf("restore: exit %d\n%s\n%s", code, out, errOut)
	}
	sameIDs(t, "INBOX after restore", mailboxIDs(t, srv, user, "INBOX"), before)
	sameIDs(t, "Quarantine after restore", mailboxIDs(t, srv, user, "Quarantine"), map[string]int{})

	// What was restored stays restored.
	if code, out, errOut := runCmd(t, "", append([]string{"once"}, args...)...); code != exitOK {
		t.Fatalf("once after restore: exit %d\n%s\n%s", code, out, errOut)
	}
	sameIDs(t, "INBOX after restore and once", mailboxIDs(t, srv, user, "INBOX"), before)
}

func sameIDs(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if !equalIDs(got, want) {
		t.Errorf("%s: %s", what, diffIDs(got, want))
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }
