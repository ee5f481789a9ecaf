package sentindex

import (
	"errors"
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// MaxHeaderBytes is how much of a header block EntryFromHeader reads; the
// rest is ignored. Real headers are a few KiB; the cap bounds the work a
// hostile or broken message can cause.
const MaxHeaderBytes = 256 << 10

// maxRecipients caps the addresses kept from one message, so a header of
// a quarter megabyte of commas cannot balloon the index.
const maxRecipients = 10000

// ErrNoFields is returned by EntryFromHeader when the header holds none of
// Message-ID, Date, From, To, Cc or Bcc.
var ErrNoFields = errors.New("no Message-ID, Date, From, To, Cc or Bcc field in header")

// EntryFromHeader reads the fields the index needs from a raw RFC 5322
// header block (or a whole message: reading stops at the first empty
// line). It is lenient: LF or CRLF line ends, folded lines, RFC 2047
// encoded words, malformed addresses and unreadable dates are tolerated,
// and only the first MaxHeaderBytes are read. A Date that cannot be read
// leaves Entry.Date zero.
func EntryFromHeader(h []byte) (Entry, error) {
	if len(h) > MaxHeaderBytes {
		h = h[:MaxHeaderBytes]
	}
	var e Entry
	found := false
	fields, _, _ := mailparse.ParseHeader(h, MaxHeaderBytes)
	for _, f := range fields {
		switch strings.ToLower(f.Key) {
		case "message-id":
			if e.MessageID == "" {
				e.MessageID = mailparse.MessageID(f.Value)
			}
		case "date":
			if e.Date.IsZero() {
				if t, ok := mailparse.Date(f.Value); ok {
					e.Date = t
				}
			}
		case "from":
			if e.From == "" {
				e.From = mailparse.Address(f.Value)
			}
		case "to", "cc", "bcc":
			if room := maxRecipients - len(e.Recipients); room > 0 {
				as := mailparse.Addresses(f.Value)
				e.Recipients = append(e.Recipients, as[:min(room, len(as))]...)
			}
		default:
			continue
		}
		found = true
	}
	if !found {
		return Entry{}, ErrNoFields
	}
	return e, nil
}
