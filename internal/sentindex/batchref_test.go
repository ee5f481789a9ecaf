package sentindex

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// refAddBatch is AddBatch as it was before it was made faster: entry by
// entry, through the same calls Add makes. It is kept here as the
// reference the fast one must agree with.
func refAddBatch(x *Index, b []byte) (int, error) {
	d := refReader{b: b}
	strs, n, err := d.header()
	if err != nil {
		return 0, err
	}
	entries := d.b
	if err := d.entries(n, len(strs), nil); err != nil {
		return 0, err
	}
	table := make([]string, len(strs))
	for i, s := range strs {
		table[i] = string(s)
	}
	// Domains and senders repeat in nearly every entry: count them by
	// number and touch the maps once per string.
	domains := make([]int, len(table))
	froms := make([]int, len(table))
	x.mu.Lock()
	defer x.mu.Unlock()
	d.b = entries
	err = d.entries(n, len(table), func(r *refEntry) {
		if r.flags&hasID != 0 {
			x.ids.add(mixID(r.hash))
		}
		if r.flags&hasDomain != 0 {
			domains[r.domain]++
		}
		if r.flags&hasStyle != 0 {
			x.styles.learn(table[r.styleDomain], table[r.example], CharClasses(r.classes), r.length)
		}
		dated := r.flags&hasDate != 0 && x.addDate(timeUnix(r.date))
		if r.flags&hasFrom != 0 {
			froms[r.from]++
		}
		for _, a := range r.rcpts {
			x.addRecipient(table[a], dated, r.date)
		}
	})
	if err != nil {
		// Checked above: only a bug in this file could get here.
		return 0, fmt.Errorf("adding a checked batch: %w", err)
	}
	for i, c := range domains {
		if c > 0 {
			x.idDomains[table[i]] += c
		}
	}
	for i, c := range froms {
		if c > 0 {
			x.from[table[i]] += c
		}
	}
	return n, nil
}

// refEntry is one decoded entry; string fields are table numbers.
type refEntry struct {
	flags                        byte
	hash                         uint64
	domain, styleDomain, example int
	classes                      byte
	length                       int
	date                         int64 // Unix seconds
	from                         int
	rcpts                        []int
}

// refReader decodes a batch, refusing anything out of bounds.
type refReader struct {
	b []byte
}

func (d *refReader) fail(what string) error {
	return fmt.Errorf("%w: %s at %d bytes from the end", ErrBadBatch, what, len(d.b))
}

// index reads a string number, which must be below nstr.
func (d *refReader) index(what string, nstr int) (int, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v >= uint64(nstr) {
		return 0, d.fail(what)
	}
	d.b = d.b[n:]
	return int(v), nil
}

// uvarint reads a count or length of at most limit (limit ≥ 0).
func (d *refReader) uvarint(what string, limit int) (int, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(limit) {
		return 0, d.fail(what)
	}
	d.b = d.b[n:]
	return int(v), nil
}

// header reads the version and the string table, and returns the number
// of entries that follow.
func (d *refReader) header() ([][]byte, int, error) {
	if len(d.b) == 0 || d.b[0] != batchVersion {
		return nil, 0, d.fail("unknown version")
	}
	d.b = d.b[1:]
	// Every string and every entry takes at least one byte, which bounds
	// the counts by the batch's size.
	ns, err := d.uvarint("string count", len(d.b))
	if err != nil {
		return nil, 0, err
	}
	strs := make([][]byte, ns)
	for i := range strs {
		l, err := d.uvarint("string length", len(d.b))
		if err != nil {
			return nil, 0, err
		}
		if l > len(d.b) {
			return nil, 0, d.fail("string length")
		}
		strs[i], d.b = d.b[:l], d.b[l:]
	}
	n, err := d.uvarint("entry count", len(d.b))
	return strs, n, err
}

