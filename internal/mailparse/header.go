package mailparse

import (
	"bytes"
	"mime"
	"slices"
	"strings"
)

// Field is one header field, its value unfolded (CR and LF of folding
// removed) but not otherwise decoded.
type Field struct {
	Key   string // as written, e.g. "Message-ID"
	Value string
}

// Header is a header block in the order it was written.
type Header []Field

// Get returns the value of the first field named key (case-insensitive), or "".
func (h Header) Get(key string) string {
	if i := h.index(key, 0); i >= 0 {
		return h[i].Value
	}
	return ""
}

// Has reports whether a field named key is present.
func (h Header) Has(key string) bool {
	return h.index(key, 0) >= 0
}

// Values returns the values of every field named key, in order.
func (h Header) Values(key string) []string {
	var vs []string
	for i := h.index(key, 0); i >= 0; i = h.index(key, i+1) {
		vs = append(vs, h[i].Value)
	}
	return vs
}

// index returns the position of the first field at or after from named key
// (case-insensitive, as strings.EqualFold decides), or -1. Every lookup of
// every decoder comes here, so an ASCII key — every name a caller writes —
// is compared length first and byte by byte.
func (h Header) index(key string, from int) int {
	if !isASCII(key) {
		for i := from; i < len(h); i++ {
			if strings.EqualFold(h[i].Key, key) {
				return i
			}
		}
		return -1
	}
	for i := from; i < len(h); i++ {
		k := h[i].Key
		// Field names are printable ASCII (RFC 5322 section 2.2; ParseHeader
		// makes no other), so no name of another length folds to key.
		if len(k) == len(key) && asciiEqualFold(k, key) {
			return i
		}
	}
	return -1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiEqualFold compares strings of equal length, folding ASCII letters
// only; b is ASCII, so a byte of a at or above 0x80 never matches, as
// strings.EqualFold would also decide.
func asciiEqualFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ContentType returns the lower-cased media type and its parameters. A
// missing or unparsable Content-Type is text/plain, as RFC 2045 section 5.2
// says; a parameter list that mime.ParseMediaType rejects still yields the
// type and whatever parameters a lenient scan finds, since real bounces
// often carry sloppy boundaries.
func (h Header) ContentType() (string, map[string]string) {
	v := h.Get("Content-Type")
	if v == "" {
		return "text/plain", map[string]string{}
	}
	if t, params, ok := simpleMediaType(v); ok {
		return t, params
	}
	t, params, err := mime.ParseMediaType(v)
	if err == nil {
		return t, params
	}
	// The type ends at the first ';' or white space: some mailers fold
	// "text/plain\n\tcharset=…" without the semicolon.
	v = strings.TrimSpace(v)
	end := strings.IndexAny(v, "; \t")
	if end < 0 {
		end = len(v)
	}
	t = strings.ToLower(v[:end])
	if !strings.Contains(t, "/") {
		t = "text/plain"
	}
	return t, looseParams(v[end:])
}

// simpleMediaType reads the Content-Type values nearly every message has —
// type/subtype and name=value parameters, values plain tokens or quoted
// strings without escapes — with one allocation for the map, where
// mime.ParseMediaType makes several per parameter. ok is false for
// anything else (RFC 2231 names, escapes, repeated names, stray bytes),
// which then takes mime's path; for what it accepts the answer is mime's.
func simpleMediaType(v string) (string, map[string]string, bool) {
	params := map[string]string{}
	mt, ok := scanMediaType(v, func(name, value string) bool {
		if _, dup := params[name]; dup {
			return false
		}
		params[name] = value
		return true
	})
	if !ok {
		return "", nil, false
	}
	return mt, params, true
}

// ContentTypeParam returns what ContentType does of the header's
// Content-Type, the media type and one parameter (name in lower case),
// without making the map of all parameters when it can.
func (h Header) ContentTypeParam(name string) (mediaType, value string) {
	v := h.Get("Content-Type")
	if v == "" {
		return "text/plain", ""
	}
	var seen [8]string
	n := 0
	mt, ok := scanMediaType(v, func(k, val string) bool {
		if n == len(seen) || slices.Contains(seen[:n], k) {
			return false // many parameters, or a repeated one: mime decides
		}
		seen[n] = k
		n++
		if k == name {
			value = val
		}
		return true
	})
	if ok {
		return mt, value
	}
	mt, params := h.ContentType()
	return mt, params[name]
}

// scanMediaType reads v as simpleMediaType does, handing each parameter
// (name lower-cased) to param, which may refuse it; ok is false when v is
// not of the simple form or param refused.
func scanMediaType(v string, param func(name, value string) bool) (string, bool) {
	i := skipBlanks(v, 0)
	t := tokenEnd(v, i)
	if t == i || t == len(v) || v[t] != '/' {
		return "", false
	}
	end := tokenEnd(v, t+1)
	if end == t+1 {
		return "", false
	}
	mt := strings.ToLower(v[i:end])
	for i = skipBlanks(v, end); i < len(v); {
		if v[i] != ';' {
			return "", false
		}
		i = skipBlanks(v, i+1)
		if i == len(v) {
			break // a trailing ';', which mime allows too
		}
		nameEnd := tokenEnd(v, i)
		if nameEnd == i || nameEnd == len(v) || v[nameEnd] != '=' || strings.IndexByte(v[i:nameEnd], '*') >= 0 {
			return "", false
		}
		name := strings.ToLower(v[i:nameEnd])
		var value string
		i = nameEnd + 1
		if i < len(v) && v[i] == '"' {
			j := i + 1
			for j < len(v) && v[j] != '"' {
				if c := v[j]; c == '\\' || c < 0x20 || c >= 0x7f {
					return "", false
				}
				j++
			}
			if j == len(v) {
				return "", false
			}
			value, i = v[i+1:j], j+1
		} else {
			j := tokenEnd(v, i)
			if j == i {
				return "", false
			}
			value, i = v[i:j], j
		}
		if !param(name, value) {
			return "", false
		}
		i = skipBlanks(v, i)
	}
	return mt, true
}

// tokenEnd returns where the RFC 2045 token starting at i ends.
func tokenEnd(s string, i int) int {
	for i < len(s) && isTokenByte(s[i]) {
		i++
	}
	return i
}

func isTokenByte(c byte) bool { return tokenBytes[c] }

// tokenBytes are the bytes of an RFC 2045 token: printable ASCII but the
// tspecials.
var tokenBytes = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
	}
	return t
}()

