package sentindex

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func batchEntries() []Entry {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 9, 30, 0, 0, time.FixedZone("", 3600)) }
	return []Entry{
		{MessageID: "<20261121.p4z7kc.alice@Mail.Example.com>", Date: d(21), From: "Alice@example.com", Recipients: []string{"Henry@old.example.org", "ivan@example.net"}},
		{MessageID: "a1@mail.example.com", Date: d(3), From: "alice@example.com", Recipients: []string{"henry@old.example.org"}},
		{MessageID: "no-at-sign", From: "alice@example.com", Recipients: []string{"undated@example.org"}},
		{MessageID: "@only-domain.example", Date: time.Unix(0, 0)},
		{MessageID: "a1@mail.example.com", Date: d(28), Recipients: []string{" <ivan@example.net> ", ""}},
		{MessageID: "x@[192.0.2.1]", Date: time.Date(1979, 1, 1, 0, 0, 0, 0, time.UTC)},
		{},
		{MessageID: "earlier@other.example.co.uk", Date: time.Date(2001, 3, 2, 0, 0, 0, 0, time.UTC), From: "alice@other.example"},
	}
}

// same fails t unless a and b answer every question alike.
func same(t *testing.T, a, b *Index, es []Entry) {
	t.Helper()
	if a.Len() != b.Len() {
		t.Errorf("Len %d, want %d", b.Len(), a.Len())
	}
	af, al, aok := a.Coverage()
	bf, bl, bok := b.Coverage()
	if !af.Equal(bf) || !al.Equal(bl) || aok != bok {
		t.Errorf("Coverage %v..%v %v, want %v..%v %v", bf, bl, bok, af, al, aok)
	}
	if !reflect.DeepEqual(a.MessageIDDomains(), b.MessageIDDomains()) {
		t.Errorf("MessageIDDomains %v, want %v", b.MessageIDDomains(), a.MessageIDDomains())
	}
	if !reflect.DeepEqual(a.OwnAddresses(), b.OwnAddresses()) {
		t.Errorf("OwnAddresses %v, want %v", b.OwnAddresses(), a.OwnAddresses())
	}
	as, an := a.Styles()
	bs, bn := b.Styles()
	if !reflect.DeepEqual(as, bs) || an != bn {
		t.Errorf("Styles %+v %d, want %+v %d", bs, bn, as, an)
	}
	for _, e := range es {
		if a.HasMessageID(e.MessageID) != b.HasMessageID(e.MessageID) {
			t.Errorf("HasMessageID(%q) differs", e.MessageID)
		}
		for _, r := range e.Recipients {
			at, aok := a.LastWroteTo(r)
			bt, bok := b.LastWroteTo(r)
			if !at.Equal(bt) || aok != bok {
				t.Errorf("LastWroteTo(%q) = %v %v, want %v %v", r, bt, bok, at, aok)
			}
			around := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
			if a.WroteTo(r, around, 48*time.Hour) != b.WroteTo(r, around, 48*time.Hour) {
				t.Errorf("WroteTo(%q) differs", r)
			}
		}
	}
}

func TestBatchRoundTrip(t *testing.T) {
	es := batchEntries()
	want := New()
	for _, e := range es {
		want.Add(e)
	}
	got := New()
	// Two batches, as two runs would store them.
	for _, part := range [][]Entry{es[:3], es[3:]} {
		n, err := got.AddBatch(AppendBatch(nil, part))
		if err != nil || n != len(part) {
			t.Fatalf("AddBatch = %d, %v; want %d", n, err, len(part))
		}
	}
	same(t, want, got, es)
	if n, err := got.AddBatch(AppendBatch(nil, nil)); n != 0 || err != nil {
		t.Errorf("empty batch: %d, %v", n, err)
	}
}

func TestBatchDamaged(t *testing.T) {
	es := batchEntries()
	good := AppendBatch(nil, es)
	for cut := 0; cut < len(good); cut++ {
		x := New()
		if _, err := x.AddBatch(good[:cut]); !errors.Is(err, ErrBadBatch) {
			t.Fatalf("batch cut to %d of %d bytes: %v, want ErrBadBatch", cut, len(good), err)
		}
		if x.Len() != 0 || len(x.wrote) != 0 || len(x.from) != 0 {
			t.Fatalf("batch cut to %d bytes changed the index", cut)
		}
	}
	for _, bad := range [][]byte{{2}, {1, 1, 5, 'a'}, append(append([]byte{}, good...), 0)} {
		if _, err := New().AddBatch(bad); !errors.Is(err, ErrBadBatch) {
			t.Errorf("AddBatch(%x): %v, want ErrBadBatch", bad, err)
		}
	}
}

func FuzzAddBatch(f *testing.F) {
	f.Add(AppendBatch(nil, batchEntries()))
	f.Add(AppendBatch(nil, nil))
	f.Add([]byte{1, 0, 1, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		x := New()
		if n, err := x.AddBatch(b); err == nil && n < 0 {
			t.Errorf("negative count %d", n)
		}
	})
}
