package mailparse

import (
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
		// No brackets at all: a bare id-left@id-right.
		for _, tok := range strings.Fields(v) {
			if id := cleanID(tok); strings.Contains(id, "@") {
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

// Addresses returns the lower-cased addr-specs in an address-list header
// value. Where net/mail rejects the list (unquoted specials, stray
// brackets), it falls back to picking out anything shaped like local@domain.
func Addresses(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if list, err := mail.ParseAddressList(v); err == nil {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
		return out
	}
	return FindAddresses(v, 64)
}

// Address returns the first addr-spec in v, lower-cased, or "".
func Address(v string) string {
	if a, err := mail.ParseAddress(v); err == nil {
		return strings.ToLower(a.Address)
	}
	if as := FindAddresses(v, 1); len(as) > 0 {
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

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 (MST)",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	time.RFC3339,
}

// Date parses a Date header value leniently; ok is false when nothing fits.
func Date(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t, true
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