func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// looseParams reads name=value pairs the way broken mailers write them:
// unquoted values with spaces, missing semicolons, duplicates (first wins).
func looseParams(s string) map[string]string {
	params := map[string]string{}
	for len(s) > 0 && len(params) < 32 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			break
		}
		name := strings.ToLower(strings.Trim(s[:eq], " \t;\r\n"))
		if i := strings.LastIndexAny(name, " \t;"); i >= 0 {
			name = name[i+1:]
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				val, s = s[1:], ""
			} else {
				val, s = s[1:1+end], s[2+end:]
			}
		} else {
			end := strings.IndexAny(s, "; \t")
			if end < 0 {
				val, s = s, ""
			} else {
				val, s = s[:end], s[end:]
			}
		}
		if _, dup := params[name]; name != "" && !dup {
			params[name] = val
		}
	}
	return params
}

// ParseHeader reads a header block from the start of b and returns it with
// the rest of b (the body). It is lenient: LF, CRLF, folded lines, lines
// without a colon (skipped, and reported by ok=false), a missing blank line.
// At most maxBytes of b are read as header; fields past that are dropped.
//
// It runs for every message, often more than once, so it allocates little:
// common field names are shared constants and each value is one string of
// its own (callers keep values, such as a Message-ID for a whole run, and a
// value must not hold the rest of the header in memory with it).
func ParseHeader(b []byte, maxBytes int) (h Header, body []byte, ok bool) {
	return parseHeader(b, maxBytes, "")
}

// ParseHeaderBlock is ParseHeader for b holding a header and nothing else,
// as IMAP's BODY[HEADER] returns it, for a Header that lives no longer than
// b: one copy of b is made, and the values that need no unfolding are
// pieces of it, which spares a string per field. A value kept beyond the
// Header keeps that whole copy in memory: strings.Clone it.
func ParseHeaderBlock(b []byte, maxBytes int) (h Header, ok bool) {
	block := string(b[:min(len(b), maxBytes+1)])
	h, _, ok = parseHeader(b, maxBytes, block)
	return h, ok
}

