package sentindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// A batch is the stored form of some entries: what the index keeps of them
// and nothing more — the Message-ID's 64-bit hash, its domain and style,
// the date, the sender and the recipients — packed so that a million sent
// messages load in a fraction of a second. Strings (domains, addresses)
// are written once per batch in a table and referred to by number.
//
//	batch   = version:byte nstrings:uvarint {len:uvarint bytes} nentries:uvarint {entry}
//	entry   = flags:byte [hash:8 bytes LE] [domain:uvarint]
//	          [styledomain:uvarint example:uvarint classes:byte length:uvarint]
//	          [date:varint, seconds after the previous dated entry's] [from:uvarint]
//	          nrecipients:uvarint {recipient:uvarint}
const batchVersion = 1

// Entry flags: which optional fields follow.
const (
	hasID = 1 << iota
	hasDomain
	hasStyle
	hasDate
	hasFrom
	allFlags = hasID | hasDomain | hasStyle | hasDate | hasFrom
)

// ErrBadBatch is returned (wrapped) by AddBatch for bytes that are not a
// batch AppendBatch wrote: a damaged or foreign state file.
var ErrBadBatch = errors.New("malformed sent-index batch")

// AppendBatch appends the stored form of entries to dst. Adding the result
// with AddBatch gives the index what Add would have given it for each
// entry.
func AppendBatch(dst []byte, entries []Entry) []byte {
	var strs []string
	num := map[string]uint64{}
	ref := func(s string) uint64 {
		n, ok := num[s]
		if !ok {
			n = uint64(len(strs))
			num[s] = n
			strs = append(strs, s)
		}
		return n
	}
	// Entries are encoded first, into body, so that the table is complete
	// before it is written.
	var body []byte
	var prev int64
	for _, e := range entries {
		var flags byte
		mark := len(body)
		body = append(body, 0)
		id := normalizeID(e.MessageID)
		if id != "" {
			flags |= hasID
			body = binary.LittleEndian.AppendUint64(body, hashID(id))
			if _, dom, ok := splitID(id); ok {
				flags |= hasDomain
				body = binary.AppendUvarint(body, ref(dom))
			}
			if dom, example, cls, n, ok := IDStyle(id); ok {
				flags |= hasStyle
				body = binary.AppendUvarint(body, ref(dom))
				body = binary.AppendUvarint(body, ref(example))
				body = append(body, byte(cls))
				body = binary.AppendUvarint(body, uint64(n))
			}
		}
		if !e.Date.Before(minDate) {
			flags |= hasDate
			u := e.Date.Unix()
			body = binary.AppendVarint(body, u-prev)
			prev = u
		}
		if f := normalizeAddr(e.From); f != "" {
			flags |= hasFrom
			body = binary.AppendUvarint(body, ref(f))
		}
		var rcpts []uint64
		for _, r := range e.Recipients {
			if a := normalizeAddr(r); a != "" {
				rcpts = append(rcpts, ref(a))
			}
		}
		body = binary.AppendUvarint(body, uint64(len(rcpts)))
		for _, n := range rcpts {
			body = binary.AppendUvarint(body, n)
		}
		body[mark] = flags
	}
	dst = append(dst, batchVersion)
	dst = binary.AppendUvarint(dst, uint64(len(strs)))
	for _, s := range strs {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(entries)))
	return append(dst, body...)
}

// AddBatch adds the entries of a batch written by AppendBatch and returns
// how many there were. The batch is checked whole before anything is
// added, so a damaged one (ErrBadBatch) leaves the index as it was.
func (x *Index) AddBatch(b []byte) (int, error) {
	d := batchReader{b: b}
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
	err = d.entries(n, len(table), func(r *batchEntry) {
		if r.flags&hasID != 0 {
			x.ids[r.hash] = struct{}{}
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

func timeUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// batchEntry is one decoded entry; string fields are table numbers.
type batchEntry struct {
	flags                        byte
	hash                         uint64
	domain, styleDomain, example int
	classes                      byte
	length                       int
	date                         int64 // Unix seconds
	from                         int
	rcpts                        []int
}

// batchReader decodes a batch, refusing anything out of bounds.
type batchReader struct {
	b []byte
}

func (d *batchReader) fail(what string) error {
	return fmt.Errorf("%w: %s at %d bytes from the end", ErrBadBatch, what, len(d.b))
}

// index reads a string number, which must be below nstr.
func (d *batchReader) index(what string, nstr int) (int, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v >= uint64(nstr) {
		return 0, d.fail(what)
	}
	d.b = d.b[n:]
	return int(v), nil
}

// uvarint reads a count or length of at most limit (limit ≥ 0).
func (d *batchReader) uvarint(what string, limit int) (int, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(limit) {
		return 0, d.fail(what)
	}
	d.b = d.b[n:]
	return int(v), nil
}

// header reads the version and the string table, and returns the number
// of entries that follow.
func (d *batchReader) header() ([][]byte, int, error) {
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
func (d *batchReader) entries(n, nstr int, fn func(*batchEntry)) error {
	var r batchEntry
	var prev int64
	for i := 0; i < n; i++ {
		if len(d.b) == 0 || d.b[0]&^allFlags != 0 {
			return d.fail("entry flags")
		}
		r = batchEntry{flags: d.b[0], rcpts: r.rcpts[:0]}
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
