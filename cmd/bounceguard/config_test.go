package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The developer's own configuration must not reach the tests: point the
// default at a folder that does not exist. Tests that want a file pass
// --config.
func init() {
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(os.TempDir(), "bounceguard-tests-have-no-config"))
}

// writeConfig writes a configuration file of mode 0600 and returns its path.
func writeConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAllFlagNames(t *testing.T) {
	names := allFlagNames()
	// One flag of each command, and the shared ones.
	for _, n := range []string{"sent", "annotate", "host", "password-command", "oauth2-token-command", "auth",
		"quiet", "log-format", "since", "dry-run", "config", "account", "format", "idle-interval"} {
		if !names[n] {
			t.Errorf("no command has --%s", n)
		}
	}
}

func TestConfigFile(t *testing.T) {
	sent, inbox := fixturesDir("sent"), fixturesDir("inbox", "31-postfix-dsn-backscatter.eml")
	cfg := writeConfig(t, `# every command may read this file
format = "json"
sent = ["`+sent+`"]
host = "imap.example.org"   # once's, not scan's: passed over by scan

[account.text]
format = "text"
`)
	check := func(wantCode int, want string, args ...string) {
		t.Helper()
		code, out, errOut := runCmd(t, "", args...)
		if code != wantCode || !strings.Contains(out+errOut, want) {
			t.Errorf("%v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", args, code, wantCode, want, out, errOut)
		}
	}
	check(exitOK, `"class":"backscatter"`, "scan", "--config", cfg, inbox)
	check(exitOK, "backscatter", "scan", "--config", cfg, "--account", "text", inbox)
	check(exitOK, `"class":`, "scan", "--config", cfg, "--account", "text", "--format", "json", inbox)
	check(exitConfig, "no [account.nope] table: the file defines text", "scan", "--config", cfg, "--account", "nope", inbox)
	check(exitConfig, "no configuration file", "scan", "--account", "x", inbox)
	check(exitConfig, "no such file", "scan", "--config", cfg+".missing", inbox)

	typo := writeConfig(t, "format = \"json\"\n\n[account.a]\nhots = \"imap.example.org\"\n")
	check(exitConfig, typo+`:4: unknown key "hots"`, "scan", "--config", typo, inbox)
	check(exitConfig, `unknown key "hots"`, "once", "--config", typo, "--account", "a")

	open := writeConfig(t, "format = \"json\"\n")
	if err := os.Chmod(open, 0o666); err != nil {
		t.Fatal(err)
	}
	check(exitConfig, "chmod 600 "+open, "scan", "--config", open, inbox)
}

func TestHelpConfig(t *testing.T) {
	code, out, _ := runCmd(t, "", "help", "config")
	if code != exitOK || !strings.Contains(out, "[account.work]") || !strings.Contains(out, "77") {
		t.Errorf("help config: exit %d\n%s", code, out)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := runCmd(t, "", args...)
		if code != exitOK || !strings.HasPrefix(out, "bounceguard ") || !strings.Contains(out, "go1.") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
	old := version
	version = "v9.8.7"
	defer func() { version = old }()
	if _, out, _ := runCmd(t, "", "version"); !strings.HasPrefix(out, "bounceguard v9.8.7 ") {
		t.Errorf("with -X main.version: %q", out)
	}
}

// TestAccountFlagErrors: the login settings that cannot work together are
// refused before anything connects.
func TestAccountFlagErrors(t *testing.T) {
	base := []string{"once", "--host", "127.0.0.1", "--user", "u", "--tls", "none", "--state", t.TempDir()}
	check := func(want string, args ...string) {
		t.Helper()
		code, out, errOut := runCmd(t, "", append(base, args...)...)
		if code == exitOK || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d, want an error with %q\n%s%s", args, code, want, out, errOut)
		}
	}
	check("needs --oauth2-token-command", "--auth", "xoauth2")
	check("--auth \"kerberos\"", "--auth", "kerberos", "--oauth2-token-command", "true")
	check("choose one way to log in", "--auth", "password", "--oauth2-token-command", "true")
	check("not both", "--oauth2-token-command", "true", "--password-command", "true")
	check("--quiet or --verbose", "--quiet", "--verbose")
	check("--log-format \"xml\"", "--log-format", "xml")
}
