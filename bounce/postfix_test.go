package bounce

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// mtaFamilies are the corpus families written by Postfix, Sendmail, Exim
// and qmail (and the services that run them).
var mtaFamilies = []string{
	"lhost-postfix", "lhost-sendmail", "lhost-v5sendmail", "lhost-exim",
	"lhost-mailru", "lhost-mxlogic", "lhost-qmail", "lhost-x4",
}

// pseudoStatus reports Sisimai's invented codes (X.0.9xx, X.9.xxx): the
// bounce carried no code there.
func pseudoStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return true
	}
	return parts[1] == "9" || parts[1] == "0" && len(parts[2]) == 3 && parts[2][0] == '9'
}

// readTSV reads a tab-separated file with a header line into rows keyed by
// the first column.
func readTSV(t *testing.T, path string) map[string][][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("opening %s: %v", path, err)
	}
	defer f.Close()
	rows := map[string][][]string{}
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		rows[cols[0]] = append(rows[cols[0]], cols)
	}
	return rows
}

// TestCorpusMTAFamilies scores the Postfix, Sendmail, Exim and qmail
// decoders against EXPECTED.tsv (Status and number of recipients) and the
// hand labels of the original's Message-ID.
func TestCorpusMTAFamilies(t *testing.T) {
	dir := corpusDir(t)
	expected := readTSV(t, filepath.Join(dir, "EXPECTED.tsv"))
	labels := readTSV(t, filepath.Join("testdata", "corpus-originals.tsv"))
	type score struct{ n, detected, expected, count, rows, rowsRight, labelled, idRight int }
	scores := map[string]*score{}
	var notes []string
	for _, fam := range mtaFamilies {
		s := &score{}
		scores[fam] = s
		files, _ := filepath.Glob(filepath.Join(dir, "maildir", "bsd", fam+"-*.eml"))
		for _, f := range files {
			key := "maildir/bsd/" + filepath.Base(f)
			r := inspectFile(t, f)
			s.n++
			if r.Kind == None {
				notes = append(notes, key+": not detected")
				continue
			}
			s.detected++
			if rows := expected[key]; rows != nil {
				s.expected++
				if len(rows) == len(r.Recipients) {
					s.count++
				} else {
					notes = append(notes, fmt.Sprintf("%s: %d recipients, want %d", key, len(r.Recipients), len(rows)))
				}
				for i, row := range rows {
					if pseudoStatus(row[3]) {
						continue
					}
					s.rows++
					got := ""
					if i < len(r.Recipients) {
						got = r.Recipients[i].Status
					}
					if got == row[3] {
						s.rowsRight++
					} else {
						notes = append(notes, fmt.Sprintf("%s #%d: status %q, want %s", key, i+1, got, row[3]))
					}
				}
			}
			if l := labels[key]; l != nil {
				want := l[0][1]
				if want == "-" {
					want = ""
				}
				got := r.Original.MessageID
				if r.Original.Where == "in-reply-to" && want == "" {
					got = ""
				}
				s.labelled++
				if got == want {
					s.idRight++
				} else {
					notes = append(notes, fmt.Sprintf("%s: original %q (%s), label %q", key, got, r.Original.Where, want))
				}
			}
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-18s %7s %8s %10s %9s %11s\n", "family", "samples", "detected", "rcpt count", "status", "original id")
	var total score
	for _, fam := range mtaFamilies {
		s := scores[fam]
		fmt.Fprintf(&sb, "%-18s %7d %8d %6d/%-3d %5d/%-3d %7d/%-3d\n", fam, s.n, s.detected, s.count, s.expected, s.rowsRight, s.rows, s.idRight, s.labelled)
		total.n += s.n
		total.detected += s.detected
		total.count += s.count
		total.expected += s.expected
		total.rows += s.rows
		total.rowsRight += s.rowsRight
		total.labelled += s.labelled
		total.idRight += s.idRight
	}
	fmt.Fprintf(&sb, "%-18s %7d %8d %6d/%-3d %5d/%-3d %7d/%-3d\n", "all", total.n, total.detected, total.count, total.expected, total.rowsRight, total.rows, total.idRight, total.labelled)
	t.Logf("MTA families against EXPECTED.tsv:\n%s", sb.String())
	sort.Strings(notes)
	if testing.Verbose() {
		t.Logf("differences:\n  %s", strings.Join(notes, "\n  "))
	}
	if total.detected < total.n*98/100 {
		t.Errorf("detected %d/%d MTA-family samples, want ≥ 98%%", total.detected, total.n)
	}
	if total.rowsRight < total.rows*95/100 {
		t.Errorf("status right for %d/%d rows, want ≥ 95%%", total.rowsRight, total.rows)
	}
}

// mtaRecipient is what a test expects of one recipient.
type mtaRecipient struct{ addr, action, status string }

// mtaCase is one testdata sample and what Inspect must make of it.
type mtaCase struct {
	file       string
	kind       Kind
	format     string
	originalID string
	recipients []mtaRecipient
}

// checkMTA inspects each case's testdata file and compares.
func checkMTA(t *testing.T, cases []mtaCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r := inspectFile(t, filepath.Join("testdata", c.file))
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s: got %q, want %q", what, got, want)
				}
			}
			check("kind", string(r.Kind), string(c.kind))
			check("format", r.Format, c.format)
			check("original Message-ID", r.Original.MessageID, c.originalID)
			if len(r.Recipients) != len(c.recipients) {
				t.Fatalf("recipients: got %+v, want %+v", r.Recipients, c.recipients)
			}
			for i, w := range c.recipients {
				g := r.Recipients[i]
				check("address", g.Address, w.addr)
				check("action", g.Action, w.action)
				check("status", g.Status, w.status)
			}
		})
	}
}

