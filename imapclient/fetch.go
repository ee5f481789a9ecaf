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
	opts := envelopeOptions(structure)
	out := make(map[imap.UID]*Envelope, len(uids))
	for _, batch := range chunks(uids, fetchBatch) {
		envs, err := s.awaitEnvelopes(ctx, s.startEnvelopes(batch, opts, (*Envelope).parse), opts, (*Envelope).parse)
		maps.Copy(out, envs)
		if err != nil {
			return out, err
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

// pending is a FETCH under way, its answers read on a goroutine of its
// own. Several can be in flight at once, so the server always has the next
// one to work on; they must be read concurrently, since a server may run
// pipelined FETCHes in parallel and interleave their answers (Dovecot
// does). Every one sent must be awaited or drained before the Session runs
// anything else.
type pending struct {
	step string // what the FETCH is doing, for errors
	done chan struct{}
	err  error
}

// send sends uids' FETCH with opts and has read read its answers in the
// background, unless the connection is already unusable.
func (s *Session) send(step string, uids []imap.UID, opts *imap.FetchOptions, read func(*imapclient.FetchCommand) error) *pending {
	p := &pending{step: step, done: make(chan struct{})}
	if s.broken != nil {
		p.err = fmt.Errorf("connection unusable after an earlier failure (%v): reconnect", s.broken)
		close(p.done)
		return p
	}
	cmd := s.c.Fetch(imap.UIDSetNum(uids...), opts)
	go func() {
		defer close(p.done)
		p.err = read(cmd)
	}()
	return p
}

// ready reports whether p has ended.
func (p *pending) ready() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// await waits for p within the command timeout (closing the connection
// when it passes, as do does).
func (s *Session) await(ctx context.Context, p *pending) error {
	if p.ready() && p.err == nil {
		return nil
	}
	return s.do(ctx, p.step, func() error {
		<-p.done
		return p.err
	})
}

// drain waits for p to end, whatever its outcome, for what a sweep leaves
// behind on its way out: within the command timeout even when ctx is done,
// since the Session must not run another command before.
func (s *Session) drain(p *pending) {
	select {
	case <-p.done:
		return
	case <-time.After(s.cfg.CommandTimeout):
	}
	s.c.Close()
	if s.broken == nil {
		s.broken = fmt.Errorf("%s: no answer within %s", p.step, s.cfg.CommandTimeout)
	}
	s.selected = ""
	<-p.done
}

// envelopeFetch is a header FETCH under way.
type envelopeFetch struct {
	*pending
	uids []imap.UID
	envs map[imap.UID]*Envelope
}

// startEnvelopes sends a header FETCH for uids and reads its answers in
// the background, handing each new envelope, its header read but not
// parsed, to got on that goroutine.
func (s *Session) startEnvelopes(uids []imap.UID, opts *imap.FetchOptions, got func(*Envelope)) *envelopeFetch {
	f := &envelopeFetch{uids: uids, envs: make(map[imap.UID]*Envelope, len(uids))}
	step := fmt.Sprintf("fetching headers of %d messages (UIDs %d-%d) from %s", len(uids), uids[0], uids[len(uids)-1], s.selected)
	f.pending = s.send(step, uids, opts, func(cmd *imapclient.FetchCommand) error {
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			e, err := readEnvelope(msg)
			if err != nil {
				cmd.Close()
				return err
			}
			if e.UID != 0 && f.envs[e.UID] == nil {
				f.envs[e.UID] = e
				got(e)
			}
		}
		return cmd.Close()
	})
	return f
}

// awaitEnvelopes waits for f's envelopes. A message the server answered
// for only in part is asked for once more, and got sees its new envelope;
// one still without a header is left out.
func (s *Session) awaitEnvelopes(ctx context.Context, f *envelopeFetch, opts *imap.FetchOptions, got func(*Envelope)) (map[imap.UID]*Envelope, error) {
	if err := s.await(ctx, f.pending); err != nil {
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
		again := s.startEnvelopes(retry, opts, got)
		if err := s.await(ctx, again.pending); err != nil {
			return nil, err
		}
		for uid, e := range again.envs {
			if e.Header != nil {
				f.envs[uid] = e
			}
		}
	}
	return f.envs, nil
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

// bodyFetch is a whole-message FETCH under way.
type bodyFetch struct {
	*pending
	bodies map[imap.UID][]byte
}

// startBodies sends one FETCH for the whole messages of envs (which the
// caller keeps within bodyBatchCount and bodyBatchBytes) and reads them in
// the background; a message larger than maxSize is left out. Empty envs
// need no command: the fetch is done at once.
func (s *Session) startBodies(envs []*Envelope, maxSize int64) *bodyFetch {
	f := &bodyFetch{bodies: make(map[imap.UID][]byte, len(envs))}
	if len(envs) == 0 {
		f.pending = &pending{done: make(chan struct{})}
		close(f.done)
		return f
	}
	uids := make([]imap.UID, len(envs))
	for i, e := range envs {
		uids[i] = e.UID
	}
	step := fmt.Sprintf("fetching %d whole messages (UIDs %d-%d) from %s", len(uids), uids[0], uids[len(uids)-1], s.selected)
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{wholeSection}}
	f.pending = s.send(step, uids, opts, func(cmd *imapclient.FetchCommand) error {
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			if err := readBody(msg, maxSize, f.bodies); err != nil {
				cmd.Close()
				return err
			}
		}
		return cmd.Close()
	})
	return f
}

// awaitBodies waits for f's bodies.
func (s *Session) awaitBodies(ctx context.Context, f *bodyFetch) (map[imap.UID][]byte, error) {
	err := s.await(ctx, f.pending)
	return f.bodies, err
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
