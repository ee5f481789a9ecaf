package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/state"
)

const restoreAbout = `Undo moves: put quarantined messages back in the mailbox they came from,
using the move log that once and run keep. Say which moves with --since
(e.g. 24h, 7d), --all, or --uid (the message's UID in its old mailbox,
repeatable). Messages already restored are left alone.

` + passwordHelp + `
Examples:
  bounceguard restore --host imap.example.com --user alice --since 24h
  bounceguard restore --host imap.example.com --user alice --uid 4711
`

func runRestore(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var a accountFlags
	var since string
	var all, dryRun bool
	var uids []uint
	fs := newFlags("restore", "--host HOST --user USER (--since DURATION | --all | --uid N...) [flags]", restoreAbout, stdout)
	a.register(fs)
	fs.StringVar(&since, "since", "", "restore moves made within this long, e.g. 90m, 24h, 7d")
	fs.BoolVar(&all, "all", false, "restore every move in the log")
	fs.UintSliceVar(&uids, "uid", nil, "restore the message that had this UID in its mailbox (repeatable)")
	fs.BoolVarP(&dryRun, "dry-run", "n", false, "list what would be restored, and restore nothing")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if err := a.validate(); err != nil {
		fmt.Fprintf(stderr, "bounceguard restore: %v\n", err)
		return usageOrConfig(err)
	}
	filter := state.MoveFilter{All: all, States: []string{state.StateDone, state.StateIntent}}
	if since != "" {
		d, err := parseDuration(since)
		if err != nil {
			fmt.Fprintf(stderr, "bounceguard restore: --since %q: %v\n", since, err)
			return exitUsage
		}
		filter.Since = time.Now().Add(-d)
	}
	for _, u := range uids {
		filter.UIDs = append(filter.UIDs, uint32(u))
	}
	if !all && since == "" && len(uids) == 0 {
		fmt.Fprintln(stderr, "bounceguard restore: say which moves to undo: --since DURATION, --all or --uid N")
		return exitUsage
	}
	path, err := a.statePath()
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard restore: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := restore(ctx, a.config(stderr), path, filter, dryRun, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard restore: %v\n", err)
		return exitCodeFor(err)
	}
	if dryRun {
		fmt.Fprintf(stdout, "%d messages would be restored.\n", n)
	} else {
		fmt.Fprintf(stdout, "%d messages restored.\n", n)
	}
	return exitOK
}

// restore moves the logged moves that filter selects back, and marks them
// restored in the log.
func restore(ctx context.Context, cfg imapclient.Config, statePath string, filter state.MoveFilter, dryRun bool, w io.Writer) (int, error) {
	st, release, err := openAccount(statePath, cfg.User+"@"+cfg.Host)
	if err != nil {
		return 0, err
	}
	defer release()
	recs, err := st.Moves(filter)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, nil
	}
	if dryRun {
		for _, r := range recs {
			fmt.Fprintf(w, "  %s UID %d <%s> from %s (%s)\n", r.Time.Local().Format("2006-01-02 15:04"), r.UID, r.MessageID, r.Mailbox, r.Class)
		}
		return len(recs), nil
	}
	sess, err := imapclient.Dial(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	outs, err := sess.Restore(ctx, fromState(recs))
	var done []uint64
	for i, o := range outs {
		if o.Err != nil {
			fmt.Fprintf(w, "  not restored: UID %d <%s>: %v\n", recs[i].UID, recs[i].MessageID, o.Err)
			continue
		}
		done = append(done, recs[i].ID)
	}
	if lerr := st.LogRestored(done); lerr != nil && err == nil {
		err = lerr
	}
	return len(done), err
}

// parseDuration is time.ParseDuration that also takes days ("7d").
func parseDuration(s string) (time.Duration, error) {
	var days int
	if n, err := fmt.Sscanf(s, "%dd", &days); err == nil && n == 1 && fmt.Sprintf("%dd", days) == s {
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
