package imapclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Defaults for the WatchOptions left zero.
const (
	// DefaultIdleInterval re-issues IDLE before the 30 minutes RFC 2177
	// lets a server wait, with room for servers and middleboxes that drop
	// a quiet connection sooner.
	DefaultIdleInterval = 25 * time.Minute
	// DefaultHealthInterval is how often a watched session is checked
	// with NOOP, and the mailbox swept even without news: it bounds how
	// long a dead connection, or a missed announcement, goes unnoticed.
	DefaultHealthInterval = 2 * time.Minute
	// DefaultHealthTimeout bounds each health-check command.
	DefaultHealthTimeout = 20 * time.Second
	// DefaultPollInterval is the pause between sweeps on a server without
	// IDLE.
	DefaultPollInterval = time.Minute
	// DefaultBackoffMin and DefaultBackoffMax bound the pause before a
	// reconnect; it doubles with each failure in a row.
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = 5 * time.Minute
	// DefaultAuthRetry is the pause after the server refused the login:
	// a wrong password does not get better by hammering the server, and
	// many servers lock an account that tries too often.
	DefaultAuthRetry = 15 * time.Minute
)

// WatchOptions configure Watch.
type WatchOptions struct {
	// Mailbox is watched for new mail; it defaults to INBOX.
	Mailbox string
	// Pass is called on each connect (the backlog, and whatever came
	// while disconnected), when the server announces new mail, and after
	// each health check. It does the work (typically a Sweep, passing stop
	// on as SweepOptions.Stop). An error ends the session: Watch logs
	// it, reconnects after a pause and calls Pass again.
	Pass func(ctx context.Context, s *Session, stop <-chan struct{}) error
	// Stop, when closed, makes Watch let the pass in flight finish, log
	// out and return nil.
	Stop <-chan struct{}
	// Reconnect, when it delivers, makes Watch log out and connect again
	// at once, after the pass in flight: the password command and the CA
	// file are read anew.
	Reconnect <-chan struct{}

	// IdleInterval is the longest one IDLE lasts before it is re-issued.
	IdleInterval time.Duration
	// HealthInterval is the time between health checks; HealthTimeout
	// bounds each of the commands they send. A dead connection is
	// noticed within their sum.
	HealthInterval, HealthTimeout time.Duration
	// PollInterval is the pause between passes on a server without IDLE,
	// or with NoIdle set.
	PollInterval time.Duration
	// NoIdle polls even where the server offers IDLE, for servers whose
	// IDLE is known not to announce new mail.
	NoIdle bool
	// BackoffMin and BackoffMax bound the pause before a reconnect, which
	// doubles with each failure in a row and is jittered; AuthRetry is
	// the pause after a refused login.
	BackoffMin, BackoffMax, AuthRetry time.Duration
	// Fatal, if set, picks out errors no retry can mend (no password
	// source configured at all): Watch returns them instead of waiting.
	Fatal func(error) bool
}

func (o WatchOptions) withDefaults() WatchOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Mailbox == "" {
		o.Mailbox = "INBOX"
	}
	def(&o.IdleInterval, DefaultIdleInterval)
	def(&o.HealthInterval, DefaultHealthInterval)
	def(&o.HealthTimeout, DefaultHealthTimeout)
	def(&o.PollInterval, DefaultPollInterval)
	def(&o.BackoffMin, DefaultBackoffMin)
	def(&o.BackoffMax, DefaultBackoffMax)
	def(&o.AuthRetry, DefaultAuthRetry)
	o.BackoffMin = min(o.BackoffMin, o.BackoffMax)
	return o
}

