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

// TestCommandEnvironment: a password bounceguard was given in its
// environment is not handed on to the commands it runs.
func TestCommandEnvironment(t *testing.T) {
	t.Setenv(EnvPassword, "env-s3cret")
	got, err := Source{Command: `env | grep -c '^BOUNCEGUARD_PASSWORD=' || true`}.Get(context.Background())
	if err != nil || got != "0" {
		t.Errorf("the command saw %s %q times (%v)", EnvPassword, got, err)
	}
}

func TestTokenMessages(t *testing.T) {
	src := Source{Command: "exit 2", What: "OAuth2 token"}
	if _, err := src.Get(context.Background()); err == nil || !strings.Contains(err.Error(), "OAuth2 token command failed") {
		t.Errorf("error %v, want one naming the token command", err)
	}
	if d := src.Describe(); d != "OAuth2 token command" {
		t.Errorf("Describe = %q", d)
	}
}
