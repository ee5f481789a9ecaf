// Package sentindex holds what the person really sent: the Message-IDs,
// dates, senders and recipients of the messages in their Sent folder.
//
// The classifier asks it whether a bounced original was the person's own
// mail (its Message-ID is here), whether a failed recipient is someone the
// person wrote to, and over which dates an absence means anything at all.
//
// An Index is safe for concurrent use: readers take a shared lock, so the
// daemon can keep adding newly sent mail while sweeps look things up.
package sentindex

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Entry is what the index keeps of one sent message.
type Entry struct {
	// MessageID is the Message-ID as written, without angle brackets.
	MessageID string
	// Date is the message's Date header; zero when missing or unreadable.
	Date time.Time
	// From is the lower-cased addr-spec of the From header.
	From string
	// Recipients are the lower-cased addr-specs from To, Cc and Bcc.
	Recipients []string
}

// minDate is the earliest Date that counts for coverage and recipient
// times: clients with a broken clock write dates at or near the Unix epoch,
// and letting those stretch the coverage back to 1970 would make the
// absence of a Message-ID look like evidence for decades it says nothing
// about.
var minDate = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Index is an in-memory index of sent mail. The zero value is not usable;
// call New.
type Index struct {
	mu sync.RWMutex
	// ids holds a 64-bit hash of each normalised Message-ID (hashID) rather
	// than the string: a million ids then cost 16 MB (11 to 21 bytes an
	// id, as the table's size is a power of two), and the state file
	// stores the hashes as they are. A collision can only make an id look
	// sent, which keeps a message — the safe error.
	ids         idSet
	first, last time.Time
	wrote       map[string]*recipient
	idDomains   map[string]int
	from        map[string]int
	styles      styleSet
}

// recipient is what the index knows about one address written to.
type recipient struct {
	// times are the Unix seconds of dated messages, kept sorted.
	times []int64
	// undated is set when a message without a usable date went there.
	undated bool
}

// New returns an empty Index.
func New() *Index {
	return &Index{
		wrote:     make(map[string]*recipient),
		idDomains: make(map[string]int),
		from:      make(map[string]int),
	}
}

// Grow makes room for n more Message-IDs, so that adding that many (as
// loading a stored index of known size does) does not rehash the ids over
// and over as they grow.
func (x *Index) Grow(n int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ids.reserve(n)
}

// Add records one sent message. Adding the same Message-ID twice counts it
// once in Len, but its recipients, sender and domain are counted again.
func (x *Index) Add(e Entry) {
	id := normalizeID(e.MessageID)
	x.mu.Lock()
	defer x.mu.Unlock()
	if id != "" {
		x.ids.add(mixID(hashID(id)))
		if _, dom, ok := splitID(id); ok {
			x.idDomains[dom]++
		}
		x.styles.add(id)
	}
	dated := x.addDate(e.Date)
	if f := normalizeAddr(e.From); f != "" {
		x.from[f]++
	}
	for _, r := range e.Recipients {
		if a := normalizeAddr(r); a != "" {
			x.addRecipient(a, dated, e.Date.Unix())
		}
	}
}

// addDate widens the coverage to t and reports whether t counts as a date
// at all. x.mu must be held.
func (x *Index) addDate(t time.Time) bool {
	if t.Before(minDate) {
		return false
	}
	if x.first.IsZero() || t.Before(x.first) {
		x.first = t
	}
	if x.last.IsZero() || t.After(x.last) {
		x.last = t
	}
	return true
}

// addRecipient records a message to the normalised address a. x.mu must
// be held.
func (x *Index) addRecipient(a string, dated bool, unix int64) {
	rc := x.wrote[a]
	if rc == nil {
		rc = &recipient{}
		x.wrote[a] = rc
	}
	if !dated {
		rc.undated = true
		return
	}
	rc.insert(unix)
}

// insert keeps times sorted. Sent folders are read roughly in date order,
// so the append fast path is the usual one.
func (r *recipient) insert(t int64) {
	n := len(r.times)
	if n == 0 || r.times[n-1] <= t {
		r.times = append(r.times, t)
		return
	}
	i := sort.Search(n, func(i int) bool { return r.times[i] > t })
	r.times = append(r.times, 0)
	copy(r.times[i+1:], r.times[i:])
	r.times[i] = t
}

