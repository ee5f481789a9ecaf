package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/secret"
	"github.com/bounceguard/bounceguard/internal/state"
)

const onceAbout = `Clean the mailbox once and exit: learn what you sent from your sent
folder, read every message that arrived since the last run, and move
backscatter and virus mail to the quarantine folder. Everything else stays.
Each move is recorded, so "bounceguard restore" can undo it.

The first run reads the whole mailbox (a progress bar shows on a terminal);
later runs read only what is new. Use --dry-run first to see what would
move without moving anything.

` + passwordHelp + `
Examples:
  bounceguard once --host imap.example.com --user alice --password-file ~/.config/bounceguard/pw --dry-run
  BOUNCEGUARD_PASSWORD=… bounceguard once --host imap.example.com --user alice
`

func runOnce(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var a accountFlags
	var dryRun bool
	var policy policyFlags
	var maxSize int64
	var sentFolder, format string
	fs := newFlags("once", "--host HOST --user USER [flags]", onceAbout, stdout)
	a.register(fs)
	fs.StringVar(&sentFolder, "sent-folder", "", "the folder of mail you sent (default: the one marked \\Sent, else a common name)")
	fs.BoolVarP(&dryRun, "dry-run", "n", false, "decide and report, but move nothing")
	fs.Int64Var(&maxSize, "max-size", imapclient.DefaultMaxSize, "largest message to read whole, in bytes; larger ones are kept and reported")
	policy.register(fs)
	fs.StringVar(&format, "format", "text", "output: text, or json (one object per message, then a summary)")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if err := a.validate(); err != nil {
		fmt.Fprintf(stderr, "bounceguard once: %v\n", err)
		return usageOrConfig(err)
	}
	if err := policy.validate(); err != nil {
		fmt.Fprintf(stderr, "bounceguard once: %v\n", err)
		return exitUsage
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(stderr, "bounceguard once: --format %q: must be text or json\n", format)
		return exitUsage
	}
	path, err := a.statePath()
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard once: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A backlog of 100,000 messages is read and let go: spend memory, up
	// to well under the 200 MB a shared server can give each user, on
	// fewer collections.
	throughputGC(150 << 20)
	j := &job{
		cfg: a.config(stderr), statePath: path, mailbox: a.mailbox, quarantine: a.quarantine,
		sentFolder: sentFolder, maxSize: maxSize, dryRun: dryRun, policy: &policy,
	}
	bar := newProgress(stderr, a.mailbox)
	j.progress = bar.update
	res, err := j.run(ctx)
	bar.done()
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard once: %v\n", err)
		return exitCodeFor(err)
	}
	if format == "json" {
		writeOnceJSON(stdout, res, dryRun)
	} else {
		writeOnceText(stdout, res, a.quarantine, dryRun)
	}
	return exitOK
}

// exitCodeFor maps a failed run to a code a scheduler can act on.
func exitCodeFor(err error) int {
	switch {
	case errors.Is(err, secret.ErrNone):
		return exitConfig
	case errors.Is(err, errStateInUse):
		return exitTempFail
	case errors.Is(err, imapclient.ErrAuth):
		return exitAuth
	case errors.Is(err, state.ErrUnsafe), errors.Is(err, secret.ErrUnsafe):
		return exitConfig
	case errors.Is(err, context.Canceled):
		return exitOK
	}
	return exitTempFail
}

// writeOnceText reports a pass for people: what moved and why, then the
// counts.
func writeOnceText(w io.Writer, res *jobResult, quarantine string, dryRun bool) {
	sw := res.sweep
	first, last, ok := res.sent.Coverage()
	cover := "no dates"
	if ok {
		cover = fmt.Sprintf("%s..%s", day(first), day(last))
	}
	fmt.Fprintf(w, "Sent folder %q: %d messages known (%d new), covering %s.\n", res.sentFolder, res.sent.Len(), res.sentNew, cover)
	fmt.Fprintf(w, "%s: %d new messages.\n", sw.Mailbox, len(sw.Outcomes))
	wouldMove := 0
	for _, o := range sw.Outcomes {
		if o.Action == imapclient.ActionKept {
			continue
		}
		if o.Action == imapclient.ActionWouldMove {
			wouldMove++
		}
		reason := ""
		if len(o.Reasons) > 0 {
			reason = o.Reasons[0]
		}
		if o.Err != nil {
			reason = o.Err.Error()
		}
		fmt.Fprintf(w, "  %-10s %-14s UID %-7d %q\n             %s\n", o.Action, o.Class, o.UID, truncate(o.Subject, 60), reason)
	}
	verb, n := "moved", sw.Moved
	if dryRun {
		verb, n = "would move", wouldMove
	}
	fmt.Fprintf(w, "\n%s, %s %d to %s", classCounts(sw.Classes), verb, n, quarantine)
	if sw.Moved > 0 && !dryRun {
		fmt.Fprintf(w, " (%s)", sw.Method)
	}
	fmt.Fprintln(w, ".")
	if sw.SkippedTooLarge > 0 {
		fmt.Fprintf(w, "%d messages over --max-size were kept unread.\n", sw.SkippedTooLarge)
	}
	if res.unscanned > 0 {
		fmt.Fprintf(w, "%d messages were judged without the virus scanner: %v\n", res.unscanned, res.scanErr)
	}
	if sw.Errors > 0 {
		fmt.Fprintf(w, "%d messages could not be decided and were kept.\n", sw.Errors)
	}
	if sw.ExpungePending {
		fmt.Fprintf(w, "The server has neither MOVE nor UIDPLUS: moved messages were copied to %s and marked deleted in %s; your mail client removes them when it expunges.\n", quarantine, sw.Mailbox)
	}
}

func classCounts(m map[string]int) string {
	total := 0
	keys := make([]string, 0, len(m))
	for k, n := range m {
		keys = append(keys, k)
		total += n
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "0 messages"
	}
	return fmt.Sprintf("%d messages: %s", total, strings.Join(parts, ", "))
}

// onceRecord is one line of once --format json.
type onceRecord struct {
	Mailbox   string   `json:"mailbox"`
	UID       uint32   `json:"uid"`
	MessageID string   `json:"message_id"`
	Subject   string   `json:"subject"`
	Class     string   `json:"class"`
	Action    string   `json:"action"` // moved, would-move, kept, too-large, error
	Reasons   []string `json:"reasons"`
	DestUID   uint32   `json:"dest_uid,omitempty"`
	Error     string   `json:"error"`
}

func writeOnceJSON(w io.Writer, res *jobResult, dryRun bool) {
	enc := json.NewEncoder(w)
	sw := res.sweep
	for _, o := range sw.Outcomes {
		rec := onceRecord{Mailbox: sw.Mailbox, UID: uint32(o.UID), MessageID: o.MessageID, Subject: o.Subject,
			Class: o.Class, Action: o.Action, Reasons: o.Reasons, DestUID: uint32(o.DestUID)}
		if rec.Reasons == nil {
			rec.Reasons = []string{}
		}
		if o.Err != nil {
			rec.Error = o.Err.Error()
		}
		enc.Encode(rec)
	}
	enc.Encode(map[string]any{"summary": map[string]any{
		"mailbox": sw.Mailbox, "classes": sw.Classes, "moved": sw.Moved, "kept": sw.Kept,
		"errors": sw.Errors, "too_large": sw.SkippedTooLarge, "dry_run": dryRun,
		"expunge_pending": sw.ExpungePending, "sent_folder": res.sentFolder, "sent_known": res.sent.Len(),
	}})
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
