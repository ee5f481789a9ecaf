package imapclient

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
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
	// the whole message; nil means never. Like Decide, it is called from
	// several goroutines at once.
	NeedBody func(e *Envelope) bool
	// Decide returns the verdict for one message. An error keeps the
	// message and is reported; the sweep goes on and will not see the
	// message again. For a failure that may pass (a scanner that is down),
	// wrap ErrStopSweep: the sweep then stops before its current batch is
	// moved or recorded, so the next sweep decides those messages again.
	//
	// Decide is called from several goroutines at once (one per CPU), in
	// no particular order, while the next messages are fetched: it must be
	// safe for concurrent use. Outcomes, moves and Progress still follow
	// UID order.
	Decide func(ctx context.Context, m *Message) (Decision, error)
	// MaxSize is the largest message fetched whole (DefaultMaxSize if
	// zero); larger ones that need their body are kept and reported.
	MaxSize int64
	// DryRun decides but moves nothing and records nothing.
	DryRun bool
	// Progress, if set, is called after each message with the number done
	// and the number to do.
	Progress func(done, total int)
	// Stop, when closed, ends the sweep before its next batch: the batches
	// already fetched are still decided, moved and recorded. This is how a
	// daemon shuts down without cutting a move in half; cancelling ctx
	// instead closes the connection mid-command. The result then covers the
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
// asks, asks Decide, and moves what Decide says to move. Fetching goes on
// while earlier messages are decided. Moves are gathered over fetch batches
// until there are enough for one large MOVE (each MOVE costs the server
// time in proportion to the mailbox) or an eighth of the sweep is done,
// then made: intent recorded, safe move, result recorded, and only then the
// mailbox's last processed UID advanced past the batches they came from. A
// run interrupted before that leaves those messages to be decided again;
// moved ones are no longer there to decide.
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

	// Sized once for most mailboxes: growing it by doubling copies it all.
	res.Outcomes = make([]Outcome, 0, min(len(uids), 1<<17))
	sw := &sweeper{s: s, o: o, res: &res, total: len(uids), moveIdx: map[imap.UID]int{}}
	err = sw.run(ctx, uids) // before res is read: run fills it in
	return res, err
}

// aheadSegments is how many decided-but-unsettled segments may wait while
// the next one is fetched: enough to keep the network and every core busy,
// few enough that the bodies held stay a small multiple of bodyBatchBytes.
const aheadSegments = 2

// commitParts is how many parts a sweep's work is committed in at least:
// what a crash can make the next sweep decide again, at most a part of it.
// With moveBatch, it bounds the MOVE commands of a sweep to a few whatever
// the mailbox's size.
const commitParts = 8

// commitMoves is how many gathered moves are made at once: short of
// moveBatch by room for the next fetch batch's, so that most commits take
// one MOVE command rather than one full and one nearly empty.
const commitMoves = moveBatch * 3 / 4

// sweeper carries one sweep's state across batches. The goroutine that
// runs it owns the Session and every field below; the decision workers
// only read segments and write their verdicts into them.
type sweeper struct {
	s           *Session
	o           SweepOptions
	res         *SweepResult
	total, done int
	destReady   bool
	// deferFrom is the lowest UID a decision deferred, 0 for none.
	deferFrom imap.UID

	// inflight are the segments handed to the workers, oldest first: they
	// are settled (counted, queued for moving) in this order, so outcomes,
	// moves and LastUID follow UID order whatever order they were decided in.
	inflight []*segment
	// waiting are the segments whose bodies are being fetched, oldest
	// first, before inflight; waitingBytes their bodies' announced size.
	waiting      []*segment
	waitingBytes int64
	// batchMoves are the moves of the fetch batch being settled; moves
	// those of fully settled batches up to ready, its last UID. They are
	// made together once there are commitMoves of them: a MOVE costs the
	// server about as much for one message as for hundreds.
	batchMoves, moves []MoveRecord
	moveIdx           map[imap.UID]int // UID → index in res.Outcomes
	ready             imap.UID
	// committed is done as of the last commit.
	committed int
	// halt tells the workers to stop calling Decide: the sweep ends.
	halt atomic.Bool
}

