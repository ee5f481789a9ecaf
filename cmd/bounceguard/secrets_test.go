package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/lock"
)

// TestRefusals: each file that others could read or change is refused,
// with a message naming the file and the command that fixes it.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	base := func(state string) []string {
		return []string{"once", "--host", "127.0.0.1", "--port", "1", "--user", "u", "--tls", "none", "--state", state}
	}
	check := func(args []string, wantCode int, want ...string) {
		t.Helper()
		code, out, errOut := runCmd(t, "", args...)
		if wantCode >= 0 && code != wantCode || code == exitOK {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, wantCode, out, errOut)
		}
		for _, w := range want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: error does not say %q:\n%s", args, w, errOut)
			}
		}
	}
	chmod := func(path string, mode os.FileMode) string {
		t.Helper()
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}

	// A configuration group or world could write runs their commands.
	for _, mode := range []os.FileMode{0o620, 0o602} {
		cfg := chmod(writeConfig(t, "tls = \"none\"\n"), mode)
		check([]string{"once", "--config", cfg}, exitConfig, cfg, "chmod 600 "+cfg)
	}
	cfgDir := chmod(t.TempDir(), 0o777)
	inOpenDir := filepath.Join(cfgDir, "config.toml")
	if err := os.WriteFile(inOpenDir, []byte("tls = \"none\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check([]string{"status", "--config", inOpenDir}, exitConfig, inOpenDir, "chmod go-w "+cfgDir)

	// A password file others can read, or write.
	for _, mode := range []os.FileMode{0o640, 0o604, 0o620} {
		pw := chmod(writeSecret(t, dir, fmt.Sprintf("pw-%o", mode), "s3cret"), mode)
		check(append(base(filepath.Join(dir, "state")), "--password-file", pw), -1, pw, "chmod 600 "+pw)
	}

	// A state folder others can write: they could rewrite the audit log
	// restore trusts.
	open := filepath.Join(dir, "open-state")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(open, 0o770)
	t.Setenv("BOUNCEGUARD_PASSWORD", "s3cret")
	check(base(open), -1, open, "chmod 700 "+open)
	if err := os.WriteFile(filepath.Join(open, "u@h.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	check([]string{"status", "--host", "h", "--user", "u", "--state", open}, exitConfig, open, "chmod 700 "+open)
}

// TestCreatedPrivate: what bounceguard creates is its user's alone.
func TestCreatedPrivate(t *testing.T) {
	srv := needDovecot(t)
	fillAccount(t, srv, "private", "pw-private")
	stateDir := filepath.Join(t.TempDir(), "new", "state")
	t.Setenv("BOUNCEGUARD_PASSWORD", "pw-private")
	args := []string{"once", "--host", "127.0.0.1", "--port", fmt.Sprint(srv.Port), "--user", "private", "--tls", "none", "--state", stateDir}
	if code, out, errOut := runCmd(t, "", args...); code != exitOK {
		t.Fatalf("once: exit %d\n%s%s", code, out, errOut)
	}
	err := filepath.Walk(stateDir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoSecretInArgvOrLogs: the password command runs on every connect;
// the secret it prints is never handed to another process — not in the
// arguments nor the environment of the next run of the command — and
// never logged, even at debug level. The command records, on each run,
// its own arguments and environment and those of its parent.
func TestNoSecretInArgvOrLogs(t *testing.T) {
	srv := needDovecot(t)
	const password = "pw-Zork-31337-secret"
	const envSecret = "env-Plover-secret"
	fillAccount(t, srv, "secretive", password)
	dir := t.TempDir()
	record := filepath.Join(dir, "record")
	script := filepath.Join(dir, "pw.sh")
	body := fmt.Sprintf(`#!/bin/sh
{
  echo "argv: $0 $*"
  tr '\0' ' ' < /proc/$$/cmdline; echo
  tr '\0' '\n' < /proc/$$/environ
  tr '\0' ' ' < /proc/$PPID/cmdline; echo
} >> %s
echo %s
`, record, password)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BOUNCEGUARD_PASSWORD", envSecret) // must not reach the command
	args := []string{"--host", "127.0.0.1", "--port", fmt.Sprint(srv.Port), "--user", "secretive", "--tls", "none",
		"--state", filepath.Join(dir, "state"), "--password-command", script, "--verbose"}
	var logs strings.Builder
	for _, cmd := range [][]string{{"once"}, {"once", "--log-format", "json"}, {"restore", "--all"}} {
		code, out, errOut := runCmd(t, "", append(cmd, args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", cmd, code, out, errOut)
		}
		logs.WriteString(out + errOut)
	}
	if !strings.Contains(logs.String(), "DEBUG") || !strings.Contains(logs.String(), `"level":"DEBUG"`) {
		t.Errorf("no debug records in the logs:\n%s", logs.String())
	}
	for _, s := range []string{password, envSecret} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("a log holds the secret %q", s)
		}
	}
	rec, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(rec), "argv: "); n < 3 {
		t.Errorf("the password command ran %d times, want one per connect", n)
	}
	for _, s := range []string{password, envSecret} {
		if strings.Contains(string(rec), s) {
			t.Errorf("the password command's arguments or environment hold %q:\n%s", s, rec)
		}
	}
}

// TestStatusInUse: while another process holds the account, status names
// it at once instead of waiting.
func TestStatusInUse(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--host", "h.example", "--user", "u", "--state", dir}
	if rep := statusJSON(t, args...); rep.Exists {
		t.Errorf("status before any run: %+v", rep)
	}
	path := filepath.Join(dir, "u@h.example.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := lock.Acquire(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	rep := statusJSON(t, args...)
	if !rep.InUse || rep.HolderPID != os.Getpid() {
		t.Errorf("status while locked: %+v", rep)
	}
	_, out, _ := runCmd(t, "", append([]string{"status"}, args...)...)
	if want := fmt.Sprintf("PID %d", os.Getpid()); !strings.Contains(out, want) {
		t.Errorf("status text does not name %s:\n%s", want, out)
	}
}

// TestAuthExitCode: a refused login is its own exit code, so a scheduler
// stops retrying until someone fixes the password.
func TestAuthExitCode(t *testing.T) {
	srv := needDovecot(t)
	fillAccount(t, srv, "refused", "right-pw")
	t.Setenv("BOUNCEGUARD_PASSWORD", "wrong-pw")
	code, out, errOut := runCmd(t, "", "once", "--host", "127.0.0.1", "--port", fmt.Sprint(srv.Port), "--user", "refused",
		"--tls", "none", "--state", t.TempDir(), "--quiet")
	if code != exitAuth || out != "" || !strings.Contains(errOut, "check the user name and password") {
		t.Errorf("wrong password: exit %d, want %d\n%s%s", code, exitAuth, out, errOut)
	}
}