// entries decodes n entries whose string numbers must be below nstr,
// calling fn (when not nil) for each.
func (d *refReader) entries(n, nstr int, fn func(*refEntry)) error {
	var r refEntry
	var prev int64
	for i := 0; i < n; i++ {
		if len(d.b) == 0 || d.b[0]&^allFlags != 0 {
			return d.fail("entry flags")
		}
		r = refEntry{flags: d.b[0], rcpts: r.rcpts[:0]}
		d.b = d.b[1:]
		var err error
		if r.flags&hasID != 0 {
			if len(d.b) < 8 {
				return d.fail("hash")
			}
			r.hash, d.b = binary.LittleEndian.Uint64(d.b), d.b[8:]
		}
		if r.flags&hasDomain != 0 {
			if r.domain, err = d.index("domain", nstr); err != nil {
				return err
			}
		}
		if r.flags&hasStyle != 0 {
			if r.styleDomain, err = d.index("style domain", nstr); err != nil {
				return err
			}
			if r.example, err = d.index("style example", nstr); err != nil {
				return err
			}
			if len(d.b) == 0 {
				return d.fail("style classes")
			}
			r.classes, d.b = d.b[0], d.b[1:]
			if r.length, err = d.uvarint("style length", maxStyledLocal); err != nil {
				return err
			}
		}
		if r.flags&hasDate != 0 {
			delta, k := binary.Varint(d.b)
			if k <= 0 || (delta > 0 && prev > math.MaxInt64-delta) || (delta < 0 && prev < math.MinInt64-delta) {
				return d.fail("date")
			}
			d.b = d.b[k:]
			prev += delta
			r.date = prev
		}
		if r.flags&hasFrom != 0 {
			if r.from, err = d.index("sender", nstr); err != nil {
				return err
			}
		}
		nr, err := d.uvarint("recipient count", len(d.b))
		if err != nil {
			return err
		}
		for j := 0; j < nr; j++ {
			a, err := d.index("recipient", nstr)
			if err != nil {
				return err
			}
			r.rcpts = append(r.rcpts, a)
		}
		if fn != nil {
			fn(&r)
		}
	}
	if len(d.b) != 0 {
		return d.fail("trailing bytes")
	}
	return nil
}

// idValues returns the values in s, sorted.
func idValues(s *idSet) []uint64 {
	var vs []uint64
	for _, v := range s.slots {
		if v != 0 {
			vs = append(vs, v)
		}
	}
	if s.zero {
		vs = append(vs, 0)
	}
	slices.Sort(vs)
	return vs
}

// sameState fails t unless got holds exactly what want does.
func sameState(t *testing.T, want, got *Index) {
	t.Helper()
	if w, g := idValues(&want.ids), idValues(&got.ids); !slices.Equal(w, g) || want.ids.len() != got.ids.len() {
		t.Errorf("ids: %d %x, want %d %x", got.ids.len(), g, want.ids.len(), w)
	}
	for _, v := range got.ids.slots {
		if v != 0 && !got.ids.has(v) {
			t.Errorf("id %x stored but not found", v)
		}
	}
	if !want.first.Equal(got.first) || !want.last.Equal(got.last) || want.first.IsZero() != got.first.IsZero() {
		t.Errorf("coverage %v..%v, want %v..%v", got.first, got.last, want.first, want.last)
	}
	if len(want.wrote) != len(got.wrote) {
		t.Errorf("%d recipients, want %d", len(got.wrote), len(want.wrote))
	}
	for a, w := range want.wrote {
		g := got.wrote[a]
		if g == nil || g.undated != w.undated || !slices.Equal(g.times, w.times) {
			t.Errorf("recipient %q: %+v, want %+v", a, g, w)
		}
	}
	sameCounts := func(what string, want, got map[string]int) {
		t.Helper()
		if len(want) != len(got) {
			t.Errorf("%s: %v, want %v", what, got, want)
			return
		}
		for k, v := range want {
			if gv, ok := got[k]; !ok || gv != v {
				t.Errorf("%s: %v, want %v", what, got, want)
				return
			}
		}
	}
	sameCounts("idDomains", want.idDomains, got.idDomains)
	sameCounts("from", want.from, got.from)
	if want.styles.total != got.styles.total || len(want.styles.byDomain) != len(got.styles.byDomain) {
		t.Errorf("styles: %d of %d ids, want %d of %d", len(got.styles.byDomain), got.styles.total, len(want.styles.byDomain), want.styles.total)
	}
	for k, w := range want.styles.byDomain {
		if g := got.styles.byDomain[k]; g == nil || *g != *w {
			t.Errorf("style %q: %+v, want %+v", k, g, w)
		}
	}
}

