package imapclient

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// TLSMode says how the connection is protected.
type TLSMode string

// The TLS modes; the empty mode means TLSImplicit.
const (
	// TLSImplicit speaks TLS from the first byte (port 993).
	TLSImplicit TLSMode = "implicit"
	// TLSStartTLS upgrades a plain connection with STARTTLS (port 143).
	TLSStartTLS TLSMode = "starttls"
	// TLSNone sends everything, the password too, in the clear: allowed to
	// loopback addresses only, unless Config.InsecurePlaintext is set.
	TLSNone TLSMode = "none"
)

// Defaults used when the corresponding Config field is zero.
const (
	DefaultDialTimeout    = 30 * time.Second
	DefaultCommandTimeout = 2 * time.Minute
)

// Config says where and how to connect. It holds no secret: the password is
// asked for through Password at each login.
type Config struct {
	// Host is the server's name or address; Port defaults to 993 for implicit
	// TLS and 143 otherwise.
	Host string
	Port int
	User string
	// TLS defaults to TLSImplicit.
	TLS TLSMode
	// CAFile names a PEM file of extra roots to trust (a private CA or a
	// self-signed server). Certificates are always verified.
	CAFile string
	// InsecurePlaintext allows TLSNone to a non-loopback address.
	InsecurePlaintext bool
	// Password returns the secret. Its result is never logged nor put in an
	// error; its own errors are wrapped as they are, so it must keep the
	// secret out of them.
	Password func(ctx context.Context) (string, error)
	// Auth chooses how to log in (see AuthMethod). Empty means
	// AuthPassword, or with Token set, XOAUTH2 where the server offers it
	// and OAUTHBEARER otherwise.
	Auth AuthMethod
	// Token returns an OAuth2 access token. It is called at every login, so
	// a helper that refreshes short-lived tokens runs on each (re)connect;
	// the same rules as for Password keep the token out of logs and errors.
	Token func(ctx context.Context) (string, error)
	// DialTimeout bounds connecting, the TLS handshake and the greeting.
	DialTimeout time.Duration
	// CommandTimeout bounds every command; on expiry the connection is
	// closed and the Session is unusable.
	CommandTimeout time.Duration
	// Logger receives debug and warning records; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Host == "" {
		return c, fmt.Errorf("no IMAP server given: pass --host")
	}
	if c.User == "" {
		return c, fmt.Errorf("no IMAP user given: pass --user")
	}
	if err := c.checkAuth(); err != nil {
		return c, err
	}
	switch c.TLS {
	case "":
		c.TLS = TLSImplicit
	case TLSImplicit, TLSStartTLS, TLSNone:
	default:
		return c, fmt.Errorf("TLS mode %q, must be implicit, starttls or none", c.TLS)
	}
	if c.Port == 0 {
		c.Port = 143
		if c.TLS == TLSImplicit {
			c.Port = 993
		}
	}
	if c.Port < 1 || c.Port > 65535 {
		return c, fmt.Errorf("port %d, must be 1-65535", c.Port)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
