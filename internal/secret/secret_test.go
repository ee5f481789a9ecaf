package secret

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSources(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "pw")
	if err := os.WriteFile(good, []byte("s3cret\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(dir, "loose")
	if err := os.WriteFile(loose, []byte("s3cret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(s Source, want, wantErr string) {
		t.Helper()
		got, err := s.Get(ctx)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("%s: error %v, want %q", s.Describe(), err, wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the secret: %v", err)
			}
			return
		}
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", s.Describe(), got, err, want)
		}
	}
	check(Source{File: good}, "s3cret", "")
	check(Source{File: loose}, "", "chmod 600")
	check(Source{Command: "printf 'tok3n\\n'"}, "tok3n", "")
	check(Source{Command: "echo s3cret; exit 3"}, "", "password command failed")
	check(Source{Command: "true"}, "", "printed nothing")
	t.Setenv("BG_TEST_PW", "envpw")
	check(Source{Env: "BG_TEST_PW"}, "envpw", "")
	check(Source{Env: "BG_TEST_UNSET"}, "", "--password-file")
}