// genEntries makes entries from the bytes of data, with the awkward cases
// a batch must carry: ids without a domain or a local part, in angle
// brackets, with upper-case domains, repeated; more style domains than an
// index learns; dates missing, before minDate, out of order, far off;
// recipients and senders in varying case and space, some empty.
func genEntries(data []byte) []Entry {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		c := data[0]
		data = data[1:]
		return int(c)
	}
	locals := []string{"a1", "20261121.p4z7kc.alice", "CAK7q3xP9mQ=w", "x", "", "dup", "8c4b1f0e-3a2d"}
	recipients := []string{"henry@old.example.org", "Henry@old.example.org", " <ivan@example.net> ", "", "undated@example.org", "z@example.com", "IVAN@example.net"}
	froms := []string{"alice@example.com", "Alice@Example.com", "", "alice@other.example"}
	base := time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC)
	var es []Entry
	for len(data) > 0 {
		var e Entry
		f := next()
		if f&1 != 0 {
			local := locals[next()%len(locals)]
			if f&0x40 != 0 {
				local += fmt.Sprint(next())
			}
			switch k := next(); k % 8 {
			case 0:
				e.MessageID = local
			case 1:
				e.MessageID = "<" + local + "@Mail.Example.COM>"
			case 2:
				e.MessageID = local + "@[192.0.2.1]"
			case 3, 4:
				// Up to 256 base domains: more styles than maxStyles.
				e.MessageID = fmt.Sprintf("%s@mx%d.d%d.example.co.uk", local, k%3, next())
			default:
				e.MessageID = local + "@mail.example.com"
			}
		}
		switch f >> 1 & 7 {
		case 0:
		case 1:
			e.Date = time.Unix(int64(next()), 0) // before minDate
		case 2:
			e.Date = base.Add(-time.Duration(next()) * time.Hour)
		case 3:
			e.Date = time.Date(9000+next(), 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600))
		default:
			e.Date = base.Add(time.Duration(next()) * time.Hour)
		}
		if f&0x10 != 0 {
			e.From = froms[next()%len(froms)]
		}
		for range next() % 4 {
			e.Recipients = append(e.Recipients, recipients[next()%len(recipients)])
		}
		es = append(es, e)
	}
	return es
}

// checkBatch adds b to want with refAddBatch and to got with AddBatch and
// fails t unless both give the same answer and the same index.
func checkBatch(t *testing.T, want, got *Index, b []byte) {
	t.Helper()
	wn, werr := refAddBatch(want, b)
	gn, gerr := got.AddBatch(b)
	if wn != gn || (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("AddBatch = %d, %v; want %d, %v", gn, gerr, wn, werr)
	}
	sameState(t, want, got)
}

// twoIndexes returns two like indexes that already hold a few entries.
func twoIndexes() (*Index, *Index) {
	a, b := New(), New()
	for _, e := range batchEntries()[:3] {
		a.Add(e)
		b.Add(e)
	}
	return a, b
}

// checkEntries stores es in batches and checks that AddBatch gives what
// refAddBatch does, and what Add gives entry by entry.
func checkEntries(t *testing.T, es []Entry) {
	t.Helper()
	want, got := twoIndexes()
	added, _ := twoIndexes()
	for len(es) > 0 {
		part := es[:min(len(es), 1+len(es)/2)]
		es = es[len(part):]
		checkBatch(t, want, got, AppendBatch(nil, part))
		for _, e := range part {
			added.Add(e)
		}
	}
	sameState(t, added, got)
}

func TestAddBatchSameAsBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		data := make([]byte, rng.IntN(2000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		checkEntries(t, genEntries(data))
		if t.Failed() {
			t.Fatalf("entries from %x", data)
		}
	}
}

// TestAddBatchForeignTable checks batches that AppendBatch does not write
// but AddBatch takes: a table holding one string twice, strings no entry
// uses, an address used both as recipient and as sender.
func TestAddBatchForeignTable(t *testing.T) {
	table := []string{"a@example.org", "example.org", "a@example.org", "example.org", "unused", "mail.example.org"}
	b := []byte{batchVersion, byte(len(table))}
	for _, s := range table {
		b = append(append(b, byte(len(s))), s...)
	}
	entry := func(hash byte, domain, styleDomain, example, from byte, date int64, rcpts ...byte) []byte {
		e := []byte{allFlags, hash, 0, 0, 0, 0, 0, 0, 0, domain, styleDomain, example, byte(Lower | Digits), 4}
		e = binary.AppendVarint(e, date)
		e = append(e, from, byte(len(rcpts)))
		return append(e, rcpts...)
	}
	day := int64(24 * 3600)
	b = append(b, 4)
	b = append(b, entry(1, 1, 1, 5, 0, minDateUnix+day, 0, 2, 2)...)
	b = append(b, entry(2, 3, 3, 3, 2, -2*day, 2, 0)...) // before minDate: undated
	b = append(b, entry(3, 1, 3, 5, 0, 3*day, 0)...)
	b = append(b, entry(3, 3, 1, 1, 2, -day, 2)...) // earlier than the one before
	if n, err := New().AddBatch(b); n != 4 || err != nil {
		t.Fatalf("AddBatch = %d, %v; want 4 entries", n, err)
	}
	want, got := twoIndexes()
	checkBatch(t, want, got, b)
	checkBatch(t, want, got, b)
}

func TestCountsAsDate(t *testing.T) {
	for _, s := range []int64{math.MinInt64, -1, 0, minDateUnix - 1, minDateUnix, minDateUnix + 1, 1 << 40,
		maxDateUnix - 1, maxDateUnix, maxDateUnix + 1, math.MaxInt64} {
		if got, want := countsAsDate(s), !timeUnix(s).Before(minDate); got != want {
			t.Errorf("countsAsDate(%d) = %v, want %v", s, got, want)
		}
	}
}

func TestIDSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s idSet
	if s.has(1) || s.has(0) || s.len() != 0 {
		t.Fatal("empty set not empty")
	}
	want := map[uint64]bool{}
	for i := range 20000 {
		// Values are mixed hashes; mixing small numbers gives repeats.
		v := mixID(rng.Uint64() >> (i % 64))
		switch i % 3 {
		case 0:
			s.add(v)
		case 1:
			s.reserve(i % 50)
			s.add(v)
		default:
			w := mixID(uint64(i % 100))
			vs := []uint64{v, w, 0, v}
			sortTop16(vs, make([]uint64, len(vs)))
			s.addSorted(vs)
			want[w], want[0] = true, true
		}
		want[v] = true
	}
	if s.len() != len(want) {
		t.Errorf("len %d, want %d", s.len(), len(want))
	}
	for v := range want {
		if !s.has(v) {
			t.Fatalf("%x added but not found", v)
		}
	}
	for range 10000 {
		if v := rng.Uint64(); !want[v] && s.has(v) {
			t.Fatalf("%x found but never added", v)
		}
	}
	if n := s.n; n > idRoom(len(s.slots)) {
		t.Errorf("%d values in %d slots", n, len(s.slots))
	}
}

func TestSortTop16(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	vs := make([]uint64, 5000)
	for i := range vs {
		vs[i] = rng.Uint64()
	}
	orig := slices.Clone(vs)
	sortTop16(vs, make([]uint64, len(vs)))
	if !slices.IsSortedFunc(vs, func(a, b uint64) int { return int(a>>48) - int(b>>48) }) {
		t.Error("not sorted by the top 16 bits")
	}
	slices.Sort(vs)
	slices.Sort(orig)
	if !slices.Equal(vs, orig) {
		t.Error("values changed")
	}
}

// FuzzAddBatchSame checks that AddBatch and the reference answer and
// change the index alike for any bytes, once and (when taken) twice.
func FuzzAddBatchSame(f *testing.F) {
	f.Add(AppendBatch(nil, batchEntries()))
	f.Add(AppendBatch(nil, genEntries([]byte("\x01\x02\x03\x41\x04\x05\x16\x07\x08\x09\x33\x44\x55\x66\x77\x88\x99"))))
	f.Add([]byte{1, 0, 1, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		want, got := twoIndexes()
		checkBatch(t, want, got, b)
		checkBatch(t, want, got, b)
	})
}

// FuzzBatchEntries checks, for entries made from the fuzzer's bytes, that
// storing them in batches and adding those gives what the reference gives
// and what adding the entries one by one does.
func FuzzBatchEntries(f *testing.F) {
	f.Add([]byte("\x01\x02\x03\x41\x04\x05\x16\x07\x08\x09\x33\x44\x55\x66\x77\x88\x99"))
	f.Add([]byte("\xff\xfe\xfd\xfc\x13\x57\x9b\xdf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEntries(t, genEntries(data))
	})
}

// storedBatch is AppendBatch(nil, batchEntries()) as the first release of
// the batch format wrote it: state files written then must keep loading.
const storedBatch = "010d106d61696c2e6578616d706c652e636f6d0b6578616d706c652e636f6d11616c696365406578616d706c652e636f6d1568656e7279406f6c642e6578616d706c652e6f7267106976616e406578616d706c652e6e657413756e6461746564406578616d706c652e6f7267136f6e6c792d646f6d61696e2e6578616d706c650b5b3139322e302e322e315d03322e31093139322e302e322e31136f746865722e6578616d706c652e636f2e756b0d6578616d706c652e636f2e756b13616c696365406f746865722e6578616d706c65081f1b26bcb22f442f930001000b1590da8ab00d020203041f4d4d5679ad23ab020001000302ffebbd0102010311eac433fd0fc55bbe02010503d45b12ae14ccee0f06000f4d4d5679ad23ab02000100030280d68702010407ecaa1527640a09c607080902010000001f5390a330f95f819b0a0b0a02078fbadd86060c00"

func TestStoredBatch(t *testing.T) {
	b, err := hex.DecodeString(storedBatch)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendBatch(nil, batchEntries()); !bytes.Equal(got, b) {
		t.Errorf("AppendBatch writes\n%x\nwhere it wrote\n%x", got, b)
	}
	es := batchEntries()
	want := New()
	for _, e := range es {
		want.Add(e)
	}
	got := New()
	if n, err := got.AddBatch(b); n != len(es) || err != nil {
		t.Fatalf("AddBatch = %d, %v; want %d", n, err, len(es))
	}
	sameState(t, want, got)
	same(t, want, got, es)
}
