package bounce

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// vendorSample is what a testdata file must decode to.
type vendorSample struct {
	file, kind, format, originalID string
	recipients                     []string // "address status"
}

// checkVendorSample decodes testdata/s.file and compares it with s.
func checkVendorSample(t *testing.T, s vendorSample) {
	t.Helper()
	r := inspectFile(t, filepath.Join("testdata", s.file))
	if string(r.Kind) != s.kind || r.Format != s.format {
		t.Errorf("%s: kind %s format %q, want %s %q", s.file, r.Kind, r.Format, s.kind, s.format)
	}
	if r.Original.MessageID != s.originalID {
		t.Errorf("%s: original Message-ID %q (%s), want %q", s.file, r.Original.MessageID, r.Original.Where, s.originalID)
	}
	var got []string
	for _, rc := range r.Recipients {
		got = append(got, rc.Address+" "+rc.Status)
	}
	if !slices.Equal(got, s.recipients) {
		t.Errorf("%s: recipients %q, want %q", s.file, got, s.recipients)
	}
}

func TestGeneric(t *testing.T) {
	for _, s := range []vendorSample{
		{"generic-german.eml", "bounce", "generic", "angebot-77@example.com", []string{"ida@firma.example 5.1.1"}},
		{"generic-daemon-empty-from.eml", "bounce", "generic", "m-0313@example.com", []string{"jack@nowhere.example 5.1.2"}},
		// A person quoting a bounce, and a shop's notice about a parcel,
		// are not bounces.
		{"generic-human-quote.eml", "none", "", "", nil},
		{"generic-parcel-notice.eml", "none", "", "", nil},
	} {
		checkVendorSample(t, s)
	}
}

func TestStatusFromWords(t *testing.T) {
	check := func(diag string, delayed bool, want string) {
		t.Helper()
		if got := statusFromWords(diag, delayed); got != want {
			t.Errorf("statusFromWords(%q, %v) = %q, want %q", diag, delayed, got, want)
		}
	}
	check("The recipient name is not recognized", false, "5.1.1")
	check("Mailbox Full", false, "5.2.2")
	check("mailbox is full", true, "4.2.2")
	check("No mx record found for domain=example.org", false, "5.1.2")
	check("Remote server does not support TLS", false, "")
	check("", false, "")
}

func TestHasReplyCode(t *testing.T) {
	for s, want := range map[string]bool{
		"Remote host said: 550 5.1.1 user unknown": true,
		"550-5.7.1 blocked":                        true,
		"#550 5.1.1 RESOLVER":                      true,
		"order 450 000 units":                      false,
		"version 1.550.2":                          false,
		"call 5550 now":                            false,
		"no code here":                             false,
	} {
		if got := hasReplyCode(s); got != want {
			t.Errorf("hasReplyCode(%q) = %v, want %v", s, got, want)
		}
	}
}

// providerFamilies are the corpus families this package's Microsoft, Google and
// Yahoo decoders answer for (rhost-* samples are other MTAs' bounces of
// mail those providers refused).
var providerFamilies = []string{
	"lhost-exchange2003", "lhost-exchange2007", "lhost-office365", "lhost-outlook", "rhost-microsoft",
	"rhost-outlook", "lhost-gmail", "rhost-google", "lhost-yahoo", "rhost-yahooinc",
}

// sisimaiPseudo reports Sisimai's invented codes (5.0.9xx, 5.9.xxx), which
// stand for "the bounce gave no code".
func sisimaiPseudo(s string) bool {
	p := strings.Split(s, ".")
	return len(p) != 3 || p[1] == "9" || (p[1] == "0" && len(p[2]) == 3 && p[2][0] == '9')
}

// TestCorpusVendorFamilies compares the Status and the number of
// recipients with EXPECTED.tsv for the families above: every sample must
// be detected, with as many recipients as the table has rows and the same
// real (non-pseudo) Status codes.
func TestCorpusVendorFamilies(t *testing.T) {
	dir := corpusDir(t)
	f, err := os.Open(filepath.Join(dir, "EXPECTED.tsv"))
	if err != nil {
		t.Skip("no EXPECTED.tsv")
	}
	defer f.Close()
	want := map[string][]string{} // file → statuses by index
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 || cols[0] == "file" {
			continue
		}
		want[cols[0]] = append(want[cols[0]], cols[3])
	}
	type stat struct{ n, detected, count, status int }
	fams := map[string]*stat{}
	for _, fam := range providerFamilies {
		fams[fam] = &stat{}
		files, _ := filepath.Glob(filepath.Join(dir, "maildir", "bsd", fam+"-*.eml"))
		for _, p := range files {
			rel := filepath.ToSlash(filepath.Join("maildir", "bsd", filepath.Base(p)))
			st := fams[fam]
			st.n++
			r := inspectFile(t, p)
			if r.Kind == None {
				t.Errorf("%s: not detected", rel)
				continue
			}
			st.detected++
			rows, ok := want[rel]
			if !ok {
				st.count++
				st.status++
				continue
			}
			if len(r.Recipients) == len(rows) {
				st.count++
			} else {
				t.Errorf("%s: %d recipients, want %d", rel, len(r.Recipients), len(rows))
			}
			var got, exp []string
			for i, s := range rows {
				if sisimaiPseudo(s) {
					continue
				}
				exp = append(exp, s)
				if i < len(r.Recipients) {
					got = append(got, r.Recipients[i].Status)
				}
			}
			sort.Strings(got)
			sort.Strings(exp)
			if slices.Equal(got, exp) {
				st.status++
			} else {
				t.Errorf("%s (%s): status %q, want %q", rel, r.Format, got, exp)
			}
		}
	}
	for _, fam := range providerFamilies {
		s := fams[fam]
		t.Logf("%-20s samples %2d detected %2d recipients right %2d status right %2d", fam, s.n, s.detected, s.count, s.status)
	}
}

// FuzzTextReaders feeds the plain-text readers arbitrary text: they index
// lower-cased copies of it and must never slice out of range.
func FuzzTextReaders(f *testing.F) {
	f.Add("Diagnostic information for administrators:\na@b.example\n#550 5.1.1 x ##\n")
	f.Add("did not reach the following recipient(s):\n\na@b.example on Mon\n  unknown\n")
	f.Add("Delivery to the following recipient failed permanently:\n\n  a@b.example\n\nThe response from the remote server was:\n550 5.1.1 x\n")
	f.Add("\xc4\xb0Delivery has failed to these recipients or groups:\nN<mailto:a@b.example>\n")
	f.Fuzz(func(t *testing.T, s string) {
		adminBlockRecipients(s)
		exchange2003Recipients(s)
		failedListRecipients(s)
		lower := lowerASCII(s)
		if len(lower) != len(s) {
			t.Fatalf("foldCase changed the length of %q", s)
		}
		gmailListed(s, lower)
		gmailDiagnostic(s, lower)
		if i := originalStart(lower); i > len(s) {
			t.Fatalf("originalStart %d past the end", i)
		}
	})
}

func FuzzStatusFromWords(f *testing.F) {
	f.Add("mailbox full", true)
	f.Add("550 5.1.1 user unknown", false)
	f.Fuzz(func(t *testing.T, s string, delayed bool) {
		if got := statusFromWords(s, delayed); got != "" && len(got) < 5 {
			t.Fatalf("statusFromWords(%q) = %q", s, got)
		}
		if hasReplyCode(s) && len(s) < 4 {
			t.Fatalf("hasReplyCode(%q) = true", s)
		}
		if len(squeeze(s)) > maxDiagLen {
			t.Fatalf("squeeze(%q) longer than %d", s, maxDiagLen)
		}
	})
}
