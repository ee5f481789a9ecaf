package imapclient

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// watchRun runs Watch in the background; stop ends it and returns its
// error.
func watchRun(t *testing.T, cfg Config, o WatchOptions) (stop func() error) {
	t.Helper()
	halt := make(chan struct{})
	o.Stop = halt
	done := make(chan error, 1)
	go func() { done <- Watch(context.Background(), cfg, o) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			close(halt)
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = errors.New("Watch did not return within 10s of Stop")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// sweepPass is a Pass that sweeps INBOX into Quarantine by testDecide.
func sweepPass(store SyncStore, passes *atomic.Int32) func(context.Context, *Session, <-chan struct{}) error {
	return func(ctx context.Context, s *Session, stop <-chan struct{}) error {
		passes.Add(1)
		_, err := s.Sweep(ctx, SweepOptions{Dest: "Quarantine", Store: store, Log: &memLog{}, Decide: testDecide, Stop: stop})
		return err
	}
}

// waitMoved waits until Quarantine holds id.
func waitMoved(t *testing.T, addr, id string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if _, ok := mailboxState(t, addr, "alice", "Quarantine")[id]; ok {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s not moved within %s", id, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchIdleAndPoll(t *testing.T) {
	for _, c := range []struct {
		name string
		idle bool
	}{{"idle", true}, {"poll", false}} {
		t.Run(c.name, func(t *testing.T) {
			srv := newMemServer(t, capsFull)
			srv.user.Create("Quarantine", nil)
			srv.add(t, "INBOX", testMessage("old@x", "backscatter old", 10))
			var passes atomic.Int32
			var logBuf syncBuf
			cfg := addrConfig(t, srv.addr, "alice")
			cfg.Logger = newSyncLogger(&logBuf)
			stop := watchRun(t, cfg, WatchOptions{
				Pass: sweepPass(newMemStore(), &passes),
				// Only IDLE (or the poll) can find new mail this quickly.
				HealthInterval: time.Minute, PollInterval: 100 * time.Millisecond, NoIdle: !c.idle,
			})
			waitMoved(t, srv.addr, "old@x", 5*time.Second)
			srv.add(t, "INBOX", testMessage("new@x", "backscatter new", 10))
			srv.add(t, "INBOX", testMessage("ham@x", "hello", 10))
			if d := waitMoved(t, srv.addr, "new@x", 5*time.Second); d > time.Second {
				t.Errorf("new mail moved after %s", d)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if _, ok := mailboxState(t, srv.addr, "alice", "INBOX")["ham@x"]; !ok {
				t.Error("ham moved")
			}
			if !strings.Contains(logBuf.String(), "idle="+map[bool]string{true: "true", false: "false"}[c.idle]) {
				t.Errorf("log does not say idle=%v:\n%s", c.idle, logBuf.String())
			}
		})
	}
}

func TestWatchReconnectsAfterFailedPass(t *testing.T) {
	srv := newMemServer(t, capsFull)
	var dials, passes atomic.Int32
	cfg := addrConfig(t, srv.addr, "alice")
	cfg.Password = func(context.Context) (string, error) {
		dials.Add(1) // asked again on every connect
		return testPassword, nil
	}
	ok := make(chan struct{})
	stop := watchRun(t, cfg, WatchOptions{
		BackoffMin: time.Millisecond, BackoffMax: 10 * time.Millisecond,
		Pass: func(ctx context.Context, s *Session, _ <-chan struct{}) error {
			if passes.Add(1) < 3 {
				return errors.New("boom")
			}
			if passes.Load() == 3 {
				close(ok)
			}
			return nil
		},
	})
	select {
	case <-ok:
	case <-time.After(5 * time.Second):
		t.Fatal("no third pass")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if dials.Load() != 3 {
		t.Errorf("%d logins for 3 sessions", dials.Load())
	}
}

func TestWatchAuthFailureRetriesSlowly(t *testing.T) {
	srv := newMemServer(t, capsFull)
	var tries atomic.Int32
	var logBuf syncBuf
	cfg := addrConfig(t, srv.addr, "alice")
	cfg.Logger = newSyncLogger(&logBuf)
	cfg.Password = func(context.Context) (string, error) {
		tries.Add(1)
		return "wrong-password", nil
	}
	stop := watchRun(t, cfg, WatchOptions{
		BackoffMin: time.Millisecond, BackoffMax: time.Millisecond, AuthRetry: 300 * time.Millisecond,
		Pass: func(context.Context, *Session, <-chan struct{}) error { return nil },
	})
	time.Sleep(500 * time.Millisecond)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := tries.Load(); n < 1 || n > 2 {
		t.Errorf("%d logins in 500ms with a 300ms pause after each refusal", n)
	}
	if log := logBuf.String(); !strings.Contains(log, "login refused") || strings.Contains(log, "wrong-password") {
		t.Errorf("log:\n%s", log)
	}
}

func TestWatchFatal(t *testing.T) {
	srv := newMemServer(t, capsFull)
	errNoSource := errors.New("no password source")
	cfg := addrConfig(t, srv.addr, "alice")
	cfg.Password = func(context.Context) (string, error) { return "", errNoSource }
	err := Watch(context.Background(), cfg, WatchOptions{
		Fatal: func(err error) bool { return errors.Is(err, errNoSource) },
		Pass:  func(context.Context, *Session, <-chan struct{}) error { return nil },
	})
	if !errors.Is(err, errNoSource) {
		t.Fatalf("Watch: %v", err)
	}
}

func TestWatchReconnectOnRequest(t *testing.T) {
	srv := newMemServer(t, capsFull)
	var passes atomic.Int32
	reconnect := make(chan struct{}, 1)
	var logBuf syncBuf
	cfg := addrConfig(t, srv.addr, "alice")
	cfg.Logger = newSyncLogger(&logBuf)
	stop := watchRun(t, cfg, WatchOptions{
		Reconnect: reconnect,
		Pass:      func(context.Context, *Session, <-chan struct{}) error { passes.Add(1); return nil },
	})
	for passes.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	reconnect <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for passes.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if passes.Load() != 2 || !strings.Contains(logBuf.String(), "reconnecting as asked") {
		t.Errorf("%d passes; log:\n%s", passes.Load(), logBuf.String())
	}
}

func TestBackoff(t *testing.T) {
	w := &watcher{o: WatchOptions{BackoffMin: time.Second, BackoffMax: 5 * time.Minute}}
	for failures, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		for range 20 {
			if d := w.backoff(failures); d < want/2 || d > want {
				t.Errorf("backoff(%d) = %s, want %s..%s", failures, d, want/2, want)
			}
		}
	}
	for _, failures := range []int{9, 10, 50, 1 << 20} {
		if d := w.backoff(failures); d < 150*time.Second || d > 5*time.Minute {
			t.Errorf("backoff(%d) = %s, want capped at 5m with jitter", failures, d)
		}
	}
}

// newSyncLogger logs at debug level, as text, into buf.
func newSyncLogger(buf *syncBuf) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// syncBuf is a bytes.Buffer safe for the logger's goroutines and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
