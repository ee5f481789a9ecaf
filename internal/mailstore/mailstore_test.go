package mailstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// collect walks path and returns "name=raw" or "name!error" lines.
func collect(t *testing.T, w walker, path string) []string {
	t.Helper()
	var got []string
	w.fn = func(m Source) error {
		if m.Err != nil {
			if m.Raw != nil {
				t.Errorf("%s: Raw set together with Err", m.Name)
			}
			got = append(got, fmt.Sprintf("%s!%v", m.Name, m.Err))
			return nil
		}
		got = append(got, fmt.Sprintf("%s=%q", m.Name, m.Raw))
		return nil
	}
	if err := w.walk(context.Background(), path); err != nil {
		t.Fatalf("walk %s: %v", path, err)
	}
	return got
}

func TestWalkFixtures(t *testing.T) {
	check := func(path string, want ...string) {
		t.Helper()
		got := collect(t, walker{max: MaxMessageSize}, path)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("walk %s:\n got %s\nwant %s", path, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}
	check("testdata/dir/a.eml",
		`testdata/dir/a.eml="From: a@example.org\nTo: b@example.net\nSubject: one\n\nhello\n"`)
	check("testdata/dir",
		`testdata/dir/a.eml="From: a@example.org\nTo: b@example.net\nSubject: one\n\nhello\n"`,
		`testdata/dir/postmark.eml="From: d@example.org\nSubject: postmark\n\nsaved with its envelope line\nFrom here on, an unquoted body line.\n"`,
		`testdata/dir/sub/b.eml="From: c@example.org\nSubject: two\n\nin a subdirectory\n"`)
	check("testdata/maildir",
		`testdata/maildir/cur/1583143200.M1P1.host_2,S="Subject: seen\n\ncur message\n"`,
		`testdata/maildir/new/1583143300.M2P2.host="Subject: unseen\n\nnew message\n"`)
	check("testdata/rd.mbox",
		`testdata/rd.mbox#1="Subject: first\n\nFrom the quoted line\n>From a doubly quoted line\nnot >From at start\n"`,
		`testdata/rd.mbox#2="Subject: second, CRLF\r\n\r\nbody\r\n"`,
		`testdata/rd.mbox#3="Subject: third, no final newline\n\nend"`)
}

func TestSplitMbox(t *testing.T) {
	check := func(in string, max int64, want ...string) {
		t.Helper()
		var got []string
		err := splitMbox(strings.NewReader(in), max, func(n int, raw []byte, err error) error {
			if err != nil {
				got = append(got, fmt.Sprintf("%d!%v", n, err))
			} else {
				got = append(got, fmt.Sprintf("%d=%q", n, raw))
			}
			return nil
		})
		if err != nil {
			t.Errorf("split %q: %v", in, err)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("split %q:\n got %s\nwant %s", in, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
	check("", 100)
	check("From ", 100, `1=""`)
	check("From x\n", 100, `1=""`)
	check("From x\r\n\r\n", 100, `1=""`)
	check("From x\nFrom y\n", 100, `1="" 2=""`)
	check("From x\na\n\nFrom y\nb\n", 100, `1="a\n" 2="b\n"`)
	check("From x\na\nFrom y\nb", 100, `1="a\n" 2="b"`) // no blank line before From
	check("From x\na\n\n\n", 100, `1="a\n\n"`)
	check("preamble\nFrom x\na\n", 100, `1="preamble\n" 2="a\n"`)
	check(">From x\n", 100, `1="From x\n"`)
	check("From x\n>>>From y\n>Fromage\n> From\n", 100, `1=">>From y\n>Fromage\n> From\n"`)
	check("From x\n"+strings.Repeat("a", 50)+"\n\nFrom y\nok\n", 20,
		"1!message too large: over 20 bytes", `2="ok\n"`)
	// A "From " line longer than the read buffer is skipped whole.
	check("From "+strings.Repeat("x", 70<<10)+"\nbody\n", 100, `1="body\n"`)
	// A long body line is kept whole.
	long := strings.Repeat("y", 70<<10)
	check("From x\n"+long+"\nFrom z\n", 1<<20, fmt.Sprintf("1=%q", long+"\n"), `2=""`)
}

func TestSplitMboxStops(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := splitMbox(strings.NewReader("From a\n1\nFrom b\n2\nFrom c\n3\n"), 100, func(int, []byte, error) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Errorf("got %v after %d calls, want stop after 1", err, calls)
	}
}

func TestWalkEdgeCases(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big.eml", strings.Repeat("x", 200))
	write("empty", "")
	write("m/mbox", "From a\nsmall\n\nFrom b\n"+strings.Repeat("y", 200)+"\n\nFrom c\nafter\n")
	if runtime.GOOS != "windows" {
		if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(dir, filepath.Join(dir, "m", "loop")); err != nil {
			t.Fatal(err)
		}
	}
	w := walker{max: 100}
	got := strings.Join(collect(t, w, dir), "\n")
	for _, want := range []string{
		big + "!message too large: over 100 bytes",
		dir + "/m/mbox#1=\"small\\n\"",
		dir + "/m/mbox#2!message too large: over 100 bytes",
		dir + "/m/mbox#3=\"after\\n\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("walk: missing %s in\n%s", want, got)
		}
	}
	if runtime.GOOS != "windows" && !strings.Contains(got, dir+"/dangling!") {
		t.Errorf("walk: dangling link not reported in\n%s", got)
	}
	if strings.Contains(got, "empty") || strings.Contains(got, "loop") {
		t.Errorf("walk: empty file or directory link read:\n%s", got)
	}

	if err := Walk(context.Background(), filepath.Join(dir, "absent"), func(Source) error { return nil }); err == nil {
		t.Errorf("missing path: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Walk(ctx, dir, func(Source) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled walk: %v", err)
	}
	stop := errors.New("stop")
	if err := Walk(context.Background(), dir, func(Source) error { return stop }); err != stop {
		t.Errorf("callback error: got %v", err)
	}
}

// writeMboxrd is the writer splitMbox must undo.
func writeMboxrd(msgs [][]byte) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		b.WriteString("From sender@example.org Mon Mar  2 10:00:00 2020\n")
		for _, line := range bytes.SplitAfter(m, []byte("\n")) {
			if isQuotedFrom(line) || bytes.HasPrefix(line, fromLine) {
				b.WriteByte('>')
			}
			b.Write(line)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func TestMboxRoundTrip(t *testing.T) {
	msgs := [][]byte{
		[]byte("Subject: a\n\nFrom me\n>From you\n>>From them\n"),
		[]byte("Subject: b\r\n\r\nbody\r\n\r\n"),
		[]byte("\n"),
		[]byte("From \n"),
	}
	roundTrip(t, msgs)
}

func roundTrip(t *testing.T, msgs [][]byte) {
	t.Helper()
	var got [][]byte
	err := splitMbox(bytes.NewReader(writeMboxrd(msgs)), 1<<20, func(n int, raw []byte, err error) error {
		if err != nil {
			return err
		}
		got = append(got, raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(msgs) {
		t.Fatalf("got %d messages, want %d", len(got), len(msgs))
	}
	for i := range msgs {
		if !bytes.Equal(got[i], msgs[i]) {
			t.Errorf("message %d: got %q, want %q", i+1, got[i], msgs[i])
		}
	}
}

func FuzzSplitMbox(f *testing.F) {
	f.Add([]byte("From x\na\n\nFrom y\r\nb\r\n\r\n>From c\n"), []byte("Subject: x\n\nFrom y\n"))
	f.Add([]byte("From "), []byte(">>From \n"))
	f.Add([]byte(""), []byte("\r\n"))
	f.Fuzz(func(t *testing.T, in, msg []byte) {
		const max = 64
		lines := bytes.Count(in, []byte("\n")) + 1
		count := 0
		err := splitMbox(bytes.NewReader(in), max, func(n int, raw []byte, err error) error {
			count++
			if n != count {
				t.Fatalf("message numbered %d, want %d", n, count)
			}
			if len(raw) > max || (err != nil && raw != nil) {
				t.Fatalf("message %d: %d bytes, err %v", n, len(raw), err)
			}
			return nil
		})
		if err != nil || count > lines {
			t.Fatalf("split: %v, %d messages from %d lines", err, count, lines)
		}
		if len(msg) == 0 || msg[len(msg)-1] != '\n' {
			msg = append(msg, '\n')
		}
		roundTrip(t, [][]byte{msg, msg})
	})
}

func TestWalkUnreadable(t *testing.T) {
	if os.Getuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("permissions do not stop root")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "a.eml")
	if err := os.WriteFile(bad, []byte("Subject: x\n"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.eml"), []byte("Subject: y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := collect(t, walker{max: MaxMessageSize}, dir)
	if len(got) != 2 || !strings.HasPrefix(got[0], bad+"!") || !strings.HasSuffix(got[1], `="Subject: y\n"`) {
		t.Errorf("walk: %q", got)
	}
}

func ExampleWalk() {
	err := Walk(context.Background(), "testdata/rd.mbox", func(m Source) error {
		if m.Err != nil {
			fmt.Println(m.Name, "error:", m.Err)
			return nil
		}
		subject, _, _ := strings.Cut(string(m.Raw), "\n")
		fmt.Println(m.Name, strings.TrimSpace(subject))
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// testdata/rd.mbox#1 Subject: first
	// testdata/rd.mbox#2 Subject: second, CRLF
	// testdata/rd.mbox#3 Subject: third, no final newline
}
