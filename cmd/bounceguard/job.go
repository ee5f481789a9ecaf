package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/sentindex"
	"github.com/bounceguard/bounceguard/internal/state"
)

// job is one pass over an account: refresh the sent index from the sent
// folder, then sweep the mailbox, moving what the classifier says to
// quarantine. once, run and demo are built on it.
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
}

// jobResult is what a pass did.
type jobResult struct {
	sweep      imapclient.SweepResult
	sentFolder string
	sentNew    int
	sent       *sentindex.Index
}

// errStateInUse wraps state.ErrInUse with what it means for the person.
var errStateInUse = errors.New("another bounceguard is working on this account")

func (j *job) run(ctx context.Context) (*jobResult, error) {
	st, err := state.Open(j.statePath)
	if errors.Is(err, state.ErrInUse) {
		return nil, fmt.Errorf("%w (its state %s is in use); try again when it has finished", errStateInUse, j.statePath)
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	start := time.Now()
	res, err := j.pass(ctx, st)
	summary := state.RunSummary{Start: start, End: time.Now()}
	if res != nil {
		summary.Counts = res.sweep.Classes
	}
	if err != nil {
		summary.Err = err.Error()
	}
	if !j.dryRun {
		if serr := st.SaveRun(summary); serr != nil && err == nil {
			err = serr
		}
	}
	return res, err
}

func (j *job) pass(ctx context.Context, st *state.Store) (*jobResult, error) {
	sess, err := imapclient.Dial(ctx, j.cfg)
	if err != nil {
		return nil, err
	}
	defer sess.Close()

	res := &jobResult{}
	res.sentFolder, res.sent, res.sentNew, err = refreshSent(ctx, sess, st, j.sentFolder)
	if err != nil {
		return nil, err
	}
	policy := j.policy
	if policy == nil {
		policy = &policyFlags{}
	}
	c := policy.classifier(res.sent)
	// A message the person restored comes back with a new UID; deciding on
	// it again must not move it again.
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
	res.sweep, err = sess.Sweep(ctx, imapclient.SweepOptions{
		Mailbox: j.mailbox,
		Dest:    j.quarantine,
		Store:   syncStore{st},
		Log:     newMoveLog(st),
		NeedBody: func(e *imapclient.Envelope) bool {
			return classifier.NeedsBody(e.Header, hasNonTextParts(e.BodyStructure))
		},
		Decide: func(ctx context.Context, m *imapclient.Message) (imapclient.Decision, error) {
			raw := m.Raw
			if raw == nil {
				raw = m.Header // the header said it is ordinary mail
			}
			v := c.Classify(ctx, raw)
			if j.details != nil {
				j.details(m.UID, v)
			}
			d := imapclient.Decision{Move: v.Action == classifier.Quarantine, Class: string(v.Class), Reasons: v.Reasons}
			if d.Move && keep[m.MessageID] {
				d.Move = false
				d.Reasons = append([]string{"restored from quarantine earlier: kept"}, d.Reasons...)
			}
			return d, nil
		},
		MaxSize:  j.maxSize,
		DryRun:   j.dryRun,
		Progress: j.progress,
	})
	return res, err
}

// refreshSent brings the stored sent index up to date with the sent
// folder, fetching only the headers of messages it has not seen; a changed
// UIDVALIDITY rebuilds it.
func refreshSent(ctx context.Context, sess *imapclient.Session, st *state.Store, override string) (string, *sentindex.Index, int, error) {
	folder, err := sess.FindSent(ctx, override)
	if err != nil {
		return "", nil, 0, err
	}
	status, err := sess.Status(ctx, folder)
	if err != nil {
		return "", nil, 0, fmt.Errorf("reading the sent folder %q: %w", folder, err)
	}
	uv, last, idx, err := st.LoadSent(folder)
	if err != nil || uv != status.UIDValidity {
		// Unreadable, or the server renumbered the folder: rebuild.
		if rerr := st.ResetSent(folder); rerr != nil {
			return "", nil, 0, rerr
		}
		last, idx = 0, sentindex.New()
	}
	if status.UIDNext != 0 && imap.UID(last)+1 >= status.UIDNext {
		return folder, idx, 0, nil // nothing new: not even a SELECT
	}
	var entries []sentindex.Entry
	newUV, newLast, err := sess.FetchHeaders(ctx, folder, imap.UID(last), func(_ imap.UID, h []byte) error {
		if e, err := sentindex.EntryFromHeader(h); err == nil {
			entries = append(entries, e)
			idx.Add(e)
		}
		return nil
	})
	if err != nil {
		return "", nil, 0, fmt.Errorf("indexing the sent folder %q: %w", folder, err)
	}
	if err := st.SaveSent(folder, newUV, uint32(newLast), entries); err != nil {
		return "", nil, 0, err
	}
	return folder, idx, len(entries), nil
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
