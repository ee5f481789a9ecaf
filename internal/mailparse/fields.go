package mailparse

import (
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message/charset"
)

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// DecodeWords decodes RFC 2047 encoded words; on error it returns s as is.
func DecodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// MessageID returns the first msg-id in v without its angle brackets. It
// accepts what real mailers write: a missing bracket, spaces, comments
// before the id. "" when v holds nothing that could be an id.
func MessageID(v string) string {
	ids := MessageIDs(v, 1)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// MessageIDs returns up to max msg-ids from a References or In-Reply-To
// style list, without angle brackets.
func MessageIDs(v string, max int) []string {
	var ids []string
	rest := v
	for len(ids) < max {
		open := strings.IndexByte(rest, '<')
		if open < 0 {
			break
		}
		closing := strings.IndexByte(rest[open:], '>')
		var id string
		if closing < 0 {
			id, rest = rest[open+1:], ""
		} else {
			id, rest = rest[open+1:open+closing], rest[open+closing+1:]
		}
		if id = cleanID(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 && max > 0 {
		// No brackets at all: a bare id-left@id-right, or a lone token
		// some mailers write without the @.
		toks := strings.Fields(v)
		for _, tok := range toks {
			if id := cleanID(tok); strings.Contains(id, "@") {
				return []string{id}
			}
		}
		if len(toks) == 1 && len(toks[0]) >= 8 {
			if id := cleanID(toks[0]); id != "" {
				return []string{id}
			}
		}
	}
	return ids
}

func cleanID(id string) string {
	id = strings.Trim(id, " \t\r\n<>\"")
	if id == "" || len(id) > 998 || strings.ContainsAny(id, " \t<>") {
		return ""
	}
	return id
}

// addrParser decodes encoded words in display names only so that net/mail
// accepts them; display names are thrown away, so an unknown charset is
// passed through undecoded rather than failing the list.
var addrParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
}}

// MaxAddresses bounds the addresses read from one header field.
const MaxAddresses = 10000

// Addresses returns the lower-cased addr-specs in an address-list header
// value, at most MaxAddresses.
func Addresses(v string) []string { return addressList(v, MaxAddresses) }

// addressList returns up to max lower-cased addr-specs. When net/mail rejects the list as a whole (unquoted
// specials, stray brackets), each comma-separated piece is tried alone,
// and a piece that still fails yields whatever looks like local@domain.
func addressList(v string, max int) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if as, ok := simpleList(v, max); ok {
		return as
	}
	return parsedList(v, max)
}

// parsedList is addressList for values simpleList does not take: net/mail
// first, then piece by piece.
func parsedList(v string, max int) []string {
	var out []string
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && strings.Contains(a, "@") && len(out) < max {
			out = append(out, a)
		}
	}
	if list, err := addrParser.ParseList(v); err == nil {
		for _, a := range list {
			add(a.Address)
		}
		return out
	}
	for _, piece := range splitList(v) {
		if len(out) >= max {
			break
		}
		if a, err := addrParser.Parse(piece); err == nil {
			add(a.Address)
			continue
		}
		for _, a := range FindAddresses(piece, max) {
			add(a)
		}
	}
	return out
}

// simpleList reads the address lists nearly every header holds — comma-
// separated "local@domain", "<local@domain>" or "Plain Name <local@domain>"
// in plain ASCII — without net/mail, which allocates at every step. ok is
// false for anything else (quotes, comments, encoded words, groups, empty
// elements, unusual characters), which then takes the full path; for what
// it accepts the answer is the one net/mail gives.
func simpleList(v string, max int) (out []string, ok bool) {
	for rest := v; ; {
		piece, tail, more := strings.Cut(rest, ",")
		a, ok := simpleAddress(strings.Trim(piece, " \t"))
		if !ok {
			return nil, false
		}
		if len(out) < max {
			out = append(out, strings.ToLower(a))
		}
		if !more {
			return out, true
		}
		rest = tail
	}
}

// simpleAddress returns the addr-spec of one simple mailbox (see
// simpleList).
func simpleAddress(p string) (string, bool) {
	if !strings.HasSuffix(p, ">") {
		return p, simpleAddrSpec(p)
	}
	open := strings.IndexByte(p, '<')
	if open < 0 {
		return "", false
	}
	if !simpleName(p[:open]) {
		return "", false
	}
	spec := p[open+1 : len(p)-1]
	return spec, simpleAddrSpec(spec)
}