// parseHeader is ParseHeader, with values cut from block where they need no
// unfolding when block is b's copy as far as it goes.
func parseHeader(b []byte, maxBytes int, block string) (h Header, body []byte, ok bool) {
	ok = true
	rest := b
	var scratch []byte
	for len(rest) > 0 {
		if len(b)-len(rest) > maxBytes {
			ok = false
			// Skip to the blank line (or the end) so the body is still found.
			if i := bytes.Index(rest, []byte("\n\n")); i >= 0 {
				return h, rest[i+2:], false
			}
			if i := bytes.Index(rest, []byte("\n\r\n")); i >= 0 {
				return h, rest[i+3:], false
			}
			return h, nil, false
		}
		line, next := cutLine(rest)
		if blankLine(line) {
			return h, next, ok
		}
		if line[0] == ' ' || line[0] == '\t' {
			// A continuation with no field to continue: skip.
			ok = false
			rest = next
			continue
		}
		// Gather continuation lines.
		end := next
		for len(end) > 0 && (end[0] == ' ' || end[0] == '\t') {
			_, end = cutLine(end)
		}
		start := len(b) - len(rest)
		raw := rest[:len(rest)-len(end)]
		rest = end
		colon := bytes.IndexByte(raw, ':')
		if colon <= 0 || !validKey(raw[:colon]) {
			switch {
			case len(h) == 0 && bytes.HasPrefix(raw, []byte("From ")):
				// An mbox separator line left on the message.
			case len(h) > 0:
				// A continuation someone forgot to indent, as in
				// "Content-Type: multipart/mixed;\nboundary=…".
				scratch = append(append(scratch[:0], h[len(h)-1].Value...), ' ')
				scratch = appendUnfolded(scratch, raw)
				h[len(h)-1].Value = string(scratch)
				ok = false
			default:
				ok = false
			}
			continue
		}
		if h == nil {
			h = make(Header, 0, 24)
		}
		var value string
		if v := bytes.TrimSpace(raw[colon+1:]); bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
			// v is a piece of raw, which starts at start in b.
			if at := start + cap(raw) - cap(v); block != "" && len(v) > 0 && at+len(v) <= len(block) {
				value = block[at : at+len(v)]
			} else {
				value = string(v)
			}
		} else {
			scratch = appendUnfolded(scratch[:0], v)
			value = string(scratch)
		}
		name := trimBlanks(raw[:colon])
		var key string
		if block != "" && start+len(name) <= len(block) {
			key = block[start : start+len(name)]
		} else {
			key = fieldName(name)
		}
		h = append(h, Field{Key: key, Value: value})
	}
	return h, nil, ok
}

// commonNames are field names as mailers usually spell them; ParseHeader
// uses these strings instead of allocating a new one for each field.
var commonNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range strings.Fields(`Received Return-Path Delivered-To X-Original-To Message-ID
		Message-Id Date From To Cc Bcc Reply-To Sender Subject In-Reply-To References MIME-Version
		Mime-Version Content-Type Content-Transfer-Encoding Content-Disposition Content-Description
		Content-ID Content-Language DKIM-Signature Authentication-Results ARC-Seal
		ARC-Message-Signature ARC-Authentication-Results Received-SPF X-Mailer User-Agent List-Id
		List-Unsubscribe List-Unsubscribe-Post Precedence Auto-Submitted X-Auto-Response-Suppress
		Thread-Topic Thread-Index X-MS-Has-Attach X-MS-TNEF-Correlator Importance X-Priority
		X-Spam-Status X-Spam-Score X-Spam-Flag Feedback-ID Errors-To X-Failed-Recipients
		Reporting-MTA Final-Recipient Original-Recipient Action Status Remote-MTA Diagnostic-Code
		Arrival-Date Last-Attempt-Date X-Postfix-Queue-ID X-Postfix-Sender Original-Envelope-Id`) {
		m[n] = n
	}
	return m
}()

// fieldName returns b as a string, shared when it is a common name.
func fieldName(b []byte) string {
	if n, ok := commonNames[string(b)]; ok {
		return n
	}
	return string(b)
}

// blankLine reports whether line (which ends at its LF, if any) holds
// nothing but line-break characters.
func blankLine(line []byte) bool {
	for _, c := range line {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func validKey(k []byte) bool {
	k = trimBlanks(k)
	if len(k) == 0 || len(k) > 128 {
		return false
	}
	for _, c := range k {
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}

// cutLine splits b after its first LF.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	return b[:i+1], b[i+1:]
}

// appendUnfolded appends v to dst trimmed of space and with the CRs and
// LFs of folding removed (RFC 5322 section 2.2.3).
func appendUnfolded(dst, v []byte) []byte {
	v = bytes.TrimSpace(v)
	for {
		// Lines end in LF or CRLF; a CR elsewhere is rare.
		i := bytes.IndexByte(v, '\n')
		line := v
		if i >= 0 {
			line = v[:i]
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		for {
			cr := bytes.IndexByte(line, '\r')
			if cr < 0 {
				break
			}
			dst = append(dst, line[:cr]...)
			line = line[cr+1:]
		}
		dst = append(dst, line...)
		if i < 0 {
			return dst
		}
		v = v[i+1:]
	}
}

// trimBlanks removes trailing spaces and tabs; bytes.TrimRight builds its
// cutset anew on every call, in the hottest loop of header parsing.
func trimBlanks(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