// segment is a run of UIDs of one fetch batch, with their envelopes and
// the whole messages they need: the unit that is fetched, decided and
// settled.
type segment struct {
	uids   []imap.UID
	envs   map[imap.UID]*Envelope
	want   map[imap.UID]bool
	bodies map[imap.UID][]byte
	// bodyFetch brings bodies while the segment waits for them;
	// bodyBytes is their announced size.
	bodyFetch *bodyFetch
	bodyBytes int64
	// batchEnd is the last UID of the fetch batch when this segment ends
	// it, else 0.
	batchEnd imap.UID

	verdicts []verdict
	next     atomic.Int64 // the next index a worker claims
	left     atomic.Int64 // indexes not yet decided
	done     chan struct{}
}

// verdict is what a worker learned about one message of a segment.
type verdict struct {
	d   Decision
	err error
	// skipped: Decide was not called because the sweep was ending.
	skipped bool
}

// headersAhead is how many header FETCHes are in flight besides the batch
// being worked on: the server prepares the next batches while this one's
// messages are fetched whole and decided, instead of waiting for a command
// after each batch.
const headersAhead = 2

// run fetches on this goroutine while workers decide the segments already
// fetched, and settles the decided ones in order.
func (w *sweeper) run(ctx context.Context, uids []imap.UID) error {
	workers := runtime.GOMAXPROCS(0)
	// Each segment is handed to at most workers workers, and at most
	// aheadSegments+1 are in flight, so sending never blocks.
	segs := make(chan *segment, workers*(aheadSegments+1))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.work(ctx, segs)
		}()
	}
	defer func() {
		w.halt.Store(true)
		close(segs)
		wg.Wait()
	}()
	batches := chunks(uids, fetchBatch)
	var ahead []*batchFetch
	defer func() {
		// Every FETCH sent is read to its end before the Session runs
		// anything else: those of batches a stop or an error left behind.
		for _, b := range ahead {
			w.drain(b)
		}
		for _, seg := range w.waiting {
			w.s.drain(seg.bodyFetch.pending)
		}
	}()
	for next := 0; ; {
		select {
		case <-w.o.Stop:
			w.s.log.Debug("sweep stopped between batches", "mailbox", w.o.Mailbox)
			return w.finish(ctx, segs, workers)
		default:
		}
		for len(ahead) <= headersAhead && next < len(batches) {
			ahead = append(ahead, w.start(batches[next], workers))
			next++
		}
		if len(ahead) == 0 {
			return w.finish(ctx, segs, workers)
		}
		b := ahead[0]
		ahead = ahead[1:]
		if err := w.fetch(ctx, b, segs, workers); err != nil {
			return err
		}
	}
}

// finish settles what is in flight and moves and records the rest.
func (w *sweeper) finish(ctx context.Context, segs chan<- *segment, workers int) error {
	if err := w.dispatch(ctx, segs, workers, true); err != nil {
		return err
	}
	if err := w.settle(ctx, 0); err != nil {
		return err
	}
	return w.commit(ctx)
}

// fetch waits for one batch's envelopes and, segment by segment, fetches
// the whole messages they need, handing each segment to the workers.
func (w *sweeper) fetch(ctx context.Context, b *batchFetch, segs chan<- *segment, workers int) error {
	envs, wantBody, err := w.envelopes(ctx, b)
	if err != nil {
		return err
	}
	batch := b.f.uids
	last := batch[len(batch)-1]
	// Whole messages are fetched and decided in segments whose bodies
	// together stay within bodyBatchBytes, so memory does not grow with the
	// batch. Their FETCHes are sent at once and read in the background;
	// the segments go to the workers in order as their bodies arrive.
	for len(batch) > 0 {
		uids, fetch := w.segment(batch, envs, wantBody)
		batch = batch[len(uids):]
		seg := &segment{uids: uids, envs: envs, want: wantBody, bodyFetch: w.s.startBodies(fetch, w.o.MaxSize),
			verdicts: make([]verdict, len(uids)), done: make(chan struct{})}
		for _, e := range fetch {
			seg.bodyBytes += e.Size
		}
		if len(batch) == 0 {
			seg.batchEnd = last
		}
		w.waiting = append(w.waiting, seg)
		w.waitingBytes += seg.bodyBytes
		if err := w.dispatch(ctx, segs, workers, false); err != nil {
			return err
		}
	}
	return nil
}

// waitingSegments is how many segments may wait for their bodies: enough
// that the server always has one to send, with their bodies together
// within bodyBatchBytes beyond the oldest's.
const waitingSegments = 3