func TestPostfix(t *testing.T) {
	checkMTA(t, []mtaCase{
		// Status 5.0.0 in the DSN, the remote's 5.1.1 in the diagnostic.
		{"postfix-dsn.eml", DSN, "postfix", "pf-orig-1@example.com",
			[]mtaRecipient{{"bert@example.org", "failed", "5.1.1"}}},
		{"postfix-delay.eml", DSN, "postfix", "pf-orig-2@example.com",
			[]mtaRecipient{{"carl@example.org", "delayed", "4.4.1"}}},
		// Before Postfix 2.0: no delivery-status part.
		{"postfix-old.eml", Bounce, "postfix", "pf-orig-3@example.com",
			[]mtaRecipient{{"dora@example.org", "failed", "5.2.2"}}},
	})
}

func TestQueueBoundary(t *testing.T) {
	for b, want := range map[string]bool{
		"4C1A22B0F3.1794816764/relay.example.net":   true,
		"w595u9fR093279.1528523769/neko.example.jp": true,
		"----=_Part_1234":                           false,
		"abc.def/host":                              false,
		"abc.123/":                                  false,
		"":                                          false,
	} {
		if got := queueBoundary(b); got != want {
			t.Errorf("queueBoundary(%q) = %v, want %v", b, got, want)
		}
	}
}

// FuzzMTAText feeds arbitrary text to the plain-text readers of the
// Postfix, Sendmail, Exim and qmail decoders: no panic, bounded output.
func FuzzMTAText(f *testing.F) {
	f.Add("This is the mail system at host x.\n\n<a@b.c>: host y said: 550 5.1.1\n    no\n")
	f.Add("   ----- The following addresses had permanent fatal errors -----\n<a@b.c>\n    (reason: 550 x)\n   ----- Transcript of session follows -----\n550 <a@b.c>... no\n")
	f.Add("The following address(es) failed:\n\n  a@b.c\n    generated by x@y.z\n    550 5.1.1 no\n  pipe to |/bin/x\n")
	f.Add("Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.c\nStatus: 5.1.1\n--x\n")
	f.Fuzz(func(t *testing.T, s string) {
		lower := lowerASCII(s)
		rs := postfixRecipients(s, false)
		rs = append(rs, sendmailAddresses(s, lower)...)
		rs = append(rs, sendmailV5(s, lower, Original{To: []string{"a@b.c"}})...)
		rs = append(rs, eximAddresses(s, []string{"a@b.c"}, false)...)
		r := &Report{Recipients: rs}
		mergeTextStatus(r, s, lower)
		mergeTextRecipients(r, rs)
		preferDiagnosticCode(r)
		if len(r.Recipients) > 4*maxRecipients {
			t.Fatalf("%d recipients", len(r.Recipients))
		}
		for _, rc := range r.Recipients {
			if len(rc.Diagnostic) > maxDiagnostic {
				t.Fatalf("diagnostic of %d bytes", len(rc.Diagnostic))
			}
		}
		_ = postfixTranscript(s)
		_ = embeddedReport(s)
	})
}
