package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// testFlags is a command with a few flags of each kind.
type testFlags struct {
	host, tls string
	port      int
	dryRun    bool
	relay     []string
	fs        *pflag.FlagSet
}

func newTestFlags() *testFlags {
	f := &testFlags{}
	f.fs = pflag.NewFlagSet("once", pflag.ContinueOnError)
	f.fs.StringVar(&f.host, "host", "", "")
	f.fs.StringVar(&f.tls, "tls", "implicit", "")
	f.fs.IntVar(&f.port, "port", 0, "")
	f.fs.BoolVarP(&f.dryRun, "dry-run", "n", false, "")
	f.fs.StringSliceVar(&f.relay, "relay", []string{"default.example"}, "")
	f.fs.String("config", "", "")
	f.fs.String("account", "", "")
	return f
}

// otherCommands knows one flag this command lacks.
func otherCommands(key string) bool { return key == "annotate" }

func TestApply(t *testing.T) {
	const src = `# personal settings
host = "imap.example.org"
tls = "none"
relay = ["a.example", "b.example"]
annotate = true

[account.work]
host = "imap.work.example"
port = 1143
dry-run = true
relay = []

[account.home]
user_is_not_here = 1
`
	file, err := Parse("test.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	check := func(account string, args []string, want testFlags, wantErr string) {
		t.Helper()
		f := newTestFlags()
		if err := f.fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		err := file.Apply(f.fs, account, otherCommands)
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("account %q %v: error %v, want %q", account, args, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("account %q %v: %v", account, args, err)
		}
		got := testFlags{host: f.host, tls: f.tls, port: f.port, dryRun: f.dryRun, relay: f.relay}
		if got.host != want.host || got.tls != want.tls || got.port != want.port || got.dryRun != want.dryRun ||
			strings.Join(got.relay, ",") != strings.Join(want.relay, ",") {
			t.Errorf("account %q %v: got %+v, want %+v", account, args, got, want)
		}
	}
	check("", nil, testFlags{host: "imap.example.org", tls: "none", relay: []string{"a.example", "b.example"}}, "")
	check("", []string{"--host", "cli.example", "--relay", "c.example"}, testFlags{host: "cli.example", tls: "none", relay: []string{"c.example"}}, "")
	check("work", nil, testFlags{host: "imap.work.example", tls: "none", port: 1143, dryRun: true, relay: nil}, "")
	check("work", []string{"--port", "2"}, testFlags{host: "imap.work.example", tls: "none", port: 2, dryRun: true}, "")
	check("home", nil, testFlags{}, `test.toml:14: unknown key "user_is_not_here"`)
	check("nope", nil, testFlags{}, "no [account.nope] table: the file defines home, work")
}

func TestParseErrors(t *testing.T) {
	check := func(src, wantErr string) {
		t.Helper()
		file, err := Parse("c.toml", []byte(src))
		if err == nil {
			err = file.Apply(newTestFlags().fs, "", otherCommands)
		}
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: error %v, want %q", src, err, wantErr)
		}
	}
	check("host = \"a\"\n\nhots = \"b\"\n", `c.toml:3: unknown key "hots"`)
	check("host = \"a\"\nhost = \"b\"\n", "c.toml:2:")
	check("host = [\"a\", \"b\"]\n", "c.toml:1: host takes one value, not a list")
	check("port = \"many\"\n", `c.toml:1: port = "many"`)
	check("\n[once]\ndry-run = true\n", "c.toml:2: once is a table")
	check("account = \"work\"\n", `c.toml:1: "account" must be tables`)
	check("config = \"x\"\n", `c.toml:1: "config" can only be given on the command line`)
	check("host = 1979-05-27\n", "c.toml:1: host: a date or time")
	check("relay = [[\"a\"]]\n", "c.toml:1: relay: a list of lists")
	check("[account.a]\n[account.a.b]\nc = 1\n", `c.toml:2: b is a table`)
	check("help = true\n", `unknown key "help"`)
	check("v = true\n", `unknown key "v"`)
	check("host = \"unterminated\n", "c.toml:1:")
}

func TestLoadRefusesOthersFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("host = \"x\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(path, wantErr string) {
		t.Helper()
		_, err := Load(path)
		if wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", path, err)
			}
			return
		}
		if err == nil || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and %q", path, err, wantErr)
		}
	}
	check(write("own.toml", 0o600), "")
	check(write("readable.toml", 0o644), "")
	gw := write("group.toml", 0o660)
	check(gw, "chmod 600 "+gw)
	ww := write("world.toml", 0o602)
	check(ww, "chmod 600 "+ww)

	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	inOpen := filepath.Join(open, "c.toml")
	if err := os.WriteFile(inOpen, []byte("host = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check(inOpen, "chmod go-w "+open)

	if _, err := Load(filepath.Join(dir, "missing.toml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	if p, _ := DefaultPath(); p != "/cfg/bounceguard/config.toml" {
		t.Errorf("DefaultPath = %q", p)
	}
	t.Setenv("XDG_CONFIG_HOME", "relative")
	t.Setenv("HOME", "/home/x")
	if p, _ := DefaultPath(); p != "/home/x/.config/bounceguard/config.toml" {
		t.Errorf("DefaultPath with relative XDG_CONFIG_HOME = %q", p)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("host = \"a\"\nrelay = [\"x\", 1, true, 2.5]\n[account.w]\nport = 143\n"))
	f.Add([]byte("a.b.c = 1\n[[x]]\ny = 2\n"))
	f.Add([]byte("account = 3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.toml", data)
		if err != nil {
			return
		}
		for _, name := range append(file.AccountNames(), "") {
			_ = file.Apply(newTestFlags().fs, name, otherCommands)
		}
	})
}

func TestCheckWholeFile(t *testing.T) {
	file, err := Parse("c.toml", []byte("host = \"a\"\n[account.b]\nport = 1\n[account.c]\nportt = 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	known := func(k string) bool { return k == "host" || k == "port" }
	if err := file.Check(known); err == nil || !strings.Contains(err.Error(), `c.toml:5: unknown key "portt"`) {
		t.Errorf("Check: %v", err)
	}
}
