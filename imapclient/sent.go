package imapclient

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// commonSentNames are tried, in order and ignoring case, when no mailbox
// carries the \Sent special-use attribute (RFC 6154).
var commonSentNames = []string{
	"Sent", "Sent Items", "Sent Messages", "Sent Mail", "Sent-Mail",
	"INBOX/Sent", "INBOX.Sent", "INBOX/Sent Items", "INBOX.Sent Items",
	"[Gmail]/Sent Mail", "[Google Mail]/Sent Mail",
	"Gesendet", "Gesendete Elemente", "Gesendete Objekte",
	"Envoyés", "Éléments envoyés", "Enviados", "Elementos enviados",
	"Posta inviata", "Inviata", "Verzonden", "Verzonden items", "Skickat", "Sendt", "Wysłane",
}

// FindSent returns the mailbox holding the person's sent mail: override if
// set (it must exist), else the mailbox marked \Sent, else the first
// mailbox with a common sent-folder name.
func (s *Session) FindSent(ctx context.Context, override string) (string, error) {
	if override != "" {
		found, err := s.list(ctx, override)
		if err != nil {
			return "", err
		}
		for _, m := range found {
			if m.Mailbox == override && !hasAttr(m.Attrs, imap.MailboxAttrNoSelect) {
				return override, nil
			}
		}
		return "", fmt.Errorf("sent folder %q not found on the server: check --sent-folder", override)
	}
	all, err := s.list(ctx, "*")
	if err != nil {
		return "", err
	}
	byName := map[string]string{}
	for _, m := range all {
		if hasAttr(m.Attrs, imap.MailboxAttrNoSelect) || hasAttr(m.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		if hasAttr(m.Attrs, imap.MailboxAttrSent) {
			s.log.Debug("sent folder by special use", "mailbox", m.Mailbox)
			return m.Mailbox, nil
		}
		byName[strings.ToLower(m.Mailbox)] = m.Mailbox
	}
	for _, name := range commonSentNames {
		if mbox, ok := byName[strings.ToLower(name)]; ok {
			s.log.Debug("sent folder by name", "mailbox", mbox)
			return mbox, nil
		}
	}
	return "", fmt.Errorf("no sent folder found (no mailbox is marked \\Sent and none is named %s, …): pass --sent-folder NAME",
		strings.Join(commonSentNames[:3], ", "))
}

// FetchHeaders calls fn, in UID order, with the header of every message in
// mailbox whose UID is above sinceUID, to build a sent index incrementally.
// It examines the mailbox read-only and fetches headers only. It returns the
// mailbox's UIDVALIDITY and the highest UID handed to fn (sinceUID when there
// was nothing new). UIDs are only comparable under one UIDVALIDITY: a caller
// holding an index should check it with Status first and pass sinceUID 0
// (rebuilding) when it changed. An error from fn stops the walk.
func (s *Session) FetchHeaders(ctx context.Context, mailbox string, sinceUID imap.UID, fn func(uid imap.UID, header []byte) error) (uint32, imap.UID, error) {
	sel, err := s.selectMailbox(ctx, mailbox, true, true)
	if err != nil {
		return 0, sinceUID, err
	}
	uids, err := s.newUIDs(ctx, sel, sinceUID)
	if err != nil {
		return sel.UIDValidity, sinceUID, err
	}
	last := sinceUID
	for _, batch := range chunks(uids, fetchBatch) {
		envs, err := s.fetchEnvelopes(ctx, batch, false)
		if err != nil {
			return sel.UIDValidity, last, err
		}
		for _, uid := range batch {
			if e := envs[uid]; e != nil {
				if err := fn(uid, e.Header); err != nil {
					return sel.UIDValidity, last, fmt.Errorf("indexing UID %d of %s: %w", uid, mailbox, err)
				}
			}
			last = uid
		}
	}
	return sel.UIDValidity, last, nil
}
