package imapclient

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

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
)

// Envelope is what the first, cheap fetch learns about a message: enough for
// a caller to say whether the whole message is needed.
type Envelope struct {
	UID  imap.UID
	Size int64
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

var (
	headerSection = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	wholeSection  = &imap.FetchItemBodySection{Peek: true}
)

// fetchEnvelopes fetches UID, size, BODYSTRUCTURE (when structure is
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
	opts := envelopeOptions(structure)
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

// envelopeOptions is what an envelope FETCH asks for.
func envelopeOptions(structure bool) *imap.FetchOptions {
	opts := &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{headerSection}}
	if structure {
		opts.BodyStructure = &imap.FetchItemBodyStructure{Extended: true}
	}
	return opts
}

func (s *Session) fetchEnvelopeBatch(ctx context.Context, batch []imap.UID, opts *imap.FetchOptions, out map[imap.UID]*Envelope, got func(*Envelope)) error {
	return s.do(ctx, envelopeStep(batch, s.selected), func() error {
		return readEnvelopes(s.c.Fetch(imap.UIDSetNum(batch...), opts), out, got)
	})
}

func envelopeStep(batch []imap.UID, mailbox string) string {
	return fmt.Sprintf("fetching headers of %d messages (UIDs %d-%d) from %s", len(batch), batch[0], batch[len(batch)-1], mailbox)
}

// readEnvelopes reads a header FETCH's answers into out, handing each new
// envelope to got, and ends the command.
func readEnvelopes(cmd *imapclient.FetchCommand, out map[imap.UID]*Envelope, got func(*Envelope)) error {
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
}

// envelopeFetch is a header FETCH under way, its answers read on a
// goroutine of its own. Several can be in flight at once, so the server
// always has the next one to work on; they must be read concurrently, since
// a server may run pipelined FETCHes in parallel and interleave their
// answers (Dovecot does).
type envelopeFetch struct {
	uids []imap.UID
	envs map[imap.UID]*Envelope
	done chan struct{}
	err  error
}

// startEnvelopes sends a header FETCH for uids and reads its answers in
// the background, handing each envelope to got on that goroutine; await
// waits for the end. Every started fetch must be awaited before the
// Session runs anything else.
func (s *Session) startEnvelopes(uids []imap.UID, opts *imap.FetchOptions, got func(*Envelope)) *envelopeFetch {
	f := &envelopeFetch{uids: uids, envs: make(map[imap.UID]*Envelope, len(uids)), done: make(chan struct{})}
	if s.broken != nil {
		f.err = fmt.Errorf("connection unusable after an earlier failure (%v): reconnect", s.broken)
		close(f.done)
		return f
	}
	cmd := s.c.Fetch(imap.UIDSetNum(uids...), opts)
	go func() {
		defer close(f.done)
		f.err = readEnvelopes(cmd, f.envs, got)
	}()
	return f
}

// await waits for f's answers within the command timeout (closing the
// connection when it passes, as do does). A message the server answered
// for only in part is asked for once more, and got sees its new envelope.
func (s *Session) await(ctx context.Context, f *envelopeFetch, opts *imap.FetchOptions, got func(*Envelope)) (map[imap.UID]*Envelope, error) {
	err := s.do(ctx, envelopeStep(f.uids, s.selected), func() error {
		<-f.done
		return f.err
	})
	if err != nil {
		return nil, err
	}
	var retry []imap.UID
	for _, uid := range f.uids {
		if e, ok := f.envs[uid]; ok && e.Header == nil {
			delete(f.envs, uid)
			retry = append(retry, uid)
		}
	}
	if len(retry) > 0 {
		if err := s.fetchEnvelopeBatch(ctx, retry, opts, f.envs, got); err != nil {
			return nil, err
		}
		for _, uid := range retry {
			if e, ok := f.envs[uid]; ok && e.Header == nil {
				delete(f.envs, uid)
			}
		}
	}
	return f.envs, nil
}

