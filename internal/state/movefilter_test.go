package state

import (
	"path/filepath"
	"testing"
)

// TestMovesStateFilter checks that passing over records by their JSON
// text finds exactly what decoding each would, including a record whose
// reasons quote the text looked for.
func TestMovesStateFilter(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "x.db"))
	defer s.Close()
	recs, err := s.LogIntent([]MoveRecord{
		{Mailbox: "INBOX", UID: 1, Class: "backscatter", Dest: "Q"},
		{Mailbox: "INBOX", UID: 2, Class: "virus", Dest: "Q", Reasons: []string{`"state":"restored"`}},
		{Mailbox: "INBOX", UID: 3, Class: "virus", Dest: "Q<&>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LogDone(recs[1:]); err != nil {
		t.Fatal(err)
	}
	if err := s.LogRestored([]uint64{recs[2].ID}); err != nil {
		t.Fatal(err)
	}
	check := func(states []string, want ...uint32) {
		t.Helper()
		got, err := s.Moves(MoveFilter{All: true, States: states})
		if err != nil {
			t.Fatal(err)
		}
		var uids []uint32
		for _, r := range got {
			uids = append(uids, r.UID)
		}
		if len(uids) != len(want) {
			t.Errorf("Moves(%q) = UIDs %v, want %v", states, uids, want)
			return
		}
		for i := range want {
			if uids[i] != want[i] {
				t.Errorf("Moves(%q) = UIDs %v, want %v", states, uids, want)
				return
			}
		}
	}
	check([]string{StateRestored}, 3)
	check([]string{StateDone}, 2)
	check([]string{StateIntent}, 1)
	check([]string{StateDone, StateRestored}, 2, 3)
	check(nil, 1, 2, 3)
	check([]string{"no<such>state"})
	if p, err := s.PendingIntents(); err != nil || len(p) != 1 || p[0].UID != 1 {
		t.Errorf("PendingIntents = %v, %v; want UID 1", p, err)
	}
}