// Watch keeps a session to cfg's server for as long as it runs: it
// connects, calls Pass, waits for new mail with IDLE (or polls), calls Pass
// again, checks the connection's health on a timer, and reconnects with
// capped, jittered exponential backoff whenever anything fails. Every
// connect runs Dial anew, so the password source is asked again each time.
// A refused login is retried only every AuthRetry.
//
// Watch returns nil once Stop is closed and the pass in flight is done,
// or ctx's error if ctx ends first (which cuts any command in flight).
// Watch never gives up on its own: every failure short of Fatal is logged
// and followed by a reconnect.
func Watch(ctx context.Context, cfg Config, o WatchOptions) error {
	if o.Pass == nil {
		return errors.New("watch: no Pass function")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	o = o.withDefaults()
	w := &watcher{cfg: cfg, o: o, log: cfg.Logger}
	return w.loop(ctx)
}

type watcher struct {
	cfg Config
	o   WatchOptions
	log *slog.Logger
}

func (w *watcher) stopped() bool {
	select {
	case <-w.o.Stop:
		return true
	default:
		return false
	}
}

func (w *watcher) loop(ctx context.Context) error {
	failures := 0
	var down time.Time // when the last session ended, for the log
	for {
		if w.stopped() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := Dial(ctx, w.cfg)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if w.o.Fatal != nil && w.o.Fatal(err) {
				return err
			}
			pause := w.backoff(failures)
			failures++
			if errors.Is(err, ErrAuth) {
				pause = w.o.AuthRetry
				w.log.Error("login refused; not retrying soon, to spare the account", "user", w.cfg.User, "err", err, "retry_in", pause.String())
			} else {
				w.log.Warn("cannot connect", "err", err, "failures", failures, "retry_in", pause.Round(time.Millisecond).String())
			}
			if !w.sleep(ctx, pause) {
				return ctx.Err()
			}
			continue
		}
		attrs := []any{"host", w.cfg.Host, "user", w.cfg.User, "idle", s.CanIdle() && !w.o.NoIdle, "move", s.MoveMethod().String()}
		if !down.IsZero() {
			attrs = append(attrs, "down_for", time.Since(down).Round(time.Millisecond).String())
		}
		w.log.Info("connected", attrs...)
		reconnect, served, err := w.serve(ctx, s)
		s.Close()
		down = time.Now()
		if served {
			failures = 0
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case w.stopped():
			w.log.Info("logged out: stopping")
			return nil
		case reconnect:
			w.log.Info("reconnecting as asked")
			continue
		}
		pause := w.backoff(failures)
		failures++
		w.log.Warn("connection lost", "err", err, "retry_in", pause.Round(time.Millisecond).String())
		if !w.sleep(ctx, pause) {
			return ctx.Err()
		}
	}
}

// serve runs one session until it fails, Stop is closed or a reconnect is
// asked for. served reports whether a pass completed, which proves the
// session worked and resets the backoff.
func (w *watcher) serve(ctx context.Context, s *Session) (reconnect, served bool, err error) {
	// interrupt merges Stop and Reconnect for Idle; asked tells them apart.
	interrupt := make(chan struct{})
	asked := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-w.o.Stop:
		case <-w.o.Reconnect:
			close(asked)
		case <-done:
			return
		}
		close(interrupt)
	}()
	isAsked := func() bool {
		select {
		case <-asked:
			return true
		default:
			return false
		}
	}

	if err := w.pass(ctx, s, "connect"); err != nil {
		return false, false, err
	}
	served = true
	nextHealth := time.Now().Add(w.o.HealthInterval)
	for {
		select {
		case <-interrupt:
			return isAsked(), served, nil
		default:
		}
		wait := max(time.Until(nextHealth), 0)
		var wake Wake
		idle := s.CanIdle() && !w.o.NoIdle
		w.log.Debug("waiting", "mailbox", w.o.Mailbox, "idle", idle, "for", wait.Round(time.Millisecond).String())
		if idle {
			// Each IDLE lasts at most IdleInterval, on our own timer:
			// go-imap's fixed 28 minutes is too long for some servers.
			wake, err = s.Idle(ctx, w.o.Mailbox, min(wait, w.o.IdleInterval), w.o.HealthTimeout, interrupt)
		} else {
			wake, err = s.Sleep(ctx, min(wait, w.o.PollInterval), interrupt)
			if wake == WakeTimeout {
				wake = WakeNewMail // polling: every pause ends in a look
			}
		}
		if err != nil {
			return false, served, err
		}
		switch {
		case wake == WakeInterrupt:
			return isAsked(), served, nil
		case !time.Now().Before(nextHealth):
			nextHealth = time.Now().Add(w.o.HealthInterval)
			if err := s.Noop(ctx, w.o.HealthTimeout); err != nil {
				return false, served, fmt.Errorf("health check: %w", err)
			}
			// Also a pass: it catches mail whose announcement was lost and
			// refreshes what the pass keeps (the sent index).
			if err := w.pass(ctx, s, "health-check"); err != nil {
				return false, served, err
			}
		case wake == WakeNewMail:
			if err := w.pass(ctx, s, "new-mail"); err != nil {
				return false, served, err
			}
		}
		// Otherwise an IDLE ended only to be re-issued.
	}
}

func (w *watcher) pass(ctx context.Context, s *Session, why string) error {
	w.log.Debug("pass", "why", why)
	if err := w.o.Pass(ctx, s, w.o.Stop); err != nil {
		return fmt.Errorf("pass after %s: %w", why, err)
	}
	return nil
}

// backoff is the pause before reconnect attempt failures+1: BackoffMin
// doubled per failure, capped at BackoffMax, with "equal jitter" (half
// fixed, half random) so that many clients cut off together do not all
// come back in the same instant.
func (w *watcher) backoff(failures int) time.Duration {
	d := w.o.BackoffMin
	for i := 0; i < failures && d < w.o.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, w.o.BackoffMax)
	half := d / 2
	return half + rand.N(half+1)
}

// sleep pauses for d; it returns early, true, when Stop is closed, and
// false when ctx ends.
func (w *watcher) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.o.Stop:
		return true
	case <-w.o.Reconnect:
		return true
	case <-ctx.Done():
		return false
	}
}
