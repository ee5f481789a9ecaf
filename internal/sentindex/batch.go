package sentindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
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
//
// Loading a stored index is a chain of these, so the entries are read once,
// while checking the batch, into a summary of what the index gains, and the
// summary is added under the lock: the ids sorted by the slot they want,
// per string of the table what it counts as (each looked up in the maps
// once, not once per entry), per recipient the dates of the batch's
// messages to them in one run, the range of the dates and the styles per
// domain. The index ends up just as adding the entries one by one would
// leave it.
func (x *Index) AddBatch(b []byte) (int, error) {
	d := batchReader{b: b}
	strs, n, err := d.header()
	if err != nil {
		return 0, err
	}
	sum := summaries.Get().(*batchSummary)
	defer summaries.Put(sum)
	sum.reset(len(strs), n)
	var r batchEntry
	for range n {
		if err := d.entry(&r); err != nil {
			return 0, err
		}
		sum.add(&r)
	}
	if err := d.end(); err != nil {
		return 0, err
	}
	sum.tmp = slices.Grow(sum.tmp[:0], len(sum.ids))[:len(sum.ids)]
	sortTop16(sum.ids, sum.tmp)
	times := sum.timesByRecipient()

	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids.addSorted(sum.ids)
	rcpts := x.batchRecipients(strs, sum.uses)
	// The times of recipients that have none yet share one allocation;
	// each is capped, so that appending to one cannot touch the next.
	fresh := 0
	for i, u := range sum.uses {
		if u.rcpt > 0 && len(rcpts[i].times) == 0 {
			fresh += u.dated
		}
	}
	block := make([]int64, 0, fresh)
	for i, u := range sum.uses {
		if u.rcpt == 0 {
			continue
		}
		rc := rcpts[i]
		if u.undated {
			rc.undated = true
		}
		ts := times[u.times : u.times+u.dated]
		if len(rc.times) == 0 && len(ts) > 0 {
			start := len(block)
			block = append(block, ts...)
			rc.times = block[start:len(block):len(block)]
			if !slices.IsSorted(rc.times) {
				slices.Sort(rc.times) // as insert would leave them
			}
			continue
		}
		rc.insertAll(ts)
	}
	for _, st := range sum.styles {
		x.styles.total += st.Count
		if s := x.styles.lookup(strs[st.domain], strs[st.example], st.MinLen); s != nil {
			s.mergeAll(&st.Style)
		}
	}
	if sum.dates.ok {
		x.addDate(timeUnix(sum.dates.min))
		x.addDate(timeUnix(sum.dates.max))
	}
	for i, u := range sum.uses {
		if u.domain > 0 {
			x.idDomains[string(strs[i])] += u.domain
		}
		if u.from > 0 {
			x.from[string(strs[i])] += u.from
		}
	}
	return n, nil
}

// batchSummary is what the entries of a batch add to an index. Nothing
// of it is kept in the index: the slices are reused, from summaries, for
// the next batch.
type batchSummary struct {
	ids    []uint64    // mixID of the ids' hashes
	uses   []stringUse // by table number
	styles []batchStyle
	dates  dateRange
	// The recipients of dated entries (table numbers) and the dates, in
	// the order of the entries.
	rcptOf []int
	rcptAt []int64
	// Scratch space: for sorting ids, and for timesByRecipient's result.
	tmp   []uint64
	times []int64
}

// summaries holds batchSummary values for reuse: loading a stored index
// adds one batch after another, each needing as much scratch space as the
// one before.
var summaries = sync.Pool{New: func() any { return new(batchSummary) }}

// reset empties s for a batch of nstr strings and n entries.
func (s *batchSummary) reset(nstr, n int) {
	s.ids = slices.Grow(s.ids[:0], n)
	s.uses = slices.Grow(s.uses[:0], nstr)[:nstr]
	clear(s.uses)
	s.styles = s.styles[:0]
	s.dates = dateRange{}
	s.rcptOf = s.rcptOf[:0]
	s.rcptAt = s.rcptAt[:0]
}

// stringUse is what one string of a batch's table is used for.
type stringUse struct {
	domain, from int  // entries with it as Message-ID domain, as sender
	rcpt, dated  int  // entries with it as recipient, and of those the dated
	undated      bool // whether one of those was undated
	style        int  // 1 + its number in batchSummary.styles; 0 for none
	times        int  // where its dates start in timesByRecipient's result
}

// batchStyle is the style of the ids of one style domain in a batch, as
// styleSet.learn would make it of them: Example, from the first id.
type batchStyle struct {
	Style
	domain, example int // table numbers
}

