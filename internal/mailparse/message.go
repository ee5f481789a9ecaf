// Package mailparse reads a raw Internet message into its header and MIME
// parts, bounded in every dimension and lenient about what real mailers
// write. It never fails outright on bad input: it returns what it could read
// and lists the problems, so a caller can decide on partial evidence.
package mailparse

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 text parts
)

// Limits bound the work done on one message.
type Limits struct {
	MaxMessageBytes int // input past this is ignored (Truncated is set)
	MaxHeaderBytes  int // per header block
	MaxParts        int // MIME parts in all, embedded messages included
	MaxDepth        int // nesting of multiparts and embedded messages
	MaxPartBytes    int // decoded body of one part
}

// DefaultLimits fit bounces and ordinary mail with room to spare.
var DefaultLimits = Limits{
	MaxMessageBytes: 32 << 20,
	MaxHeaderBytes:  256 << 10,
	MaxParts:        256,
	MaxDepth:        8,
	MaxPartBytes:    8 << 20,
}

// Message is a parsed message: its header and its parts.
type Message struct {
	Header Header
	// Parts lists this message's MIME entities in document order, the
	// message's own body entity first. Parts of embedded messages are not
	// listed here but under the embedding part's Embedded.
	Parts []*Part
	// Problems says what could not be read; the rest is still usable.
	Problems []string
	// Truncated is set when a limit cut something off.
	Truncated bool

	text    string // Text's last result, and the max it was made for
	textMax int
}

// Part is one MIME entity.
type Part struct {
	Header    Header
	MediaType string            // lower case; text/plain when absent
	Params    map[string]string // Content-Type parameters
	Depth     int               // 0 for the message's own body entity
	// Body is the decoded content of a leaf (transfer encoding removed,
	// text converted to UTF-8 where the charset is known). Empty for
	// multipart containers.
	Body []byte
	// Embedded is the parsed message of a message/rfc822 or message/global
	// part (and of text/rfc822-headers, header only).
	Embedded *Message

	plain []byte // Plain's result, made once
}

// Filename returns the part's file name from Content-Disposition or the
// Content-Type name parameter, RFC 2047/2231 decoded where possible.
func (p *Part) Filename() string {
	if d := p.Header.Get("Content-Disposition"); d != "" {
		h := Header{{Key: "Content-Type", Value: "x/x;" + afterSemicolon(d)}}
		if _, params := h.ContentType(); params["filename"] != "" {
			return DecodeWords(params["filename"])
		}
	}
	return DecodeWords(p.Params["name"])
}

func afterSemicolon(s string) string {
	_, rest, _ := strings.Cut(s, ";")
	return rest
}

// IsMessage reports whether the part holds a whole message or its header.
func (p *Part) IsMessage() bool {
	switch p.MediaType {
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers", "message/rfc822-headers",
		"message/partial": // the first fragment carries the header
		return true
	}
	return false
}

// Parse reads raw with DefaultLimits.
func Parse(raw []byte) *Message {
	return ParseWithLimits(raw, DefaultLimits)
}

// ParseWithLimits reads raw as a message within lim.
func ParseWithLimits(raw []byte, lim Limits) *Message {
	p := &parser{lim: lim}
	if len(raw) > lim.MaxMessageBytes {
		raw = raw[:lim.MaxMessageBytes]
		p.truncated = true
	}
	m := p.message(NormalizeNewlines(raw), 0)
	m.Truncated = m.Truncated || p.truncated
	return m
}

type parser struct {
	lim       Limits
	parts     int
	truncated bool
}

func (p *parser) message(raw []byte, depth int) *Message {
	m := &Message{}
	if depth > 0 {
		// Some MTAs put a second blank line after an attached message's
		// part header: its own header then follows the blank lines.
		raw = bytes.TrimLeft(raw, "\r\n")
	}
	h, body, ok := ParseHeader(raw, p.lim.MaxHeaderBytes)
	m.Header = h
	if !ok {
		m.Problems = append(m.Problems, "malformed header lines skipped")
	}
	p.entity(m, h, body, depth)
	m.Truncated = p.truncated
	return m
}

// entity adds the entity with header h and undecoded body to m,
// descending into multiparts and embedded messages within the limits.
func (p *parser) entity(m *Message, h Header, body []byte, depth int) {
	if p.parts >= p.lim.MaxParts {
		p.truncated = true
		return
	}
	p.parts++
	mt, params := h.ContentType()
	part := &Part{Header: h, MediaType: mt, Params: params, Depth: depth}
	m.Parts = append(m.Parts, part)

	if strings.HasPrefix(mt, "multipart/") {
		switch {
		case params["boundary"] == "":
			m.Problems = append(m.Problems, fmt.Sprintf("%s without boundary", mt))
			part.MediaType = "text/plain"
			part.Body = p.cap(body)
		case depth+1 > p.lim.MaxDepth:
			p.truncated = true
		default:
			p.multipart(m, body, params["boundary"], depth)
		}
		return
	}
	if identity(h, mt, params) {
		// Nothing to decode: the body is the raw bytes, without a copy.
		part.Body = p.cap(body)
	} else {
		part.Body = p.decode(m, h, mt, body)
	}
	if part.IsMessage() && depth+1 <= p.lim.MaxDepth {
		part.Embedded = p.message(part.Body, depth+1)
	}
}

