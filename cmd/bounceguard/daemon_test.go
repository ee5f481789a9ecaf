package main

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// buildBounceguard builds the command into dir, to run it as its own
// process: only a real process can be killed with SIGKILL, or hold a lock
// against another.
func buildBounceguard(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "bounceguard")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is bounceguard running as a process of its own.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("log of PID %d:\n%s", p.cmd.Process.Pid, p.stderr)
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(limit):
		t.Fatalf("PID %d still running after %s", p.cmd.Process.Pid, limit)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

func (p *proc) waitLog(t *testing.T, s string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(p.stderr.String(), s) {
		select {
		case <-p.exited:
			t.Fatalf("PID %d exited (%v) before logging %q", p.cmd.Process.Pid, p.err, s)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d did not log %q within %s", p.cmd.Process.Pid, s, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// moved counts the messages in Quarantine now.
func moved(t *testing.T, srv *testdovecot.Server, user string) int {
	t.Helper()
	for {
		if ids, ok := liveIDs(t, srv, user, "Quarantine"); ok {
			return len(ids)
		}
	}
}

// intact checks what must hold once no command is in flight, even with the
// backlog half done: each message is in exactly one of INBOX and
// Quarantine, and Quarantine holds nothing that belongs in INBOX. Dovecot
// finishes a MOVE its client has died in the middle of, and a Maildir
// MOVE links the new file before it unlinks the old, so this waits for
// the server to come to rest first.
func (e *expectation) intact(t *testing.T, srv *testdovecot.Server, user string) (moved int) {
	t.Helper()
	var inbox, quarantine map[string]int
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok1, ok2 bool
		inbox, ok1 = liveIDs(t, srv, user, "INBOX")
		quarantine, ok2 = liveIDs(t, srv, user, "Quarantine")
		if ok1 && ok2 && len(inbox)+len(quarantine) == len(e.inbox)+len(e.quarantine) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for id := range e.inbox {
		if inbox[id] != 1 || quarantine[id] != 0 {
			t.Errorf("%s belongs in INBOX: %d copies there, %d in Quarantine", id, inbox[id], quarantine[id])
		}
	}
	for id := range e.quarantine {
		if inbox[id]+quarantine[id] != 1 {
			t.Errorf("%s: %d copies in INBOX, %d in Quarantine", id, inbox[id], quarantine[id])
		}
	}
	if n := len(inbox) + len(quarantine); n != len(e.inbox)+len(e.quarantine) {
		t.Errorf("%d messages in all, want %d", n, len(e.inbox)+len(e.quarantine))
	}
	return len(quarantine)
}

// TestRunKillDovecot runs bounceguard as a process: a second run for the
// same account is refused at once, naming the first one's PID; kill -9 in
// the middle of the backlog loses and duplicates nothing; SIGTERM in the
// middle of it finishes the batch in flight and exits 0; a last run
// finishes the job.
func TestRunKillDovecot(t *testing.T) {
	srv := needDovecot(t)
	bin := buildBounceguard(t, t.TempDir())
	const user = "killed"
	backlog := mailMix(t, "backlog", 1500)
	newUser(t, srv, user, backlog)
	want := newExpectation()
	want.add(backlog...)
	account := imapArgs(t, srv, user, "")
	args := append(append([]string{"run"}, account...), fastRun...)
	args = slicesWithout(args, "--verbose") // keep the pipe quiet

	first := startProc(t, bin, args...)
	first.waitLog(t, `"msg":"started"`, 5*time.Second)

	second := startProc(t, bin, args...)
	start := time.Now()
	code := second.wait(t, 5*time.Second)
	msg := second.stderr.String()
	if code != exitTempFail || !strings.Contains(msg, fmt.Sprintf("another bounceguard (PID %d) is working on %s@127.0.0.1", first.cmd.Process.Pid, user)) {
		t.Errorf("second run: exit %d after %s: %s", code, time.Since(start), msg)
	}

	// once honours the lock too.
	code, _, msg = runCmd(t, "", append([]string{"once"}, account...)...)
	if code != exitTempFail || !strings.Contains(msg, fmt.Sprintf("(PID %d)", first.cmd.Process.Pid)) {
		t.Errorf("once beside run: exit %d: %s", code, msg)
	}

	// kill -9 as soon as the first moves land: mid-move, as near as can be.
	for moved(t, srv, user) == 0 {
		time.Sleep(time.Millisecond)
	}
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.wait(t, 5*time.Second)
	done := want.intact(t, srv, user)
	t.Logf("killed with %d of %d moved", done, len(want.quarantine))

	// SIGTERM mid-backlog: the batch in flight is finished, then exit 0.
	third := startProc(t, bin, args...)
	for moved(t, srv, user) == done {
		time.Sleep(time.Millisecond)
	}
	third.cmd.Process.Signal(syscall.SIGTERM)
	start = time.Now()
	if code := third.wait(t, 10*time.Second); code != exitOK {
		t.Errorf("SIGTERM: exit %d", code)
	}
	t.Logf("SIGTERM: stopped in %s with %d moved", time.Since(start), want.intact(t, srv, user))
	if !strings.Contains(third.stderr.String(), "stopping after the batch in flight") {
		t.Error("SIGTERM not logged")
	}

	last := startProc(t, bin, args...)
	start = time.Now()
	want.settled(t, srv, user, 20*time.Second)
	t.Logf("last run: backlog done in %s", time.Since(start))
	last.cmd.Process.Signal(syscall.SIGTERM)
	if code := last.wait(t, 5*time.Second); code != exitOK {
		t.Errorf("last run: exit %d on SIGTERM", code)
	}
}

func slicesWithout(args []string, drop string) []string {
	var out []string
	for _, a := range args {
		if a != drop {
			out = append(out, a)
		}
	}
	return out
}
