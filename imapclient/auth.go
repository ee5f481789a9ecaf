package imapclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
)

// login authenticates with LOGIN, or AUTHENTICATE PLAIN where the server
// disables LOGIN, then re-reads the capabilities: servers such as Dovecot
// announce MOVE and UIDPLUS only once the user is known, and go-imap keeps the
// pre-login list unless the server volunteers a new one.
func (s *Session) login(ctx context.Context) error {
	if s.c.State() == imap.ConnStateNotAuthenticated {
		password, err := s.cfg.Password(ctx)
		if err != nil {
			return fmt.Errorf("getting the password for %s: %w", s.cfg.User, err)
		}
		var pre imap.CapSet
		if err := s.do(ctx, "reading capabilities", func() error {
			var err error
			pre, err = s.c.Capability().Wait()
			return err
		}); err != nil {
			return err
		}
		err = s.do(ctx, "logging in as "+s.cfg.User, func() error {
			if pre.Has(imap.CapLoginDisabled) {
				if !pre.Has(imap.Cap("AUTH=PLAIN")) {
					return errors.New("server disables LOGIN and offers no AUTHENTICATE PLAIN (it may allow logins only over TLS: use --tls starttls or implicit)")
				}
				return s.c.Authenticate(sasl.NewPlainClient("", s.cfg.User, password))
			}
			return s.c.Login(s.cfg.User, password).Wait()
		})
		if err != nil {
			var imapErr *imap.Error
			if errors.As(err, &imapErr) {
				// The server's text, never our command: it cannot hold the password.
				return fmt.Errorf("logging in as %s: server said %q: check the user name and password", s.cfg.User, imapErr.Text)
			}
			return err
		}
		s.log.Debug("logged in", "user", s.cfg.User)
	}
	return s.do(ctx, "reading capabilities after login", func() error {
		caps, err := s.c.Capability().Wait()
		s.caps = caps
		return err
	})
}
