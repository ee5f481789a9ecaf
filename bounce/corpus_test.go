package bounce

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// corpusDir returns the shared Sisimai corpus, or skips the test: users'
// clones do not have it.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus", "sisimai")
	if _, err := os.Stat(filepath.Join(dir, "maildir", "bsd")); err != nil {
		t.Skip("../shared/corpus/sisimai not present")
	}
	return dir
}

var familyRE = regexp.MustCompile(`-\d+\.eml$`)

// family is the corpus file's format family: lhost-postfix-01.eml → lhost-postfix.
func family(name string) string { return familyRE.ReplaceAllString(name, "") }

func inspectFile(t testing.TB, path string) *Report {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Inspect(raw)
}

func TestCorpusNotBounces(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "maildir", "not", "*.eml"))
	for _, f := range files {
		name := filepath.Base(f)
		r := inspectFile(t, f)
		want := strings.HasPrefix(name, "is-not-bounce")
		if (r.Kind == None) != want {
			t.Errorf("%s: kind %s (format %q)", name, r.Kind, r.Format)
		}
	}
}

// TestCorpusLineEndings: the CRLF and CR-only copies decode like their LF twins.
func TestCorpusLineEndings(t *testing.T) {
	dir := corpusDir(t)
	for _, variant := range []string{"dos", "mac"} {
		files, _ := filepath.Glob(filepath.Join(dir, "maildir", variant, "*.eml"))
		same := 0
		for _, f := range files {
			twin := filepath.Join(dir, "maildir", "bsd", filepath.Base(f))
			if _, err := os.Stat(twin); err != nil {
				continue
			}
			a, b := inspectFile(t, f), inspectFile(t, twin)
			if a.Kind != b.Kind || a.Format != b.Format || a.Original.MessageID != b.Original.MessageID {
				t.Errorf("%s/%s: kind %s format %q id %q; bsd twin: kind %s format %q id %q",
					variant, filepath.Base(f), a.Kind, a.Format, a.Original.MessageID, b.Kind, b.Format, b.Original.MessageID)
				continue
			}
			same++
		}
		t.Logf("maildir/%s: %d/%d decode like their bsd twin", variant, same, len(files))
	}
}

func FuzzInspect(f *testing.F) {
	f.Add([]byte("From: MAILER-DAEMON@example.net\nSubject: failure notice\n\nHi. This is the qmail-send program at x.\n<a@b.c>:\nno\n--- Below this line is a copy of the message.\n\nMessage-ID: <x@y>\nFrom: a@b\n\nbody"))
	f.Add([]byte("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n\ntext\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.c\nAction: failed\nStatus: 5.1.1\n--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <o@x>\n--b--\n"))
	f.Add([]byte("Auto-Submitted: auto-replied\nIn-Reply-To: <a@b>\nSubject: Out of office\n\nAway"))
	if files, err := filepath.Glob(filepath.Join("testdata", "*.eml")); err == nil {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := mailparse.Parse(b)
		r := InspectMessage(m)
		if r == nil || r.Kind == "" {
			t.Fatalf("Inspect returned %+v", r)
		}
		// The header triage, with what a structure shows (as IMAP's
		// BODYSTRUCTURE does), must never skip what the decoders detect.
		if r.Kind != None && !MightBe(m.Header) && !structureSaysLook(m) {
			t.Fatalf("%s/%s, but MightBe says no from its header", r.Kind, r.Format)
		}
	})
}

// structureSaysLook is what bounceguard's IMAP sweep reads from a
// message's structure before its header triage: anything but text, or a
// container other than mixed, alternative or related, is fetched whole.
func structureSaysLook(m *mailparse.Message) bool {
	for _, p := range m.Parts {
		major, minor, _ := strings.Cut(p.MediaType, "/")
		switch {
		case major == "multipart" && minor != "mixed" && minor != "alternative" && minor != "related":
			return true
		case major != "multipart" && major != "text":
			return true
		}
		if d, _, _ := strings.Cut(p.Header.Get("Content-Disposition"), ";"); strings.EqualFold(strings.TrimSpace(d), "attachment") {
			return true
		}
	}
	return false
}

// TestCorpusMightBe: the header-only triage says "look further" for every
// bounce the full decoders detect.
func TestCorpusMightBe(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "maildir", "bsd", "*.eml"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := mailparse.Parse(raw)
		if r := InspectMessage(m); r.Kind != None && !MightBe(m.Header) {
			t.Errorf("%s: %s/%s, but MightBe says no from its header", filepath.Base(f), r.Kind, r.Format)
		}
	}
}
