package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixturesDir is the repository's fixtures folder.
func fixturesDir(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "fixtures"}, parts...)...)
}

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestScanJSONContract(t *testing.T) {
	code, out, errOut := runCmd(t, "", "scan", "--format", "json", "--sent", fixturesDir("sent"), fixturesDir("inbox"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 40 {
		t.Fatalf("only %d lines", len(lines))
	}
	required := []string{"source", "class", "action", "kind", "format", "original", "recipients", "reasons", "error"}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				t.Errorf("missing %q in %s", k, l)
			}
		}
		orig := m["original"].(map[string]any)
		for _, k := range []string{"message_id", "from", "to", "subject", "date"} {
			if _, ok := orig[k]; !ok {
				t.Errorf("original lacks %q in %s", k, l)
			}
		}
	}
}

func TestScanMbox(t *testing.T) {
	dir := t.TempDir()
	a, _ := os.ReadFile(fixturesDir("inbox", "01-personal-bob.eml"))
	b, _ := os.ReadFile(fixturesDir("inbox", "31-postfix-dsn-backscatter.eml"))
	mbox := "From a@b Sat Nov 28 10:00:00 2026\n" + string(a) + "\nFrom c@d Sat Nov 28 10:00:00 2026\n" + string(b)
	path := filepath.Join(dir, "inbox.mbox")
	if err := os.WriteFile(path, []byte(mbox), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", "scan", "--format", "json", "--sent", fixturesDir("sent"), path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"source":"`+path+`#2","class":"backscatter"`) {
		t.Errorf("mbox message 2 not backscatter:\n%s", out)
	}
}

func TestCheckExitCodes(t *testing.T) {
	ham, _ := os.ReadFile(fixturesDir("inbox", "01-personal-bob.eml"))
	bs, _ := os.ReadFile(fixturesDir("inbox", "31-postfix-dsn-backscatter.eml"))
	sent := "--sent=" + fixturesDir("sent")
	if code, _, errOut := runCmd(t, string(ham), "check", sent); code != exitOK {
		t.Errorf("ham: exit %d: %s", code, errOut)
	}
	if code, out, _ := runCmd(t, string(bs), "check", sent, "--format", "json"); code != exitQuarantine || !strings.Contains(out, `"class":"backscatter"`) {
		t.Errorf("backscatter: exit %d, %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "check"); code < 64 {
		t.Errorf("empty input: exit %d, want ≥ 64", code)
	}
	if code, _, _ := runCmd(t, string(bs), "check", "--max-size", "10"); code < 64 {
		t.Errorf("too large: exit %d, want ≥ 64", code)
	}
}

func TestCheckAnnotate(t *testing.T) {
	bs, _ := os.ReadFile(fixturesDir("inbox", "31-postfix-dsn-backscatter.eml"))
	code, out, _ := runCmd(t, string(bs), "check", "--annotate", "--sent", fixturesDir("sent"))
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(out, "X-Bounceguard-Class: backscatter\n") || !strings.HasSuffix(out, string(bs)) ||
		!strings.Contains(out, "X-Bounceguard-Reasons: original message-id") {
		t.Errorf("annotated message:\n%s", out[:min(len(out), 400)])
	}
	// Too large: the message comes back untouched, and the filter goes on.
	code, out, _ = runCmd(t, string(bs), "check", "--annotate", "--max-size", "100")
	if code != exitOK || out != string(bs) {
		t.Errorf("too large: exit %d, message changed: %v", code, out != string(bs))
	}
}

func TestHeaderSafe(t *testing.T) {
	got := headerSafe("a\r\nInjected: yes "+strings.Repeat("word ", 30), "\n")
	for _, line := range strings.Split(got, "\n")[1:] {
		if !strings.HasPrefix(line, "\t") {
			t.Errorf("unfolded line %q in %q", line, got)
		}
	}
}

func TestUsage(t *testing.T) {
	if code, out, _ := runCmd(t, "", "help"); code != exitOK || !strings.Contains(out, "scan") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "", "scan", "--help"); code != exitOK || !strings.Contains(out, "--sent") {
		t.Errorf("scan --help: %d %q", code, out)
	}
	if code, _, errOut := runCmd(t, "", "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "scan", "--nope"); code != exitUsage || !strings.Contains(errOut, "--nope") {
		t.Errorf("unknown flag: %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "", "scan", "--format", "xml", "x"); code != exitUsage {
		t.Errorf("bad format: %d", code)
	}
}
