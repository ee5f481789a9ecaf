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

// pseudoStatus reports Sisimai's invented codes (X.0.9xx, X.9.xxx): the
// bounce carried no code there.
func pseudoStatus(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return true
	}
	return parts[1] == "9" || parts[1] == "0" && len(parts[2]) == 3 && parts[2][0] == '9'
}

// score counts, for one family, how the decoders did.
type score struct {
	samples, detected       int
	withRows, countRight    int // samples EXPECTED.tsv covers; recipient count right
	rows, statusRight       int // rows with a real Status; Status right
	labelled, originalRight int
}

func (s *score) add(o score) {
	s.samples += o.samples
	s.detected += o.detected
	s.withRows += o.withRows
	s.countRight += o.countRight
	s.rows += o.rows
	s.statusRight += o.statusRight
	s.labelled += o.labelled
	s.originalRight += o.originalRight
}

func pct(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return 100 * float64(n) / float64(d)
}

// TestScorecard decodes every bounce in maildir/bsd (ARF reports aside)
// and compares with EXPECTED.tsv — detected, number of recipients, Status
// where the table has a real code — and with our hand labels of the
// original's Message-ID. It prints one row per format family; with -v,
// every difference.
func TestScorecard(t *testing.T) {
	dir := corpusDir(t)
	expected := readTSV(t, filepath.Join(dir, "EXPECTED.tsv"))
	labels := readTSV(t, filepath.Join("testdata", "corpus-originals.tsv"))
	files, _ := filepath.Glob(filepath.Join(dir, "maildir", "bsd", "*.eml"))
	fams := map[string]*score{}
	var notes []string
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "arf-") {
			continue
		}
		key := "maildir/bsd/" + name
		fam := family(name)
		s := fams[fam]
		if s == nil {
			s = &score{}
			fams[fam] = s
		}
		r := inspectFile(t, f)
		s.samples++
		if r.Kind == None {
			notes = append(notes, key+": not detected")
		} else {
			s.detected++
		}
		if rows := expected[key]; rows != nil {
			s.withRows++
			if len(rows) == len(r.Recipients) {
				s.countRight++
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
					s.statusRight++
				} else {
					notes = append(notes, fmt.Sprintf("%s #%d: status %q, want %s (%s/%s)", key, i+1, got, row[3], r.Kind, r.Format))
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
				got = "" // named only by In-Reply-To: no copy came back, as labelled
			}
			s.labelled++
			if got == want {
				s.originalRight++
			} else {
				notes = append(notes, fmt.Sprintf("%s: original %q (%s), label %q", key, got, r.Original.Where, want))
			}
		}
	}
	names := make([]string, 0, len(fams))
	for k := range fams {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	row := func(name string, s score) {
		fmt.Fprintf(&sb, "%-24s %4d %4d %5d/%-4d %5d/%-4d %5d/%-4d\n", name, s.samples, s.detected,
			s.countRight, s.withRows, s.statusRight, s.rows, s.originalRight, s.labelled)
	}
	fmt.Fprintf(&sb, "%-24s %4s %4s %10s %10s %10s\n", "family", "n", "det", "rcpt count", "status", "original")
	var total score
	for _, k := range names {
		row(k, *fams[k])
		total.add(*fams[k])
	}
	row("all", total)
	t.Logf("scorecard over maildir/bsd:\n%s", sb.String())
	t.Logf("detected %.1f%%, recipient count right %.1f%%, status right %.1f%% of rows, original Message-ID right %.1f%%",
		pct(total.detected, total.samples), pct(total.countRight, total.withRows),
		pct(total.statusRight, total.rows), pct(total.originalRight, total.labelled))
	if testing.Verbose() {
		sort.Strings(notes)
		t.Logf("differences:\n  %s", strings.Join(notes, "\n  "))
	}
	check := func(what string, n, d int, min float64) {
		t.Helper()
		if pct(n, d) < min {
			t.Errorf("%s: %d/%d (%.1f%%), want ≥ %.0f%%", what, n, d, pct(n, d), min)
		}
	}
	check("detected", total.detected, total.samples, 99)
	check("recipient count", total.countRight, total.withRows, 97)
	check("status", total.statusRight, total.rows, 95)
	check("original Message-ID", total.originalRight, total.labelled, 99)
}
