package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/secret"
	"github.com/bounceguard/bounceguard/internal/state"
)

const runAbout = `Keep the mailbox clean for as long as it runs: clean the backlog as
"once" does, then wait for new mail with IDLE (or poll, on servers without
it) and classify each message as it arrives, moving backscatter and virus
mail to quarantine within a second or so. Meant to be started once (a
systemd user service, tmux, launchd) and left alone.

It survives the network and the server: a dead connection is noticed by a
NOOP health check within --health-interval plus --health-timeout, and it
reconnects with exponential backoff (capped at --reconnect-max, with
jitter), asking the password source again each time. A refused login is
logged as an error and retried only every --auth-retry.

The sent index follows your sent folder: before every look at the mailbox
the sent folder's UIDNEXT is read (one STATUS command on the same
connection), and new sent mail is indexed first. So a bounce of a message
you sent a minute ago is judged against an index that holds it.

Signals:
  SIGTERM, SIGINT  finish the batch of moves in flight, log out, exit 0
                   (a second one stops at once; a batch cut short is
                   decided again on the next start)
  SIGHUP           reopen --log-file (for log rotation), and reconnect, so
                   a changed password file, password command or --tls-ca
                   file takes effect. Flags cannot change under a running
                   process: restart it for that.

Only one bounceguard works on an account at a time: while run is running,
once and restore for the same account refuse to start, naming its PID.

` + passwordHelp + `
Examples:
  bounceguard run --host imap.example.com --user alice --password-command "pass show mail/imap"
  bounceguard run --host imap.example.com --user alice --log-file ~/.local/state/bounceguard/run.log --log-format json
`

// daemonFlags are run's own flags, besides the account and policy.
type daemonFlags struct {
	sentFolder                  string
	dryRun                      bool
	maxSize                     int64
	idle, health, healthTimeout time.Duration
	poll                        time.Duration
	noIdle                      bool
	reconnectMin, reconnectMax  time.Duration
	authRetry                   time.Duration
	logFile                     string
	commandTimeout              time.Duration
}

// daemon is a parsed run command, ready to serve.
type daemon struct {
	job   *job
	watch imapclient.WatchOptions
	log   *slog.Logger
	sink  *logSink
}

func runRun(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	d, code := newDaemon(args, stdout, stderr)
	if d == nil {
		return code
	}
	defer d.sink.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan struct{})
	hup := make(chan struct{}, 1)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		stopping := false
		for sig := range sigs {
			switch {
			case sig == syscall.SIGHUP:
				d.hangup()
				select {
				case hup <- struct{}{}:
				default:
				}
			case !stopping:
				stopping = true
				d.log.Info("stopping after the batch in flight; signal again to stop at once", "signal", sig.String())
				close(stop)
			default:
				d.log.Warn("stopping at once; a batch cut short is decided again on the next start", "signal", sig.String())
				cancel()
			}
		}
	}()
	if err := d.serve(ctx, stop, hup); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Error("stopped", "err", err)
		fmt.Fprintf(stderr, "bounceguard run: %v\n", err)
		return exitCodeFor(err)
	}
	return exitOK
}

