package imapclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// SyncStore remembers, per mailbox and UIDVALIDITY, the highest UID already
// processed. LastUID must return 0 when uidValidity differs from the one
// stored: the old UIDs then name other messages.
type SyncStore interface {
	LastUID(mailbox string, uidValidity uint32) (imap.UID, error)
	SetLastUID(mailbox string, uidValidity uint32, uid imap.UID) error
}

// MoveRecord is one message's move, written to the MoveLog as an intent
// before the move and again, with the destination UID, after it.
type MoveRecord struct {
	Time        time.Time
	Mailbox     string
	UIDValidity uint32
	UID         imap.UID
	// MessageID is the moved message's own Message-ID (no angle brackets):
	// restore finds the message by it when the destination UID is unknown.
	MessageID string
	Class     string
	Reasons   []string
	Dest      string
	// DestUIDValidity and DestUID are zero until the move is done, and stay
	// zero on servers without UIDPLUS.
	DestUIDValidity uint32
	DestUID         imap.UID
	// ExpungePending is set when the original was only flagged \Deleted.
	ExpungePending bool
}

// MoveLog records moves so an interrupted run neither loses nor duplicates a
// message and restore can undo them.
type MoveLog interface {
	// Intent is called before a batch is moved; an error stops the sweep
	// before anything moves.
	Intent(ctx context.Context, recs []MoveRecord) error
	// Done is called after the batch moved, with DestUID filled in.
	Done(ctx context.Context, recs []MoveRecord) error
}

// Message is what Decide sees: the envelope, and the whole message when
// NeedBody asked for it.
type Message struct {
	Envelope
	Mailbox string
	// Raw is the whole message, or nil when it was not fetched.
	Raw []byte
}

// Decision is the caller's verdict on one message. Class and Reasons are
// opaque here: they are counted, recorded and reported.
type Decision struct {
	Move    bool
	Class   string
	Reasons []string
	// MessageID overrides the message's own Message-ID in the move record.
	MessageID string
	// Defer keeps the message for now and has a later sweep decide it
	// again: the recorded position stops short of it.
	Defer bool
}

// SweepOptions configure one pass over a mailbox.
type SweepOptions struct {
	// Mailbox defaults to INBOX; Dest is where moved messages go (required
	// unless DryRun) and is created when the first move needs it.
	Mailbox, Dest string
	Store         SyncStore
	Log           MoveLog
	// NeedBody says, from the header and structure, whether Decide needs
	// the whole message; nil means never.
	NeedBody func(e *Envelope) bool
	// Decide returns the verdict for one message. An error keeps the
	// message and is reported; the sweep goes on and will not see the
	// message again. For a failure that may pass (a scanner that is down),
	// wrap ErrStopSweep: the sweep then stops before its current batch is
	// moved or recorded, so the next sweep decides those messages again.
	Decide func(ctx context.Context, m *Message) (Decision, error)
	// MaxSize is the largest message fetched whole (DefaultMaxSize if
	// zero); larger ones that need their body are kept and reported.
	MaxSize int64
	// DryRun decides but moves nothing and records nothing.
	DryRun bool
	// Progress, if set, is called after each message with the number done
	// and the number to do.
	Progress func(done, total int)
	// Stop, when closed, ends the sweep before its next batch: the batch in
	// flight is still decided, moved and recorded. This is how a daemon
	// shuts down without cutting a move in half; cancelling ctx instead
	// closes the connection mid-command. The result then covers the
	// batches done, and the rest waits for the next sweep.
	Stop <-chan struct{}
}

// ErrStopSweep, wrapped in an error from Decide, stops the sweep without
// recording the current batch as processed.
var ErrStopSweep = errors.New("sweep stopped by the decision function")

// Outcome actions.
const (
	ActionMoved     = "moved"
	ActionWouldMove = "would-move"
	ActionKept      = "kept"
	ActionDeferred  = "deferred"
	ActionTooLarge  = "too-large"
	ActionError     = "error"
)

// Outcome is what happened to one message.
type Outcome struct {
	UID       imap.UID
	MessageID string
	Subject   string
	Size      int64
	Class     string
	Reasons   []string
	Action    string
	// DestUID is the UID in Dest after a move, when the server said.
	DestUID imap.UID
	// Err is the decision error for ActionError.
	Err error
}

// SweepResult summarizes a sweep.
type SweepResult struct {
	Mailbox     string
	UIDValidity uint32
	// Classes counts decided messages per Decision.Class.
	Classes         map[string]int
	Moved           int
	Kept            int
	Errors          int
	SkippedTooLarge int
	// Deferred counts messages kept for a later sweep to decide again.
	Deferred int
	// Method is how moves were made; ExpungePending says the originals are
	// only flagged \Deleted and the person's client must expunge them.
	Method         MoveMethod
	ExpungePending bool
	// LastUID is the highest UID processed and recorded.
	LastUID  imap.UID
	Outcomes []Outcome
}

