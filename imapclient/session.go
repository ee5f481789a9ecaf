package imapclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Session is one logged-in connection. It is not safe for concurrent use:
// each method runs its commands to completion before returning.
type Session struct {
	c    *imapclient.Client
	cfg  Config
	log  *slog.Logger
	caps imap.CapSet

	// broken is set once a command timed out or was cancelled: the
	// connection has been closed and every later call fails at once.
	broken error

	// The selected mailbox, so repeated work on one mailbox selects once.
	selected    string
	selReadOnly bool
	selData     imap.SelectData

	// newMail receives a token whenever the server announces messages in
	// the selected mailbox (EXISTS outside a SELECT): see watch.go.
	newMail chan struct{}
}

// Caps returns the capabilities the server offered after login.
func (s *Session) Caps() imap.CapSet {
	caps := make(imap.CapSet, len(s.caps))
	for c := range s.caps {
		caps[c] = struct{}{}
	}
	return caps
}

// Close logs out (briefly waiting for the server) and closes the connection.
func (s *Session) Close() error {
	if s.broken == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// A failed LOGOUT changes nothing: the connection is closed next.
		_ = within(ctx, func() { s.c.Close() }, func() error { return s.c.Logout().Wait() })
	}
	s.broken = errors.New("session closed")
	if err := s.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("closing IMAP connection: %w", err)
	}
	return nil
}

// do runs one step (usually one command and the reading of its results)
// bounded by ctx and the command timeout. go-imap's calls take no context, so
// on expiry the connection is closed to unblock them, and the Session is
// marked unusable.
func (s *Session) do(ctx context.Context, step string, fn func() error) error {
	return s.doWithin(ctx, step, s.cfg.CommandTimeout, fn)
}

// doWithin is do with its own time limit, for the health check: a dead
// connection must be noticed in seconds, not after the command timeout.
func (s *Session) doWithin(ctx context.Context, step string, timeout time.Duration, fn func() error) error {
	if s.broken != nil {
		return fmt.Errorf("%s: connection unusable after an earlier failure (%v): reconnect", step, s.broken)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", step, err) // nothing sent: the session stays usable
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := within(cctx, func() { s.c.Close() }, fn)
	if err == nil {
		return nil
	}
	if cctx.Err() != nil {
		s.broken = err
		s.selected = ""
		if ctx.Err() == nil {
			return fmt.Errorf("%s: no answer within %s, connection closed (raise the command timeout for slow servers)", step, timeout)
		}
		return fmt.Errorf("%s: %w", step, ctx.Err())
	}
	select {
	case <-s.c.Closed():
		s.broken = err
		s.selected = ""
	default:
	}
	return fmt.Errorf("%s: %w", step, err)
}
