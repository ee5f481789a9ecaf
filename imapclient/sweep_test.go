package imapclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// loadInbox fills INBOX with one message of each case the sweep handles.
func loadInbox(t *testing.T, m *memServer) {
	m.add(t, "INBOX", testMessage("ham1@x", "ham one", 10))
	m.add(t, "INBOX", testMessage("bs1@x", "backscatter one", 10))
	// Marked \Deleted by the person's own client: must never be expunged by us.
	m.add(t, "INBOX", testMessage("ham2@x", "ham two", 10), imap.FlagDeleted)
	m.add(t, "INBOX", testMessage("bs2@x", "backscatter two needbody", 10))
	m.add(t, "INBOX", testMessage("broken1@x", "broken one", 10))
	m.add(t, "INBOX", testMessage("big1@x", "backscatter big needbody", 5000))
}

func TestSweep(t *testing.T) {
	tests := []struct {
		name           string
		caps           imap.CapSet
		method         MoveMethod
		inbox          []string // Message-IDs left in INBOX
		deleted        []string // of those, flagged \Deleted
		expungePending bool
	}{
		{"MOVE", capsFull, MoveByMove, []string{"big1@x", "broken1@x", "ham1@x", "ham2@x"}, []string{"ham2@x"}, false},
		{"no MOVE nor UIDPLUS", capsRev1, MoveByCopyFlag,
			[]string{"big1@x", "broken1@x", "bs1@x", "bs2@x", "ham1@x", "ham2@x"}, []string{"bs1@x", "bs2@x", "ham2@x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemServer(t, tt.caps)
			loadInbox(t, m)
			proxy, err := testdovecot.NewProxy(m.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			s := dial(t, addrConfig(t, proxy.Addr(), "alice"))
			if got := s.MoveMethod(); got != tt.method {
				t.Fatalf("MoveMethod = %v, want %v", got, tt.method)
			}
			store, log := newMemStore(), &memLog{}
			var mu sync.Mutex // Decide runs concurrently
			var bodies []string
			decide := func(ctx context.Context, msg *Message) (Decision, error) {
				if msg.Raw != nil {
					mu.Lock()
					bodies = append(bodies, msg.MessageID)
					mu.Unlock()
				}
				return testDecide(ctx, msg)
			}
			var progress [][2]int
			opts := SweepOptions{
				Dest: "Quarantine", Store: store, Log: log, Decide: decide, NeedBody: needBodyBySubject,
				MaxSize: 1000, Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) },
			}
			res, err := s.Sweep(context.Background(), opts)
			if err != nil {
				t.Fatalf("Sweep: %v", err)
			}
			check := func(what string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("moved", res.Moved, 2)
			check("kept", res.Kept, 4)
			check("errors", res.Errors, 1)
			check("too large", res.SkippedTooLarge, 1)
			check("clean", res.Classes["clean"], 2)
			check("backscatter", res.Classes["backscatter"], 2)
			check("expunge pending", res.ExpungePending, tt.expungePending)
			check("last UID", res.LastUID, imap.UID(6))
			check("bodies fetched", slices.Equal(bodies, []string{"bs2@x"}), true)
			check("progress calls", len(progress), 6)
			check("last progress", progress[len(progress)-1], [2]int{6, 6})
			check("intents", len(log.intents), 2)
			check("dones", len(log.done), 2)
			for _, r := range log.done {
				if tt.method == MoveByMove {
					check("done has dest UID", r.DestUID != 0, true)
				}
				check("record Message-ID set", r.MessageID != "", true)
			}
			last, _ := store.LastUID("INBOX", res.UIDValidity)
			check("stored last UID", last, imap.UID(6))

			inbox := mailboxState(t, m.addr, "alice", "INBOX")
			check("INBOX", slices.Equal(sortedKeys(inbox), tt.inbox), true)
			for _, id := range tt.inbox {
				check(id+" \\Deleted", slices.Contains(inbox[id], imap.FlagDeleted), slices.Contains(tt.deleted, id))
			}
			quarantine := mailboxState(t, m.addr, "alice", "Quarantine")
			check("Quarantine", slices.Equal(sortedKeys(quarantine), []string{"bs1@x", "bs2@x"}), true)
			if t.Failed() {
				t.Logf("INBOX %v, Quarantine %v, outcomes %+v", inbox, quarantine, res.Outcomes)
			}

			// A second sweep with nothing new fetches nothing.
			before := proxy.Fetches()
			res, err = s.Sweep(context.Background(), opts)
			if err != nil {
				t.Fatalf("second Sweep: %v", err)
			}
			check("second sweep outcomes", len(res.Outcomes), 0)
			check("second sweep FETCHes", proxy.Fetches()-before, int64(0))

			// One new message: only it is fetched.
			m.add(t, "INBOX", testMessage("ham3@x", "ham three", 10))
			res, err = s.Sweep(context.Background(), opts)
			if err != nil {
				t.Fatalf("third Sweep: %v", err)
			}
			check("third sweep outcomes", len(res.Outcomes), 1)
			check("third sweep message", res.Outcomes[0].MessageID, "ham3@x")
		})
	}
}

