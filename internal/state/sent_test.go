package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/sentindex"
	bolt "go.etcd.io/bbolt"
)

// TestSchemaOneUpgrade opens a file written with one JSON value per sent
// message: the old sent index is dropped (the next run rebuilds it) and
// everything else is kept.
func TestSchemaOneUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucket(bucketMeta)
		sent, _ := tx.CreateBucket(bucketSent)
		sync, _ := tx.CreateBucket(bucketSync)
		mb, _ := sent.CreateBucket([]byte("Sent"))
		eb, _ := mb.CreateBucket([]byte("entries"))
		if err := eb.Put(u64(1), []byte(`{"id":"a@example.org"}`)); err != nil {
			return err
		}
		if err := mb.Put(keyMeta, []byte(`{"uidvalidity":7,"last_uid":1}`)); err != nil {
			return err
		}
		if err := sync.Put([]byte("INBOX"), []byte(`{"uidvalidity":9,"last_uid":41}`)); err != nil {
			return err
		}
		return meta.Put([]byte("schema"), []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := open(t, path)
	defer s.Close()
	if uv, last, idx, err := s.LoadSent("Sent"); err != nil || uv != 0 || last != 0 || idx.Len() != 0 {
		t.Errorf("LoadSent of an upgraded file = %d %d len %d, %v; want it empty", uv, last, idx.Len(), err)
	}
	if got, err := s.LastUID("INBOX", 9); err != nil || got != 41 {
		t.Errorf("LastUID after upgrade = %d, %v; want 41", got, err)
	}
	if err := s.SaveSent("Sent", 8, 3, []sentindex.Entry{{MessageID: "b@example.org"}}); err != nil {
		t.Errorf("SaveSent after upgrade: %v", err)
	}
}

// TestSentBatches stores more than one record's worth in one call and
// checks every message comes back, and that a damaged record is an error
// (the caller then rebuilds) rather than a silently smaller index.
func TestSentBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	defer s.Close()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	es := make([]sentindex.Entry, batchEntries+3)
	for i := range es {
		es[i] = sentindex.Entry{MessageID: fmt.Sprintf("%d@mail.example.org", i), Date: base.Add(time.Duration(i) * time.Minute),
			Recipients: []string{fmt.Sprintf("r%d@example.net", i%7)}}
	}
	if err := s.SaveSent("Sent", 1, 99, es); err != nil {
		t.Fatal(err)
	}
	records := 0
	s.db.View(func(tx *bolt.Tx) error {
		records = tx.Bucket(bucketSent).Bucket([]byte("Sent")).Bucket(keyBatches).Stats().KeyN
		return nil
	})
	if records != 2 {
		t.Errorf("%d entries stored in %d records, want 2", len(es), records)
	}
	_, last, idx, err := s.LoadSent("Sent")
	if err != nil || last != 99 || idx.Len() != len(es) || !idx.HasMessageID(es[len(es)-1].MessageID) {
		t.Fatalf("LoadSent = last %d, len %d, %v; want 99, %d", last, idx.Len(), err, len(es))
	}
	if _, l, ok := idx.Coverage(); !ok || !l.Equal(es[len(es)-1].Date) {
		t.Errorf("Coverage ends %v, want %v", l, es[len(es)-1].Date)
	}

	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSent).Bucket([]byte("Sent")).Bucket(keyBatches).Put(u64(1), []byte{1, 200})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.LoadSent("Sent"); !errors.Is(err, sentindex.ErrBadBatch) {
		t.Errorf("LoadSent of a damaged record: %v, want ErrBadBatch", err)
	}
}
