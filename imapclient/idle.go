package imapclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// newMailHandler turns the server's unilateral EXISTS into a token on ch.
// go-imap calls it on its reader goroutine, where calling back into the
// client would deadlock, so it only ever does a non-blocking send: one
// pending token says "look again", however many messages came.
func newMailHandler(ch chan<- struct{}) *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages == nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		},
	}
}

// CanIdle reports whether the server offers IDLE (RFC 2177, part of
// IMAP4rev2).
func (s *Session) CanIdle() bool {
	return s.caps.Has(imap.CapIdle) || s.caps.Has(imap.CapIMAP4rev2)
}

// Noop sends NOOP and waits at most timeout for the answer: the health
// check of a long-lived session. A connection that does not answer in
// time is closed and the Session is unusable. The server may send news
// of the selected mailbox with the answer; Idle sees it.
func (s *Session) Noop(ctx context.Context, timeout time.Duration) error {
	return s.doWithin(ctx, "NOOP (health check)", timeout, func() error {
		return s.c.Noop().Wait()
	})
}

// Wake says why Idle returned.
type Wake int

// The reasons Idle returns.
const (
	// WakeNewMail: the server announced new messages in the mailbox.
	WakeNewMail Wake = iota + 1
	// WakeTimeout: the wait ran its full length.
	WakeTimeout
	// WakeInterrupt: the interrupt channel was closed or ctx ended.
	WakeInterrupt
)

// String names the reason, for logs.
func (w Wake) String() string {
	switch w {
	case WakeNewMail:
		return "new-mail"
	case WakeTimeout:
		return "timeout"
	case WakeInterrupt:
		return "interrupt"
	}
	return fmt.Sprintf("Wake(%d)", int(w))
}

// Idle waits on mailbox (selected already, or examined now) with IDLE (RFC 2177) until the server announces new
// messages, wait has passed, or interrupt is closed, and then ends IDLE
// cleanly so the Session can be used again. Ending it (DONE and the
// server's OK) must take less than timeout, or the connection is
// declared dead: that is half of the health check, the other half being
// Noop. A pending announcement that arrived outside IDLE (during a sweep,
// with a NOOP) makes Idle return WakeNewMail at once.
//
// If ctx ends, the connection is closed at once and ctx's error returned;
// use interrupt for a stop that leaves the Session usable.
func (s *Session) Idle(ctx context.Context, mailbox string, wait, timeout time.Duration, interrupt <-chan struct{}) (Wake, error) {
	if s.selected != mailbox {
		// Watching needs no write access. Mail that came between the
		// caller's last look and this SELECT is announced only in its
		// answer, so a caller should leave the mailbox selected (Sweep
		// does), or rely on its next periodic look.
		if _, err := s.selectMailbox(ctx, mailbox, true, true); err != nil {
			return 0, err
		}
	}
	select {
	case <-s.newMail:
		return WakeNewMail, nil
	default:
	}
	if !s.CanIdle() {
		return 0, errors.New("the server does not offer IDLE: poll instead")
	}
	var cmd *imapclient.IdleCommand
	err := s.doWithin(ctx, "starting IDLE on "+mailbox, timeout, func() error {
		var err error
		cmd, err = s.c.Idle()
		return err
	})
	if err != nil {
		return 0, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var wake Wake
	select {
	case <-s.newMail:
		wake = WakeNewMail
	case <-timer.C:
		wake = WakeTimeout
	case <-interrupt:
		wake = WakeInterrupt
	case <-ctx.Done():
		s.c.Close()
		s.broken, s.selected = ctx.Err(), ""
		return WakeInterrupt, fmt.Errorf("idling on %s: %w", mailbox, ctx.Err())
	case <-s.c.Closed():
		s.broken, s.selected = errors.New("connection closed during IDLE"), ""
		return 0, fmt.Errorf("idling on %s: the server closed the connection", mailbox)
	}
	err = s.doWithin(ctx, "ending IDLE on "+mailbox, timeout, func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
	if err != nil {
		return 0, err
	}
	return wake, nil
}

// Sleep waits, without IDLE, until wait has passed or interrupt is closed:
// the pause between polls on a server without IDLE. It sends nothing.
func (s *Session) Sleep(ctx context.Context, wait time.Duration, interrupt <-chan struct{}) (Wake, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return WakeTimeout, nil
	case <-interrupt:
		return WakeInterrupt, nil
	case <-ctx.Done():
		return WakeInterrupt, ctx.Err()
	case <-s.c.Closed():
		s.broken, s.selected = errors.New("connection closed between polls"), ""
		return 0, errors.New("waiting between polls: the server closed the connection")
	}
}
