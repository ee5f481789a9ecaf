package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/lock"
	"github.com/bounceguard/bounceguard/internal/sentindex"
	"github.com/bounceguard/bounceguard/internal/state"
)

// job is one pass over an account: refresh the sent index from the sent
// folder, then sweep the mailbox, moving what the classifier says to
// quarantine. once and demo run one pass on a session of their own; run
// makes a job and calls pass on each wake of a long-lived session.
type job struct {
	cfg        imapclient.Config
	statePath  string
	mailbox    string
	quarantine string
	sentFolder string // "" finds it
	maxSize    int64
	dryRun     bool
	policy     *policyFlags // nil: the defaults
	progress   func(done, total int)
	// details, when set, receives every verdict, for reports that say more
	// than the outcome (the demo).
	details func(uid imap.UID, v classifier.Verdict)
	// stop, when closed, ends a sweep after its batch in flight.
	stop <-chan struct{}

	// Kept between passes of a long-lived session.
	sent sentCache
	keep map[string]bool // Message-IDs restored from quarantine
	// dryLast is how far a dry run has looked, per mailbox and
	// UIDVALIDITY: it records nothing in the state, but a long-lived dry
	// run must not decide the whole mailbox again on every pass.
	dryLast map[dryKey]imap.UID
}

// jobResult is what a pass did.
type jobResult struct {
	sweep      imapclient.SweepResult
	sentFolder string
	sentNew    int
	sent       *sentindex.Index
	// unscanned counts messages judged without the virus scanner, and
	// scanErr is its last failure.
	unscanned int
	scanErr   error
}

// errStateInUse wraps state.ErrInUse with what it means for the person.
var errStateInUse = errors.New("another bounceguard is working on this account")

// openAccount takes the account's lock, then opens its state. The lock
// comes first so that a second process is refused at once, with the
// holder's PID, instead of waiting on the state file's own lock.
func openAccount(statePath, account string) (*state.Store, func(), error) {
	l, err := lock.Acquire(statePath + ".lock")
	var held *lock.HeldError
	if errors.As(err, &held) {
		return nil, nil, fmt.Errorf("%w: another bounceguard (%s) is working on %s; state %s; try again when it has finished",
			errStateInUse, held.Holder(), account, statePath)
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := state.Open(statePath)
	if errors.Is(err, state.ErrInUse) {
		l.Release()
		return nil, nil, fmt.Errorf("%w (its state %s is in use); try again when it has finished", errStateInUse, statePath)
	}
	if err != nil {
		l.Release()
		return nil, nil, err
	}
	return st, func() {
		st.Close()
		l.Release()
	}, nil
}

func (j *job) account() string { return j.cfg.User + "@" + j.cfg.Host }

func (j *job) run(ctx context.Context) (*jobResult, error) {
	st, release, err := openAccount(j.statePath, j.account())
	if err != nil {
		return nil, err
	}
	defer release()
	start := time.Now()
	sess, err := imapclient.Dial(ctx, j.cfg)
	var res *jobResult
	if err == nil {
		res, err = j.pass(ctx, sess, st)
		sess.Close()
	}
	if serr := j.saveRun(st, start, res, err); serr != nil && err == nil {
		err = serr
	}
	return res, err
}

// saveRun records how a pass went, unless it was a dry run.
func (j *job) saveRun(st *state.Store, start time.Time, res *jobResult, err error) error {
	if j.dryRun {
		return nil
	}
	summary := state.RunSummary{Start: start, End: time.Now()}
	if res != nil {
		summary.Counts = res.sweep.Classes
	}
	if err != nil {
		summary.Err = err.Error()
	}
	return st.SaveRun(summary)
}

// pass refreshes the sent index and sweeps the mailbox once, on a session
// the caller owns.
func (j *job) pass(ctx context.Context, sess *imapclient.Session, st *state.Store) (*jobResult, error) {
	res := &jobResult{}
	var err error
	if res.sentNew, err = refreshSent(ctx, sess, st, j.sentFolder, &j.sent); err != nil {
		return nil, err
	}
	res.sentFolder, res.sent = j.sent.folder, j.sent.idx
	policy := j.policy
	if policy == nil {
		policy = &policyFlags{}
	}
	c := policy.classifier(res.sent)
	if j.keep == nil {
		// A message the person restored comes back with a new UID;
		// deciding on it again must not move it again. restore cannot run
		// while this process holds the account's lock, so the set read
		// once stays true for the life of the job.
		if j.keep, err = restoredIDs(st); err != nil {
			return nil, err
		}
	}
	keep := j.keep
	var store imapclient.SyncStore = syncStore{st}
	if j.dryRun {
		if j.dryLast == nil {
			j.dryLast = map[dryKey]imap.UID{}
		}
		store = dryRunStore{syncStore{st}, j.dryLast}
	}
	// Decide runs on several goroutines at once; mu guards what it counts.
	var mu sync.Mutex
	res.sweep, err = sess.Sweep(ctx, imapclient.SweepOptions{
		Mailbox: j.mailbox,
		Dest:    j.quarantine,
		Store:   store,
		Log:     newMoveLog(st),
		NeedBody: func(e *imapclient.Envelope) bool {
			// A virus scanner sees every message whole.
			return c.Scanner != nil || classifier.NeedsBody(e.Fields, hasNonTextParts(e.BodyStructure))
		},
		Decide: func(ctx context.Context, m *imapclient.Message) (imapclient.Decision, error) {
			var v classifier.Verdict
			if m.Raw == nil {
				v = classifier.HeaderVerdict() // NeedBody said it is ordinary mail
			} else {
				v = c.Classify(ctx, m.Raw)
			}
			if v.ScanErr != nil {
				mu.Lock()
				res.unscanned++
				res.scanErr = v.ScanErr
				mu.Unlock()
			}
			if j.details != nil {
				j.details(m.UID, v)
			}
			d := imapclient.Decision{Move: v.Action == classifier.Quarantine, Class: string(v.Class), Reasons: v.Reasons, Defer: v.Defer}
			if d.Move && keep[m.MessageID] {
				d.Move = false
				d.Reasons = append([]string{"restored from quarantine earlier: kept"}, d.Reasons...)
			}
			return d, nil
		},
		MaxSize:  j.maxSize,
		DryRun:   j.dryRun,
		Progress: j.progress,
		Stop:     j.stop,
	})
	if j.dryRun && res.sweep.UIDValidity != 0 {
		j.dryLast[dryKey{res.sweep.Mailbox, res.sweep.UIDValidity}] = res.sweep.LastUID
	}
	return res, err
}

type dryKey struct {
	mailbox     string
	uidValidity uint32
}

// dryRunStore reads how far the last real run got from the state, unless
// this dry run has looked further.
type dryRunStore struct {
	syncStore
	last map[dryKey]imap.UID
}

func (d dryRunStore) LastUID(mailbox string, uidValidity uint32) (imap.UID, error) {
	if uid, ok := d.last[dryKey{mailbox, uidValidity}]; ok {
		return uid, nil
	}
	return d.syncStore.LastUID(mailbox, uidValidity)
}

// restoredIDs is the set of Message-IDs restore has put back.
func restoredIDs(st *state.Store) (map[string]bool, error) {
	restored, err := st.Moves(state.MoveFilter{All: true, States: []string{state.StateRestored}})
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(restored))
	for _, r := range restored {
		if r.MessageID != "" {
			keep[r.MessageID] = true
		}
	}
	return keep, nil
}

