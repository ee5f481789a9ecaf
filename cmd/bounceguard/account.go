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
	stateDir          string
	mailbox           string
	quarantine        string
	verbose           bool
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
	fs.StringVar(&a.stateDir, "state", "", "folder for the state store (default $XDG_STATE_HOME/bounceguard)")
	fs.StringVar(&a.mailbox, "mailbox", "INBOX", "the mailbox to clean")
	fs.StringVar(&a.quarantine, "quarantine", "Quarantine", "where backscatter and virus mail are moved; created if missing")
	fs.BoolVarP(&a.verbose, "verbose", "v", false, "log each IMAP step to standard error (never the password)")
}

// passwordHelp is the part of --help that says where the password comes from.
const passwordHelp = `The password never goes on the command line, where other users can read
it: give --password-file, --password-command, or set BOUNCEGUARD_PASSWORD.
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
	src := secret.Source{File: a.passwordFile, Command: a.passwordCommand}
	return imapclient.Config{
		Host: a.host, Port: a.port, User: a.user,
		TLS: imapclient.TLSMode(a.tls), CAFile: a.tlsCA, InsecurePlaintext: a.insecurePlaintext,
		Password: src.Get,
		Logger:   newLogger(stderr, a.verbose),
	}
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
