package testdovecot

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// maildirFlags maps IMAP system flags to Maildir info letters.
var maildirFlags = map[string]byte{
	`\Draft`:    'D',
	`\Flagged`:  'F',
	`\Answered`: 'R',
	`\Seen`:     'S',
	`\Deleted`:  'T',
}

// MailboxDir returns the Maildir++ directory of a mailbox ("INBOX" is the
// Maildir itself; "A/B" is ".A.B" since the namespace separator is "/").
func (s *Server) MailboxDir(user, mailbox string) (string, error) {
	base := filepath.Join(s.Root, "mail", user, "Maildir")
	if strings.EqualFold(mailbox, "INBOX") {
		return base, nil
	}
	for _, r := range mailbox {
		if r > 0x7e || r < 0x20 || r == '.' {
			return "", fmt.Errorf("mailbox %q: only printable ASCII without '.' is supported here", mailbox)
		}
	}
	return filepath.Join(base, "."+strings.ReplaceAll(mailbox, "/", ".")), nil
}

// CreateMailbox creates an empty mailbox for user. Do it before the user's
// first login, or Dovecot may not notice it until its next LIST.
func (s *Server) CreateMailbox(user, mailbox string) error {
	dir, err := s.MailboxDir(user, mailbox)
	if err != nil {
		return err
	}
	if err := s.mkdirAll(dir, "cur", "new", "tmp"); err != nil {
		return err
	}
	if dir == filepath.Join(s.Root, "mail", user, "Maildir") {
		return nil
	}
	marker := filepath.Join(dir, "maildirfolder")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		return fmt.Errorf("marking %s as a maildir folder: %w", dir, err)
	}
	return s.chown(marker)
}

// WriteMessage stores raw as a message in mailbox (created if missing) with
// the given IMAP system flags (`\Seen`, `\Deleted`, …), straight into the
// Maildir: much faster than APPEND for large test mailboxes. Messages get UIDs
// in the order they were written when Dovecot first sees them.
func (s *Server) WriteMessage(user, mailbox string, raw []byte, flags ...string) error {
	dir, err := s.MailboxDir(user, mailbox)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "cur")); err != nil {
		if err := s.CreateMailbox(user, mailbox); err != nil {
			return err
		}
	}
	var info []byte
	for _, f := range flags {
		c, ok := maildirFlags[f]
		if !ok {
			return fmt.Errorf("flag %q: only system flags are supported", f)
		}
		info = append(info, c)
	}
	sort.Slice(info, func(i, j int) bool { return info[i] < info[j] })
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	// Dovecot orders new files by name when assigning UIDs, so the sequence
	// number is zero-padded to keep write order.
	name := fmt.Sprintf("%d.M%09dP%d.testdovecot,S=%d:2,%s", time.Now().Unix(), seq, os.Getpid(), len(raw), info)
	path := filepath.Join(dir, "cur", name)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("writing message to %s: %w", dir, err)
	}
	return s.chown(path)
}

func (s *Server) mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return s.chown(dir)
}

// mkdirAll creates dir and the given subdirectories, all owned by the mail
// user, and any missing parents under Root/mail likewise.
func (s *Server) mkdirAll(dir string, subdirs ...string) error {
	mail := filepath.Join(s.Root, "mail")
	var missing []string
	for d := dir; d != mail && strings.HasPrefix(d, mail); d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := s.mkdir(missing[i]); err != nil {
			return err
		}
	}
	for _, sub := range subdirs {
		if err := s.mkdir(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) chown(path string) error {
	if os.Getuid() != 0 {
		return nil
	}
	if err := os.Chown(path, s.uid, s.gid); err != nil {
		return fmt.Errorf("handing %s to the mail user: %w", path, err)
	}
	return nil
}
