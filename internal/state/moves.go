package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Move states. A move is logged as an intent before the IMAP command and
// as done (or failed) after it, so a run that dies in between leaves an
// intent that the next run can check against the server.
const (
	StateIntent   = "intent"
	StateDone     = "done"
	StateFailed   = "failed"
	StateRestored = "restored"
)

// MoveRecord is one entry of the audit log: one message moved, or about
// to be, out of a mailbox.
type MoveRecord struct {
	ID              uint64    `json:"id"`
	Time            time.Time `json:"time"`
	Mailbox         string    `json:"mailbox"`
	UIDValidity     uint32    `json:"uidvalidity"`
	UID             uint32    `json:"uid"`
	MessageID       string    `json:"message_id,omitempty"`
	Class           string    `json:"class"`
	Reasons         []string  `json:"reasons,omitempty"`
	Dest            string    `json:"dest"`
	DestUIDValidity uint32    `json:"dest_uidvalidity,omitempty"`
	DestUID         uint32    `json:"dest_uid,omitempty"`
	// ExpungePending: the server could only copy and flag \Deleted, so
	// the original stays until the person's client expunges.
	ExpungePending bool   `json:"expunge_pending,omitempty"`
	State          string `json:"state"`
}

// MoveFilter selects records from the audit log. A record matches when it
// is at or after Since (or All is set), its UID is one of UIDs (when
// given), and its State is one of States (when given).
type MoveFilter struct {
	Since  time.Time
	All    bool
	UIDs   []uint32
	States []string
}

// ErrEmptyFilter is returned by Moves for a filter that sets none of
// Since, All and UIDs: restore acts on what Moves returns, and "everything"
// should be asked for, not fallen into by a forgotten flag.
var ErrEmptyFilter = errors.New("move filter selects nothing: set Since, All or UIDs")

func (f MoveFilter) match(r MoveRecord) bool {
	if !f.All && r.Time.Before(f.Since) {
		return false
	}
	if len(f.UIDs) > 0 && !slices.Contains(f.UIDs, r.UID) {
		return false
	}
	return len(f.States) == 0 || slices.Contains(f.States, r.State)
}

// LogIntent records moves about to be made and returns them with their
// IDs assigned, State set to StateIntent and a zero Time set to now.
func (s *Store) LogIntent(recs []MoveRecord) ([]MoveRecord, error) {
	out := make([]MoveRecord, len(recs))
	now := time.Now().UTC()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMoves)
		for i, r := range recs {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			r.ID, r.State = id, StateIntent
			if r.Time.IsZero() {
				r.Time = now
			}
			if err := putJSON(b, u64(id), r); err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("logging move intents: %w", err)
	}
	return out, nil
}

// LogDone records the outcome of moves logged by LogIntent: each record
// replaces the one with its ID, with State set to StateDone unless the
// caller set StateFailed. Records carry the destination UIDs learned from
// the server. An ID not in the log is an error and nothing is written.
func (s *Store) LogDone(recs []MoveRecord) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMoves)
		for _, r := range recs {
			old, err := getMove(b, r.ID)
			if err != nil {
				return err
			}
			if r.State != StateFailed {
				r.State = StateDone
			}
			if r.Time.IsZero() {
				r.Time = old.Time
			}
			if err := putJSON(b, u64(r.ID), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("logging finished moves: %w", err)
	}
	return nil
}

// LogRestored marks moves as undone by restore.
func (s *Store) LogRestored(ids []uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMoves)
		for _, id := range ids {
			r, err := getMove(b, id)
			if err != nil {
				return err
			}
			r.State = StateRestored
			if err := putJSON(b, u64(id), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("logging restored moves: %w", err)
	}
	return nil
}

func getMove(b *bolt.Bucket, id uint64) (MoveRecord, error) {
	var r MoveRecord
	v := b.Get(u64(id))
	if v == nil {
		return r, fmt.Errorf("move %d is not in the log", id)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("decoding move %d: %w", id, err)
	}
	return r, nil
}

// Moves returns the records f selects, oldest first.
func (s *Store) Moves(f MoveFilter) ([]MoveRecord, error) {
	if f.Since.IsZero() && !f.All && len(f.UIDs) == 0 {
		return nil, ErrEmptyFilter
	}
	return s.moves(stateNeedles(f.States), f.match)
}

// stateNeedles returns, for a filter on states, the JSON each matching
// record must contain — `"state":"restored"` as json.Marshal writes it —
// so that records which cannot match are passed over without decoding.
// Every run asks the whole audit log for restored moves, and the log only
// grows. Nil means no filter.
func stateNeedles(states []string) [][]byte {
	if len(states) == 0 {
		return nil
	}
	needles := make([][]byte, 0, len(states))
	for _, st := range states {
		v, err := json.Marshal(st)
		if err != nil {
			return nil // cannot happen for a string; decode everything
		}
		needles = append(needles, append([]byte(`"state":`), v...))
	}
	return needles
}

// PendingIntents returns moves logged as intended but never recorded as
// done or failed: after a crash, the caller checks each against the
// server (is the message still in the source mailbox?) and logs the truth.
func (s *Store) PendingIntents() ([]MoveRecord, error) {
	return s.moves(stateNeedles([]string{StateIntent}), func(r MoveRecord) bool { return r.State == StateIntent })
}

// moves decodes the records that contain one of needles (all when there
// are none) and returns those keep accepts.
func (s *Store) moves(needles [][]byte, keep func(MoveRecord) bool) ([]MoveRecord, error) {
	var out []MoveRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMoves).ForEach(func(k, v []byte) error {
			if len(needles) > 0 && !containsAny(v, needles) {
				return nil
			}
			var r MoveRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decoding move %x: %w", k, err)
			}
			if keep(r) {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading move log: %w", err)
	}
	return out, nil
}

func containsAny(v []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(v, n) {
			return true
		}
	}
	return false
}
