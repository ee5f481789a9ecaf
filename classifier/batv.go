package classifier

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// BATV, Bounce Address Tag Validation (draft-levine-smtp-batv-01): the
// person's MTA replaces the envelope sender local@domain with
// prvs=KDDDSSSSSS=local@domain, where K is a key number, DDD the day the
// tag expires (days since 1970-01-01, modulo 1000) and SSSSSS the first
// three bytes, in hex, of the HMAC-SHA1 of "KDDD" followed by the original
// address, under the key. Only that MTA can make a tag, so a bounce sent
// to a valid, fresh tag is of mail it sent.

// BATV freshness: a tag names its expiry day; bounces come within days.
// batvMaxAhead bounds how far past the bounce an expiry day may lie
// (senders set a week or so), batvGrace how long after expiry a bounce is
// still taken (a bounce dated just after midnight in another zone).
const (
	batvMaxAhead = 60
	batvGrace    = 1
)

// Bounds on the key file and on what is searched for tags.
const (
	maxBATVKeyFile  = 64 << 10
	maxBATVAddrs    = 8
	maxBATVAddrLen  = 320
	maxBATVScanText = 64 << 10
)

// BATVKeys are the secrets a BATV-signing MTA uses, by key number.
type BATVKeys struct {
	byNum [10][]byte
	any   []byte // a key for every number
}

// ParseBATVKeys reads a key file: one secret per line. A line "K SECRET",
// where K is a single digit and a space or tab follows, is the key of
// number K; any other line is the key for every number without its own
// line. Blank lines and lines starting with '#' are skipped; surrounding
// space is trimmed.
func ParseBATVKeys(b []byte) (*BATVKeys, error) {
	if len(b) > maxBATVKeyFile {
		return nil, fmt.Errorf("BATV key file is %d bytes, more than %d: is it the right file?", len(b), maxBATVKeyFile)
	}
	k := &BATVKeys{}
	found := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxBATVKeyFile)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) > 2 && line[0] >= '0' && line[0] <= '9' && (line[1] == ' ' || line[1] == '\t') {
			k.byNum[line[0]-'0'] = []byte(strings.TrimSpace(line[2:]))
		} else {
			k.any = []byte(line)
		}
		found = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading BATV keys: %w", err)
	}
	if !found {
		return nil, errors.New("BATV key file holds no key")
	}
	return k, nil
}

func (k *BATVKeys) key(num int) []byte {
	if num >= 0 && num < len(k.byNum) && k.byNum[num] != nil {
		return k.byNum[num]
	}
	return k.any
}

// prvsAddr is one parsed prvs address.
type prvsAddr struct {
	raw  string // as found
	num  int    // K
	day  int    // DDD
	hash string // SSSSSS, lower case
	addr string // local@domain, as found
}

// parsePRVS reads "prvs=KDDDSSSSSS=local@domain" (case-insensitive
// prefix).
func parsePRVS(s string) (prvsAddr, bool) {
	if len(s) > maxBATVAddrLen || len(s) < len("prvs=0000000000=a@b") || !strings.EqualFold(s[:5], "prvs=") {
		return prvsAddr{}, false
	}
	tag, addr, ok := strings.Cut(s[5:], "=")
	if !ok || len(tag) != 10 {
		return prvsAddr{}, false
	}
	for i := 0; i < 4; i++ {
		if tag[i] < '0' || tag[i] > '9' {
			return prvsAddr{}, false
		}
	}
	hash := strings.ToLower(tag[4:])
	if _, err := hex.DecodeString(hash); err != nil {
		return prvsAddr{}, false
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return prvsAddr{}, false
	}
	day := int(tag[1]-'0')*100 + int(tag[2]-'0')*10 + int(tag[3]-'0')
	return prvsAddr{raw: s, num: int(tag[0] - '0'), day: day, hash: hash, addr: addr}, true
}

// batvHash computes SSSSSS for key number num, day day and address addr.
func batvHash(key []byte, num, day int, addr string) string {
	m := hmac.New(sha1.New, key)
	fmt.Fprintf(m, "%d%03d%s", num, day, addr)
	return hex.EncodeToString(m.Sum(nil)[:3])
}

// batvDay is the BATV day number of t.
func batvDay(t time.Time) int {
	return int(t.Unix()/86400) % 1000
}