// dispatch hands the segments whose bodies have arrived to the workers,
// oldest first, waiting for the oldest while too many wait (or, with all,
// until none does), and settles what the workers decided.
func (w *sweeper) dispatch(ctx context.Context, segs chan<- *segment, workers int, all bool) error {
	for len(w.waiting) > 0 {
		seg := w.waiting[0]
		full := len(w.waiting) > waitingSegments || w.waitingBytes-seg.bodyBytes > bodyBatchBytes
		if !all && !full && !seg.bodyFetch.ready() {
			return nil
		}
		bodies, err := w.s.awaitBodies(ctx, seg.bodyFetch)
		if err != nil {
			return err
		}
		w.waiting = w.waiting[1:]
		w.waitingBytes -= seg.bodyBytes
		seg.bodies, seg.bodyFetch = bodies, nil
		seg.left.Store(int64(len(seg.uids)))
		for range min(workers, len(seg.uids)) {
			segs <- seg
		}
		w.inflight = append(w.inflight, seg)
		if err := w.settle(ctx, aheadSegments); err != nil {
			return err
		}
	}
	return nil
}

// batchFetch is one fetch batch's envelopes on their way: the FETCH's
// answers are read on a goroutine of their own, and helpers parse each
// header and ask NeedBody about it as it arrives (on the goroutine the
// network waits on, that would add to the time).
type batchFetch struct {
	f    *envelopeFetch
	got  func(*Envelope)
	all  []*prepared
	todo chan *prepared
	wg   sync.WaitGroup
}

type prepared struct {
	e    *Envelope
	need bool
}

// start sends the header FETCH of batch and sets helpers to work on it.
func (w *sweeper) start(batch []imap.UID, helpers int) *batchFetch {
	// Buffered for the whole batch (and a retry of part of it, while the
	// helpers take from it), so the reading goroutine never waits.
	b := &batchFetch{todo: make(chan *prepared, len(batch))}
	for range helpers {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for p := range b.todo {
				p.e.parse()
				p.need = w.o.NeedBody != nil && p.e.Header != nil && w.o.NeedBody(p.e)
			}
		}()
	}
	b.got = func(e *Envelope) {
		p := &prepared{e: e}
		b.all = append(b.all, p)
		b.todo <- p
	}
	b.f = w.s.startEnvelopes(batch, envelopeOptions(true), b.got)
	return b
}

// envelopes waits for a batch's envelopes and says which messages to fetch
// whole.
func (w *sweeper) envelopes(ctx context.Context, b *batchFetch) (map[imap.UID]*Envelope, map[imap.UID]bool, error) {
	envs, err := w.s.awaitEnvelopes(ctx, b.f, envelopeOptions(true), b.got)
	close(b.todo)
	b.wg.Wait()
	if err != nil {
		return nil, nil, err
	}
	wantBody := map[imap.UID]bool{}
	for _, p := range b.all {
		// An envelope asked for again replaced the first one.
		if p.need && envs[p.e.UID] == p.e {
			wantBody[p.e.UID] = true
		}
	}
	return envs, wantBody, nil
}

// drain waits for a batch the sweep will not work on.
func (w *sweeper) drain(b *batchFetch) {
	w.s.drain(b.f.pending)
	close(b.todo)
	b.wg.Wait()
}

// work decides messages of the segments it is handed, claiming one index
// at a time so that all workers finish a segment together.
func (w *sweeper) work(ctx context.Context, segs <-chan *segment) {
	for seg := range segs {
		for {
			i := seg.next.Add(1) - 1
			if i >= int64(len(seg.uids)) {
				break
			}
			seg.verdicts[i] = w.decideOne(ctx, seg, seg.uids[i])
			if seg.left.Add(-1) == 0 {
				close(seg.done)
			}
		}
	}
}

// decideOne asks Decide about one message, unless there is nothing to ask:
// the message is gone, or too large to have been fetched.
func (w *sweeper) decideOne(ctx context.Context, seg *segment, uid imap.UID) verdict {
	e := seg.envs[uid]
	if e == nil {
		return verdict{}
	}
	raw, fetched := seg.bodies[uid]
	if seg.want[uid] && !fetched {
		return verdict{}
	}
	if w.halt.Load() {
		return verdict{skipped: true}
	}
	d, err := w.o.Decide(ctx, &Message{Envelope: *e, Mailbox: w.o.Mailbox, Raw: raw})
	if errors.Is(err, ErrStopSweep) {
		w.halt.Store(true) // what follows would be decided in vain
	}
	return verdict{d: d, err: err}
}

