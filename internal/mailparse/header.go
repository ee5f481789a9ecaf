package mailparse

import (
	"bytes"
	"mime"
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
	for _, f := range h {
		if strings.EqualFold(f.Key, key) {
			return f.Value
		}
	}
	return ""
}

// Has reports whether a field named key is present.
func (h Header) Has(key string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Key, key) {
			return true
		}
	}
	return false
}

// Values returns the values of every field named key, in order.
func (h Header) Values(key string) []string {
	var vs []string
	for _, f := range h {
		if strings.EqualFold(f.Key, key) {
			vs = append(vs, f.Value)
		}
	}
	return vs
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
func ParseHeader(b []byte, maxBytes int) (h Header, body []byte, ok bool) {
	ok = true
	rest := b
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
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
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
				h[len(h)-1].Value += " " + unfold(raw)
				ok = false
			default:
				ok = false
			}
			continue
		}
		key := string(bytes.TrimRight(raw[:colon], " \t"))
		h = append(h, Field{Key: key, Value: unfold(raw[colon+1:])})
	}
	return h, nil, ok
}

func validKey(k []byte) bool {
	k = bytes.TrimRight(k, " \t")
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

// unfold joins folded lines (RFC 5322 section 2.2.3) and trims the value.
func unfold(v []byte) string {
	if bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return string(bytes.TrimSpace(v))
	}
	var sb strings.Builder
	sb.Grow(len(v))
	for _, c := range bytes.TrimSpace(v) {
		if c == '\r' || c == '\n' {
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
