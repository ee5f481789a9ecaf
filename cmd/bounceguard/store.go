package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/state"
)

// syncStore lets imapclient's sweep keep its place in the state store.
type syncStore struct{ st *state.Store }

func (s syncStore) LastUID(mailbox string, uidValidity uint32) (imap.UID, error) {
	uid, err := s.st.LastUID(mailbox, uidValidity)
	return imap.UID(uid), err
}

func (s syncStore) SetLastUID(mailbox string, uidValidity uint32, uid imap.UID) error {
	return s.st.SetLastUID(mailbox, uidValidity, uint32(uid))
}

// moveLog records the sweep's moves in the state store's audit log: the
// intent before a batch moves, the result after, matched by source UID.
type moveLog struct {
	st  *state.Store
	mu  sync.Mutex
	ids map[moveKey]uint64
}

type moveKey struct {
	mailbox     string
	uidValidity uint32
	uid         imap.UID
}

func newMoveLog(st *state.Store) *moveLog {
	return &moveLog{st: st, ids: map[moveKey]uint64{}}
}

func (l *moveLog) Intent(_ context.Context, recs []imapclient.MoveRecord) error {
	logged, err := l.st.LogIntent(toState(recs, nil))
	if err != nil {
		return fmt.Errorf("recording move intent: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range recs {
		l.ids[moveKey{r.Mailbox, r.UIDValidity, r.UID}] = logged[i].ID
	}
	return nil
}

func (l *moveLog) Done(_ context.Context, recs []imapclient.MoveRecord) error {
	l.mu.Lock()
	ids := make([]uint64, len(recs))
	for i, r := range recs {
		ids[i] = l.ids[moveKey{r.Mailbox, r.UIDValidity, r.UID}]
	}
	l.mu.Unlock()
	if err := l.st.LogDone(toState(recs, ids)); err != nil {
		return fmt.Errorf("recording move result: %w", err)
	}
	return nil
}

// toState converts imapclient's records for the store; ids, when given,
// are the IDs LogIntent assigned.
func toState(recs []imapclient.MoveRecord, ids []uint64) []state.MoveRecord {
	out := make([]state.MoveRecord, len(recs))
	for i, r := range recs {
		out[i] = state.MoveRecord{
			Time: r.Time, Mailbox: r.Mailbox, UIDValidity: r.UIDValidity, UID: uint32(r.UID),
			MessageID: r.MessageID, Class: r.Class, Reasons: r.Reasons, Dest: r.Dest,
			DestUIDValidity: r.DestUIDValidity, DestUID: uint32(r.DestUID), ExpungePending: r.ExpungePending,
		}
		if ids != nil {
			out[i].ID = ids[i]
		}
	}
	return out
}

// fromState converts the store's records for imapclient's Restore.
func fromState(recs []state.MoveRecord) []imapclient.MoveRecord {
	out := make([]imapclient.MoveRecord, len(recs))
	for i, r := range recs {
		out[i] = imapclient.MoveRecord{
			Time: r.Time, Mailbox: r.Mailbox, UIDValidity: r.UIDValidity, UID: imap.UID(r.UID),
			MessageID: r.MessageID, Class: r.Class, Reasons: r.Reasons, Dest: r.Dest,
			DestUIDValidity: r.DestUIDValidity, DestUID: imap.UID(r.DestUID), ExpungePending: r.ExpungePending,
		}
	}
	return out
}