// simpleName reports a display name of plain words (letters, digits, '-'
// and '_'), or one quoted string of printable ASCII without escapes, as
// mail clients write names with dots or apostrophes: "J. O'Neil".
func simpleName(s string) bool {
	s = strings.Trim(s, " \t")
	if len(s) >= 3 && s[0] == '"' && s[len(s)-1] == '"' {
		for i := 1; i < len(s)-1; i++ {
			if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// simpleAddrSpec reports whether s is local@domain with both sides
// dot-separated runs of letters, digits and, in the local part, "+-_" (in
// the domain "-").
func simpleAddrSpec(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && dotRuns(s[:at], "+-_") && dotRuns(s[at+1:], "-")
}

// dotRuns reports whether s is non-empty runs of letters, digits and the
// bytes in extra, joined by single dots.
func dotRuns(s, extra string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if run == 0 {
				return false
			}
			run = 0
		case isAlnum(c) || strings.IndexByte(extra, c) >= 0:
			run++
		default:
			return false
		}
	}
	return run > 0
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// splitList splits an address list at commas (and semicolons, which
// Outlook writes) outside quotes and angle brackets.
func splitList(v string) []string {
	var pieces []string
	quoted, angle := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			angle = true
		case c == '>' && !quoted:
			angle = false
		case (c == ',' || c == ';') && !quoted && !angle:
			pieces = append(pieces, v[start:i])
			start = i + 1
		}
	}
	return append(pieces, v[start:])
}

// Address returns the first addr-spec in v, lower-cased, or "".
func Address(v string) string {
	if strings.IndexByte(v, ',') < 0 {
		// One mailbox, as From and Sender hold: no list to make.
		if a, ok := simpleAddress(strings.Trim(v, " \t")); ok {
			return strings.ToLower(a)
		}
	}
	if as := addressList(v, 1); len(as) > 0 {
		return as[0]
	}
	return ""
}

// FindAddresses picks up to max things shaped like local@domain.tld out of
// free text, lower-cased and without duplicates.
func FindAddresses(s string, max int) []string {
	var out []string
	for i := 0; i < len(s) && len(out) < max; i++ {
		if s[i] != '@' {
			continue
		}
		start := i
		for start > 0 && isAddrByte(s[start-1], true) {
			start--
		}
		end := i + 1
		for end < len(s) && isAddrByte(s[end], false) {
			end++
		}
		local := strings.TrimLeft(s[start:i], ".")
		domain := strings.TrimRight(s[i+1:end], ".-")
		i = end
		if local == "" || !strings.Contains(domain, ".") || len(local) > 64 || len(domain) > 255 {
			continue
		}
		a := strings.ToLower(local + "@" + domain)
		dup := false
		for _, o := range out {
			dup = dup || o == a
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

func isAddrByte(c byte, local bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '.' || c == '-':
		return true
	case local && strings.IndexByte("_+=!#$%&'*/?^`{|}~", c) >= 0:
		return true
	case !local && c == '_':
		return true
	}
	return false
}

// dateLayouts are tried after net/mail.ParseDate fails; they are forms
// seen from broken clients and scripts.
var dateLayouts = []string{
	"Mon, _2 Jan 2006 15:04:05 MST",
	"Mon, _2 Jan 06 15:04:05 -0700",
	"Mon, _2 Jan 2006 15:04 -0700",
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan _2 15:04:05 -0700 2006",
	"Mon, _2 Jan 2006 15:04:05",
	"_2 Jan 2006 15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	time.RFC3339,
}

// Date parses a Date header value leniently; ok is false when nothing fits.
func Date(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, ok := fastDate(v); ok {
		return t, true
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t, true
	}
	// A trailing comment such as "(JST)" trips up the fallback layouts.
	if i := strings.IndexByte(v, '('); i > 0 {
		v = v[:i]
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// fastDate parses the RFC 5322 form nearly every MTA writes with one
// layout: net/mail tries dozens and allocates an error for each one that
// fails.
func fastDate(s string) (time.Time, bool) {
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndexByte(s, '('); i > 0 {
			s = strings.TrimRight(s[:i], " \t")
		}
	}
	layout := "2 Jan 2006 15:04:05 -0700"
	if strings.IndexByte(s, ',') >= 0 {
		layout = "Mon, 2 Jan 2006 15:04:05 -0700"
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}
