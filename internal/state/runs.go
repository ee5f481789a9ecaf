package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keepRuns is how many run summaries are kept; older ones are dropped so
// a daemon's file does not grow forever.
const keepRuns = 100

// RunSummary says how one run went.
type RunSummary struct {
	Start  time.Time      `json:"start"`
	End    time.Time      `json:"end"`
	Counts map[string]int `json:"counts,omitempty"`
	Err    string         `json:"err,omitempty"`
}

// SaveRun records a run summary.
func (s *Store) SaveRun(r RunSummary) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(b, u64(seq), r); err != nil {
			return err
		}
		if seq <= keepRuns {
			return nil
		}
		oldest := u64(seq - keepRuns + 1)
		c := b.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, oldest) < 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("saving run summary: %w", err)
	}
	return nil
}

// LastRun returns the newest run summary; ok is false when none is stored.
func (s *Store) LastRun() (r RunSummary, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketRuns).Cursor().Last()
		if k == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return RunSummary{}, false, fmt.Errorf("reading last run summary: %w", err)
	}
	return r, ok, nil
}
