package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goimapclient "github.com/emersion/go-imap/v2/imapclient"

	"github.com/bounceguard/bounceguard/fixtures"
	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// fastRun are run's flags for tests: every interval short, so faults are
// noticed and healed in well under a second.
var fastRun = []string{
	"--health-interval", "500ms", "--health-timeout", "500ms",
	"--reconnect-min", "10ms", "--reconnect-max", "100ms", "--auth-retry", "1s",
	"--log-format", "json", "--verbose",
}

// testMail is one message a test puts in a mailbox, and where it belongs.
type testMail struct {
	id         string
	raw        []byte
	quarantine bool
}

// mailMix makes n messages from the inbox fixtures, alternating between
// those that belong in quarantine and those that stay, each with a
// Message-ID of its own starting with prefix.
func mailMix(t testing.TB, prefix string, n int) []testMail {
	t.Helper()
	inbox, err := fixtures.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	want, err := fixtures.ExpectedByFile()
	if err != nil {
		t.Fatal(err)
	}
	var quarantine, keep []fixtures.File
	for _, f := range inbox {
		if want[f.Name].Action == "quarantine" {
			quarantine = append(quarantine, f)
		} else {
			keep = append(keep, f)
		}
	}
	out := make([]testMail, n)
	for i := range out {
		f, q := keep[(i/2)%len(keep)], false
		if i%2 == 0 {
			f, q = quarantine[(i/2)%len(quarantine)], true
		}
		id := fmt.Sprintf("%s.%d@test.example", prefix, i)
		out[i] = testMail{id: id, raw: withID(f.Raw, id), quarantine: q}
	}
	return out
}

// expectation is where every message of a test should end up.
type expectation struct {
	inbox, quarantine map[string]int
}

func newExpectation() *expectation {
	return &expectation{inbox: map[string]int{}, quarantine: map[string]int{}}
}

func (e *expectation) add(mails ...testMail) {
	for _, m := range mails {
		if m.quarantine {
			e.quarantine[m.id] = 1
		} else {
			e.inbox[m.id] = 1
		}
	}
}

