// Command accounts is issue 8's "20 accounts scheduled at once on one
// machine", with real processes: it starts a throwaway Dovecot with -n
// users, writes one configuration file with an [account.NAME] table for
// each, then starts -n processes of the built bounceguard once, plus a
// second process for -twice of the accounts, all at the same moment, as
// cron or systemd timers on a shared machine would. It checks that
//
//   - every run exits 0, or 75 (the account's lock was held by its twin);
//   - every account's INBOX and Quarantine hold exactly what they should;
//   - every account has a state file of its own, recording its own moves;
//   - no password ever appears in the command line of any process on the
//     machine while they run (polled from /proc every few milliseconds).
//
// Run as root (Dovecot's mail processes run as the dovecot user):
//
//	go run ./bench/accounts [-n 20] [-twice 5] [-copies 10] [-bin ./bounceguard]
//
// It takes a few seconds; cmd/bounceguard's TestManyAccountsAtOnce runs
// the same check in-process on every go test.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bounceguard/bounceguard/bench/mailgen"
	"github.com/bounceguard/bounceguard/bench/procstat"
	"github.com/bounceguard/bounceguard/fixtures"
	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

func main() {
	n := flag.Int("n", 20, "accounts")
	twice := flag.Int("twice", 5, "accounts started twice at once")
	copies := flag.Int("copies", 10, "copies of each sample inbox message per account")
	bin := flag.String("bin", "", "bounceguard binary (default: build it)")
	flag.Parse()
	if err := run(*n, *twice, *copies, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "accounts:", err)
		os.Exit(1)
	}
}

// account is one Dovecot user and what its mailboxes should hold after a
// pass.
type account struct {
	name, password string
	keep, move     map[string]bool
}

func run(n, twice, copies int, bin string) error {
	_, tmp, bin, cleanup, err := procstat.Workspace("bgaccounts", bin)
	if err != nil {
		return err
	}
	defer cleanup()
	srv, err := testdovecot.Start(testdovecot.Options{})
	if err != nil {
		return fmt.Errorf("starting dovecot: %w", err)
	}
	defer srv.Stop()

	accounts, err := fill(srv, n, copies)
	if err != nil {
		return err
	}
	config, err := writeConfig(tmp, srv.Port, accounts)
	if err != nil {
		return err
	}

	var stopWatch atomic.Bool
	leaks := make(chan string, 16)
	go watchArgv(accounts, &stopWatch, leaks)

	type result struct {
		account string
		code    int
		stat    procstat.Stat
		stderr  string
	}
	results := make([]result, n+twice)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range results {
		a := accounts[i%n]
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "once", "--quiet", "--config", config, "--account", a.name)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			st, _, _ := procstat.Run(cmd)
			code := -1
			if cmd.ProcessState != nil {
				code = cmd.ProcessState.ExitCode()
			}
			results[i] = result{a.name, code, st, errb.String()}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	stopWatch.Store(true)

	var problems []string
	ok := map[string]int{}
	var slowest procstat.Stat
	var locked int
	for _, r := range results {
		switch r.code {
		case 0:
			ok[r.account]++
		case 75:
			locked++
		default:
			problems = append(problems, fmt.Sprintf("%s: exit %d: %s", r.account, r.code, strings.TrimSpace(r.stderr)))
		}
		if r.stat.Wall > slowest.Wall {
			slowest = r.stat
		}
	}
	for _, a := range accounts {
		if ok[a.name] == 0 {
			problems = append(problems, a.name+": no run succeeded")
		}
		problems = append(problems, checkMailbox(srv, a, "INBOX", a.keep)...)
		problems = append(problems, checkMailbox(srv, a, "Quarantine", a.move)...)
		if p := checkState(bin, config, a); p != "" {
			problems = append(problems, p)
		}
	}
	dbs, _ := filepath.Glob(filepath.Join(tmp, "state", "*.db"))
	if len(dbs) != n {
		problems = append(problems, fmt.Sprintf("%d state files, want %d", len(dbs), n))
	}
	close(leaks)
	for l := range leaks {
		problems = append(problems, l)
	}

	fmt.Printf("%d processes of once over %d accounts (%d messages each): all done in %v; %d refused by a held lock; slowest: %s\n",
		n+twice, n, len(accounts[0].keep)+len(accounts[0].move), wall.Round(time.Millisecond), locked, slowest)
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	fmt.Println("every mailbox right, every state separate, no password in any command line")
	return nil
}

