package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/secret"
	"github.com/bounceguard/bounceguard/internal/state"
)

// accountFlags say which account to work on and how to reach it: the
// flags every IMAP command shares.
type accountFlags struct {
	host, user        string
	port              int
	tls, tlsCA        string
	insecurePlaintext bool
	passwordFile      string
	passwordCommand   string
	auth              string
	tokenCommand      string
	stateDir          string
	mailbox           string
	quarantine        string
	verbose, quiet    bool
	logFormat         string
}

func (a *accountFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.host, "host", "", "IMAP server name, e.g. imap.example.com (required)")
	fs.IntVar(&a.port, "port", 0, "IMAP port (default 993 with --tls implicit, 143 otherwise)")
	fs.StringVar(&a.user, "user", "", "login name on the server (required)")
	fs.StringVar(&a.tls, "tls", "implicit", "implicit (port 993), starttls (port 143), or none (plaintext: loopback only, unless --insecure-plaintext)")
	fs.StringVar(&a.tlsCA, "tls-ca", "", "PEM file of a private CA to trust besides the system's (certificates are always verified)")
	fs.BoolVar(&a.insecurePlaintext, "insecure-plaintext", false, "allow --tls none to a non-loopback server: your password crosses the network in clear")
	fs.StringVar(&a.passwordFile, "password-file", "", "file holding the password on its first line; must be readable by you alone (chmod 600)")
	fs.StringVar(&a.passwordCommand, "password-command", "", "command that prints the password, run on each connect (e.g. \"pass show mail/imap\")")
	fs.StringVar(&a.tokenCommand, "oauth2-token-command", "", "command that prints an OAuth2 access token, run on each (re)connect: for Gmail and Microsoft 365 (see contrib/oauth2.md)")
	fs.StringVar(&a.auth, "auth", "", "how to log in: password, xoauth2 or oauthbearer (default: password; with --oauth2-token-command, xoauth2 where the server offers it, else oauthbearer)")
	fs.StringVar(&a.stateDir, "state", "", "folder for the state store (default $XDG_STATE_HOME/bounceguard)")
	fs.StringVar(&a.mailbox, "mailbox", "INBOX", "the mailbox to clean")
	fs.StringVar(&a.quarantine, "quarantine", "Quarantine", "where backscatter and virus mail are moved; created if missing")
	fs.BoolVarP(&a.verbose, "verbose", "v", false, "log each IMAP step to standard error (never the password)")
	fs.BoolVarP(&a.quiet, "quiet", "q", false, "print nothing but errors (for cron: mail only when something went wrong)")
	fs.StringVar(&a.logFormat, "log-format", "text", "log records as text (key=value) or json (one object per line)")
}

// passwordHelp is the part of --help that says where the password comes from.
const passwordHelp = `The password never goes on the command line, where other users can read
it: give --password-file, --password-command, or set BOUNCEGUARD_PASSWORD;
for Gmail and Microsoft 365, --oauth2-token-command. Every flag can also be
kept in the configuration file (see "bounceguard help config").
`

// validate checks the flags and says what to do about a problem.
func (a *accountFlags) validate() error {
	var missing []string
	if a.host == "" {
		missing = append(missing, "--host")
	}
	if a.user == "" {
		missing = append(missing, "--user")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s required: which account should be cleaned?", strings.Join(missing, " and "))
	}
	switch imapclient.TLSMode(a.tls) {
	case imapclient.TLSImplicit, imapclient.TLSStartTLS, imapclient.TLSNone:
	default:
		return fmt.Errorf("--tls %q: must be implicit, starttls or none", a.tls)
	}
	if a.passwordFile != "" && a.passwordCommand != "" {
		return errors.New("give --password-file or --password-command, not both")
	}
	if err := a.validateAuth(); err != nil {
		return err
	}
	if a.quiet && a.verbose {
		return errors.New("give --quiet or --verbose, not both")
	}
	if a.logFormat != "" && a.logFormat != "text" && a.logFormat != "json" {
		return fmt.Errorf("--log-format %q: must be text or json", a.logFormat)
	}
	if a.passwordFile != "" {
		if err := secret.CheckFile(a.passwordFile); err != nil {
			return err
		}
	}
	if a.mailbox == a.quarantine {
		return fmt.Errorf("--quarantine %q is the mailbox being cleaned", a.quarantine)
	}
	return nil
}

// config is the imapclient configuration for the account.
func (a *accountFlags) config(stderr io.Writer) imapclient.Config {
	cfg := imapclient.Config{
		Host: a.host, Port: a.port, User: a.user,
		TLS: imapclient.TLSMode(a.tls), CAFile: a.tlsCA, InsecurePlaintext: a.insecurePlaintext,
		Auth:   imapclient.AuthMethod(a.auth),
		Logger: a.logger(stderr),
	}
	if a.tokenCommand != "" {
		cfg.Token = secret.Source{Command: a.tokenCommand, What: "OAuth2 token"}.Get
	} else {
		cfg.Password = secret.Source{File: a.passwordFile, Command: a.passwordCommand}.Get
	}
	return cfg
}

// validateAuth checks that the login method and the secret's source fit
// together.
func (a *accountFlags) validateAuth() error {
	oauth := a.tokenCommand != ""
	switch imapclient.AuthMethod(a.auth) {
	case "":
	case imapclient.AuthPassword:
		if oauth {
			return errors.New("--auth password with --oauth2-token-command: choose one way to log in")
		}
	case imapclient.AuthXOAUTH2, imapclient.AuthOAuthBearer:
		if !oauth {
			return fmt.Errorf("--auth %s needs --oauth2-token-command: the command that prints an access token", a.auth)
		}
	default:
		return fmt.Errorf("--auth %q: must be password, xoauth2 or oauthbearer", a.auth)
	}
	if oauth && (a.passwordFile != "" || a.passwordCommand != "") {
		return errors.New("give --oauth2-token-command or a password (--password-file, --password-command), not both")
	}
	return nil
}

// logger logs to stderr as --log-format says: errors only with --quiet,
// every step with --verbose, warnings otherwise.
func (a *accountFlags) logger(w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case a.verbose:
		level = slog.LevelDebug
	case a.quiet:
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if a.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// statePath is the account's state file.
func (a *accountFlags) statePath() (string, error) {
	dir := a.stateDir
	if dir == "" {
		d, err := state.DefaultDir()
		if err != nil {
			return "", fmt.Errorf("finding the state folder: %w (use --state DIR)", err)
		}
		dir = d
	}
	return state.AccountFile(dir, a.user+"@"+a.host), nil
}

// newLogger logs to stderr: warnings only, or every step with verbose.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// usageOrConfig is the exit code for a failed validate: a file others
// could read or change is the configuration's fault (78), the rest is
// the command line's (64).
func usageOrConfig(err error) int {
	if errors.Is(err, secret.ErrUnsafe) {
		return exitConfig
	}
	return exitUsage
}
