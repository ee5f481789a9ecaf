package mailparse

import (
	"bytes"
	"html"
	"strings"
)

// Text returns the message's readable text, at most max bytes: its
// text/plain leaves outside embedded messages, or, when it has none, its
// text/html leaves with the markup removed. Parts marked as attachments are
// skipped; a body part without Content-Type counts as text/plain.
//
// The result is kept: every decoder of a message asks for it. A Message
// is not safe for concurrent use.
func (m *Message) Text(max int) string {
	if m.textMax == max && max > 0 {
		return m.text
	}
	m.text, m.textMax = m.readText(max), max
	return m.text
}

func (m *Message) readText(max int) string {
	var sb strings.Builder
	for _, want := range []string{"text/plain", "text/html"} {
		for _, p := range m.Parts {
			if p.MediaType != want || isAttachment(p) {
				continue
			}
			b := p.Plain()
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			if sb.Len()+len(b) > max {
				b = b[:max-sb.Len()]
			}
			sb.Write(b)
			if sb.Len() >= max {
				return sb.String()
			}
		}
		if sb.Len() > 0 {
			break
		}
	}
	return sb.String()
}

// Plain returns the part's body as plain text: HTML with its markup
// removed (made once), anything else as it is.
func (p *Part) Plain() []byte {
	if p.MediaType != "text/html" {
		return p.Body
	}
	if p.plain == nil {
		p.plain = StripHTML(p.Body)
	}
	return p.plain
}

func isAttachment(p *Part) bool {
	d := strings.ToLower(p.Header.Get("Content-Disposition"))
	return strings.HasPrefix(d, "attachment")
}

// Attached returns the parts that hold a whole or partial message
// (message/rfc822, message/global, text/rfc822-headers, …) in order.
func (m *Message) Attached() []*Part {
	var ps []*Part
	for _, p := range m.Parts {
		if p.IsMessage() {
			ps = append(ps, p)
		}
	}
	return ps
}

// Find returns the first part of media type mt, or nil.
func (m *Message) Find(mt string) *Part {
	for _, p := range m.Parts {
		if p.MediaType == mt {
			return p
		}
	}
	return nil
}

// StripHTML turns HTML into plain text well enough to search for a
// vendor's wording: tags dropped (block tags become line breaks), scripts
// and styles dropped, entities decoded.
func StripHTML(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) / 2)
	for len(b) > 0 {
		lt := bytes.IndexByte(b, '<')
		if lt < 0 {
			out.Write(b)
			break
		}
		out.Write(b[:lt])
		b = b[lt:]
		gt := bytes.IndexByte(b, '>')
		if gt < 0 {
			break
		}
		tag := bytes.ToLower(b[1:gt])
		b = b[gt+1:]
		name := tag
		if i := bytes.IndexAny(name, " \t\r\n/"); i >= 0 {
			if i == 0 && len(name) > 1 && name[0] == '/' {
				name = name[1:]
				if j := bytes.IndexAny(name, " \t\r\n"); j >= 0 {
					name = name[:j]
				}
			} else {
				name = name[:i]
			}
		}
		switch string(name) {
		case "script", "style":
			if tag[0] != '/' {
				end := bytes.Index(bytes.ToLower(b), []byte("</"+string(name)))
				if end < 0 {
					b = nil
				} else {
					b = b[end:]
				}
			}
		case "br", "p", "div", "tr", "li", "table", "h1", "h2", "h3", "blockquote", "pre":
			out.WriteByte('\n')
		case "td", "th":
			out.WriteByte(' ')
		}
	}
	return []byte(html.UnescapeString(out.String()))
}
