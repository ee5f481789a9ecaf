package imapclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// maxListEntries bounds how many mailboxes a LIST may return before we stop
// trusting the answer.
const maxListEntries = 100000

// MailboxStatus is what STATUS tells about a mailbox without selecting it.
type MailboxStatus struct {
	UIDValidity uint32
	UIDNext     imap.UID
	Messages    uint32
}

// Status asks for a mailbox's UIDVALIDITY, UIDNEXT and message count, e.g. to
// learn whether anything is new before selecting it.
func (s *Session) Status(ctx context.Context, mailbox string) (MailboxStatus, error) {
	var st MailboxStatus
	err := s.do(ctx, "STATUS "+mailbox, func() error {
		data, err := s.c.Status(mailbox, &imap.StatusOptions{UIDValidity: true, UIDNext: true, NumMessages: true}).Wait()
		if err != nil {
			return err
		}
		st.UIDValidity, st.UIDNext = data.UIDValidity, data.UIDNext
		if data.NumMessages != nil {
			st.Messages = *data.NumMessages
		}
		return nil
	})
	return st, err
}

// selectMailbox selects (or, read-only, examines) a mailbox unless it is
// already selected that way. fresh forces a new SELECT, for callers that need
// the current UIDNEXT and message count rather than those of the last one.
func (s *Session) selectMailbox(ctx context.Context, mailbox string, readOnly, fresh bool) (imap.SelectData, error) {
	if !fresh && s.selected == mailbox && s.selReadOnly == readOnly && s.broken == nil {
		return s.selData, nil
	}
	verb := "selecting "
	if readOnly {
		verb = "examining "
	}
	s.selected = ""
	err := s.do(ctx, verb+mailbox, func() error {
		data, err := s.c.Select(mailbox, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
		if err != nil {
			return err
		}
		s.selData = *data
		return nil
	})
	if err != nil {
		return imap.SelectData{}, err
	}
	if s.selData.UIDValidity == 0 {
		return imap.SelectData{}, fmt.Errorf("%s%s: server gave no UIDVALIDITY, so UIDs cannot be trusted", verb, mailbox)
	}
	s.selected, s.selReadOnly = mailbox, readOnly
	return s.selData, nil
}

// list returns the mailboxes matching pattern, with their special-use
// attributes where the server can return them.
func (s *Session) list(ctx context.Context, pattern string) ([]*imap.ListData, error) {
	var opts *imap.ListOptions
	// RETURN (SPECIAL-USE) needs LIST-EXTENDED (part of IMAP4rev2); without
	// it, servers that know special use put the attributes in plain LIST.
	if s.caps.Has(imap.CapSpecialUse) && s.caps.Has(imap.CapListExtended) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	var out []*imap.ListData
	err := s.do(ctx, fmt.Sprintf("listing mailboxes %q", pattern), func() error {
		cmd := s.c.List("", pattern, opts)
		for data := cmd.Next(); data != nil; data = cmd.Next() {
			if len(out) == maxListEntries {
				cmd.Close()
				return fmt.Errorf("more than %d mailboxes", maxListEntries)
			}
			out = append(out, data)
		}
		return cmd.Close()
	})
	return out, err
}

// EnsureMailbox creates mailbox (the quarantine) unless it exists, and
// subscribes to it so mail clients show it.
func (s *Session) EnsureMailbox(ctx context.Context, mailbox string) error {
	if mailbox == "" || strings.ContainsAny(mailbox, "*%") {
		return fmt.Errorf("mailbox name %q: must be non-empty and hold no wildcard", mailbox)
	}
	found, err := s.list(ctx, mailbox)
	if err != nil {
		return err
	}
	for _, m := range found {
		if m.Mailbox == mailbox && !hasAttr(m.Attrs, imap.MailboxAttrNoSelect) && !hasAttr(m.Attrs, imap.MailboxAttrNonExistent) {
			return nil
		}
	}
	err = s.do(ctx, "creating mailbox "+mailbox, func() error {
		return s.c.Create(mailbox, nil).Wait()
	})
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.Info("created mailbox", "mailbox", mailbox)
	if err := s.do(ctx, "subscribing to "+mailbox, func() error { return s.c.Subscribe(mailbox).Wait() }); err != nil {
		// Not fatal: the mailbox exists, clients may just not show it.
		s.log.Warn("could not subscribe to the new mailbox", "mailbox", mailbox, "err", err)
	}
	return nil
}

func hasAttr(attrs []imap.MailboxAttr, a imap.MailboxAttr) bool {
	for _, x := range attrs {
		if strings.EqualFold(string(x), string(a)) {
			return true
		}
	}
	return false
}
