package imapclient

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// FetchMessage returns the whole message with UID uid in mailbox. The
// mailbox is examined read-only and the body fetched with BODY.PEEK, so
// nothing about the message changes, \Seen included. A message larger
// than maxSize (0 means DefaultMaxSize) is not fetched.
func (s *Session) FetchMessage(ctx context.Context, mailbox string, uid imap.UID, maxSize int64) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if uid == 0 {
		return nil, fmt.Errorf("fetching UID 0 from %s: UIDs start at 1", mailbox)
	}
	if _, err := s.selectMailbox(ctx, mailbox, true, false); err != nil {
		return nil, err
	}
	envs, err := s.fetchEnvelopes(ctx, []imap.UID{uid}, false)
	if err != nil {
		return nil, fmt.Errorf("fetching UID %d from %s: %w", uid, mailbox, err)
	}
	e := envs[uid]
	if e == nil {
		return nil, fmt.Errorf("no message with UID %d in %s", uid, mailbox)
	}
	if e.Size > maxSize {
		return nil, fmt.Errorf("UID %d in %s is %d bytes, more than the limit of %d", uid, mailbox, e.Size, maxSize)
	}
	bodies, err := s.fetchBodies(ctx, []*Envelope{e}, maxSize)
	if err != nil {
		return nil, fmt.Errorf("fetching UID %d from %s: %w", uid, mailbox, err)
	}
	raw, ok := bodies[uid]
	if !ok {
		return nil, fmt.Errorf("fetching UID %d from %s: the server sent no body, or one over %d bytes", uid, mailbox, maxSize)
	}
	return raw, nil
}
