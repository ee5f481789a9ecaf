package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/dsn"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// originalFromHeader describes an original from its header block.
func originalFromHeader(h mailparse.Header, where string) Original {
	o := Original{
		MessageID: mailparse.MessageID(h.Get("Message-ID")),
		From:      mailparse.Address(h.Get("From")),
		To:        mailparse.Addresses(h.Get("To")),
		Subject:   mailparse.DecodeWords(h.Get("Subject")),
		Where:     where,
		Header:    h,
	}
	if t, ok := mailparse.Date(h.Get("Date")); ok {
		o.Date = t.UTC()
	}
	return o
}

// originalFromDSN describes the original a DSN returned.
func originalFromDSN(d *dsn.Original) Original {
	where := "rfc822"
	if d.HeadersOnly {
		where = "headers"
	}
	o := originalFromHeader(d.Header, where)
	if o.MessageID == "" {
		o.MessageID = d.MessageID
	}
	o.Raw = d.Raw
	return o
}

// attachedOriginal returns the first attached message (or message header)
// in m, looking into multiparts at any depth but not into the attached
// messages themselves.
func attachedOriginal(m *mailparse.Message) (Original, bool) {
	for _, p := range m.Attached() {
		if p.Embedded == nil || len(p.Embedded.Header) == 0 {
			continue
		}
		where := "rfc822"
		if p.MediaType != "message/rfc822" && p.MediaType != "message/global" {
			where = "headers"
		}
		o := originalFromHeader(p.Embedded.Header, where)
		o.Raw = p.Body
		return o, true
	}
	return Original{}, false
}

// copyMarkers are the lines, lower case, that vendors write just before the
// copy of the returned message in a plain-text bounce.
var copyMarkers = []string{
	"this is a copy of the message",            // Exim
	"below this line is a copy of the message", // qmail, Yahoo
	"original message follows",
	"the header of the original message is following",
	"original message header",
	"original message headers",
	"undelivered message follows",
	"unsent message below",
	"unsent message follows", // Sendmail 5
	"returned message",
	"original message",
	"message headers follow",
	"headers of the original message",
	"copy of the headers",
	"header of returned message",
}

// inlineOriginal finds a copy of the original quoted in the bounce's text,
// or in a text attachment: the header block after a vendor's marker line,
// else any header block that holds a Message-ID field.
func inlineOriginal(in *input) (Original, bool) {
	if o, ok := originalInLowerText(in.text(), in.lower()); ok {
		return o, true
	}
	for i, p := range in.m.Parts {
		if i == 0 {
			continue
		}
		// A part with no MIME header of its own, whose "header" is the
		// original's (the copy follows the boundary line directly).
		if p.Header.Has("Message-ID") && (p.Header.Has("From") || p.Header.Has("Subject")) && !p.IsMessage() {
			return originalFromHeader(p.Header, "inline"), true
		}
		// A copy in a text attachment, or swallowed by the part before it
		// when the boundary line before the copy is wrong.
		switch {
		case p.MediaType == "text/plain" && isAttachment(p),
			p.MediaType == "message/delivery-status", p.MediaType == "message/global-delivery-status",
			p.IsMessage() && (p.Embedded == nil || len(p.Embedded.Header) == 0):
		default:
			continue
		}
		if o, ok := originalInText(string(p.Body[:min(len(p.Body), maxText)])); ok {
			return o, true
		}
	}
	return Original{}, false
}

func isAttachment(p *mailparse.Part) bool {
	return strings.HasPrefix(strings.ToLower(p.Header.Get("Content-Disposition")), "attachment")
}

// originalInText returns the quoted original in text.
func originalInText(text string) (Original, bool) {
	return originalInLowerText(text, lowerASCII(text))
}