// drain waits for f to end, whatever its outcome, for what the sweep
// leaves behind on its way out: within the command timeout even when ctx
// is done, since the Session must not run another command before.
func (s *Session) drain(f *envelopeFetch) {
	s.drainDone(f.done, envelopeStep(f.uids, s.selected))
}

func (s *Session) drainDone(done <-chan struct{}, step string) {
	select {
	case <-done:
		return
	case <-time.After(s.cfg.CommandTimeout):
	}
	s.c.Close()
	if s.broken == nil {
		s.broken = fmt.Errorf("%s: no answer within %s", step, s.cfg.CommandTimeout)
	}
	s.selected = ""
	<-done
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
	// The fields live as long as the envelope; the three strings below
	// outlive it (in a sweep's outcomes), so they are copies of their own.
	h, _ := mailparse.ParseHeaderBlock(e.Header, MaxHeaderBytes)
	e.Fields = h
	e.MessageID = strings.Clone(mailparse.MessageID(h.Get("Message-ID")))
	e.From = strings.Clone(mailparse.DecodeWords(h.Get("From")))
	e.Subject = strings.Clone(mailparse.DecodeWords(h.Get("Subject")))
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
	for start := 0; start < len(envs); {
		end, total := start, int64(0)
		for end < len(envs) && end-start < bodyBatchCount && (end == start || total+envs[end].Size <= bodyBatchBytes) {
			total += envs[end].Size
			end++
		}
		bodies, err := s.awaitBodies(ctx, s.startBodies(envs[start:end], maxSize))
		maps.Copy(out, bodies)
		if err != nil {
			return out, err
		}
		start = end
	}
	return out, nil
}

// bodyFetch is a whole-message FETCH under way, read on a goroutine of
// its own like an envelopeFetch.
type bodyFetch struct {
	first, last imap.UID
	bodies      map[imap.UID][]byte
	done        chan struct{}
	err         error
}

// startBodies sends one FETCH for the whole messages of envs (which the
// caller keeps within bodyBatchCount and bodyBatchBytes) and reads them in
// the background; a message larger than maxSize is left out. nil envs
// need no command: the fetch is done at once.
func (s *Session) startBodies(envs []*Envelope, maxSize int64) *bodyFetch {
	f := &bodyFetch{bodies: make(map[imap.UID][]byte, len(envs)), done: make(chan struct{})}
	if len(envs) == 0 {
		close(f.done)
		return f
	}
	if s.broken != nil {
		f.err = fmt.Errorf("connection unusable after an earlier failure (%v): reconnect", s.broken)
		close(f.done)
		return f
	}
	uids := make([]imap.UID, len(envs))
	for i, e := range envs {
		uids[i] = e.UID
	}
	f.first, f.last = uids[0], uids[len(uids)-1]
	cmd := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{wholeSection}})
	go func() {
		defer close(f.done)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			if err := readBody(msg, maxSize, f.bodies); err != nil {
				cmd.Close()
				f.err = err
				return
			}
		}
		f.err = cmd.Close()
	}()
	return f
}

// ready reports whether f has ended.
func (f *bodyFetch) ready() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// awaitBodies waits for f within the command timeout, as do does.
func (s *Session) awaitBodies(ctx context.Context, f *bodyFetch) (map[imap.UID][]byte, error) {
	if f.ready() && f.err == nil {
		return f.bodies, nil
	}
	step := fmt.Sprintf("fetching whole messages (UIDs %d-%d) from %s", f.first, f.last, s.selected)
	err := s.do(ctx, step, func() error {
		<-f.done
		return f.err
	})
	return f.bodies, err
}

// drainBodies is drain for a whole-message FETCH.
func (s *Session) drainBodies(f *bodyFetch) {
	s.drainDone(f.done, fmt.Sprintf("fetching whole messages (UIDs %d-%d) from %s", f.first, f.last, s.selected))
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