// add counts the entry r in.
func (s *batchSummary) add(r *batchEntry) {
	if r.flags&hasID != 0 {
		s.ids = append(s.ids, mixID(r.hash))
	}
	if r.flags&hasDomain != 0 {
		s.uses[r.domain].domain++
	}
	if r.flags&hasStyle != 0 {
		u := &s.uses[r.styleDomain]
		if u.style == 0 {
			s.styles = append(s.styles, batchStyle{
				Style:   Style{MinLen: r.length, MaxLen: r.length},
				domain:  r.styleDomain,
				example: r.example,
			})
			u.style = len(s.styles)
		}
		s.styles[u.style-1].merge(CharClasses(r.classes), r.length)
	}
	dated := r.flags&hasDate != 0 && countsAsDate(r.date)
	if dated {
		s.dates.add(r.date)
	}
	if r.flags&hasFrom != 0 {
		s.uses[r.from].from++
	}
	for _, a := range r.rcpts {
		u := &s.uses[a]
		u.rcpt++
		if !dated {
			u.undated = true
			continue
		}
		u.dated++
		s.rcptOf = append(s.rcptOf, a)
		s.rcptAt = append(s.rcptAt, r.date)
	}
}

// timesByRecipient returns the dates of rcptAt grouped by recipient, each
// group in the order of the entries, and sets where each recipient's group
// starts (stringUse.times).
func (s *batchSummary) timesByRecipient() []int64 {
	next := 0
	for i := range s.uses {
		s.uses[i].times = next
		next += s.uses[i].dated
	}
	s.times = slices.Grow(s.times[:0], len(s.rcptAt))[:len(s.rcptAt)]
	times := s.times
	for k, a := range s.rcptOf {
		u := &s.uses[a]
		times[u.times] = s.rcptAt[k]
		u.times++
	}
	// Each recipient's start moved to the end of its group: move it back.
	for i := range s.uses {
		s.uses[i].times -= s.uses[i].dated
	}
	return times
}

// dateRange is the oldest and newest of some dates, in Unix seconds.
type dateRange struct {
	min, max int64
	ok       bool
}

func (r *dateRange) add(t int64) {
	if !r.ok {
		r.min, r.max, r.ok = t, t, true
		return
	}
	r.min = min(r.min, t)
	r.max = max(r.max, t)
}

// Unix seconds of minDate, and the last second time.Unix takes without
// wrapping around.
var (
	minDateUnix = minDate.Unix()
	maxDateUnix = int64(math.MaxInt64) - (-time.Time{}.Unix())
)

// countsAsDate reports whether addDate(timeUnix(t)) would: whether t is
// at or after minDate (and, for damaged or foreign batches, not so far
// ahead that time.Unix wraps it round to a date before). It lets AddBatch
// widen the coverage once per batch, by the batch's oldest and newest dates,
// instead of once per entry.
func countsAsDate(t int64) bool {
	return t >= minDateUnix && t <= maxDateUnix
}

// batchRecipients returns, by table number, the recipient of each string
// the batch's entries were sent to (nil for the others), adding those new
// to the index. x.mu must be held.
func (x *Index) batchRecipients(strs [][]byte, uses []stringUse) []*recipient {
	rcpts := make([]*recipient, len(strs))
	newN, newBytes := 0, 0
	for i, u := range uses {
		if u.rcpt == 0 {
			continue
		}
		if rc := x.wrote[string(strs[i])]; rc != nil {
			rcpts[i] = rc
			continue
		}
		newN++
		newBytes += len(strs[i])
	}
	if newN == 0 {
		return rcpts
	}
	// The new addresses' keys are substrings of one string, and their
	// records elements of one slice: nothing is ever removed from the
	// index, so neither keeps anything alive that it would not anyway.
	var keys strings.Builder
	keys.Grow(newBytes)
	fresh := make([]recipient, newN)
	if len(x.wrote) == 0 {
		x.wrote = make(map[string]*recipient, newN)
	}
	for i, u := range uses {
		if u.rcpt == 0 || rcpts[i] != nil {
			continue
		}
		// Looked up again: a table not written by AppendBatch may hold an
		// address twice.
		rc := x.wrote[string(strs[i])]
		if rc == nil {
			rc = &fresh[0]
			fresh = fresh[1:]
			start := keys.Len()
			keys.Write(strs[i])
			x.wrote[keys.String()[start:]] = rc
		}
		rcpts[i] = rc
	}
	return rcpts
}