// fill makes n users, each with the sample sent folder and copies of the
// sample inbox under Message-IDs of its own.
func fill(srv *testdovecot.Server, n, copies int) ([]account, error) {
	inbox, err := fixtures.Inbox()
	if err != nil {
		return nil, err
	}
	sent, err := fixtures.Sent()
	if err != nil {
		return nil, err
	}
	expected, err := fixtures.ExpectedByFile()
	if err != nil {
		return nil, err
	}
	accounts := make([]account, n)
	for i := range accounts {
		a := account{name: fmt.Sprintf("user%02d", i), password: fmt.Sprintf("Pw-%02d-%d", i, time.Now().UnixNano()),
			keep: map[string]bool{}, move: map[string]bool{}}
		if err := srv.AddUser(a.name, a.password); err != nil {
			return nil, err
		}
		for _, f := range sent {
			if err := srv.WriteMessage(a.name, "Sent", f.Raw, `\Seen`); err != nil {
				return nil, err
			}
		}
		for c := range copies {
			for j, f := range inbox {
				id := fmt.Sprintf("%s.%d.%d@bench.example", a.name, c, j)
				if err := srv.WriteMessage(a.name, "INBOX", mailgen.SetHeader(f.Raw, "Message-ID", "<"+id+">")); err != nil {
					return nil, err
				}
				if expected[f.Name].Action == "quarantine" {
					a.move[id] = true
				} else {
					a.keep[id] = true
				}
			}
		}
		accounts[i] = a
	}
	return accounts, nil
}

// writeConfig writes one configuration for all accounts, with a password
// file (mode 0600) for each.
func writeConfig(dir string, port int, accounts []account) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "host = \"127.0.0.1\"\nport = %d\ntls = \"none\"\nstate = %q\n", port, filepath.Join(dir, "state"))
	for _, a := range accounts {
		pw := filepath.Join(dir, a.name+".pw")
		if err := os.WriteFile(pw, []byte(a.password+"\n"), 0o600); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n[account.%s]\nuser = %q\npassword-file = %q\n", a.name, a.name, pw)
	}
	path := filepath.Join(dir, "config.toml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// watchArgv reads every process's command line until stop is set, and
// reports any that holds a password.
func watchArgv(accounts []account, stop *atomic.Bool, leaks chan<- string) {
	for !stop.Load() {
		files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, a := range accounts {
				if bytes.Contains(b, []byte(a.password)) {
					select {
					case leaks <- fmt.Sprintf("%s holds the password of %s", f, a.name):
					default:
					}
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func checkMailbox(srv *testdovecot.Server, a account, mailbox string, want map[string]bool) []string {
	dir, err := srv.MailboxDir(a.name, mailbox)
	if err != nil {
		return []string{err.Error()}
	}
	got := map[string]int{}
	for _, sub := range []string{"cur", "new"} {
		files, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		for _, f := range files {
			if i := strings.Index(f, ":2,"); i >= 0 && strings.Contains(f[i:], "T") {
				continue // \Deleted, awaiting expunge
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				return []string{err.Error()}
			}
			h, _, _ := mailparse.ParseHeader(raw, 1<<20)
			got[mailparse.MessageID(h.Get("Message-ID"))]++
		}
	}
	var out []string
	for id := range want {
		if got[id] != 1 {
			out = append(out, fmt.Sprintf("%s %s: %s present %d times, want once", a.name, mailbox, id, got[id]))
		}
	}
	for id := range got {
		if !want[id] {
			out = append(out, fmt.Sprintf("%s %s: %s should not be here", a.name, mailbox, id))
		}
	}
	return out
}

// checkState asks bounceguard status for the account's own moves.
func checkState(bin, config string, a account) string {
	out, err := exec.Command(bin, "status", "--format", "json", "--config", config, "--account", a.name).Output()
	if err != nil {
		return fmt.Sprintf("%s: status: %v", a.name, err)
	}
	var st struct {
		Quarantined int `json:"quarantined"`
		Moves       struct {
			Total int `json:"total"`
		} `json:"moves"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return fmt.Sprintf("%s: status: %v", a.name, err)
	}
	if st.Quarantined != len(a.move) || st.Moves.Total != len(a.move) {
		return fmt.Sprintf("%s: state records %d moves, %d in quarantine; want %d", a.name, st.Moves.Total, st.Quarantined, len(a.move))
	}
	return ""
}
