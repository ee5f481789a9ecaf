package imapclient

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// DefaultMaxSize is the largest message fetched whole when no limit is given.
const DefaultMaxSize = 20 << 20

const (
	// fetchBatch is how many UIDs one header FETCH asks for.
	fetchBatch = 500
	// bodyBatchBytes and bodyBatchCount bound one whole-message FETCH.
	bodyBatchBytes = 32 << 20
	bodyBatchCount = 100
	// maxFlags bounds the flags kept per message.
	maxFlags = 64
)

// Envelope is what the first, cheap fetch learns about a message: enough for
// a caller to say whether the whole message is needed.
type Envelope struct {
	UID   imap.UID
	Size  int64
	Flags []imap.Flag
	// BodyStructure is nil when the server sent none (FetchHeaders).
	BodyStructure imap.BodyStructure
	// Header is the raw header block, at most MaxHeaderBytes of it.
	Header          []byte
	HeaderTruncated bool
	// Fields is Header parsed, so that NeedBody and Decide need not parse
	// it again; nil when there is no header.
	Fields mailparse.Header
	// MessageID is the message's own Message-ID without angle brackets;
	// From and Subject are decoded where possible. All may be empty.
	MessageID, From, Subject string
}

// HasFlag reports whether the message carries flag f.
func (e *Envelope) HasFlag(f imap.Flag) bool {
	return slices.Contains(e.Flags, f)
}

var (
	headerSection = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	wholeSection  = &imap.FetchItemBodySection{Peek: true}
)

// fetchEnvelopes fetches UID, size, flags, BODYSTRUCTURE (when structure is
// set) and the header of uids in the selected mailbox, in batches. A message
// the server answers for only in part (a flag update racing our FETCH) is
// asked for once more; messages it does not answer for at all (expunged
// meanwhile) are simply absent from the result.
func (s *Session) fetchEnvelopes(ctx context.Context, uids []imap.UID, structure bool) (map[imap.UID]*Envelope, error) {
	return s.fetchEnvelopesWith(ctx, uids, structure, (*Envelope).parse)
}

// fetchEnvelopesWith is fetchEnvelopes that hands each envelope, its header
// read but not parsed, to got as it arrives, on this goroutine; got must
// see to the parsing (parse), perhaps on another goroutine while the fetch
// goes on. An envelope the server answered for only in part is handed over
// too, before it is asked for again.
func (s *Session) fetchEnvelopesWith(ctx context.Context, uids []imap.UID, structure bool, got func(*Envelope)) (map[imap.UID]*Envelope, error) {
	opts := &imap.FetchOptions{UID: true, RFC822Size: true, Flags: true, BodySection: []*imap.FetchItemBodySection{headerSection}}
	if structure {
		opts.BodyStructure = &imap.FetchItemBodyStructure{Extended: true}
	}
	out := make(map[imap.UID]*Envelope, len(uids))
	for _, batch := range chunks(uids, fetchBatch) {
		if err := s.fetchEnvelopeBatch(ctx, batch, opts, out, got); err != nil {
			return out, err
		}
	}
	var retry []imap.UID
	for _, uid := range uids {
		if e, ok := out[uid]; ok && e.Header == nil {
			delete(out, uid)
			retry = append(retry, uid)
		}
	}
	for _, batch := range chunks(retry, fetchBatch) {
		if err := s.fetchEnvelopeBatch(ctx, batch, opts, out, got); err != nil {
			return out, err
		}
	}
	for _, uid := range retry {
		if e, ok := out[uid]; ok && e.Header == nil {
			delete(out, uid)
		}
	}
	return out, nil
}

func (s *Session) fetchEnvelopeBatch(ctx context.Context, batch []imap.UID, opts *imap.FetchOptions, out map[imap.UID]*Envelope, got func(*Envelope)) error {
	step := fmt.Sprintf("fetching headers of %d messages (UIDs %d-%d) from %s", len(batch), batch[0], batch[len(batch)-1], s.selected)
	return s.do(ctx, step, func() error {
		cmd := s.c.Fetch(imap.UIDSetNum(batch...), opts)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			e, err := readEnvelope(msg)
			if err != nil {
				cmd.Close()
				return err
			}
			if e.UID != 0 && out[e.UID] == nil {
				out[e.UID] = e
				got(e)
			}
		}
		return cmd.Close()
	})
}

// readEnvelope reads one message's answer; the header is left unparsed.
func readEnvelope(msg *imapclient.FetchMessageData) (*Envelope, error) {
	e := &Envelope{}
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			e.UID = item.UID
		case imapclient.FetchItemDataRFC822Size:
			e.Size = item.Size
		case imapclient.FetchItemDataFlags:
			e.Flags = item.Flags[:min(len(item.Flags), maxFlags)]
		case imapclient.FetchItemDataBodyStructure:
			e.BodyStructure = item.BodyStructure
		case imapclient.FetchItemDataBodySection:
			if item.Section.Specifier != imap.PartSpecifierHeader || item.Literal == nil {
				continue
			}
			b, truncated, err := readLimited(item.Literal, MaxHeaderBytes)
			if err != nil {
				return nil, fmt.Errorf("reading header: %w", err)
			}
			e.Header, e.HeaderTruncated = b, truncated
		}
	}
	return e, nil
}