// originalInLowerText is originalInText with text's lowerASCII at hand
// (the same length as text: offsets carry over).
func originalInLowerText(text, lower string) (Original, bool) {
	start := firstMarker(lower, copyMarkers)
	if start >= 0 {
		// Begin at the line after the marker.
		if nl := strings.IndexByte(text[start:], '\n'); nl >= 0 {
			if h, ok := headerBlockFrom(text[start+nl+1:]); ok {
				return originalFromHeader(h, "inline"), true
			}
		}
	}
	// No marker, or no header after it: any quoted header block with a
	// Message-ID field.
	off := 0
	for range 16 {
		i := indexFieldLine(lower[off:], "message-id:")
		if i < 0 {
			break
		}
		at := off + i
		blockStart := headerBlockStart(text, at)
		if h, ok := headerBlockFrom(text[blockStart:]); ok && h.Get("Message-ID") != "" {
			return originalFromHeader(h, "inline"), true
		}
		off = at + len("message-id:")
	}
	return Original{}, false
}

// indexFieldLine finds field (lower case, with colon) at the start of a
// line, allowing a quote prefix ("> ") and indentation before it, and
// returns where that line begins; -1 when there is none.
func indexFieldLine(lower, field string) int {
	ls, _ := lineStart(lower, field, " \t>|")
	return ls
}

// atLineStart finds s where only characters of lead precede it on its
// line, and returns where s is; -1 when there is no such place.
func atLineStart(lower, s, lead string) int {
	_, at := lineStart(lower, s, lead)
	return at
}

// lineStart finds s where only characters of lead precede it on its line;
// it returns where the line begins and where s is, or -1, -1.
func lineStart(lower, s, lead string) (ls, at int) {
	for off := 0; off < len(lower); {
		i := strings.Index(lower[off:], s)
		if i < 0 {
			return -1, -1
		}
		at = off + i
		ls = strings.LastIndexByte(lower[:at], '\n') + 1
		if strings.Trim(lower[ls:at], lead) == "" {
			return ls, at
		}
		off = at + len(s)
	}
	return -1, -1
}

// headerBlockStart walks back from the line at pos over the lines that
// look like header fields, returning where the block begins.
func headerBlockStart(text string, pos int) int {
	start := pos
	for start > 0 {
		prevEnd := start - 1 // the '\n' ending the previous line
		ls := strings.LastIndexByte(text[:prevEnd], '\n') + 1
		line := unquote(strings.TrimRight(text[ls:prevEnd], "\r"))
		if line == "" || !(looksLikeField(line) || line[0] == ' ' || line[0] == '\t') {
			break
		}
		start = ls
	}
	return start
}

// headerBlockFrom reads a header block at the start of text (after blank
// lines), removing a quote prefix, and accepts it when it has at least two
// fields that an original would carry.
func headerBlockFrom(text string) (mailparse.Header, bool) {
	var sb strings.Builder
	lines := 0
	started := false
	indent := "" // a copy indented as a whole (fml) loses its indentation
	for len(text) > 0 && lines < 500 {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		l := unquote(strings.TrimRight(line, "\r"))
		if strings.TrimSpace(l) == "" {
			if started {
				break
			}
			continue
		}
		if !started {
			trimmed := strings.TrimLeft(l, " \t")
			indent = l[:len(l)-len(trimmed)]
		}
		l = strings.TrimPrefix(l, indent)
		if !started && !looksLikeField(l) {
			return nil, false
		}
		if started && !looksLikeField(l) && l[0] != ' ' && l[0] != '\t' {
			break
		}
		started = true
		sb.WriteString(l)
		sb.WriteByte('\n')
		lines++
	}
	h, _, _ := mailparse.ParseHeader([]byte(sb.String()), 256<<10)
	known := 0
	for _, k := range []string{"Message-ID", "From", "To", "Subject", "Date", "Received", "Return-Path"} {
		if h.Has(k) {
			known++
		}
	}
	return h, known >= 2 || h.Get("Message-ID") != ""
}

// unquote removes a reply-quote prefix ("> ", ">", "| ").
func unquote(l string) string {
	for strings.HasPrefix(l, ">") || strings.HasPrefix(l, "| ") {
		l = strings.TrimPrefix(strings.TrimPrefix(l, ">"), "| ")
		l = strings.TrimPrefix(l, " ")
	}
	return l
}

// looksLikeField reports whether l starts like "Name: value".
func looksLikeField(l string) bool {
	colon := strings.IndexByte(l, ':')
	if colon <= 0 || colon > 76 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := l[i]
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}