// settled waits until INBOX and Quarantine hold exactly what e says, each
// message once, and reports the difference if they never do.
func (e *expectation) settled(t testing.TB, srv *testdovecot.Server, user string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		inbox, ok1 := liveIDs(t, srv, user, "INBOX")
		quarantine, ok2 := liveIDs(t, srv, user, "Quarantine")
		if ok1 && ok2 && equalIDs(inbox, e.inbox) && equalIDs(quarantine, e.quarantine) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: INBOX %s; Quarantine %s", limit, diffIDs(inbox, e.inbox), diffIDs(quarantine, e.quarantine))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveIDs is mailboxIDs for a mailbox Dovecot is changing: a file renamed
// or moved away while the folder is read makes ok false, to read again.
func liveIDs(t testing.TB, srv *testdovecot.Server, user, mailbox string) (ids map[string]int, ok bool) {
	t.Helper()
	dir, err := srv.MailboxDir(user, mailbox)
	if err != nil {
		t.Fatal(err)
	}
	ids = map[string]int{}
	for _, sub := range []string{"cur", "new"} {
		files, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		for _, f := range files {
			name := filepath.Base(f)
			if i := strings.Index(name, ":2,"); i >= 0 && strings.Contains(name[i:], "T") {
				continue // flagged \Deleted, awaiting expunge
			}
			raw, err := os.ReadFile(f)
			if errors.Is(err, fs.ErrNotExist) {
				return ids, false
			}
			if err != nil {
				t.Fatal(err)
			}
			h, _, _ := mailparse.ParseHeader(raw, 1<<20)
			ids[mailparse.MessageID(h.Get("Message-ID"))]++
		}
	}
	return ids, true
}

// diffIDs says how got differs from want.
func diffIDs(got, want map[string]int) string {
	var missing, extra, dup []string
	for id := range want {
		if got[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range got {
		if want[id] == 0 {
			extra = append(extra, id)
		}
		if n > 1 {
			dup = append(dup, id)
		}
	}
	return fmt.Sprintf("%d messages, want %d: missing %v, unexpected %v, duplicated %v", len(got), len(want), head(missing), head(extra), head(dup))
}

func equalIDs(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for id, n := range got {
		if n != 1 || want[id] == 0 {
			return false
		}
	}
	return true
}

// newUser makes a Dovecot user whose Sent folder holds the sent fixtures
// and whose INBOX holds backlog, and sets the password run reads.
func newUser(t testing.TB, srv *testdovecot.Server, user string, backlog []testMail) string {
	t.Helper()
	password := user + "-pw-7"
	if err := srv.AddUser(user, password); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BOUNCEGUARD_PASSWORD", password)
	sent, err := fixtures.Sent()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sent {
		if err := srv.WriteMessage(user, "Sent", f.Raw, `\Seen`); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range backlog {
		if err := srv.WriteMessage(user, "INBOX", m.raw); err != nil {
			t.Fatal(err)
		}
	}
	return password
}

// accountArgs are the flags that reach the test Dovecot as user directly,
// with a state folder of their own (imapArgs for benchmarks).
func accountArgs(tb testing.TB, srv *testdovecot.Server, user string) []string {
	return []string{"--host", "127.0.0.1", "--port", strconv.Itoa(srv.Port), "--user", user, "--tls", "none",
		"--state", filepath.Join(tb.TempDir(), "state")}
}

// appender is a second IMAP client that delivers mail with APPEND, as a
// mail server's delivery agent would, so IDLE sees it arrive.
type appender struct {
	t              testing.TB
	c              *goimapclient.Client
	srv            *testdovecot.Server
	user, password string
}

func newAppender(t testing.TB, srv *testdovecot.Server, user, password string) *appender {
	t.Helper()
	a := &appender{t: t, srv: srv, user: user, password: password}
	a.connect()
	t.Cleanup(func() { a.c.Close() })
	return a
}

func (a *appender) connect() {
	a.t.Helper()
	c, err := goimapclient.DialInsecure(a.srv.Addr(), nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := c.Login(a.user, a.password).Wait(); err != nil {
		a.t.Fatal(err)
	}
	a.c = c
}

func (a *appender) deliver(mails ...testMail) {
	a.t.Helper()
	for _, m := range mails {
		cmd := a.c.Append("INBOX", int64(len(m.raw)), nil)
		if _, err := cmd.Write(m.raw); err != nil {
			a.t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			a.t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			a.t.Fatalf("APPEND %s: %v", m.id, err)
		}
	}
}

// syncBuffer is a log destination a test can read while the daemon writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testDaemon is run working in the test's process, with channels standing
// in for SIGTERM and SIGHUP.
type testDaemon struct {
	stop, hup chan struct{}
	cancel    context.CancelFunc
	done      chan error
	log       *syncBuffer
	once      sync.Once
	err       error
}

func startDaemon(t testing.TB, args ...string) *testDaemon {
	t.Helper()
	td := &testDaemon{stop: make(chan struct{}), hup: make(chan struct{}, 1), done: make(chan error, 1), log: &syncBuffer{}}
	// Later flags win: a test's own come last.
	d, code := newDaemon(append(slices.Clone(fastRun), args...), io.Discard, td.log)
	if d == nil {
		t.Fatalf("run: exit %d: %s", code, td.log)
	}
	ctx, cancel := context.WithCancel(context.Background())
	td.cancel = cancel
	go func() {
		td.done <- d.serve(ctx, td.stop, td.hup)
		d.sink.Close()
	}()
	t.Cleanup(func() {
		td.shutdown(t)
		if t.Failed() {
			t.Logf("run's log:\n%s", td.log)
		}
	})
	return td
}

// shutdown is SIGTERM: it must return promptly and cleanly.
func (td *testDaemon) shutdown(t testing.TB) error {
	t.Helper()
	td.once.Do(func() {
		close(td.stop)
		select {
		case td.err = <-td.done:
		case <-time.After(15 * time.Second):
			td.cancel()
			td.err = <-td.done
			t.Errorf("run did not stop within 15s of the stop request (err %v)", td.err)
		}
	})
	return td.err
}

// waitLog waits until the log holds n records containing s.
func (td *testDaemon) waitLog(t testing.TB, s string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for strings.Count(td.log.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("log holds %q %d times, want %d", s, strings.Count(td.log.String(), s), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunIdleDovecot: run cleans the backlog, then moves or keeps mail
// APPENDed while it idles, follows SIGHUP with a reconnect, stops cleanly,
// and never logs the password, not even with --verbose.
func TestRunIdleDovecot(t *testing.T) {
	srv := needDovecot(t)
	const user = "idler"
	backlog := mailMix(t, "backlog", 60)
	password := newUser(t, srv, user, backlog)
	want := newExpectation()
	want.add(backlog...)

	// No health check in the test's time: only IDLE can bring new mail.
	td := startDaemon(t, append(imapArgs(t, srv, user, ""), "--health-interval", "1m")...)
	want.settled(t, srv, user, 10*time.Second)

	a := newAppender(t, srv, user, password)
	for i, m := range mailMix(t, "live", 40) {
		a.deliver(m)
		want.add(m)
		if i%10 == 0 {
			// Some one at a time, the rest in bursts.
			want.settled(t, srv, user, 5*time.Second)
		}
	}
	want.settled(t, srv, user, 5*time.Second)

	td.hup <- struct{}{}
	td.waitLog(t, `"msg":"reconnecting as asked"`, 1, 5*time.Second)
	late := mailMix(t, "after-hup", 6)
	a.deliver(late...)
	want.add(late...)
	want.settled(t, srv, user, 5*time.Second)
	// Kept mail is settled the moment it arrives; wait for its verdict.
	td.waitLog(t, `"msg":"decision"`, 106, 5*time.Second)

	if err := td.shutdown(t); err != nil {
		t.Errorf("run stopped with %v", err)
	}
	log := td.log.String()
	if strings.Contains(log, password) {
		t.Error("the password is in the log")
	}
	if n := strings.Count(log, `"msg":"decision"`); n != 106 {
		t.Errorf("%d decisions logged, want one per message (106)", n)
	}
	if !strings.Contains(log, `"msg":"logged out: stopping"`) {
		t.Error("no clean logout logged")
	}
	if strings.Contains(log, `"why":"health-check"`) || !strings.Contains(log, `"why":"new-mail"`) {
		t.Error("new mail was not found through IDLE")
	}
}

// TestRunFaultsDovecot cuts run's connection at every command of a fresh
// session in turn — during login, the sent-folder check, the search, the
// fetches, the move, IDLE — before or after the command reaches the server,
// while backscatter and ham keep arriving. When the network heals, every
// message is in exactly one folder, the right one.
func TestRunFaultsDovecot(t *testing.T) {
	srv := needDovecot(t)
	const user = "faulty"
	backlog := mailMix(t, "backlog", 20)
	password := newUser(t, srv, user, backlog)
	want := newExpectation()
	want.add(backlog...)
	proxy, err := testdovecot.NewFaultProxy(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()

	startDaemon(t, imapArgs(t, srv, user, proxy.Addr())...)
	want.settled(t, srv, user, 10*time.Second)
	a := newAppender(t, srv, user, password)
	live := mailMix(t, "live", 200)
	cuts := 0
	for n := 1; n <= 16; n++ {
		for _, forward := range []bool{false, true} {
			proxy.CutNext(n, forward)
			before := proxy.Cuts()
			proxy.CutAll() // the next connection is the one armed
			batch := live[:3]
			live = live[3:]
			a.deliver(batch...)
			want.add(batch...)
			deadline := time.Now().Add(2 * time.Second)
			for proxy.Cuts() == before && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cuts += proxy.Cuts() - before
			t.Logf("cut at %d (forward %v): fired %v after %s", n, forward, proxy.Cuts() > before, time.Until(deadline.Add(-2*time.Second)).Abs())
		}
	}
	proxy.Disarm()
	want.settled(t, srv, user, 10*time.Second)
	if cuts < 20 {
		t.Errorf("only %d of 32 planned cuts happened: the sweep over the session is too short", cuts)
	}
	t.Logf("%d cuts, %d connections", cuts, proxy.Accepted())
}

// TestRunDovecotRestart restarts the server under a running daemon, and
// the second time renumbers the inbox (a new UIDVALIDITY): every message
// is then decided again, and none moved twice.
func TestRunDovecotRestart(t *testing.T) {
	srv := needDovecot(t)
	const user = "restarted"
	password := newUser(t, srv, user, nil)
	want := newExpectation()
	td := startDaemon(t, imapArgs(t, srv, user, "")...)
	td.waitLog(t, `"msg":"connected"`, 1, 5*time.Second)
	a := newAppender(t, srv, user, password)
	first := mailMix(t, "before", 10)
	a.deliver(first...)
	want.add(first...)
	want.settled(t, srv, user, 5*time.Second)

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	a.connect()
	second := mailMix(t, "after", 10)
	a.deliver(second...)
	want.add(second...)
	want.settled(t, srv, user, 10*time.Second)
	td.waitLog(t, `"msg":"connected"`, 2, time.Second)
	if !strings.Contains(td.log.String(), `"msg":"connection lost"`) {
		t.Error("the lost connection was not logged")
	}

	// The 10 messages kept in INBOX get new UIDs and are decided again.
	decided := strings.Count(td.log.String(), `"msg":"decision"`)
	if err := srv.RestartWith(func() error { return srv.ResetUIDs(user, "INBOX") }); err != nil {
		t.Fatal(err)
	}
	a.connect()
	third := mailMix(t, "renumbered", 4)
	a.deliver(third...)
	want.add(third...)
	want.settled(t, srv, user, 10*time.Second)
	td.waitLog(t, `"msg":"decision"`, decided+10+4, 5*time.Second)
	want.settled(t, srv, user, time.Second)
	validities := map[string]bool{}
	for _, m := range regexp.MustCompile(`"msg":"decision","mailbox":"INBOX","uidvalidity":(\d+)`).FindAllStringSubmatch(td.log.String(), -1) {
		validities[m[1]] = true
	}
	if len(validities) != 2 {
		t.Errorf("decisions under %d UIDVALIDITYs, want 2", len(validities))
	}
}

// TestRunBlackholeDovecot: the network swallows everything, closing
// nothing, for longer than the health check allows; run notices, and
// once the network is back, reconnects and handles what came meanwhile.
func TestRunBlackholeDovecot(t *testing.T) {
	srv := needDovecot(t)
	const user = "blackholed"
	password := newUser(t, srv, user, nil)
	want := newExpectation()
	proxy, err := testdovecot.NewFaultProxy(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	td := startDaemon(t, imapArgs(t, srv, user, proxy.Addr())...)
	td.waitLog(t, `"msg":"waiting"`, 1, 5*time.Second)
	a := newAppender(t, srv, user, password)

	proxy.Blackhole()
	dark := mailMix(t, "dark", 6)
	a.deliver(dark...)
	want.add(dark...)
	// health interval + health timeout = 1 s; allow the check to fire.
	td.waitLog(t, `"msg":"connection lost"`, 1, 3*time.Second)
	if !strings.Contains(td.log.String(), "health check") && !strings.Contains(td.log.String(), "IDLE") {
		t.Errorf("the loss was not put down to the health check")
	}
	proxy.Heal()
	want.settled(t, srv, user, 10*time.Second)
	td.waitLog(t, `"msg":"connected"`, 2, time.Second)
}

// TestRunDryRunDovecot: a long-lived dry run decides each message once,
// however many passes it makes, and moves nothing.
func TestRunDryRunDovecot(t *testing.T) {
	srv := needDovecot(t)
	const user = "dry"
	backlog := mailMix(t, "backlog", 10)
	password := newUser(t, srv, user, backlog)
	td := startDaemon(t, append(imapArgs(t, srv, user, ""), "--dry-run", "--health-interval", "200ms")...)
	td.waitLog(t, `"msg":"decision"`, 10, 5*time.Second)
	newAppender(t, srv, user, password).deliver(mailMix(t, "live", 4)...)
	td.waitLog(t, `"msg":"decision"`, 14, 5*time.Second)
	td.waitLog(t, `"why":"health-check"`, 3, 5*time.Second)
	if n := strings.Count(td.log.String(), `"msg":"decision"`); n != 14 {
		t.Errorf("%d decisions for 14 messages", n)
	}
	if !strings.Contains(td.log.String(), `"action":"would-move"`) {
		t.Error("no would-move decision")
	}
	if inbox, _ := liveIDs(t, srv, user, "INBOX"); len(inbox) != 14 {
		t.Errorf("INBOX holds %d messages, want all 14", len(inbox))
	}
}

// TestLogSinkReopen is SIGHUP after logrotate moved the file away: the
// next record goes to a new file of the old name, mode 0600.
func TestLogSinkReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.log")
	sink, err := openLogSink(path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	fmt.Fprintln(sink, "one")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(sink, "two") // still the old file, as logrotate expects
	if err := sink.Reopen(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(sink, "three")
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if string(old) != "one\ntwo\n" || string(cur) != "three\n" {
		t.Errorf("rotated %q, current %q", old, cur)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v (%v)", fi.Mode(), err)
	}
}

func TestRunFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--host", "h", "--user", "u", "--log-format", "xml"}, exitUsage, "--log-format"},
		{[]string{"--host", "h", "--user", "u", "--health-interval", "0s"}, exitUsage, "--health-interval"},
		{[]string{"--user", "u"}, exitUsage, "--host"},
		{[]string{"--help"}, exitOK, ""},
	} {
		code, _, errOut := runCmd(t, "", append([]string{"run"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("run %v: exit %d, %q", c.args, code, errOut)
		}
	}
}