// parse fills the fields that come from the header.
func (e *Envelope) parse() {
	if e.Header == nil {
		return
	}
	h, _, _ := mailparse.ParseHeader(e.Header, MaxHeaderBytes)
	e.Fields = h
	e.MessageID = mailparse.MessageID(h.Get("Message-ID"))
	e.From = mailparse.DecodeWords(h.Get("From"))
	e.Subject = mailparse.DecodeWords(h.Get("Subject"))
}

// readLimited reads at most limit bytes, reporting whether there was more.
// The rest of the literal is left for go-imap to discard. The buffer is
// sized once from the literal's announced size: a server that announces
// wrongly only costs a regrowth, and never more than limit is allocated.
func readLimited(r io.Reader, limit int64) ([]byte, bool, error) {
	hint := int64(512)
	if l, ok := r.(imap.LiteralReader); ok {
		hint = max(l.Size(), 0)
	}
	b := make([]byte, 0, min(hint, limit)+1)
	lr := io.LimitReader(r, limit+1)
	for int64(len(b)) <= limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
	}
	if int64(len(b)) > limit {
		return b[:limit], true, nil
	}
	return b, false, nil
}

// fetchBodies fetches whole messages (BODY.PEEK[], so \Seen is not set) in
// batches bounded by count and by the sizes the server announced. A message
// whose body turns out larger than maxSize is left out of the result.
func (s *Session) fetchBodies(ctx context.Context, envs []*Envelope, maxSize int64) (map[imap.UID][]byte, error) {
	out := make(map[imap.UID][]byte, len(envs))
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{wholeSection}}
	for start := 0; start < len(envs); {
		end, total := start, int64(0)
		for end < len(envs) && end-start < bodyBatchCount && (end == start || total+envs[end].Size <= bodyBatchBytes) {
			total += envs[end].Size
			end++
		}
		batch := make([]imap.UID, 0, end-start)
		for _, e := range envs[start:end] {
			batch = append(batch, e.UID)
		}
		start = end
		step := fmt.Sprintf("fetching %d whole messages (UIDs %d-%d) from %s", len(batch), batch[0], batch[len(batch)-1], s.selected)
		err := s.do(ctx, step, func() error {
			cmd := s.c.Fetch(imap.UIDSetNum(batch...), opts)
			for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
				if err := readBody(msg, maxSize, out); err != nil {
					cmd.Close()
					return err
				}
			}
			return cmd.Close()
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func readBody(msg *imapclient.FetchMessageData, maxSize int64, out map[imap.UID][]byte) error {
	var uid imap.UID
	var body []byte
	var tooLarge bool
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = item.UID
		case imapclient.FetchItemDataBodySection:
			if item.Section.Specifier != imap.PartSpecifierNone || len(item.Section.Part) > 0 || item.Literal == nil {
				continue
			}
			var err error
			if body, tooLarge, err = readLimited(item.Literal, maxSize); err != nil {
				return fmt.Errorf("reading message body: %w", err)
			}
		}
	}
	if uid != 0 && body != nil && !tooLarge {
		if _, seen := out[uid]; !seen {
			out[uid] = body
		}
	}
	return nil
}

// newUIDs lists the UIDs above last in the selected mailbox. UIDNEXT from
// SELECT answers "nothing new" without any command; otherwise UID SEARCH
// (never FETCH n:*, which always returns the newest message even if old).
func (s *Session) newUIDs(ctx context.Context, sel imap.SelectData, last imap.UID) ([]imap.UID, error) {
	if sel.NumMessages == 0 || last == ^imap.UID(0) || (sel.UIDNext != 0 && sel.UIDNext <= last+1) {
		return nil, nil
	}
	var found []imap.UID
	err := s.do(ctx, fmt.Sprintf("searching %s for UIDs above %d", s.selected, last), func() error {
		data, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{{Start: last + 1, Stop: 0}}}}, nil).Wait()
		if err != nil {
			return err
		}
		set, _ := data.All.(imap.UIDSet)
		found, err = uidList(set, int(sel.NumMessages)+100000)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, uid := range found {
		if uid > last {
			out = append(out, uid)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// uidList expands a UID set a server sent, refusing "*" and sets with more
// than limit members (a hostile 1:4294967295 must not exhaust memory).
func uidList(set imap.UIDSet, limit int) ([]imap.UID, error) {
	n := 0
	for _, r := range set {
		if r.Start == 0 || r.Stop == 0 {
			return nil, fmt.Errorf("server sent a UID set with '*': %v", set)
		}
		lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
		if int64(hi-lo)+1 > int64(limit-n) {
			return nil, fmt.Errorf("server sent more than %d UIDs", limit)
		}
		n += int(hi-lo) + 1
	}
	out := make([]imap.UID, 0, n)
	for _, r := range set {
		lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
		for u := lo; ; u++ {
			out = append(out, u)
			if u == hi {
				break
			}
		}
	}
	return out, nil
}

// chunks splits uids into consecutive slices of at most n.
func chunks(uids []imap.UID, n int) [][]imap.UID {
	var out [][]imap.UID
	for len(uids) > n {
		out = append(out, uids[:n])
		uids = uids[n:]
	}
	if len(uids) > 0 {
		out = append(out, uids)
	}
	return out
}
