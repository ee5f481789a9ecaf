package imapclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
)

// ErrAuth is wrapped in the error Dial returns when the server refused the
// credentials (user name and password, or OAuth2 token), or offers no way
// to present them: retrying at once will not help.
var ErrAuth = errors.New("authentication failed")

// AuthMethod is how a Session logs in.
type AuthMethod string

// The login methods.
const (
	// AuthPassword logs in with LOGIN, or AUTHENTICATE PLAIN where the
	// server disables LOGIN.
	AuthPassword AuthMethod = "password"
	// AuthXOAUTH2 presents an OAuth2 token with SASL XOAUTH2, the mechanism
	// Gmail and Microsoft 365 document.
	AuthXOAUTH2 AuthMethod = "xoauth2"
	// AuthOAuthBearer presents an OAuth2 token with SASL OAUTHBEARER
	// (RFC 7628).
	AuthOAuthBearer AuthMethod = "oauthbearer"
)

// checkAuth checks that the chosen method has the secret it needs.
func (c Config) checkAuth() error {
	switch c.Auth {
	case "":
		if c.Password == nil && c.Token == nil {
			return errors.New("no password or token source configured")
		}
	case AuthPassword:
		if c.Password == nil {
			return errors.New("password login chosen, but no password source configured")
		}
	case AuthXOAUTH2, AuthOAuthBearer:
		if c.Token == nil {
			return fmt.Errorf("%s login chosen, but no OAuth2 token source configured", c.Auth)
		}
	default:
		return fmt.Errorf("login method %q, must be password, xoauth2 or oauthbearer", c.Auth)
	}
	return nil
}

// method picks the login method given what the server offers before
// login.
func (c Config) method(pre imap.CapSet) AuthMethod {
	switch {
	case c.Auth != "":
		return c.Auth
	case c.Token == nil:
		return AuthPassword
	case pre.Has(imap.Cap("AUTH=XOAUTH2")):
		return AuthXOAUTH2
	}
	return AuthOAuthBearer
}

// login authenticates, then re-reads the capabilities: servers such as
// Dovecot announce MOVE and UIDPLUS only once the user is known, and
// go-imap keeps the pre-login list unless the server volunteers a new one.
func (s *Session) login(ctx context.Context) error {
	if s.c.State() == imap.ConnStateNotAuthenticated {
		var pre imap.CapSet
		if err := s.do(ctx, "reading capabilities", func() error {
			var err error
			pre, err = s.c.Capability().Wait()
			return err
		}); err != nil {
			return err
		}
		method := s.cfg.method(pre)
		var err error
		if method == AuthPassword {
			err = s.loginPassword(ctx, pre)
		} else {
			err = s.loginOAuth(ctx, method, pre)
		}
		if err != nil {
			return err
		}
		s.log.Debug("logged in", "user", s.cfg.User, "method", string(method))
	}
	return s.do(ctx, "reading capabilities after login", func() error {
		caps, err := s.c.Capability().Wait()
		s.caps = caps
		return err
	})
}

// loginPassword logs in with LOGIN, or AUTHENTICATE PLAIN where the server
// disables LOGIN.
func (s *Session) loginPassword(ctx context.Context, pre imap.CapSet) error {
	password, err := s.cfg.Password(ctx)
	if err != nil {
		return fmt.Errorf("getting the password for %s: %w", s.cfg.User, err)
	}
	err = s.do(ctx, "logging in as "+s.cfg.User, func() error {
		if pre.Has(imap.CapLoginDisabled) {
			if !pre.Has(imap.Cap("AUTH=PLAIN")) {
				return fmt.Errorf("%w: server disables LOGIN and offers no AUTHENTICATE PLAIN (it may allow logins only over TLS: use --tls starttls or implicit)", ErrAuth)
			}
			return s.c.Authenticate(sasl.NewPlainClient("", s.cfg.User, password))
		}
		return s.c.Login(s.cfg.User, password).Wait()
	})
	if err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			// The server's text, never our command: it cannot hold the password.
			return fmt.Errorf("%w: logging in as %s: server said %q: check the user name and password", ErrAuth, s.cfg.User, imapErr.Text)
		}
		return err
	}
	return nil
}
