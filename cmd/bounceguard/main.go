// Command bounceguard keeps backscatter — bounces, auto-replies,
// challenge-response requests and antivirus notices for mail you never
// sent — and virus mail out of your inbox, and explains every decision.
//
// Run "bounceguard help" for the commands.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/spf13/pflag"
)

// Exit codes. check uses 0 and 1 for keep and quarantine; the rest follow
// sysexits.h so that schedulers and mail filters can act on them.
const (
	exitOK         = 0
	exitQuarantine = 1
	exitUsage      = 64 // EX_USAGE
	exitDataErr    = 65 // EX_DATAERR: the message could not be read
	exitNoInput    = 66 // EX_NOINPUT
	exitSoftware   = 70 // EX_SOFTWARE
	exitIOErr      = 74 // EX_IOERR
	exitTempFail   = 75 // EX_TEMPFAIL: the network, the server, a lock; try later
	exitAuth       = 77 // EX_NOPERM: the server refused the login; retrying will not help
	exitConfig     = 78 // EX_CONFIG: the configuration file, or a setting, is wrong
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"scan", "classify messages in files, Maildir folders and mbox files (offline)", runScan},
		{"check", "classify one message read from standard input (for procmail, maildrop, Sieve)", runCheck},
		{"explain", "show every signal behind the verdict on one message (a file, or --uid on the server)", runExplain},
		{"once", "clean an IMAP mailbox once: move backscatter and virus mail to quarantine", runOnce},
		{"run", "keep an IMAP mailbox clean: the backlog, then each new message as it arrives", runRun},
		{"restore", "move quarantined messages back to where they came from", runRestore},
		{"demo", "run once against a built-in server loaded with sample mail, and explain", runDemo},
		{"status", "what the state store knows about an account: last run, moves, quarantine", runStatus},
		{"version", "print the version, and the commit it was built from", runVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] == "config" {
			fmt.Fprint(stdout, configHelp)
			return exitOK
		}
		if len(args) > 1 {
			return run([]string{args[1], "--help"}, stdin, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	case "--version":
		return runVersion(args[1:], stdin, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, &muteWriter{w: stdout}, stderr)
		}
	}
	fmt.Fprintf(stderr, "bounceguard: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `bounceguard keeps backscatter and virus mail out of your inbox.

When spam or a worm forges your address as its sender, the bounces,
"virus found" notices, auto-replies and challenge requests all come to
you. bounceguard learns what you really sent (your Sent folder), reads
each bounce-like message, finds the message it is about, and moves it
aside only when the evidence says you never sent that message. Bounces of
your own mail stay where they are.

Usage:
  bounceguard <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  bounceguard scan --sent ~/Mail/Sent ~/Mail/INBOX
  bounceguard check --sent ~/Mail/Sent < message.eml
  bounceguard help scan

Run "bounceguard help <command>" for a command's flags, and
"bounceguard help config" for the configuration file and exit codes.
`)
}

// newFlags makes a flag set whose --help prints the command's own text to
// stdout, with the --config and --account flags every command shares.
func newFlags(name, synopsis, about string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bounceguard %s %s\n\n%s\nFlags:\n%s", name, synopsis, about, fs.FlagUsages())
	}
	fs.String("config", "", "configuration file (default $XDG_CONFIG_HOME/bounceguard/config.toml); flags given here win over it")
	fs.String("account", "", "use the settings of [account.NAME] in the configuration file")
	if c, ok := stdout.(*flagCollector); ok {
		c.sets = append(c.sets, fs)
	}
	return fs
}

// parseFlags parses args; done is set when the command should stop: after
// --help (exit 0, pflag has printed the help) or on a usage error, which it
// prints to stderr.
func parseFlags(fs *pflag.FlagSet, args []string, stderr io.Writer) (done bool, code int) {
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		return true, exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard %s: %v\nRun \"bounceguard help %s\" for usage.\n", fs.Name(), err, fs.Name())
		return true, exitUsage
	}
	if err := applyConfig(fs); err != nil {
		fmt.Fprintf(stderr, "bounceguard %s: %v\n", fs.Name(), err)
		return true, exitConfig
	}
	if quiet, err := fs.GetBool("quiet"); err == nil && quiet {
		if m, ok := fs.Output().(*muteWriter); ok {
			m.mute()
		}
	}
	return false, exitOK
}

// muteWriter is the standard output handed to a command: parseFlags
// silences it when the command's --quiet is set, so a command's report
// goes away under --quiet without each command having to ask. Errors go
// to standard error and stay.
type muteWriter struct {
	w     io.Writer
	muted atomic.Bool
}

func (m *muteWriter) mute() { m.muted.Store(true) }

func (m *muteWriter) Write(p []byte) (int, error) {
	if m.muted.Load() {
		return len(p), nil
	}
	return m.w.Write(p)
}