// verify reports whether a's hash is right under k. The address is tried
// as found and lower-cased: some MTAs lower-case the envelope sender
// before signing, and some bouncers lower-case it before quoting it.
func (k *BATVKeys) verify(a prvsAddr) bool {
	key := k.key(a.num)
	if key == nil {
		return false
	}
	want, _ := hex.DecodeString(a.hash)
	for _, addr := range []string{a.addr, strings.ToLower(a.addr)} {
		got, _ := hex.DecodeString(batvHash(key, a.num, a.day, addr))
		if hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// fresh reports whether a tag expiring on day number day was still valid
// at t, and the expiry date that reading implies.
func batvFresh(day int, t time.Time) (bool, time.Time) {
	today := batvDay(t)
	ahead := ((day-today)%1000 + 1000) % 1000 // days until expiry, modulo the wrap
	if ahead <= batvMaxAhead {
		return true, t.Add(time.Duration(ahead) * 24 * time.Hour)
	}
	late := 1000 - ahead
	return late <= batvGrace, t.Add(-time.Duration(late) * 24 * time.Hour)
}

// batvSignals weighs the address a bounce was sent to against the
// person's BATV keys.
func (c *Classifier) batvSignals(e *evidence, m *mailparse.Message, r *bounce.Report, me identity) {
	if c.BATV == nil {
		return
	}
	if r.Kind != bounce.DSN && r.Kind != bounce.Bounce {
		// Auto-replies, challenges and AV notices answer the From
		// header, which BATV does not tag.
		e.add("batv", Neutral, "BATV does not apply to a %s: it answers the From header, not the tagged envelope sender", r.Kind)
		return
	}
	at := bounceTime(m, c.now())
	addrs := prvsAddresses(m)
	var bad []string
	for _, a := range addrs {
		if !c.BATV.verify(a) {
			bad = append(bad, fmt.Sprintf("%s does not verify with your key %d", a.raw, a.num))
			continue
		}
		fresh, expiry := batvFresh(a.day, at)
		if fresh {
			e.add("batv", SentProof, "the bounce is addressed to %s, whose BATV tag verifies with your key and was fresh (expires %s) when the bounce arrived (%s)", a.raw, day(expiry), day(at))
			return
		}
		bad = append(bad, fmt.Sprintf("%s verifies but had expired (%s) when the bounce arrived (%s): a replayed address", a.raw, day(expiry), day(at)))
	}
	if len(bad) > 0 {
		e.add("batv", ForgedStrong, "BATV: %s", strings.Join(bad, "; "))
		return
	}
	if own, ok := c.ownBounce(m, me); ok {
		e.add("batv", Neutral, "no BATV tag, but the bounce comes from your own system (%s), which bounces before tagging", own)
		return
	}
	e.add("batv", ForgedStrong, "the bounce is not addressed to a BATV-tagged address (Delivered-To, X-Original-To, To), but your server tags every message it sends (--batv-key)")
}

// prvsAddresses finds the prvs addresses a bounce was sent to: in the
// fields that carry the envelope recipient, and in a delivery-status part
// (Postfix names the tagged sender there).
func prvsAddresses(m *mailparse.Message) []prvsAddr {
	var out []prvsAddr
	seen := map[string]bool{}
	scan := func(s string) {
		for len(out) < maxBATVAddrs {
			i := indexFold(s, "prvs=")
			if i < 0 {
				return
			}
			j := i
			for j < len(s) && j-i < maxBATVAddrLen && isBATVAddrByte(s[j]) {
				j++
			}
			cand := s[i:j]
			s = s[j:]
			if a, ok := parsePRVS(cand); ok && !seen[cand] {
				seen[cand] = true
				out = append(out, a)
			}
		}
	}
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To"} {
		for _, v := range m.Header.Values(k) {
			scan(v)
		}
	}
	for _, p := range m.Parts {
		if p.MediaType == "message/delivery-status" || p.MediaType == "message/global-delivery-status" {
			scan(string(p.Body[:min(len(p.Body), maxBATVScanText)]))
		}
	}
	return out
}

func isBATVAddrByte(c byte) bool {
	return c > ' ' && c < 127 && !strings.ContainsRune("<>,;:\"'()[]", rune(c))
}

// indexFold is strings.Index ignoring ASCII case, for an ASCII needle.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// ownBounce reports whether a bounce was made by the person's own system
// — From an address at one of their domains, or a host matching --relay —
// whose bounces go to the envelope sender before the outgoing relay tags
// it.
func (c *Classifier) ownBounce(m *mailparse.Message, me identity) (string, bool) {
	from := mailparse.Address(m.Header.Get("From"))
	d := domainOf(from)
	if d == "" {
		return "", false
	}
	if me.domains[d] {
		return "From " + from, true
	}
	if _, ok := c.matchRelay(d); ok {
		return "From " + from, true
	}
	return "", false
}

// bounceTime is when the bounce arrived: the date of its newest Received
// field (written by the person's own server), else its Date, else now.
// Freshness is judged then, not now, so that an old bounce in the backlog
// is not taken for a replay.
func bounceTime(m *mailparse.Message, now time.Time) time.Time {
	if rs := m.Header.Values("Received"); len(rs) > 0 {
		v := rs[0]
		if i := strings.LastIndexByte(v, ';'); i >= 0 {
			if t, ok := mailparse.Date(v[i+1:]); ok {
				return t.UTC()
			}
		}
	}
	if t, ok := mailparse.Date(m.Header.Get("Date")); ok {
		return t.UTC()
	}
	return now.UTC()
}
