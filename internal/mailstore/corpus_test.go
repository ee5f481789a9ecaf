package mailstore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpus returns the shared sisimai corpus directory, skipping the test
// when it is absent (it lives beside the repository, not in it).
func corpus(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "sisimai")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("sisimai corpus not found: %v", err)
	}
	return dir
}

func walkAll(t *testing.T, path string) []Source {
	t.Helper()
	var got []Source
	err := Walk(context.Background(), path, func(m Source) error {
		got = append(got, m)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", path, err)
	}
	return got
}

func TestCorpusMbox(t *testing.T) {
	dir := corpus(t)
	mbox := filepath.Join(dir, "mailbox", "mbox-0")
	got := walkAll(t, mbox)
	if len(got) != 37 {
		t.Fatalf("mbox-0: %d messages, want 37", len(got))
	}
	// maildir/err holds the same messages split by upstream, with LF line
	// ends and a few Subject lines re-encoded; compare modulo those and
	// trailing blank lines.
	norm := func(b []byte) string {
		s := strings.TrimRight(string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))), "\n")
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "Subject:") {
				lines[i] = "Subject:"
			}
		}
		return strings.Join(lines, "\n")
	}
	for i, m := range got {
		if want := fmt.Sprintf("%s#%d", mbox, i+1); m.Name != want || m.Err != nil {
			t.Errorf("message %d: name %s, err %v", i+1, m.Name, m.Err)
		}
		split, err := os.ReadFile(filepath.Join(dir, "maildir", "err", fmt.Sprintf("make-test-%02d.eml", i+1)))
		if err != nil {
			continue
		}
		if norm(m.Raw) != norm(split) {
			t.Errorf("%s differs from make-test-%02d.eml", m.Name, i+1)
		}
	}
	if got := walkAll(t, filepath.Join(dir, "mailbox", "mbox-1")); len(got) != 1 || !bytes.HasPrefix(got[0].Raw, []byte("Return-Path:")) {
		t.Errorf("mbox-1: %d messages", len(got))
	}
}

func TestCorpusTinyFiles(t *testing.T) {
	dir := corpus(t)
	for _, c := range []struct {
		name string
		want []string
	}{
		{"size-0", nil},
		{"size-1", []string{" "}},
		{"size-2", []string{"22\n"}},
	} {
		p := filepath.Join(dir, "mailbox", c.name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		var got []string
		for _, m := range walkAll(t, p) {
			if m.Err != nil || m.Name != p {
				t.Errorf("%s: %s %v", c.name, m.Name, m.Err)
			}
			got = append(got, string(m.Raw))
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCorpusDirectory(t *testing.T) {
	dir := filepath.Join(corpus(t), "maildir", "mac")
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	got := walkAll(t, dir)
	if len(got) != len(files) {
		t.Fatalf("%s: %d messages, want %d", dir, len(got), len(files))
	}
	for i, m := range got {
		if m.Name != files[i] || m.Err != nil || len(m.Raw) == 0 || bytes.HasPrefix(m.Raw, fromLine) {
			t.Errorf("%s: name %s, err %v, %d bytes starting %.20q", files[i], m.Name, m.Err, len(m.Raw), m.Raw)
		}
	}
}