// insertAll inserts the times ts, as insert would one by one. A batch's
// times for one address are usually in order and after those before, and
// are then appended at once.
func (r *recipient) insertAll(ts []int64) {
	if len(ts) == 0 {
		return
	}
	if n := len(r.times); (n == 0 || r.times[n-1] <= ts[0]) && slices.IsSorted(ts) {
		r.times = append(r.times, ts...)
		return
	}
	for _, t := range ts {
		r.insert(t)
	}
}

// HasMessageID reports whether id is the Message-ID of a sent message.
// Angle brackets and surrounding space are ignored; the local part is
// compared case-sensitively and the domain case-insensitively, as RFC 5322
// treats them.
func (x *Index) HasMessageID(id string) bool {
	n := normalizeID(id)
	if n == "" {
		return false
	}
	v := mixID(hashID(n))
	x.mu.RLock()
	ok := x.ids.has(v)
	x.mu.RUnlock()
	return ok
}

// Len returns the number of distinct Message-IDs in the index.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.ids.len()
}

// Coverage returns the oldest and newest Date of the sent messages. ok is
// false when no message had a usable date: then the index covers nothing
// and an absent Message-ID is no evidence of forgery.
func (x *Index) Coverage() (first, last time.Time, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.first, x.last, !x.first.IsZero()
}

// LastWroteTo returns the date of the newest message sent to addr. ok is
// true whenever the person wrote to addr; the time is zero when none of
// those messages had a usable date.
func (x *Index) LastWroteTo(addr string) (time.Time, bool) {
	a := normalizeAddr(addr)
	x.mu.RLock()
	defer x.mu.RUnlock()
	rc := x.wrote[a]
	if rc == nil {
		return time.Time{}, false
	}
	if len(rc.times) == 0 {
		return time.Time{}, true
	}
	return time.Unix(rc.times[len(rc.times)-1], 0).UTC(), true
}

// WroteTo reports whether the person sent a message to addr within window
// of around (either side). A window of zero or less means at any time. A
// message without a usable date matches every window: it proves the person
// wrote to addr, only not when, and erring that way keeps mail.
func (x *Index) WroteTo(addr string, around time.Time, window time.Duration) bool {
	a := normalizeAddr(addr)
	x.mu.RLock()
	defer x.mu.RUnlock()
	rc := x.wrote[a]
	if rc == nil {
		return false
	}
	if rc.undated || window <= 0 {
		return true
	}
	lo := around.Add(-window).Unix()
	hi := around.Add(window).Unix()
	i := sort.Search(len(rc.times), func(i int) bool { return rc.times[i] >= lo })
	return i < len(rc.times) && rc.times[i] <= hi
}

// MessageIDDomains returns the right-hand sides of the sent Message-IDs,
// lower-cased, with how often each occurs. The map is a copy.
func (x *Index) MessageIDDomains() map[string]int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return copyCounts(x.idDomains)
}

// OwnAddresses returns the From addresses of the sent messages with how
// often each occurs. The map is a copy.
func (x *Index) OwnAddresses() map[string]int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return copyCounts(x.from)
}

func copyCounts(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// normalizeID strips space and angle brackets and lower-cases the domain,
// so that one Message-ID written two ways hashes the same.
func normalizeID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "<")
	id = strings.TrimSuffix(id, ">")
	id = strings.TrimSpace(id)
	i := strings.LastIndexByte(id, '@')
	if i < 0 || !hasUpper(id[i+1:]) {
		// Already normal: return without allocating, which keeps
		// look-ups cheap.
		return id
	}
	return id[:i+1] + strings.ToLower(id[i+1:])
}

// hashID is 64-bit FNV-1a of a normalised Message-ID. It must never
// change: the state file stores these hashes. A fixed, public hash is safe
// here because a collision only makes an id look sent (which keeps mail),
// and Go's map hashes the uint64 keys again with a per-process seed, so
// crafted ids cannot slow the map down.
func hashID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// hasUpper reports whether strings.ToLower might change s; any non-ASCII
// byte counts, to stay exact for internationalised domains.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// splitID splits at the last '@' and lower-cases the domain. The last, not
// the first: a quoted local part may itself hold an '@'.
func splitID(id string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(id, '@')
	if i < 0 {
		return "", "", false
	}
	return id[:i], strings.ToLower(id[i+1:]), true
}

// normalizeAddr lower-cases an addr-spec and drops angle brackets. Local
// parts are case-sensitive in theory, but servers treat them alike in
// practice, and a sender's own tools spell recipients in varying case.
func normalizeAddr(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimPrefix(a, "<")
	a = strings.TrimSuffix(a, ">")
	return strings.ToLower(strings.TrimSpace(a))
}