// newDaemon parses run's flags. It returns nil and the exit code when the
// command should not go on (--help, a usage error).
func newDaemon(args []string, stdout, stderr io.Writer) (*daemon, int) {
	var a accountFlags
	var f daemonFlags
	var policy policyFlags
	fs := newFlags("run", "--host HOST --user USER [flags]", runAbout, stdout)
	a.register(fs)
	fs.StringVar(&f.sentFolder, "sent-folder", "", "the folder of mail you sent (default: the one marked \\Sent, else a common name)")
	fs.BoolVarP(&f.dryRun, "dry-run", "n", false, "decide and log, but move nothing")
	fs.Int64Var(&f.maxSize, "max-size", imapclient.DefaultMaxSize, "largest message to read whole, in bytes; larger ones are kept and logged")
	policy.register(fs)
	fs.DurationVar(&f.idle, "idle-interval", imapclient.DefaultIdleInterval, "re-issue IDLE this often (some servers drop it after 5 to 30 minutes)")
	fs.DurationVar(&f.health, "health-interval", imapclient.DefaultHealthInterval, "check the connection with NOOP, and look at the mailbox, this often")
	fs.DurationVar(&f.healthTimeout, "health-timeout", imapclient.DefaultHealthTimeout, "a health check not answered within this declares the connection dead")
	fs.DurationVar(&f.poll, "poll-interval", imapclient.DefaultPollInterval, "on servers without IDLE (or with --no-idle), look for new mail this often")
	fs.BoolVar(&f.noIdle, "no-idle", false, "poll even if the server offers IDLE (for servers whose IDLE never announces new mail)")
	fs.DurationVar(&f.reconnectMin, "reconnect-min", imapclient.DefaultBackoffMin, "first pause before reconnecting; it doubles with each failure in a row")
	fs.DurationVar(&f.reconnectMax, "reconnect-max", imapclient.DefaultBackoffMax, "longest pause before reconnecting")
	fs.DurationVar(&f.authRetry, "auth-retry", imapclient.DefaultAuthRetry, "pause after the server refused the login")
	fs.StringVar(&f.logFile, "log-file", "", "append the log to this file instead of standard error (reopened on SIGHUP)")
	fs.DurationVar(&f.commandTimeout, "command-timeout", imapclient.DefaultCommandTimeout, "longest wait for the answer to any other command (a fetch of a large message included)")
	if done, code := parseFlags(fs, args, stderr); done {
		return nil, code
	}
	fail := func(format string, args ...any) (*daemon, int) {
		fmt.Fprintf(stderr, "bounceguard run: "+format+"\n", args...)
		return nil, exitUsage
	}
	if err := policy.validate(); err != nil {
		return fail("%v", err)
	}
	if err := a.validate(); err != nil {
		fmt.Fprintf(stderr, "bounceguard run: %v\n", err)
		return nil, usageOrConfig(err)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--idle-interval", f.idle}, {"--health-interval", f.health}, {"--health-timeout", f.healthTimeout},
		{"--poll-interval", f.poll}, {"--reconnect-min", f.reconnectMin}, {"--reconnect-max", f.reconnectMax}, {"--auth-retry", f.authRetry},
		{"--command-timeout", f.commandTimeout}} {
		if d.v <= 0 {
			return fail("%s %s: must be positive", d.name, d.v)
		}
	}
	path, err := a.statePath()
	if err != nil {
		return fail("%v", err)
	}
	sink, err := openLogSink(f.logFile, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard run: %v\n", err)
		return nil, exitIOErr
	}
	level := slog.LevelInfo // every decision and reconnect
	switch {
	case a.verbose:
		level = slog.LevelDebug
	case a.quiet:
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(sink, opts)
	if a.logFormat == "json" {
		h = slog.NewJSONHandler(sink, opts)
	}
	log := slog.New(h)
	cfg := a.config(stderr)
	cfg.Logger, cfg.CommandTimeout = log, f.commandTimeout
	return &daemon{
		job: &job{
			cfg: cfg, statePath: path, mailbox: a.mailbox, quarantine: a.quarantine,
			sentFolder: f.sentFolder, maxSize: f.maxSize, dryRun: f.dryRun, policy: &policy,
		},
		watch: imapclient.WatchOptions{
			Mailbox:      a.mailbox,
			IdleInterval: f.idle, HealthInterval: f.health, HealthTimeout: f.healthTimeout,
			PollInterval: f.poll, NoIdle: f.noIdle,
			BackoffMin: f.reconnectMin, BackoffMax: f.reconnectMax, AuthRetry: f.authRetry,
			// No password source at all is a mistake to report, not to
			// retry in the background forever.
			Fatal: func(err error) bool { return errors.Is(err, secret.ErrNone) },
		},
		log:  log,
		sink: sink,
	}, exitOK
}

// serve takes the account's lock and watches the mailbox until stop is
// closed (then it returns nil once the batch in flight is done) or ctx
// ends. Each value on reconnect makes it log out and connect afresh.
func (d *daemon) serve(ctx context.Context, stop <-chan struct{}, reconnect <-chan struct{}) error {
	st, release, err := openAccount(d.job.statePath, d.job.account())
	if err != nil {
		return err
	}
	defer release()
	d.log.Info("started", "account", d.job.account(), "mailbox", d.job.mailbox, "quarantine", d.job.quarantine,
		"dry_run", d.job.dryRun, "pid", os.Getpid(), "state", d.job.statePath)
	o := d.watch
	o.Stop, o.Reconnect = stop, reconnect
	o.Pass = func(ctx context.Context, sess *imapclient.Session, stop <-chan struct{}) error {
		return d.pass(ctx, sess, st, stop)
	}
	err = imapclient.Watch(ctx, d.job.cfg, o)
	d.log.Info("stopped", "account", d.job.account())
	return err
}

// pass is one look at the mailbox, logged decision by decision.
func (d *daemon) pass(ctx context.Context, sess *imapclient.Session, st *state.Store, stop <-chan struct{}) error {
	start := time.Now()
	d.job.stop = stop
	res, err := d.job.pass(ctx, sess, st)
	if res != nil {
		if res.sentNew > 0 {
			d.log.Info("sent index grew", "folder", res.sentFolder, "new", res.sentNew, "known", res.sent.Len())
		}
		d.logOutcomes(res.sweep)
	}
	if res != nil && len(res.sweep.Outcomes) > 0 || err != nil {
		// Quiet passes (most health checks) are not worth a record each.
		if serr := d.job.saveRun(st, start, res, err); serr != nil && err == nil {
			err = serr
		}
	}
	return err
}

// logOutcomes logs every decision of a sweep: what happened to which
// message, and why.
func (d *daemon) logOutcomes(sw imapclient.SweepResult) {
	for _, o := range sw.Outcomes {
		attrs := []any{
			"mailbox", sw.Mailbox, "uidvalidity", sw.UIDValidity, "uid", uint32(o.UID),
			"message_id", o.MessageID, "subject", truncate(o.Subject, 100),
			"class", o.Class, "action", o.Action, "reasons", o.Reasons,
		}
		switch o.Action {
		case imapclient.ActionMoved:
			d.log.Info("decision", append(attrs, "dest", d.job.quarantine, "dest_uid", uint32(o.DestUID))...)
		case imapclient.ActionError:
			d.log.Warn("decision", append(attrs, "err", o.Err)...)
		case imapclient.ActionTooLarge:
			d.log.Warn("decision", append(attrs, "size", o.Size, "max_size", d.job.maxSize)...)
		default:
			d.log.Info("decision", attrs...)
		}
	}
	if sw.ExpungePending && sw.Moved > 0 {
		d.log.Warn("server lacks MOVE and UIDPLUS: moved messages stay flagged \\Deleted in the mailbox until your mail client expunges", "mailbox", sw.Mailbox)
	}
}

// hangup is SIGHUP: reopen the log file; the reconnect that follows is
// Watch's.
func (d *daemon) hangup() {
	if err := d.sink.Reopen(); err != nil {
		d.log.Error("reopening the log file", "err", err)
		return
	}
	d.log.Info("SIGHUP: log reopened; reconnecting")
}

// logSink is where the daemon's log goes: standard error, or a file that
// SIGHUP reopens so logrotate can move the old one away.
type logSink struct {
	mu   sync.Mutex
	path string
	f    *os.File
	w    io.Writer
}

func openLogSink(path string, stderr io.Writer) (*logSink, error) {
	l := &logSink{path: path, w: stderr}
	if path == "" {
		return l, nil
	}
	return l, l.Reopen()
}

// Write writes one record; slog handlers write each record in one call.
func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		return l.f.Write(p)
	}
	return l.w.Write(p)
}

// Reopen opens the log file anew (mode 0600: the log names your
// correspondents) and closes the old one. Without a file it does nothing.
func (l *logSink) Reopen() error {
	if l.path == "" {
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening --log-file: %w", err)
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// Close closes the log file, if any.
func (l *logSink) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
