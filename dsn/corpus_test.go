package dsn

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// corpusDir returns the shared sisimai corpus next to the repository, or
// skips the test when it is absent (a clean clone).
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus", "sisimai", "maildir")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	return dir
}

func isDeliveryReport(m *mailparse.Message) bool {
	if len(m.Parts) == 0 || m.Parts[0].MediaType != "multipart/report" {
		return false
	}
	rt := strings.ToLower(m.Parts[0].Params["report-type"])
	return rt == "delivery-status" || rt == "global-delivery-status"
}

// corpusExceptions are samples declared multipart/report delivery-status
// that hold no readable recipient block, with the reason.
var corpusExceptions = map[string]string{
	"lhost-activehunter-01.eml":    "no delivery-status part at all",
	"lhost-activehunter-02.eml":    "no delivery-status part at all",
	"lhost-office365-01.eml":       "the sample is cut off before its delivery-status part",
	"lhost-googleworkspace-01.eml": "empty delivery-status part",
	"lhost-postfix-64.eml":         "per-message block only",
	// A part header holds an unindented, colon-less continuation line;
	// mailparse stops reading the multipart there.
	"lhost-office365-08.eml": "mailparse loses the parts after a malformed part header",
}

// TestCorpus checks that every multipart/report delivery-status sample of
// the corpus reads with at least one recipient, and that the wrapped ones
// (a delivery-status part in another container) mostly do too.
func TestCorpus(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "bsd")
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s: %v", dir, err)
	}
	var reports, reportsOK, others, othersOK, withOriginal int
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := mailparse.Parse(raw)
		r, err := FromMessage(m)
		ok := err == nil && len(r.Recipients) > 0
		if ok && r.Original != nil {
			withOriginal++
		}
		switch {
		case isDeliveryReport(m):
			reports++
			why, excused := corpusExceptions[filepath.Base(f)]
			switch {
			case ok:
				reportsOK++
			case excused:
				t.Logf("%s: %v (known: %s)", filepath.Base(f), err, why)
			default:
				t.Errorf("%s: %v", filepath.Base(f), err)
			}
		case statusPart(m) >= 0:
			others++
			if ok {
				othersOK++
			}
		}
	}
	t.Logf("multipart/report delivery-status: %d/%d read (%.1f%%)", reportsOK, reports, 100*float64(reportsOK)/float64(max(reports, 1)))
	t.Logf("delivery-status part in another container: %d/%d read", othersOK, others)
	t.Logf("reports with an original: %d/%d", withOriginal, reportsOK+othersOK)
}

// TestCorpusLineEndings checks that the CRLF (dos) and CR (mac) copies of
// samples read the same as their LF (bsd) twins.
func TestCorpusLineEndings(t *testing.T) {
	dir := corpusDir(t)
	read := func(path string) (*Report, error) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return Parse(raw)
	}
	compared := 0
	for _, variant := range []string{"dos", "mac"} {
		files, _ := filepath.Glob(filepath.Join(dir, variant, "*.eml"))
		for _, f := range files {
			// Some samples were renamed in bsd/ since; compare those
			// with their dos/ copy instead.
			twin := filepath.Join(dir, "bsd", filepath.Base(f))
			if _, err := os.Stat(twin); err != nil {
				if variant == "dos" {
					continue
				}
				twin = filepath.Join(dir, "dos", filepath.Base(f))
			}
			want, wantErr := read(twin)
			got, gotErr := read(f)
			name := variant + "/" + filepath.Base(f)
			if (wantErr == nil) != (gotErr == nil) {
				t.Errorf("%s: error %v, bsd twin %v", name, gotErr, wantErr)
				continue
			}
			if wantErr != nil {
				continue
			}
			compared++
			if !reflect.DeepEqual(got.Recipients, want.Recipients) {
				t.Errorf("%s: recipients\n%+v\nbsd twin\n%+v", name, got.Recipients, want.Recipients)
			}
			if got.PerMessage != want.PerMessage {
				t.Errorf("%s: per-message %+v, bsd twin %+v", name, got.PerMessage, want.PerMessage)
			}
			if (got.Original == nil) != (want.Original == nil) ||
				got.Original != nil && got.Original.MessageID != want.Original.MessageID {
				t.Errorf("%s: original %+v, bsd twin %+v", name, got.Original, want.Original)
			}
		}
	}
	t.Logf("%d dos/mac reports match their twins", compared)
}