// identity reports whether a body needs no decoding: no transfer encoding,
// and text in a charset that is already UTF-8 (or not text at all).
func identity(h Header, mt string, params map[string]string) bool {
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "", "7bit", "8bit", "binary":
	default:
		return false
	}
	if !strings.HasPrefix(mt, "text/") {
		return true
	}
	switch strings.ToLower(params["charset"]) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// cap applies MaxPartBytes to a body.
func (p *parser) cap(b []byte) []byte {
	if len(b) > p.lim.MaxPartBytes {
		p.truncated = true
		return b[:p.lim.MaxPartBytes]
	}
	return b
}

// decode removes the transfer encoding and converts text to UTF-8.
func (p *parser) decode(m *Message, h Header, mt string, body []byte) []byte {
	// go-message removes the transfer encoding and converts text to UTF-8;
	// an unknown charset or encoding still yields a readable body.
	mh := message.Header{}
	mh.Set("Content-Type", h.Get("Content-Type"))
	mh.Set("Content-Transfer-Encoding", h.Get("Content-Transfer-Encoding"))
	e, err := message.New(mh, bytes.NewReader(body))
	if err != nil {
		m.Problems = append(m.Problems, fmt.Sprintf("%s part: %v", mt, err))
	}
	if e == nil {
		return nil
	}
	return p.readBody(m, e.Body, len(body))
}

// multipart splits the body at its boundary and adds each part. It does
// the splitting itself rather than through go-message's reader, which
// gives up on the first part header with a malformed line and loses every
// part after it.
func (p *parser) multipart(m *Message, body []byte, boundary string, depth int) {
	parts, closed := splitMultipart(body, boundary)
	if !closed {
		m.Problems = append(m.Problems, "multipart without closing boundary")
	}
	if len(parts) == 0 {
		// No boundary at all (a truncated bounce): the body is still worth
		// reading as text.
		m.Problems = append(m.Problems, "multipart without parts: read as text")
		container := m.Parts[len(m.Parts)-1]
		container.MediaType, container.Body = "text/plain", body
		return
	}
	for _, raw := range parts {
		if p.parts >= p.lim.MaxParts {
			p.truncated = true
			return
		}
		h, partBody, ok := ParseHeader(raw, p.lim.MaxHeaderBytes)
		if !ok {
			m.Problems = append(m.Problems, "malformed part header lines skipped")
		}
		p.entity(m, h, partBody, depth+1)
	}
}

// splitMultipart returns the parts of a multipart body (RFC 2046 section
// 5.1.1): what lies between delimiter lines "--boundary", up to the close
// "--boundary--". The line break before a delimiter belongs to it.
// Leniently, a delimiter may be indented, and a missing close (closed false) ends the last part at the end of the body.
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed bool) {
	delim := []byte("--" + boundary)
	start := -1 // where the current part's content begins
	off := 0
	for off < len(body) {
		i := bytes.Index(body[off:], delim)
		if i < 0 {
			break
		}
		at := off + i
		off = at + len(delim)
		ls := bytes.LastIndexByte(body[:at], '\n') + 1
		if len(bytes.Trim(body[ls:at], " \t")) != 0 {
			continue // not at the start of a line
		}
		isClose := bytes.HasPrefix(body[off:], []byte("--"))
		if !isClose && !blankToEOL(body[off:]) {
			continue // a longer boundary that starts with ours
		}
		if start >= 0 {
			end := ls
			// Drop the line break that belongs to the delimiter.
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
		}
		// The part begins after the delimiter line.
		nl := bytes.IndexByte(body[off:], '\n')
		if isClose {
			return parts, true
		}
		if nl < 0 {
			return parts, false
		}
		start = off + nl + 1
		off = start
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts, false
}

// readBody reads a decoded body, at most MaxPartBytes; hint is the size of
// the encoded body, which bounds the decoded one closely enough to size the
// buffer once.
func (p *parser) readBody(m *Message, r io.Reader, hint int) []byte {
	var buf bytes.Buffer
	buf.Grow(min(hint, p.lim.MaxPartBytes) + 512)
	_, err := buf.ReadFrom(io.LimitReader(r, int64(p.lim.MaxPartBytes)+1))
	b := buf.Bytes()
	if len(b) > p.lim.MaxPartBytes {
		b = b[:p.lim.MaxPartBytes]
		p.truncated = true
	}
	if err != nil {
		m.Problems = append(m.Problems, fmt.Sprintf("reading body: %v", err))
	}
	return b
}

// NormalizeNewlines turns lone CRs (old Mac line endings) into LFs. Input
// without a lone CR is returned as is, without copying.
func NormalizeNewlines(b []byte) []byte {
	i := bytes.IndexByte(b, '\r')
	for i >= 0 && i+1 < len(b) && b[i+1] == '\n' {
		j := bytes.IndexByte(b[i+1:], '\r')
		if j < 0 {
			return b
		}
		i += 1 + j
	}
	if i < 0 {
		return b
	}
	out := make([]byte, len(b))
	for k, c := range b {
		if c == '\r' && (k+1 == len(b) || b[k+1] != '\n') {
			c = '\n'
		}
		out[k] = c
	}
	return out
}

// blankToEOL reports whether b holds only spaces and tabs before its first
// line break (or its end).
func blankToEOL(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r':
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}