// Sweep processes the messages of one mailbox that arrived since the last
// sweep: it fetches their envelopes, fetches whole messages where NeedBody
// asks, asks Decide, and moves what Decide says to move, batch by batch:
// intent recorded, safe move, result recorded, and only then the mailbox's
// last processed UID advanced. A run interrupted mid-batch leaves the batch's
// messages to be decided again; moved ones are no longer there to decide.
func (s *Session) Sweep(ctx context.Context, o SweepOptions) (SweepResult, error) {
	if o.Mailbox == "" {
		o.Mailbox = "INBOX"
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	res := SweepResult{Mailbox: o.Mailbox, Classes: map[string]int{}, Method: s.MoveMethod()}
	switch {
	case o.Decide == nil:
		return res, errors.New("sweep: no Decide function")
	case o.Store == nil:
		return res, errors.New("sweep: no SyncStore")
	case !o.DryRun && (o.Log == nil || o.Dest == ""):
		return res, errors.New("sweep: moving needs a MoveLog and a destination mailbox")
	case !o.DryRun && o.Dest == o.Mailbox:
		return res, fmt.Errorf("sweep: destination %s is the swept mailbox", o.Dest)
	}

	sel, err := s.selectMailbox(ctx, o.Mailbox, o.DryRun, true)
	if err != nil {
		return res, err
	}
	res.UIDValidity = sel.UIDValidity
	last, err := o.Store.LastUID(o.Mailbox, sel.UIDValidity)
	if err != nil {
		return res, fmt.Errorf("reading the last processed UID of %s: %w", o.Mailbox, err)
	}
	res.LastUID = last
	uids, err := s.newUIDs(ctx, sel, last)
	if err != nil {
		return res, err
	}
	s.log.Debug("sweep", "mailbox", o.Mailbox, "uidvalidity", sel.UIDValidity, "last_uid", last, "new", len(uids))

	sw := &sweeper{s: s, o: o, res: &res, total: len(uids)}
	for _, batch := range chunks(uids, fetchBatch) {
		select {
		case <-o.Stop:
			s.log.Debug("sweep stopped between batches", "mailbox", o.Mailbox, "last_uid", res.LastUID)
			return res, nil
		default:
		}
		if err := sw.batch(ctx, batch); err != nil {
			return res, err
		}
	}
	return res, nil
}

// sweeper carries one sweep's state across batches.
type sweeper struct {
	s           *Session
	o           SweepOptions
	res         *SweepResult
	total, done int
	destReady   bool
	// deferFrom is the lowest UID a decision deferred, 0 for none.
	deferFrom imap.UID
}

func (w *sweeper) batch(ctx context.Context, batch []imap.UID) error {
	envs, err := w.s.fetchEnvelopes(ctx, batch, true)
	if err != nil {
		return err
	}
	last := batch[len(batch)-1]
	wantBody := map[imap.UID]bool{}
	if w.o.NeedBody != nil {
		for _, uid := range batch {
			if e := envs[uid]; e != nil && w.o.NeedBody(e) {
				wantBody[uid] = true
			}
		}
	}
	var moves []MoveRecord
	moveIdx := map[imap.UID]int{}
	// Whole messages are fetched and decided in segments whose bodies
	// together stay within bodyBatchBytes, so memory does not grow with the
	// batch.
	for len(batch) > 0 {
		segment, fetch := w.segment(batch, envs, wantBody)
		batch = batch[len(segment):]
		bodies, err := w.s.fetchBodies(ctx, fetch, w.o.MaxSize)
		if err != nil {
			return err
		}
		for _, uid := range segment {
			w.done++
			if e := envs[uid]; e != nil { // else expunged by someone else meanwhile
				out := w.decide(ctx, e, wantBody[uid], bodies)
				if errors.Is(out.Err, ErrStopSweep) {
					return fmt.Errorf("deciding UID %d of %s: %w", uid, w.o.Mailbox, out.Err)
				}
				if out.Action == ActionWouldMove && !w.o.DryRun {
					moveIdx[uid] = len(w.res.Outcomes)
					moves = append(moves, MoveRecord{
						Time: time.Now().UTC(), Mailbox: w.o.Mailbox, UIDValidity: w.res.UIDValidity, UID: uid,
						MessageID: out.MessageID, Class: out.Class, Reasons: out.Reasons, Dest: w.o.Dest,
					})
				}
				w.res.Outcomes = append(w.res.Outcomes, out)
			}
			if w.o.Progress != nil {
				w.o.Progress(w.done, w.total)
			}
		}
	}
	if w.o.DryRun {
		w.res.LastUID = max(w.res.LastUID, last)
		return nil
	}
	if len(moves) > 0 {
		if err := w.move(ctx, moves, moveIdx); err != nil {
			return err
		}
	}
	if w.deferFrom != 0 {
		// Decide the deferred message, and what follows it, again next
		// time; what moved is gone by then, what stayed is decided alike.
		last = min(last, w.deferFrom-1)
	}
	if last <= w.res.LastUID {
		return nil
	}
	if err := w.o.Store.SetLastUID(w.o.Mailbox, w.res.UIDValidity, last); err != nil {
		return fmt.Errorf("recording UID %d as processed in %s: %w", last, w.o.Mailbox, err)
	}
	w.res.LastUID = last
	return nil
}

// segment takes UIDs from the front of batch until the whole messages they
// need would exceed bodyBatchBytes or bodyBatchCount, and returns them with
// the envelopes of the messages to fetch whole (those within MaxSize).
func (w *sweeper) segment(batch []imap.UID, envs map[imap.UID]*Envelope, wantBody map[imap.UID]bool) ([]imap.UID, []*Envelope) {
	var fetch []*Envelope
	var total int64
	n := 0
	for ; n < len(batch); n++ {
		e := envs[batch[n]]
		if !wantBody[batch[n]] || e.Size > w.o.MaxSize {
			continue
		}
		if len(fetch) > 0 && (total+e.Size > bodyBatchBytes || len(fetch) == bodyBatchCount) {
			break
		}
		fetch = append(fetch, e)
		total += e.Size
	}
	return batch[:n], fetch
}

// decide asks Decide about one message and counts the answer.
func (w *sweeper) decide(ctx context.Context, e *Envelope, needed bool, bodies map[imap.UID][]byte) Outcome {
	out := Outcome{UID: e.UID, MessageID: e.MessageID, Subject: e.Subject, Size: e.Size}
	raw, fetched := bodies[e.UID]
	if needed && !fetched {
		// Announced as too large, or larger than announced.
		out.Action = ActionTooLarge
		w.res.SkippedTooLarge++
		w.res.Kept++
		return out
	}
	m := &Message{Envelope: *e, Mailbox: w.o.Mailbox, Raw: raw}
	d, err := w.o.Decide(ctx, m)
	if err != nil {
		out.Action, out.Err = ActionError, err
		w.res.Errors++
		w.res.Kept++
		return out
	}
	out.Class, out.Reasons = d.Class, d.Reasons
	if d.MessageID != "" {
		out.MessageID = d.MessageID
	}
	if d.Defer {
		out.Action = ActionDeferred
		w.res.Deferred++
		w.res.Kept++
		if w.deferFrom == 0 || e.UID < w.deferFrom {
			w.deferFrom = e.UID
		}
		return out
	}
	w.res.Classes[d.Class]++
	out.Action = ActionKept
	if d.Move {
		out.Action = ActionWouldMove
	} else {
		w.res.Kept++
	}
	return out
}

// move records the intent, moves, and records the result for one batch.
func (w *sweeper) move(ctx context.Context, moves []MoveRecord, idx map[imap.UID]int) error {
	if !w.destReady {
		if err := w.s.EnsureMailbox(ctx, w.o.Dest); err != nil {
			return fmt.Errorf("preparing the destination: %w", err)
		}
		w.destReady = true
	}
	if err := w.o.Log.Intent(ctx, moves); err != nil {
		return fmt.Errorf("recording the intent to move %d messages: %w", len(moves), err)
	}
	uids := make([]imap.UID, len(moves))
	for i, m := range moves {
		uids[i] = m.UID
	}
	mr, err := w.s.MoveUIDs(ctx, w.o.Mailbox, w.res.UIDValidity, w.o.Dest, uids)
	if err != nil {
		return err
	}
	w.res.ExpungePending = w.res.ExpungePending || mr.ExpungePending
	for i := range moves {
		moves[i].DestUIDValidity = mr.DestUIDValidity
		moves[i].DestUID = mr.DestUIDs[moves[i].UID]
		moves[i].ExpungePending = mr.ExpungePending
		o := &w.res.Outcomes[idx[moves[i].UID]]
		o.Action, o.DestUID = ActionMoved, moves[i].DestUID
		w.res.Moved++
	}
	if err := w.o.Log.Done(ctx, moves); err != nil {
		return fmt.Errorf("recording %d moves as done: %w", len(moves), err)
	}
	return nil
}