// sentCache is the sent index as of the last refresh: a long-lived job
// keeps it in memory instead of reading it back from the state each pass.
type sentCache struct {
	folder      string // "" until found
	uidValidity uint32
	last        uint32
	idx         *sentindex.Index
}

// refreshSent brings the sent index up to date with the sent folder,
// fetching only the headers of messages it has not seen; a changed
// UIDVALIDITY rebuilds it. With the folder known and nothing new, the
// refresh is one STATUS command. It returns the number of new entries.
func refreshSent(ctx context.Context, sess *imapclient.Session, st *state.Store, override string, c *sentCache) (int, error) {
	if c.folder == "" {
		folder, err := sess.FindSent(ctx, override)
		if err != nil {
			return 0, err
		}
		*c = sentCache{folder: folder}
	}
	status, err := sess.Status(ctx, c.folder)
	if err != nil {
		folder := c.folder
		*c = sentCache{} // renamed or deleted: look for it again next time
		return 0, fmt.Errorf("reading the sent folder %q: %w", folder, err)
	}
	if c.idx == nil {
		uv, last, idx, err := st.LoadSent(c.folder)
		if err != nil {
			uv, last, idx = 0, 0, nil
		}
		c.uidValidity, c.last, c.idx = uv, last, idx
	}
	if c.idx == nil || c.uidValidity != status.UIDValidity {
		// Unreadable, or the server renumbered the folder: rebuild.
		if err := st.ResetSent(c.folder); err != nil {
			return 0, err
		}
		c.uidValidity, c.last, c.idx = status.UIDValidity, 0, sentindex.New()
	}
	if status.UIDNext != 0 && imap.UID(c.last)+1 >= status.UIDNext {
		return 0, nil // nothing new: not even a SELECT
	}
	var entries []sentindex.Entry
	newUV, newLast, err := sess.FetchHeaders(ctx, c.folder, imap.UID(c.last), func(_ imap.UID, h []byte) error {
		if e, err := sentindex.EntryFromHeader(h); err == nil {
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("indexing the sent folder %q: %w", c.folder, err)
	}
	if newUV != c.uidValidity {
		// Renumbered between STATUS and EXAMINE: start over next time.
		c.idx = nil
		return 0, fmt.Errorf("indexing the sent folder %q: UIDVALIDITY changed while reading it", c.folder)
	}
	if err := st.SaveSent(c.folder, newUV, uint32(newLast), entries); err != nil {
		c.idx = nil // memory and store may differ now: reload
		return 0, err
	}
	for _, e := range entries {
		c.idx.Add(e)
	}
	c.last = uint32(newLast)
	return len(entries), nil
}

// hasNonTextParts reports whether a structure holds anything but text:
// attachments, embedded messages, reports — what the attachment policy
// and the bounce decoders must see whole.
func hasNonTextParts(bs imap.BodyStructure) bool {
	if bs == nil {
		return true // no structure: look at the whole thing
	}
	found := false
	bs.Walk(func(_ []int, part imap.BodyStructure) bool {
		switch p := part.(type) {
		case *imap.BodyStructureSinglePart:
			if p.Type != "" && !strings.EqualFold(p.Type, "text") {
				found = true
			}
			if d := p.Disposition(); d != nil && strings.EqualFold(d.Value, "attachment") {
				found = true
			}
		case *imap.BodyStructureMultiPart:
			if !strings.EqualFold(p.Subtype, "alternative") && !strings.EqualFold(p.Subtype, "mixed") && !strings.EqualFold(p.Subtype, "related") {
				found = true // report, signed, encrypted, …
			}
		}
		return !found
	})
	return found
}
