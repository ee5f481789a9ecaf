package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/sentindex"
	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "bounceguard")
	path := AccountFile(dir, "me@example.org")
	s := open(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(p string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
	}
	check(dir, 0o700)
	check(path, 0o600)

	// A file loosened by hand is tightened again.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, path).Close()
	check(path, 0o600)
}

func TestRefuseOpenDir(t *testing.T) {
	for _, mode := range []os.FileMode{0o777, 0o770, 0o702} {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Open(filepath.Join(dir, "x.db"))
		if err == nil || !strings.Contains(err.Error(), "chmod 700 "+dir) {
			t.Errorf("mode %04o: got %v, want a chmod 700 hint", mode, err)
		}
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	open(t, filepath.Join(dir, "x.db")).Close()
}

func TestInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	defer s.Close()
	start := time.Now()
	_, err := Open(path)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), path) {
		t.Errorf("second Open: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v", d)
	}
}

func TestSentAndSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	d := time.Date(2020, 3, 2, 10, 0, 0, 0, time.UTC)
	if err := s.SaveSent("Sent", 7, 10, []sentindex.Entry{
		{MessageID: "a@example.org", Date: d, From: "me@example.org", Recipients: []string{"x@example.net"}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSent("Sent", 7, 12, []sentindex.Entry{{MessageID: "b@example.org"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSent("Sent", 8, 1, nil); !errors.Is(err, ErrUIDValidityChanged) {
		t.Errorf("SaveSent with new UIDVALIDITY: %v", err)
	}
	if err := s.SetLastUID("INBOX", 99, 41); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSent("", 1, 1, nil); err == nil {
		t.Errorf("empty mailbox name accepted")
	}
	s.Close()

	// Everything survives a reopen.
	s = open(t, path)
	defer s.Close()
	uv, last, idx, err := s.LoadSent("Sent")
	if err != nil || uv != 7 || last != 12 || idx.Len() != 2 || !idx.HasMessageID("<b@EXAMPLE.org>") ||
		!idx.WroteTo("x@example.net", d, time.Hour) {
		t.Errorf("LoadSent = %d %d len %d, %v", uv, last, idx.Len(), err)
	}
	if first, _, ok := idx.Coverage(); !ok || !first.Equal(d) {
		t.Errorf("Coverage first = %v %v", first, ok)
	}
	for _, c := range []struct {
		mailbox string
		uv      uint32
		want    uint32
	}{{"INBOX", 99, 41}, {"INBOX", 100, 0}, {"Other", 99, 0}} {
		if got, err := s.LastUID(c.mailbox, c.uv); err != nil || got != c.want {
			t.Errorf("LastUID(%s, %d) = %d, %v; want %d", c.mailbox, c.uv, got, err, c.want)
		}
	}
	if err := s.ResetSent("Sent"); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetSent("Never"); err != nil {
		t.Errorf("ResetSent of unknown mailbox: %v", err)
	}
	uv, last, idx, err = s.LoadSent("Sent")
	if err != nil || uv != 0 || last != 0 || idx.Len() != 0 {
		t.Errorf("LoadSent after reset = %d %d len %d, %v", uv, last, idx.Len(), err)
	}
	if err := s.SaveSent("Sent", 8, 1, nil); err != nil {
		t.Errorf("SaveSent after reset: %v", err)
	}
}

func TestMoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s := open(t, path)
	t0 := time.Date(2020, 3, 2, 10, 0, 0, 0, time.UTC)
	recs, err := s.LogIntent([]MoveRecord{
		{Time: t0, Mailbox: "INBOX", UIDValidity: 1, UID: 5, MessageID: "m5@x", Class: "backscatter", Reasons: []string{"r"}, Dest: "Quarantine"},
		{Time: t0.Add(time.Hour), Mailbox: "INBOX", UIDValidity: 1, UID: 6, Class: "virus", Dest: "Quarantine"},
		{Mailbox: "INBOX", UIDValidity: 1, UID: 7, Class: "virus", Dest: "Quarantine"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].ID != 1 || recs[2].ID != 3 || recs[1].State != StateIntent || recs[2].Time.IsZero() {
		t.Fatalf("LogIntent = %+v", recs)
	}
	recs[0].DestUIDValidity, recs[0].DestUID = 9, 100
	recs[1].State = StateFailed
	if err := s.LogDone(recs[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.LogDone([]MoveRecord{{ID: 42}}); err == nil {
		t.Errorf("LogDone of unknown ID: no error")
	}
	s.Close()

	s = open(t, path) // a crash after the intent of UID 7
	defer s.Close()
	ids := func(rs []MoveRecord, err error) string {
		t.Helper()
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%d:%s", r.ID, r.State))
		}
		return strings.Join(out, " ")
	}
	if got := ids(s.PendingIntents()); got != "3:intent" {
		t.Errorf("PendingIntents = %s", got)
	}
	if err := s.LogRestored([]uint64{1}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    MoveFilter
		want string
	}{
		{MoveFilter{All: true}, "1:restored 2:failed 3:intent"},
		{MoveFilter{Since: t0.Add(30 * time.Minute)}, "2:failed 3:intent"},
		{MoveFilter{UIDs: []uint32{5, 7}}, "1:restored 3:intent"},
		{MoveFilter{All: true, States: []string{StateDone, StateFailed}}, "2:failed"},
		{MoveFilter{States: []string{StateDone}}, ErrEmptyFilter.Error()},
	} {
		if got := ids(s.Moves(c.f)); got != c.want {
			t.Errorf("Moves(%+v) = %s, want %s", c.f, got, c.want)
		}
	}
	all, _ := s.Moves(MoveFilter{All: true})
	if r := all[0]; r.DestUID != 100 || r.MessageID != "m5@x" || !r.Time.Equal(t0) || len(r.Reasons) != 1 {
		t.Errorf("record 1 = %+v", r)
	}
	if err := s.LogRestored([]uint64{77}); err == nil {
		t.Errorf("LogRestored of unknown ID: no error")
	}
}

func TestRuns(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "x.db"))
	defer s.Close()
	if _, ok, err := s.LastRun(); ok || err != nil {
		t.Errorf("LastRun on empty store: %v %v", ok, err)
	}
	t0 := time.Date(2020, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range keepRuns + 5 {
		if err := s.SaveRun(RunSummary{Start: t0, End: t0.Add(time.Duration(i) * time.Second), Counts: map[string]int{"clean": i}}); err != nil {
			t.Fatal(err)
		}
	}
	r, ok, err := s.LastRun()
	if err != nil || !ok || r.Counts["clean"] != keepRuns+4 {
		t.Errorf("LastRun = %+v %v %v", r, ok, err)
	}
	var n int
	if err := s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketRuns).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != keepRuns {
		t.Errorf("%d runs kept, want %d", n, keepRuns)
	}
}

func TestAccountFile(t *testing.T) {
	for _, c := range []struct{ account, want string }{
		{"me@example.org", "me@example.org.db"},
		{"Me+tag@Example.org", "Me+tag@Example.org.db"},
		{"../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd.db"},
		{".hidden", "%2Ehidden.db"},
		{"a b%c", "a%20b%25c.db"},
		{"", "%.db"},
	} {
		if got := AccountFile("dir", c.account); got != filepath.Join("dir", c.want) {
			t.Errorf("AccountFile(%q) = %s, want %s", c.account, got, c.want)
		}
	}
	long1 := AccountFile("d", strings.Repeat("a", 300)+"1")
	long2 := AccountFile("d", strings.Repeat("a", 300)+"2")
	if long1 == long2 || len(filepath.Base(long1)) > 255 {
		t.Errorf("long names: %s %s", long1, long2)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/xdg/state")
	if d, err := DefaultDir(); err != nil || d != filepath.Join("/xdg/state", "bounceguard") {
		t.Errorf("DefaultDir = %s, %v", d, err)
	}
	t.Setenv("XDG_STATE_HOME", "relative")
	t.Setenv("HOME", "/home/me")
	if d, err := DefaultDir(); err != nil || d != filepath.Join("/home/me", ".local", "state", "bounceguard") {
		t.Errorf("DefaultDir = %s, %v", d, err)
	}
}

func TestRefuseForeignDir(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give a directory away")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Skip(err)
	}
	if _, err := Open(filepath.Join(dir, "x.db")); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Errorf("foreign directory: %v", err)
	}
}