// BatchLen returns the number of entries in a batch written by
// AppendBatch, reading only its header: enough to Grow an index before
// adding a stored one. The rest of the batch is not checked.
func BatchLen(b []byte) (int, error) {
	d := batchReader{b: b}
	_, n, err := d.readHeader(false)
	return n, err
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

// batchReader decodes a batch, refusing anything out of bounds. It moves
// an offset through b rather than reslicing it: b is then never written
// while decoding, which spares every step a write barrier while the
// garbage collector runs (as it does, often, while an index is loaded).
type batchReader struct {
	b    []byte
	off  int
	nstr int   // strings in the table: string numbers must be below
	prev int64 // date of the last dated entry, Unix seconds
}

func (d *batchReader) fail(what string) error {
	return fmt.Errorf("%w: %s at %d bytes from the end", ErrBadBatch, what, len(d.b)-d.off)
}

// index reads a string number, which must be below d.nstr.
func (d *batchReader) index(what string) (int, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 || v >= uint64(d.nstr) {
		return 0, d.fail(what)
	}
	d.off += n
	return int(v), nil
}

// uvarint reads a count or length of at most limit (limit ≥ 0).
func (d *batchReader) uvarint(what string, limit int) (int, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 || v > uint64(limit) {
		return 0, d.fail(what)
	}
	d.off += n
	return int(v), nil
}

// left is the number of bytes not yet read.
func (d *batchReader) left() int { return len(d.b) - d.off }

// header reads the version and the string table, and returns the strings
// and the number of entries that follow.
func (d *batchReader) header() ([][]byte, int, error) {
	return d.readHeader(true)
}

// readHeader is header, returning no strings unless keep is set.
func (d *batchReader) readHeader(keep bool) ([][]byte, int, error) {
	if len(d.b) == 0 || d.b[0] != batchVersion {
		return nil, 0, d.fail("unknown version")
	}
	d.off = 1
	// Every string and every entry takes at least one byte, which bounds
	// the counts by the batch's size.
	ns, err := d.uvarint("string count", d.left())
	if err != nil {
		return nil, 0, err
	}
	var strs [][]byte
	if keep {
		strs = make([][]byte, ns)
	}
	for i := range ns {
		l, err := d.uvarint("string length", d.left())
		if err != nil {
			return nil, 0, err
		}
		if l > d.left() {
			return nil, 0, d.fail("string length")
		}
		if keep {
			strs[i] = d.b[d.off : d.off+l : d.off+l]
		}
		d.off += l
	}
	d.nstr = ns
	n, err := d.uvarint("entry count", d.left())
	return strs, n, err
}

// entry decodes the next entry into r, reusing r.rcpts.
func (d *batchReader) entry(r *batchEntry) error {
	if d.off >= len(d.b) || d.b[d.off]&^allFlags != 0 {
		return d.fail("entry flags")
	}
	*r = batchEntry{flags: d.b[d.off], rcpts: r.rcpts[:0]}
	d.off++
	var err error
	if r.flags&hasID != 0 {
		if d.left() < 8 {
			return d.fail("hash")
		}
		r.hash = binary.LittleEndian.Uint64(d.b[d.off:])
		d.off += 8
	}
	if r.flags&hasDomain != 0 {
		if r.domain, err = d.index("domain"); err != nil {
			return err
		}
	}
	if r.flags&hasStyle != 0 {
		if r.styleDomain, err = d.index("style domain"); err != nil {
			return err
		}
		if r.example, err = d.index("style example"); err != nil {
			return err
		}
		if d.off >= len(d.b) {
			return d.fail("style classes")
		}
		r.classes = d.b[d.off]
		d.off++
		if r.length, err = d.uvarint("style length", maxStyledLocal); err != nil {
			return err
		}
	}
	if r.flags&hasDate != 0 {
		delta, k := binary.Varint(d.b[d.off:])
		prev := d.prev
		if k <= 0 || (delta > 0 && prev > math.MaxInt64-delta) || (delta < 0 && prev < math.MinInt64-delta) {
			return d.fail("date")
		}
		d.off += k
		d.prev = prev + delta
		r.date = d.prev
	}
	if r.flags&hasFrom != 0 {
		if r.from, err = d.index("sender"); err != nil {
			return err
		}
	}
	nr, err := d.uvarint("recipient count", d.left())
	if err != nil {
		return err
	}
	for range nr {
		a, err := d.index("recipient")
		if err != nil {
			return err
		}
		r.rcpts = append(r.rcpts, a)
	}
	return nil
}

// end checks that nothing follows the last entry.
func (d *batchReader) end() error {
	if d.off != len(d.b) {
		return d.fail("trailing bytes")
	}
	return nil
}