// settle counts the decided segments at the front of inflight, waiting
// for them until no more than keep are left.
func (w *sweeper) settle(ctx context.Context, keep int) error {
	for len(w.inflight) > 0 {
		seg := w.inflight[0]
		if len(w.inflight) <= keep {
			select {
			case <-seg.done:
			default:
				return nil
			}
		}
		<-seg.done
		w.inflight = w.inflight[1:]
		if err := w.settleSegment(ctx, seg); err != nil {
			return err
		}
	}
	return nil
}

// settleSegment counts one decided segment's outcomes in UID order and
// queues its moves; the end of a fetch batch may move and record.
func (w *sweeper) settleSegment(ctx context.Context, seg *segment) error {
	for i, uid := range seg.uids {
		w.done++
		if e := seg.envs[uid]; e != nil { // else expunged by someone else meanwhile
			_, fetched := seg.bodies[uid]
			out := w.account(e, seg.want[uid] && !fetched, seg.verdicts[i])
			if errors.Is(out.Err, ErrStopSweep) {
				err := fmt.Errorf("deciding UID %d of %s: %w", uid, w.o.Mailbox, out.Err)
				// The batches settled before this one are done: move
				// and record them, as if they had been made at once.
				if cerr := w.commit(ctx); cerr != nil {
					return errors.Join(err, cerr)
				}
				return err
			}
			if out.Action == ActionWouldMove && !w.o.DryRun {
				w.moveIdx[uid] = len(w.res.Outcomes)
				w.batchMoves = append(w.batchMoves, MoveRecord{
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
	if seg.batchEnd == 0 {
		return nil
	}
	if w.o.DryRun {
		w.res.LastUID = max(w.res.LastUID, seg.batchEnd)
		return nil
	}
	w.moves = append(w.moves, w.batchMoves...)
	w.batchMoves = nil
	w.ready = seg.batchEnd
	// Each MOVE costs the server time in proportion to the mailbox, so
	// moves wait for company; but a crash must not lose more than a part of
	// the sweep's work, so every commitParts of it is committed anyway.
	if len(w.moves) == 0 || len(w.moves) >= commitMoves || w.done-w.committed >= max(fetchBatch, w.total/commitParts) {
		return w.commit(ctx)
	}
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

// account turns one message's verdict into its outcome and counts it;
// tooLarge says its body was needed but not fetched.
func (w *sweeper) account(e *Envelope, tooLarge bool, v verdict) Outcome {
	out := Outcome{UID: e.UID, MessageID: e.MessageID, Subject: e.Subject, Size: e.Size}
	switch {
	case tooLarge:
		// Announced as too large, or larger than announced.
		out.Action = ActionTooLarge
		w.res.SkippedTooLarge++
		w.res.Kept++
		return out
	case v.skipped:
		// Only after a decision stopped the sweep, which settles first.
		v.err = fmt.Errorf("not decided: %w", ErrStopSweep)
	}
	if v.err != nil {
		out.Action, out.Err = ActionError, v.err
		w.res.Errors++
		w.res.Kept++
		return out
	}
	d := v.d
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

// commit moves what the settled batches decided and records them as
// processed: intent, safe move, result, and only then the mailbox's last
// processed UID, which stops short of any deferred message.
func (w *sweeper) commit(ctx context.Context) error {
	if w.o.DryRun || w.ready == 0 {
		return nil
	}
	w.committed = w.done
	if len(w.moves) > 0 {
		if err := w.move(ctx, w.moves); err != nil {
			return err
		}
		w.moves = nil
	}
	last := w.ready
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

// move records the intent, moves, and records the result.
func (w *sweeper) move(ctx context.Context, moves []MoveRecord) error {
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
		o := &w.res.Outcomes[w.moveIdx[moves[i].UID]]
		o.Action, o.DestUID = ActionMoved, moves[i].DestUID
		delete(w.moveIdx, moves[i].UID)
		w.res.Moved++
	}
	if err := w.o.Log.Done(ctx, moves); err != nil {
		return fmt.Errorf("recording %d moves as done: %w", len(moves), err)
	}
	return nil
}
