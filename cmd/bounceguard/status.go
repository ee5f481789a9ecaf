package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/bounceguard/bounceguard/internal/lock"
	"github.com/bounceguard/bounceguard/internal/state"
)

const statusAbout = `Say what the state store knows about an account: the last run (when, how
long, how many messages of each class, its error), the moves in the audit
log, and how many messages sit in quarantine. It reads the state only; it
does not connect to the server.

The state can be read by one process at a time. While "bounceguard run" (or
a once) works on the account, status says so and names that process
instead of waiting for it.

Examples:
  bounceguard status --host imap.example.com --user alice
  bounceguard status --account work --format json
`

// statusReport is status's answer; --format json prints it as it is.
type statusReport struct {
	Account string `json:"account"`
	State   string `json:"state"`
	// Exists is false before the first run.
	Exists bool `json:"exists"`
	// InUse: another process holds the account; HolderPID says which
	// when it is known.
	InUse     bool       `json:"in_use"`
	HolderPID int        `json:"holder_pid,omitempty"`
	LastRun   *runReport `json:"last_run,omitempty"`
	Moves     moveCounts `json:"moves"`
	// Quarantined counts moves done and not restored: what sits in the
	// quarantine folder by bounceguard's hand.
	Quarantined int        `json:"quarantined"`
	LastMove    *time.Time `json:"last_move,omitempty"`
}

type runReport struct {
	Start    time.Time      `json:"start"`
	End      time.Time      `json:"end"`
	Seconds  float64        `json:"duration_seconds"`
	Counts   map[string]int `json:"counts"`
	Error    string         `json:"error"`
	Messages int            `json:"messages"`
}

// moveCounts counts the audit log's records by state.
type moveCounts struct {
	Total    int `json:"total"`
	Done     int `json:"done"`
	Restored int `json:"restored"`
	Failed   int `json:"failed"`
	// Intent records are moves a run began and did not see finish; the
	// next run checks them against the server.
	Intent int `json:"intent"`
}

func runStatus(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var a accountFlags
	var format string
	fs := newFlags("status", "--host HOST --user USER [flags]", statusAbout, stdout)
	fs.StringVar(&a.host, "host", "", "IMAP server name of the account (required)")
	fs.StringVar(&a.user, "user", "", "login name of the account (required)")
	fs.StringVar(&a.stateDir, "state", "", "folder of the state store (default $XDG_STATE_HOME/bounceguard)")
	fs.StringVar(&format, "format", "text", "output: text, or json (one object)")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	fail := func(code int, format string, args ...any) int {
		fmt.Fprintf(stderr, "bounceguard status: "+format+"\n", args...)
		return code
	}
	if a.host == "" || a.user == "" {
		return fail(exitUsage, "--host and --user required (or --account NAME): which account?")
	}
	if format != "text" && format != "json" {
		return fail(exitUsage, "--format %q: must be text or json", format)
	}
	path, err := a.statePath()
	if err != nil {
		return fail(exitConfig, "%v", err)
	}
	rep, err := readStatus(a.user+"@"+a.host, path)
	if err != nil {
		return fail(exitConfig, "%v", err)
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return exitOK
	}
	writeStatusText(stdout, rep)
	return exitOK
}

// readStatus reads an account's state without changing it. It takes the
// account's lock first, as once and run do, so that a process working on
// the account is reported at once, by PID, instead of waited for.
func readStatus(account, path string) (*statusReport, error) {
	rep := &statusReport{Account: account, State: path}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return rep, nil // not run yet: nothing to create
	} else if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	rep.Exists = true
	l, err := lock.Acquire(path + ".lock")
	var held *lock.HeldError
	if errors.As(err, &held) {
		rep.InUse, rep.HolderPID = true, held.PID
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	defer l.Release()
	st, err := state.Open(path)
	if errors.Is(err, state.ErrInUse) {
		rep.InUse = true
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()

	last, ok, err := st.LastRun()
	if err != nil {
		return nil, err
	}
	if ok {
		r := &runReport{Start: last.Start, End: last.End, Seconds: last.End.Sub(last.Start).Seconds(), Counts: last.Counts, Error: last.Err}
		if r.Counts == nil {
			r.Counts = map[string]int{}
		}
		for _, n := range r.Counts {
			r.Messages += n
		}
		rep.LastRun = r
	}
	moves, err := st.Moves(state.MoveFilter{All: true})
	if err != nil {
		return nil, err
	}
	for _, m := range moves {
		rep.Moves.Total++
		switch m.State {
		case state.StateDone:
			rep.Moves.Done++
		case state.StateRestored:
			rep.Moves.Restored++
		case state.StateFailed:
			rep.Moves.Failed++
		case state.StateIntent:
			rep.Moves.Intent++
		}
		if rep.LastMove == nil || m.Time.After(*rep.LastMove) {
			t := m.Time
			rep.LastMove = &t
		}
	}
	rep.Quarantined = rep.Moves.Done
	return rep, nil
}

func writeStatusText(w io.Writer, r *statusReport) {
	fmt.Fprintf(w, "Account %s\nState   %s\n", r.Account, r.State)
	switch {
	case !r.Exists:
		fmt.Fprintln(w, "No state yet: bounceguard has not run for this account.")
		return
	case r.InUse && r.HolderPID != 0:
		fmt.Fprintf(w, "In use: bounceguard (PID %d) is working on this account now; its state can be read when it stops.\n", r.HolderPID)
		return
	case r.InUse:
		fmt.Fprintln(w, "In use: another bounceguard is working on this account now; its state can be read when it stops.")
		return
	}
	if r.LastRun == nil {
		fmt.Fprintln(w, "Last run: none recorded (dry runs are not).")
	} else {
		lr := r.LastRun
		fmt.Fprintf(w, "Last run: %s, took %s: %s.\n", lr.Start.Local().Format("2006-01-02 15:04:05 MST"),
			lr.End.Sub(lr.Start).Round(time.Millisecond), classCounts(lr.Counts))
		if lr.Error != "" {
			fmt.Fprintf(w, "Last error: %s\n", lr.Error)
		}
	}
	fmt.Fprintf(w, "Moves in the log: %d (%d in quarantine, %d restored, %d failed", r.Moves.Total, r.Moves.Done, r.Moves.Restored, r.Moves.Failed)
	if r.Moves.Intent > 0 {
		fmt.Fprintf(w, ", %d interrupted, checked on the next run", r.Moves.Intent)
	}
	fmt.Fprintln(w, ").")
	if r.LastMove != nil {
		fmt.Fprintf(w, "Last move: %s\n", r.LastMove.Local().Format("2006-01-02 15:04:05 MST"))
	}
}
