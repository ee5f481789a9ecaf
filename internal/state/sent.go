package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bounceguard/bounceguard/internal/sentindex"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrUIDValidityChanged is returned by SaveSent when the mailbox's
// UIDVALIDITY is not the one the stored index was built under: its UIDs no
// longer mean the same messages, so the caller must ResetSent and rebuild.
var ErrUIDValidityChanged = errors.New("UIDVALIDITY changed")

// maxMailboxName bounds mailbox names used as keys (bbolt allows 32 KiB).
const maxMailboxName = 4096

var (
	keyMeta    = []byte("meta")
	keyBatches = []byte("batches")
)

// batchEntries bounds the entries packed into one stored record, so that a
// first build from a huge sent folder does not make one giant value.
const batchEntries = 50_000

// position is where a sweep or index build of one mailbox got to.
type position struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
}

func mailboxKey(mailbox string) ([]byte, error) {
	if mailbox == "" || len(mailbox) > maxMailboxName {
		return nil, fmt.Errorf("mailbox name of %d bytes, must be 1 to %d", len(mailbox), maxMailboxName)
	}
	return []byte(mailbox), nil
}

// SaveSent appends entries to the stored sent index of mailbox and records
// lastUID as the highest UID they came from, in one transaction, so that
// after a crash the index and its position agree. The first save of a
// mailbox fixes its uidvalidity; a later save with another one fails with
// ErrUIDValidityChanged.
//
// Entries are stored in the packed form of sentindex.AppendBatch, one
// record per call (or per batchEntries), so the work and the growth of the
// file are in proportion to what is new.
func (s *Store) SaveSent(mailbox string, uidvalidity, lastUID uint32, entries []sentindex.Entry) error {
	key, err := mailboxKey(mailbox)
	if err != nil {
		return fmt.Errorf("saving sent index: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		mb, err := tx.Bucket(bucketSent).CreateBucketIfNotExists(key)
		if err != nil {
			return err
		}
		if v := mb.Get(keyMeta); v != nil {
			var old position
			if err := json.Unmarshal(v, &old); err != nil {
				return fmt.Errorf("decoding position: %w", err)
			}
			if old.UIDValidity != uidvalidity {
				return fmt.Errorf("%w: stored %d, now %d", ErrUIDValidityChanged, old.UIDValidity, uidvalidity)
			}
		}
		bb, err := mb.CreateBucketIfNotExists(keyBatches)
		if err != nil {
			return err
		}
		// Keys only ever grow: bbolt then fills its pages instead of
		// splitting them in half.
		bb.FillPercent = 1.0
		for len(entries) > 0 {
			chunk := entries[:min(len(entries), batchEntries)]
			entries = entries[len(chunk):]
			seq, err := bb.NextSequence()
			if err != nil {
				return err
			}
			if err := bb.Put(u64(seq), sentindex.AppendBatch(nil, chunk)); err != nil {
				return err
			}
		}
		return putJSON(mb, keyMeta, position{uidvalidity, lastUID})
	})
	if err != nil {
		return fmt.Errorf("saving sent index of %q: %w", mailbox, err)
	}
	return nil
}

// LoadSent returns the stored sent index of mailbox with the UIDVALIDITY
// and last UID it was built to. A mailbox never saved gives zeros and an
// empty index.
func (s *Store) LoadSent(mailbox string) (uidvalidity, lastUID uint32, idx *sentindex.Index, err error) {
	key, err := mailboxKey(mailbox)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("loading sent index: %w", err)
	}
	idx = sentindex.New()
	var pos position
	err = s.db.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketSent).Bucket(key)
		if mb == nil {
			return nil
		}
		if v := mb.Get(keyMeta); v != nil {
			if err := json.Unmarshal(v, &pos); err != nil {
				return fmt.Errorf("decoding position: %w", err)
			}
		}
		bb := mb.Bucket(keyBatches)
		if bb == nil {
			return nil
		}
		// Counting the entries first, from the batches' headers, lets the
		// index make room for all their ids at once rather than growing
		// batch by batch. A damaged header is left for AddBatch to report.
		total := 0
		err := bb.ForEach(func(_, v []byte) error {
			if n, err := sentindex.BatchLen(v); err == nil {
				total += n
			}
			return nil
		})
		if err != nil {
			return err
		}
		idx.Grow(total)
		return bb.ForEach(func(k, v []byte) error {
			if _, err := idx.AddBatch(v); err != nil {
				return fmt.Errorf("decoding batch %x: %w", k, err)
			}
			return nil
		})
	})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("loading sent index of %q: %w", mailbox, err)
	}
	return pos.UIDValidity, pos.LastUID, idx, nil
}

// ResetSent forgets the stored sent index of mailbox.
func (s *Store) ResetSent(mailbox string) error {
	key, err := mailboxKey(mailbox)
	if err != nil {
		return fmt.Errorf("resetting sent index: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketSent).DeleteBucket(key)
		if errors.Is(err, bolterrors.ErrBucketNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("resetting sent index of %q: %w", mailbox, err)
	}
	return nil
}

// LastUID returns the highest UID already swept in mailbox, or 0 when the
// mailbox is new or its UIDVALIDITY is no longer uidvalidity (then every
// UID must be looked at again).
func (s *Store) LastUID(mailbox string, uidvalidity uint32) (uint32, error) {
	key, err := mailboxKey(mailbox)
	if err != nil {
		return 0, fmt.Errorf("reading sync state: %w", err)
	}
	var pos position
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSync).Get(key)
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &pos)
	})
	if err != nil {
		return 0, fmt.Errorf("reading sync state of %q: %w", mailbox, err)
	}
	if pos.UIDValidity != uidvalidity {
		return 0, nil
	}
	return pos.LastUID, nil
}

// SetLastUID records that mailbox, under uidvalidity, has been swept up to
// and including uid.
func (s *Store) SetLastUID(mailbox string, uidvalidity, uid uint32) error {
	key, err := mailboxKey(mailbox)
	if err != nil {
		return fmt.Errorf("saving sync state: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketSync), key, position{uidvalidity, uid})
	})
	if err != nil {
		return fmt.Errorf("saving sync state of %q: %w", mailbox, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}