func TestSweepDryRun(t *testing.T) {
	m := newMemServer(t, capsFull)
	loadInbox(t, m)
	s := dial(t, addrConfig(t, m.addr, "alice"))
	store := newMemStore()
	res, err := s.Sweep(context.Background(), SweepOptions{Store: store, Decide: testDecide, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var would int
	for _, o := range res.Outcomes {
		if o.Action == ActionWouldMove {
			would++
		}
	}
	if would != 3 || res.Moved != 0 || store.sets != 0 {
		t.Errorf("dry run: %d would move, %d moved, %d state writes; want 3, 0, 0", would, res.Moved, store.sets)
	}
	if got := len(mailboxState(t, m.addr, "alice", "INBOX")); got != 6 {
		t.Errorf("INBOX has %d messages after a dry run, want 6", got)
	}
}

func TestSweepUIDValidityChange(t *testing.T) {
	m := newMemServer(t, capsFull)
	if err := m.user.Create("Other", nil); err != nil {
		t.Fatal(err)
	}
	m.add(t, "Other", testMessage("a@x", "ham a", 1))
	s := dial(t, addrConfig(t, m.addr, "alice"))
	store := newMemStore()
	opts := SweepOptions{Mailbox: "Other", Store: store, Decide: testDecide, Dest: "Quarantine", Log: &memLog{}}
	first, err := s.Sweep(context.Background(), opts)
	if err != nil || len(first.Outcomes) != 1 {
		t.Fatalf("first sweep: %d outcomes, %v", len(first.Outcomes), err)
	}
	// Re-created with the same content: new UIDVALIDITY, so everything is new.
	if _, err := s.selectMailbox(context.Background(), "INBOX", false, true); err != nil {
		t.Fatal(err)
	}
	if err := m.user.Delete("Other"); err != nil {
		t.Fatal(err)
	}
	if err := m.user.Create("Other", nil); err != nil {
		t.Fatal(err)
	}
	m.add(t, "Other", testMessage("a@x", "ham a", 1))
	second, err := s.Sweep(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if second.UIDValidity == first.UIDValidity || len(second.Outcomes) != 1 {
		t.Errorf("after re-creation: UIDVALIDITY %d (was %d), %d outcomes; want a new one and 1", second.UIDValidity, first.UIDValidity, len(second.Outcomes))
	}
}

func TestRestore(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps imap.CapSet
	}{{"MOVE", capsFull}, {"no MOVE nor UIDPLUS", capsRev1}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemServer(t, tc.caps)
			loadInbox(t, m)
			before := sortedKeys(mailboxState(t, m.addr, "alice", "INBOX"))
			s := dial(t, addrConfig(t, m.addr, "alice"))
			log := &memLog{}
			if _, err := s.Sweep(context.Background(), SweepOptions{Dest: "Quarantine", Store: newMemStore(), Log: log, Decide: testDecide}); err != nil {
				t.Fatal(err)
			}
			records := slices.Clone(log.done)
			if len(records) != 3 {
				t.Fatalf("%d moves recorded, want 3", len(records))
			}
			// One record as if the quarantine had been re-created: found by Message-ID.
			records[0].DestUIDValidity++
			// One that is not there at all.
			records = append(records, MoveRecord{Mailbox: "INBOX", Dest: "Quarantine", MessageID: "nowhere@x", UIDValidity: 1, UID: 99})
			outs, err := s.Restore(context.Background(), records)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range outs {
				if wantErr := i == 3; (o.Err != nil) != wantErr {
					t.Errorf("record %d (%s): err %v, want error %v", i, o.Record.MessageID, o.Err, wantErr)
				}
			}
			after := mailboxState(t, m.addr, "alice", "INBOX")
			if !slices.Equal(sortedKeys(after), before) {
				t.Errorf("INBOX after restore %v, want %v", sortedKeys(after), before)
			}
			for id, flags := range after {
				if slices.Contains(flags, imap.FlagDeleted) != (id == "ham2@x") {
					t.Errorf("after restore %s has flags %v", id, flags)
				}
			}
		})
	}
}

