package dsn

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// splitType splits a typed value, "type; text" (RFC 3464 section 2.1.2:
// address-type, diagnostic-type, mta-name-type). A value without a
// plausible type before its first semicolon is all text: many MTAs leave
// the type out.
func splitType(v []byte) (typ, text []byte) {
	semi := bytes.IndexByte(v, ';')
	if semi <= 0 || semi > 40 {
		return nil, trimSpace(v)
	}
	t := trimSpace(v[:semi])
	if len(t) == 0 {
		return nil, trimSpace(v)
	}
	for _, c := range t {
		if !isAtomByte(c) {
			return nil, trimSpace(v)
		}
	}
	return t, trimSpace(v[semi+1:])
}

// isAtomByte reports whether c may appear in a type name. The slash is
// there for MTAs that write "rfc/822".
func isAtomByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/'
}

// address reads an address field: "rfc822; a@example.org", "RFC822;<a@example.org>",
// "a@example.org (comment)", "utf-8; \x{4E2D}@example.org" (RFC 6533
// section 3). It returns the address as written, without type, brackets or
// comment.
func address(v []byte) string {
	typ, a := splitType(v)
	if lt := bytes.IndexByte(a, '<'); lt >= 0 {
		a = a[lt+1:]
		if gt := bytes.IndexByte(a, '>'); gt >= 0 {
			a = a[:gt]
		}
	} else if bytes.ContainsAny(a, " \t") {
		a = firstAddressWord(a)
	}
	a = trimSpace(a)
	if bytes.EqualFold(typ, []byte("utf-8")) {
		return decodeUnitext(a)
	}
	return string(a)
}

// firstAddressWord returns the first space-separated word of a holding an
// "@", else its first word.
func firstAddressWord(a []byte) []byte {
	first := a
	for i := 0; len(a) > 0; i++ {
		a = bytes.TrimLeft(a, " \t")
		end := bytes.IndexAny(a, " \t")
		if end < 0 {
			end = len(a)
		}
		w := a[:end]
		if i == 0 {
			first = w
		}
		if bytes.IndexByte(w, '@') >= 0 {
			return w
		}
		a = a[end:]
	}
	return first
}

// decodeUnitext decodes the EmbeddedUnicodeChar escapes (\x{HHHH}) of
// utf-8-addr-xtext and utf-8-addr-unitext (RFC 6533 section 3). An escape
// that does not name a valid character is kept as written.
func decodeUnitext(a []byte) string {
	if !bytes.Contains(a, []byte(`\x{`)) {
		return string(a)
	}
	var sb strings.Builder
	sb.Grow(len(a))
	for len(a) > 0 {
		i := bytes.Index(a, []byte(`\x{`))
		if i < 0 {
			sb.Write(a)
			break
		}
		sb.Write(a[:i])
		a = a[i:]
		r, n := hexPoint(a[3:])
		if n == 0 || n >= len(a)-3 || a[3+n] != '}' || !utf8.ValidRune(r) || r == 0 {
			sb.WriteString(`\x{`)
			a = a[3:]
			continue
		}
		sb.WriteRune(r)
		a = a[3+n+1:]
	}
	return sb.String()
}

// hexPoint reads up to 6 hex digits and returns their value and count.
func hexPoint(b []byte) (rune, int) {
	var r rune
	n := 0
	for n < len(b) && n < 6 {
		c := b[n]
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return r, n
		}
		n++
	}
	return r, n
}

// mtaName reads an MTA field ("dns; mx.example.org"). A dns name ends at
// the first space, dropping comments such as "(192.0.2.1)"; other types
// (X-Unix, smtp) keep their whole text.
func mtaName(v []byte) string {
	typ, name := splitType(v)
	if typ == nil || bytes.EqualFold(typ, []byte("dns")) {
		if i := bytes.IndexAny(name, " \t"); i >= 0 {
			name = name[:i]
		}
	}
	return string(name)
}

// The Action values of RFC 3464 section 2.3.3.
var actions = []string{"failed", "delayed", "delivered", "relayed", "expanded"}

// action returns the Action field's first word in lower case; known is set
// for the five values RFC 3464 defines. Trailing text ("failed (bad
// address)") is dropped.
func action(v []byte) (a string, known bool) {
	end := bytes.IndexAny(v, " \t;(")
	if end >= 0 {
		v = v[:end]
	}
	for _, a := range actions {
		if bytes.EqualFold(v, []byte(a)) {
			return a, true
		}
	}
	if len(v) > 32 {
		v = v[:32]
	}
	return strings.ToLower(string(v)), false
}

func knownAction(a string) bool {
	for _, k := range actions {
		if a == k {
			return true
		}
	}
	return false
}

// findCode returns the first enhanced status code (RFC 3463: class 2, 4 or
// 5, then subject and detail of 1 to 3 digits) in b, or "". It is used on
// Status fields with trailing text ("5.1.1 (user unknown)") and on
// diagnostics ("550 5.1.1 ...", "550-5.1.1 ...", "#5.1.1"). A code must
// stand apart: digits or dots around it mean an IP address or version.
func findCode(b []byte) string {
	for i := 0; i+5 <= len(b); i++ {
		c := b[i]
		if c != '2' && c != '4' && c != '5' || b[i+1] != '.' {
			continue
		}
		if i > 0 && (isDigit(b[i-1]) || b[i-1] == '.' || isLetter(b[i-1])) {
			continue
		}
		j := digits(b, i+2)
		if j == i+2 || j-(i+2) > 3 || j >= len(b) || b[j] != '.' {
			continue
		}
		k := digits(b, j+1)
		if k == j+1 || k-(j+1) > 3 {
			continue
		}
		if k < len(b) && (isDigit(b[k]) || b[k] == '.' && k+1 < len(b) && isDigit(b[k+1])) {
			continue
		}
		return string(b[i:k])
	}
	return ""
}

// digits returns the index of the first non-digit in b at or after i.
func digits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// betterCode reports whether code should replace old from an earlier
// Status field: when there was none, or when old was the generic X.0.0 of
// the same class and code says more.
func betterCode(old, code string) bool {
	if old == "" {
		return true
	}
	return strings.HasSuffix(old, ".0.0") && code[0] == old[0] && !strings.HasSuffix(code, ".0.0")
}

// parseDate parses a date field; zero when it cannot be read.
func parseDate(v []byte) time.Time {
	t, _ := mailparse.Date(string(trimSpace(v)))
	return t
}
