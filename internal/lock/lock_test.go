package lock

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestAcquire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "alice.db.lock")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	// flock conflicts between two open files even in one process, which
	// lets the test stand in for a second bounceguard.
	_, err = Acquire(path)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != os.Getpid() || held.Path != path {
		t.Fatalf("second Acquire: %v, want HeldError with PID %d", err, os.Getpid())
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode: %v %v", fi.Mode(), err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err == nil {
		t.Error("second Release succeeded")
	}
	l2, err := Acquire(path)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

func TestAcquireRefusesSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no O_NOFOLLOW")
	}
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "a.lock")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if l, err := Acquire(link); err == nil {
		l.Release()
		t.Fatal("Acquire followed a symbolic link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("victim changed: %q", b)
	}
}

func TestParsePID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"1234\n", 1234},
		{" 42 ", 42},
		{"", 0},
		{"-5", 0},
		{"0", 0},
		{"abc", 0},
		{"99999999999999999999", 0},
	} {
		if got := parsePID([]byte(c.in)); got != c.want {
			t.Errorf("parsePID(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestHeldErrorText(t *testing.T) {
	if got := (&HeldError{Path: "x", PID: 7}).Holder(); got != "PID 7" {
		t.Errorf("Holder: %q", got)
	}
	if got := (&HeldError{Path: "x"}).Holder(); got != "PID unknown" {
		t.Errorf("Holder: %q", got)
	}
}

func FuzzParsePID(f *testing.F) {
	for _, s := range []string{"1234\n", "", "x", "-1", "4294967296"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if pid := parsePID(b); pid < 0 {
			t.Fatalf("negative PID %d", pid)
		}
	})
}