func TestFetchHeaders(t *testing.T) {
	m := newMemServer(t, capsFull)
	if err := m.user.Create("Sent", nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s1@x", "s2@x", "s3@x"} {
		m.add(t, "Sent", testMessage(id, "sent", 1))
	}
	proxy, err := testdovecot.NewProxy(m.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s := dial(t, addrConfig(t, proxy.Addr(), "alice"))
	var ids []string
	collect := func(uid imap.UID, h []byte) error {
		ids = append(ids, headerMessageID(h))
		return nil
	}
	v, last, err := s.FetchHeaders(context.Background(), "Sent", 0, collect)
	if err != nil || last != 3 || v == 0 || !slices.Equal(ids, []string{"s1@x", "s2@x", "s3@x"}) {
		t.Fatalf("FetchHeaders = %d, %d, %v; ids %v", v, last, err, ids)
	}
	fetches := proxy.Fetches()
	_, again, err := s.FetchHeaders(context.Background(), "Sent", last, collect)
	if err != nil || again != last || len(ids) != 3 || proxy.Fetches() != fetches {
		t.Errorf("second FetchHeaders: last %d, err %v, %d ids, %d new FETCHes", again, err, len(ids), proxy.Fetches()-fetches)
	}
	st, err := s.Status(context.Background(), "Sent")
	if err != nil || st.UIDValidity != v || st.Messages != 3 || st.UIDNext != 4 {
		t.Errorf("Status = %+v, %v", st, err)
	}
}

func TestSweepBodySegments(t *testing.T) {
	m := newMemServer(t, capsFull)
	const n = 250 // more whole messages than one body FETCH carries
	for i := range n {
		m.add(t, "INBOX", testMessage(fmt.Sprintf("b%d@x", i), "backscatter needbody", 10))
	}
	s := dial(t, addrConfig(t, m.addr, "alice"))
	var withBody atomic.Int64 // Decide runs concurrently
	var last [2]int
	decide := func(ctx context.Context, msg *Message) (Decision, error) {
		if bytes.HasSuffix(msg.Raw, []byte("xxxxxxxxxx\r\n")) && bytes.HasPrefix(msg.Raw, msg.Header) {
			withBody.Add(1)
		}
		return testDecide(ctx, msg)
	}
	res, err := s.Sweep(context.Background(), SweepOptions{
		Dest: "Quarantine", Store: newMemStore(), Log: &memLog{}, Decide: decide, NeedBody: needBodyBySubject,
		Progress: func(done, total int) { last = [2]int{done, total} },
	})
	if err != nil {
		t.Fatal(err)
	}
	if withBody.Load() != n || res.Moved != n || last != [2]int{n, n} {
		t.Errorf("%d of %d decided with their body, %d moved, last progress %v", withBody.Load(), n, res.Moved, last)
	}
}

func TestSweepStop(t *testing.T) {
	m := newMemServer(t, capsFull)
	loadInbox(t, m)
	s := dial(t, addrConfig(t, m.addr, "alice"))
	store, log := newMemStore(), &memLog{}
	stopAt := "broken one"
	decide := func(ctx context.Context, msg *Message) (Decision, error) {
		if msg.Subject == stopAt {
			return Decision{}, fmt.Errorf("scanner down: %w", ErrStopSweep)
		}
		return testDecide(ctx, msg)
	}
	opts := SweepOptions{Dest: "Quarantine", Store: store, Log: log, Decide: decide}
	if _, err := s.Sweep(context.Background(), opts); !errors.Is(err, ErrStopSweep) {
		t.Fatalf("Sweep error %v, want ErrStopSweep", err)
	}
	if len(log.intents) != 0 || store.sets != 0 || len(mailboxState(t, m.addr, "alice", "INBOX")) != 6 {
		t.Fatalf("a stopped sweep moved or recorded something: %d intents, %d state writes", len(log.intents), store.sets)
	}
	stopAt = ""
	res, err := s.Sweep(context.Background(), opts)
	if err != nil || len(res.Outcomes) != 6 || res.Moved != 3 {
		t.Errorf("sweep after a stop: %d outcomes, %d moved, %v; want 6, 3", len(res.Outcomes), res.Moved, err)
	}
}

// TestSweepDefer: a deferred message is kept, and the next sweep decides it
// again (and what came after it), while the moved ones stay moved.
func TestSweepDefer(t *testing.T) {
	m := newMemServer(t, capsFull)
	m.add(t, "INBOX", testMessage("a@x", "move me", 10))
	m.add(t, "INBOX", testMessage("b@x", "defer me", 10))
	m.add(t, "INBOX", testMessage("c@x", "keep me", 10))
	m.add(t, "INBOX", testMessage("d@x", "move me", 10))
	store := newMemStore()
	s := dial(t, addrConfig(t, m.addr, "alice"))
	defer s.Close()
	deferring := true
	decide := func(_ context.Context, msg *Message) (Decision, error) {
		switch {
		case strings.Contains(msg.Subject, "defer") && deferring:
			return Decision{Class: "backscatter", Defer: true}, nil
		case strings.Contains(msg.Subject, "move") || strings.Contains(msg.Subject, "defer"):
			return Decision{Class: "backscatter", Move: true}, nil
		}
		return Decision{Class: "clean"}, nil
	}
	opts := SweepOptions{Dest: "Quarantine", Store: store, Log: &memLog{}, Decide: decide}
	res, err := s.Sweep(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 2 || res.Deferred != 1 || res.LastUID != 1 {
		t.Fatalf("first sweep: moved %d deferred %d last UID %d; want 2, 1, 1", res.Moved, res.Deferred, res.LastUID)
	}
	deferring = false
	res, err = s.Sweep(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != 1 || res.Deferred != 0 || len(res.Outcomes) != 2 {
		t.Errorf("second sweep: moved %d deferred %d decided %d; want 1, 0, 2 (the deferred one and the one after it)", res.Moved, res.Deferred, len(res.Outcomes))
	}
}

// orderLog is a MoveLog and SyncStore that checks the order of a sweep's
// writes: intent before move before done, each UID once, and no last UID
// past a message whose move is not done.
type orderLog struct {
	t       *testing.T
	mu      sync.Mutex
	intents int
	state   map[imap.UID]string // "intent", "done"
	last    imap.UID
}

func (l *orderLog) Intent(_ context.Context, recs []MoveRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.intents++
	for _, r := range recs {
		if l.state[r.UID] != "" || r.UID <= l.last {
			l.t.Errorf("intent for UID %d: already %q, last UID %d", r.UID, l.state[r.UID], l.last)
		}
		l.state[r.UID] = "intent"
	}
	return nil
}

func (l *orderLog) Done(_ context.Context, recs []MoveRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range recs {
		if l.state[r.UID] != "intent" || r.DestUID == 0 {
			l.t.Errorf("done for UID %d: state %q, dest UID %d", r.UID, l.state[r.UID], r.DestUID)
		}
		l.state[r.UID] = "done"
	}
	return nil
}

func (l *orderLog) LastUID(string, uint32) (imap.UID, error) { return l.last, nil }

func (l *orderLog) SetLastUID(_ string, _ uint32, uid imap.UID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for u, st := range l.state {
		if u <= uid && st != "done" {
			l.t.Errorf("last UID %d recorded while UID %d is %q", uid, u, st)
		}
	}
	l.last = uid
	return nil
}

// TestSweepGathersMoves: moves of several fetch batches go in few MOVE
// commands, each recorded before and after, and the last UID never passes
// a move not done.
func TestSweepGathersMoves(t *testing.T) {
	m := newMemServer(t, capsFull)
	const n = 9 * fetchBatch
	for i := range n {
		subject := "ham"
		if i%3 == 0 {
			subject = "backscatter"
		}
		m.add(t, "INBOX", testMessage(fmt.Sprintf("m%d@x", i), subject, 10))
	}
	s := dial(t, addrConfig(t, m.addr, "alice"))
	l := &orderLog{t: t, state: map[imap.UID]string{}}
	res, err := s.Sweep(context.Background(), SweepOptions{Dest: "Quarantine", Store: l, Log: l, Decide: testDecide})
	if err != nil {
		t.Fatal(err)
	}
	want := n / 3
	if res.Moved != want || res.LastUID != n || len(res.Outcomes) != n {
		t.Errorf("moved %d, last UID %d, %d outcomes; want %d, %d, %d", res.Moved, res.LastUID, len(res.Outcomes), want, n, n)
	}
	for i, o := range res.Outcomes {
		if o.UID != imap.UID(i+1) || (o.Action == ActionMoved) != (i%3 == 0) {
			t.Fatalf("outcome %d: UID %d %s", i, o.UID, o.Action)
		}
	}
	// Committed in parts of at least a batch, not once per batch.
	if l.intents < 2 || l.intents >= n/fetchBatch {
		t.Errorf("%d intents for %d batches", l.intents, n/fetchBatch)
	}
	if got := len(mailboxState(t, m.addr, "alice", "Quarantine")); got != want {
		t.Errorf("Quarantine holds %d, want %d", got, want)
	}
}

func TestEvenChunks(t *testing.T) {
	uids := make([]imap.UID, 2501)
	for i := range uids {
		uids[i] = imap.UID(i + 1)
	}
	for _, tt := range []struct{ n, max, parts int }{{0, 1000, 0}, {1, 1000, 1}, {1000, 1000, 1}, {1001, 1000, 2}, {2501, 1000, 3}} {
		got := evenChunks(uids[:tt.n], tt.max)
		var joined []imap.UID
		for _, c := range got {
			if len(c) > tt.max || len(c) < tt.n/len(got) {
				t.Errorf("%d UIDs: a chunk of %d", tt.n, len(c))
			}
			joined = append(joined, c...)
		}
		if len(got) != tt.parts || !slices.Equal(joined, uids[:tt.n]) {
			t.Errorf("%d UIDs: %d chunks, joined %d; want %d chunks", tt.n, len(got), len(joined), tt.parts)
		}
	}
}

// sizedReader is a literal that announces a size, maybe wrongly.
type sizedReader struct {
	*bytes.Reader
	size int64
}

func (r sizedReader) Size() int64 { return r.size }

func TestReadLimited(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefgh"), 100)
	for _, tt := range []struct {
		name      string
		r         io.Reader
		limit     int64
		want      int
		truncated bool
	}{
		{"announced", sizedReader{bytes.NewReader(data), 800}, 1000, 800, false},
		{"announced too small", sizedReader{bytes.NewReader(data), 3}, 1000, 800, false},
		{"announced too large", sizedReader{bytes.NewReader(data), 1 << 40}, 1000, 800, false},
		{"announced negative", sizedReader{bytes.NewReader(data), -1}, 1000, 800, false},
		{"plain reader", bytes.NewReader(data), 1000, 800, false},
		{"over the limit", sizedReader{bytes.NewReader(data), 800}, 100, 100, true},
		{"exactly the limit", bytes.NewReader(data), 800, 800, false},
		{"empty", sizedReader{bytes.NewReader(nil), 0}, 100, 0, false},
	} {
		b, truncated, err := readLimited(tt.r, tt.limit)
		if err != nil || b == nil || len(b) != tt.want || truncated != tt.truncated || !bytes.Equal(b, data[:len(b)]) || int64(cap(b)) > tt.limit+1 {
			t.Errorf("%s: %d bytes (cap %d), truncated %v, %v; want %d, %v", tt.name, len(b), cap(b), truncated, err, tt.want, tt.truncated)
		}
	}
}
