package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/fixtures"
	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// smallMailbox is a few fixtures of each kind: two to keep, two to move.
var smallMailbox = []struct {
	file string
	move bool
}{
	{"inbox/01-personal-bob.eml", false},
	{"inbox/31-postfix-dsn-backscatter.eml", true},
	{"inbox/50-postfix-dsn-legit.eml", false},
	{"inbox/20-virus-eicar-attachment.eml", true},
}

// fillAccount makes a Dovecot user whose sent folder holds the fixtures'
// and whose INBOX holds smallMailbox with Message-IDs of its own; it
// returns the IDs that should stay and those that should move.
func fillAccount(t *testing.T, srv *testdovecot.Server, user, password string) (keep, move map[string]int) {
	t.Helper()
	if err := srv.AddUser(user, password); err != nil {
		t.Fatal(err)
	}
	sent, err := fixtures.Sent()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sent {
		if err := srv.WriteMessage(user, "Sent", f.Raw, `\Seen`); err != nil {
			t.Fatal(err)
		}
	}
	keep, move = map[string]int{}, map[string]int{}
	for i, m := range smallMailbox {
		raw, err := fixtures.FS.ReadFile(m.file)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("%s.%d@test.example", user, i)
		if err := srv.WriteMessage(user, "INBOX", withID(raw, id)); err != nil {
			t.Fatal(err)
		}
		if m.move {
			move[id] = 1
		} else {
			keep[id] = 1
		}
	}
	return keep, move
}

// writeSecret writes a password file of mode 0600.
func writeSecret(t *testing.T, dir, name, secret string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigAccountsDovecot: one configuration file with two accounts,
// each run against its own Dovecot user, each with its own state.
func TestConfigAccountsDovecot(t *testing.T) {
	srv := needDovecot(t)
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	keepA, moveA := fillAccount(t, srv, "cfg-a", "pw-a-17")
	keepB, moveB := fillAccount(t, srv, "cfg-b", "pw-b-42")
	pwA := writeSecret(t, dir, "a.pw", "pw-a-17")
	pwB := writeSecret(t, dir, "b.pw", "pw-b-42")
	cfg := writeConfig(t, fmt.Sprintf(`host = "127.0.0.1"
port = %d
tls = "none"
state = %q
quiet = true

[account.a]
user = "cfg-a"
password-file = %q

[account.b]
user = "cfg-b"
password-command = "cat %s"
quarantine = "Junk"
`, srv.Port, stateDir, pwA, pwB))

	for _, name := range []string{"a", "b"} {
		code, out, errOut := runCmd(t, "", "once", "--config", cfg, "--account", name)
		if code != exitOK {
			t.Fatalf("once --account %s: exit %d\n%s\n%s", name, code, out, errOut)
		}
		if out != "" || errOut != "" {
			t.Errorf("once --account %s with quiet = true printed:\n%s\n%s", name, out, errOut)
		}
	}
	sameIDs(t, "a: INBOX", mailboxIDs(t, srv, "cfg-a", "INBOX"), keepA)
	sameIDs(t, "a: Quarantine", mailboxIDs(t, srv, "cfg-a", "Quarantine"), moveA)
	sameIDs(t, "b: INBOX", mailboxIDs(t, srv, "cfg-b", "INBOX"), keepB)
	sameIDs(t, "b: Junk", mailboxIDs(t, srv, "cfg-b", "Junk"), moveB)

	files, _ := filepath.Glob(filepath.Join(stateDir, "*.db"))
	if len(files) != 2 {
		t.Errorf("state files %v, want one per account", files)
	}
	for _, name := range []string{"a", "b"} {
		rep := statusJSON(t, "--config", cfg, "--account", name)
		if !rep.Exists || rep.InUse || rep.Quarantined != 2 || rep.LastRun == nil || rep.LastRun.Messages != 4 {
			t.Errorf("status --account %s: %+v", name, rep)
		}
	}
	// The command line wins over the file: a dry run moves nothing.
	code, out, errOut := runCmd(t, "", "once", "--config", cfg, "--account", "a", "--quiet=false", "--dry-run")
	if code != exitOK || !strings.Contains(out, "0 new messages") {
		t.Errorf("once --quiet=false: exit %d\n%s\n%s", code, out, errOut)
	}
}

func statusJSON(t *testing.T, args ...string) statusReport {
	t.Helper()
	code, out, errOut := runCmd(t, "", append([]string{"status", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("status %v: exit %d\n%s", args, code, errOut)
	}
	var rep statusReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("status %v: %v\n%s", args, err, out)
	}
	return rep
}

// TestManyAccountsAtOnce: 20 accounts of one person scheduled at the same
// minute, as cron or systemd timers on a shared machine would start them,
// plus a second start of five of them: no interference, each lock
// respected (the second start of an account either waits its turn and
// finds nothing new, or gives up with the temporary-failure code), each
// state separate, each mailbox right. bench/accounts.sh runs the same
// with 20 processes of the built binary.
func TestManyAccountsAtOnce(t *testing.T) {
	srv := needDovecot(t)
	const n, twice = 20, 5
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")
	var conf strings.Builder
	fmt.Fprintf(&conf, "host = \"127.0.0.1\"\nport = %d\ntls = \"none\"\nstate = %q\n", srv.Port, stateDir)
	keep, move := make([]map[string]int, n), make([]map[string]int, n)
	for i := range n {
		user := fmt.Sprintf("many%02d", i)
		pw := fmt.Sprintf("pw-many-%02d", i)
		keep[i], move[i] = fillAccount(t, srv, user, pw)
		fmt.Fprintf(&conf, "\n[account.%s]\nuser = %q\npassword-file = %q\n", user, user, writeSecret(t, dir, user+".pw", pw))
	}
	cfg := writeConfig(t, conf.String())

	type result struct {
		account     string
		code        int
		out, errOut string
	}
	results := make(chan result, n+twice)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n + twice {
		account := fmt.Sprintf("many%02d", i%n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, errOut := runCmd(t, "", "once", "--config", cfg, "--account", account)
			results <- result{account, code, out, errOut}
		}()
	}
	wg.Wait()
	close(results)
	t.Logf("%d runs of once over %d accounts: %s", n+twice, n, time.Since(start))
	ok := map[string]int{}
	for r := range results {
		switch r.code {
		case exitOK:
			ok[r.account]++
		case exitTempFail:
			if !strings.Contains(r.errOut, "another bounceguard") {
				t.Errorf("%s: exit 75 without naming the lock holder: %s", r.account, r.errOut)
			}
		default:
			t.Errorf("%s: exit %d\n%s\n%s", r.account, r.code, r.out, r.errOut)
		}
	}
	for i := range n {
		user := fmt.Sprintf("many%02d", i)
		if ok[user] == 0 {
			t.Errorf("%s: no run succeeded", user)
		}
		sameIDs(t, user+": INBOX", mailboxIDs(t, srv, user, "INBOX"), keep[i])
		sameIDs(t, user+": Quarantine", mailboxIDs(t, srv, user, "Quarantine"), move[i])
		if rep := statusJSON(t, "--config", cfg, "--account", user); rep.Quarantined != 2 || rep.Moves.Total != 2 {
			t.Errorf("%s: state %+v, want its own 2 moves", user, rep.Moves)
		}
	}
	files, _ := filepath.Glob(filepath.Join(stateDir, "*.db"))
	if len(files) != n {
		t.Errorf("%d state files, want %d", len(files), n)
	}
}
