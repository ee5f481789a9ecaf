package attachment

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// manyEntries builds a zip of n one-byte files, the last one an .exe.
func manyEntries(t testing.TB, n int) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := range n {
		name := fmt.Sprintf("dir/file%05d.txt", i)
		if i == n-1 {
			name = "dir/last.exe"
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte{'x'})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileArchives checks that archives built to exhaust a scanner
// neither crash the check nor cost more than the budget of 100 MB
// per message; the work is bounded by entry and inflate budgets, not by
// the archive's claims.
func TestHostileArchives(t *testing.T) {
	// An archive holding 2 MiB of noise and an .exe, inside another: more
	// than the budget of the policy small below, so it is not opened.
	noise := make([]byte, 2<<20)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	inner := makeZip(t, zfile{name: "noise.bin", body: noise, store: true}, zfile{name: "run.exe", body: peFile()})
	small := DefaultPolicy()
	small.MaxInflated = 1 << 20
	full := makeZip(t, zfile{name: "a.pdf", body: bytes.Repeat(pdfFile, 100)}, zfile{name: "b.pdf", body: pdfFile})

	for _, tc := range []struct {
		name     string
		policy   *Policy // nil for the default
		data     []byte
		maxBytes uint64
		want     string // rules, comma-separated
	}{
		// The .exe at the end lies past the entry budget and goes unseen:
		// a known gap, left to a scanner.
		{"10,000+ entries", nil, manyEntries(t, DefaultMaxArchiveEntries+500), 20 << 20, ""},
		{"high ratio", nil, makeZip(t, zfile{name: "zeros.bin", body: make([]byte, 20<<20)}), 1 << 20, RuleArchiveBomb},
		{"nested within budget", nil, makeZip(t, zfile{name: "inner.zip", body: inner}), 8 << 20, RuleArchiveMember},
		{"nested over budget", small, makeZip(t, zfile{name: "inner.zip", body: inner}), 2 << 20, ""},
		{"truncated", nil, full[:len(full)/2], 1 << 20, ""},
		{"truncated directory", nil, full[:len(full)-30], 1 << 20, ""},
		{"42.zip-style", nil, nest(t, zfile{name: "zeros.bin", body: make([]byte, 1<<20)}, 6), 1 << 20, RuleNestedDepth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mailparse.Parse(message(t, att{name: "x.zip", body: tc.data}))
			var fs []Finding
			p := tc.policy
			if p == nil {
				p = DefaultPolicy()
			}
			n := allocated(func() { fs = p.Check(m) })
			t.Logf("%d bytes archive: %d bytes allocated, findings %+v", len(tc.data), n, fs)
			if n > tc.maxBytes {
				t.Errorf("Check allocated %d bytes, want at most %d", n, tc.maxBytes)
			}
			if got := rules(fs); got != tc.want {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

// toZip64 rewrites a small archive's end record into the Zip64 form:
// saturated fields in the classic record, the real ones in a Zip64 end
// record found through its locator.
func toZip64(t *testing.T, z []byte) []byte {
	at := bytes.LastIndex(z, []byte("PK\x05\x06"))
	if at < 0 {
		t.Fatal("no end record")
	}
	end := z[at:]
	entries := binary.LittleEndian.Uint16(end[10:])
	size := binary.LittleEndian.Uint32(end[12:])
	offset := binary.LittleEndian.Uint32(end[16:])
	out := append([]byte{}, z[:at]...)
	rec := make([]byte, end64Len)
	binary.LittleEndian.PutUint32(rec, sigEnd64)
	binary.LittleEndian.PutUint64(rec[4:], end64Len-12)
	binary.LittleEndian.PutUint64(rec[24:], uint64(entries))
	binary.LittleEndian.PutUint64(rec[32:], uint64(entries))
	binary.LittleEndian.PutUint64(rec[40:], uint64(size))
	binary.LittleEndian.PutUint64(rec[48:], uint64(offset))
	out = append(out, rec...)
	loc := make([]byte, locator64Len)
	binary.LittleEndian.PutUint32(loc, sigLocator64)
	binary.LittleEndian.PutUint64(loc[8:], uint64(at))
	binary.LittleEndian.PutUint32(loc[16:], 1)
	out = append(out, loc...)
	eocd := make([]byte, endLen)
	binary.LittleEndian.PutUint32(eocd, sigEnd)
	binary.LittleEndian.PutUint16(eocd[8:], 0xffff)
	binary.LittleEndian.PutUint16(eocd[10:], 0xffff)
	binary.LittleEndian.PutUint32(eocd[12:], 0xffffffff)
	binary.LittleEndian.PutUint32(eocd[16:], 0xffffffff)
	return append(out, eocd...)
}

func TestZip64(t *testing.T) {
	z := toZip64(t, makeZip(t, zfile{name: "readme.txt", body: []byte("x")}, zfile{name: "run.exe", body: peFile(), store: true}))
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"zip64", z},
		{"zip64 prepended", append([]byte("a self-extractor stub"), z...)},
	} {
		c := &checker{p: DefaultPolicy().withDefaults()}
		c.zip("x", "x", tc.data, 1)
		if rules(c.findings) != RuleArchiveMember || c.entries != 2 {
			t.Errorf("%s: %d entries, findings %+v; want 2 and %s", tc.name, c.entries, c.findings, RuleArchiveMember)
		}
	}

	e := zipEntry{usize: 0xffffffff, csize: 0xffffffff, offset: 7}
	x := make([]byte, 4+16)
	binary.LittleEndian.PutUint16(x, 1)
	binary.LittleEndian.PutUint16(x[2:], 16)
	binary.LittleEndian.PutUint64(x[4:], 1000)
	binary.LittleEndian.PutUint64(x[12:], 10)
	e.readExtra(x)
	if e.usize != 1000 || e.csize != 10 || e.offset != 7 {
		t.Errorf("Zip64 extra read as %+v", e)
	}
}

func TestPrependedData(t *testing.T) {
	// A self-extractor: the archive behind a stub, its offsets relative
	// to the archive's own start.
	z := makeZip(t, zfile{name: "payload.vbs", body: []byte("x")})
	data := append(bytes.Repeat([]byte("stub"), 100), z...)
	c := &checker{p: DefaultPolicy().withDefaults()}
	c.zip("x", "x", data, 1)
	if rules(c.findings) != RuleArchiveMember {
		t.Errorf("findings %+v, want %s", c.findings, RuleArchiveMember)
	}
}

func BenchmarkManyEntries(b *testing.B) {
	m := mailparse.Parse(message(b, att{name: "x.zip", body: manyEntries(b, DefaultMaxArchiveEntries)}))
	p := DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		p.Check(m)
	}
}

func FuzzZip(f *testing.F) {
	for _, seed := range [][]byte{
		makeZip(f, zfile{name: "a.txt", body: []byte("hello")}),
		makeZip(f, zfile{name: "a.exe", body: peFile(), store: true}, zfile{name: "b/", body: nil}),
		makeZip(f, zfile{name: "e.doc", body: []byte("x"), encrypted: true}),
		makeZip(f, zfile{name: "u.txt", body: []byte("x"), extra: unicodePathExtra("u.exe")}),
		nest(f, zfile{name: "t.txt", body: testEICAR()}, 3),
		makeZip(f),
		[]byte("PK\x05\x06" + string(make([]byte, 18))),
	} {
		f.Add(seed)
	}
	p := DefaultPolicy().withDefaults()
	p.MaxInflated = 1 << 20 // keeps each run fast; the bound is what matters
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &checker{p: p}
		c.content("x", "x.zip", `"x.zip"`, kindUnknown, "", data, 0)
		if c.inflated > p.MaxInflated || c.entries > p.MaxArchiveEntries || len(c.findings) > p.MaxFindings {
			t.Errorf("over budget: inflated %d, entries %d, findings %d", c.inflated, c.entries, len(c.findings))
		}
	})
}
