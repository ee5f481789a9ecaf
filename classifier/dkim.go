package classifier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Resolver looks up DNS TXT records. *net.Resolver is one; tests inject
// their own.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// DNS cache defaults: DKIM keys change rarely, a run meets few domains.
const (
	DefaultDNSTimeout = 5 * time.Second
	defaultDNSEntries = 256
	dnsTTL            = time.Hour
	dnsNotFoundTTL    = 10 * time.Minute
	dnsFailureTTL     = time.Minute
)

// NewDNSCache wraps r so that each look-up is bounded by timeout (0 means
// DefaultDNSTimeout) and answers, failures included, are kept a while in
// a cache of at most size entries (0 means 256). It is safe for concurrent
// use.
func NewDNSCache(r Resolver, timeout time.Duration, size int) Resolver {
	if timeout <= 0 {
		timeout = DefaultDNSTimeout
	}
	if size <= 0 {
		size = defaultDNSEntries
	}
	return &dnsCache{r: r, timeout: timeout, size: size, m: map[string]dnsEntry{}}
}

type dnsCache struct {
	r       Resolver
	timeout time.Duration
	size    int
	mu      sync.Mutex
	m       map[string]dnsEntry
}

type dnsEntry struct {
	txt   []string
	err   error
	until time.Time
}

func (d *dnsCache) LookupTXT(ctx context.Context, name string) ([]string, error) {
	key := strings.ToLower(name)
	now := time.Now()
	d.mu.Lock()
	e, ok := d.m[key]
	d.mu.Unlock()
	if ok && now.Before(e.until) {
		return append([]string(nil), e.txt...), e.err
	}
	cctx, cancel := context.WithTimeout(ctx, d.timeout)
	txt, err := d.r.LookupTXT(cctx, name)
	cancel()
	if err != nil && ctx.Err() != nil {
		return nil, err // our caller gave up: says nothing about the name
	}
	ttl := dnsTTL
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		ttl = dnsNotFoundTTL
	case err != nil:
		ttl = dnsFailureTTL
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) >= d.size {
		for k, old := range d.m {
			if !now.Before(old.until) {
				delete(d.m, k)
			}
		}
		for k := range d.m {
			if len(d.m) < d.size {
				break
			}
			delete(d.m, k) // any one: the cache is small and cheap to refill
		}
	}
	d.m[key] = dnsEntry{txt: txt, err: err, until: now.Add(ttl)}
	return append([]string(nil), txt...), err
}

// dkimOutcome is what checking one signature found.
type dkimOutcome int

const (
	dkimValid       dkimOutcome = iota // whole message verified
	dkimValidHeader                    // header signature verified, body hash taken as given
	dkimBodyChanged                    // header signature verified, the whole body came back and does not match
	dkimExpired                        // x= has passed
	dkimTesting                        // verified, but the key is in testing mode (t=y)
	dkimNoKey                          // DNS failure, missing or unusable key: no evidence
	dkimFail                           // the signature does not verify
)

// dkimSignals checks the DKIM signatures of the embedded original.
//
// A valid signature of one of the person's domains can only have been
// made by their domain's system. When only the header came back, the
// header signature is checked with the body hash taken as given: it still
// binds From, Message-ID and the rest to the key, so it is strong, but
// short of proof. Expired signatures, signatures of other domains,
// signatures that fail, and keys that cannot be had are no evidence of
// sending; a failing signature of the person's own domain is weak
// evidence of forgery, since bounces alter what they return often enough.
func (c *Classifier) dkimSignals(ctx context.Context, e *evidence, m *mailparse.Message, r *bounce.Report, me identity) {
	o := r.Original
	var fields []headerField
	var body []byte
	quoted := false
	switch {
	case len(o.Raw) > 0:
		hdr, b := splitHeaderBody(o.Raw)
		fields, body = splitHeaderFields(hdr), b
	case len(o.Header) > 0:
		fields, quoted = fieldsFromParsed(o.Header), true
	default:
		return
	}
	sigs, errs := dkimSignatures(fields)
	if len(sigs) == 0 {
		if o.Where == "rfc822" || o.Where == "headers" {
			e.add("dkim", Neutral, "the original carries no DKIM signature")
		}
		return
	}
	if c.DNS == nil {
		e.add("dkim", Neutral, "the original is signed (%s), but DNS look-ups are off (--no-dns): not checked", signers(sigs))
		return
	}
	if !me.known() {
		e.add("dkim", Neutral, "the original is signed (%s), but your addresses are unknown (give --address or --sent): cannot tell whose domain that is", signers(sigs))
		return
	}
	whole := o.Where == "rfc822" && len(o.Raw) > 0 && len(bytes.TrimSpace(body)) > 0
	var lib []*dkim.Verification
	lookups := &lookupLog{failed: map[string]error{}}
	if whole {
		var err error
		lib, err = dkim.VerifyWithOptions(bytes.NewReader(o.Raw), &dkim.VerifyOptions{
			LookupTXT:        lookups.wrap(ctx, c.DNS),
			MaxVerifications: maxDKIMSignatures,
		})
		if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
			lib = nil // unreadable as a whole: check the headers alone
		}
	}
	keys := c.keyLookup(ctx)
	now := c.now()
	for i, s := range sigs {
		if errs[i] != nil {
			e.add("dkim", Neutral, "a DKIM signature on the original cannot be used: %v", errs[i])
			continue
		}
		if quoted && s.headerCanon != "relaxed" {
			e.add("dkim", Neutral, "the original was quoted in the text and its signature of %s uses simple header canonicalization: the quoted copy cannot be checked", s.domain)
			continue
		}
		var out dkimOutcome
		var detail error
		if whole && i < len(lib) {
			out, detail = c.wholeOutcome(lib[i], fields, s, keys, lookups, now)
		} else {
			out, detail = headerOutcome(checkHeaderSignature(fields, s, keys, now))
		}
		how := "only the header came back"
		switch {
		case quoted:
			how = "the original was quoted in the bounce's text"
		case o.Where == "rfc822" && !whole:
			how = "the original came back without its body"
		}
		if out == dkimBodyChanged {
			if why, cut := bodyCutShort(m, o.Header, body); cut {
				out, how = dkimValidHeader, why
			}
		}
		c.weighSignature(e, s, out, detail, how, o.From, me)
	}
}

// wholeOutcome reads go-msgauth's verdict on a whole original, checking
// the header signature alone when only the body hash failed.
func (c *Classifier) wholeOutcome(v *dkim.Verification, fields []headerField, s *dkimSig, keys func(string, string) (*dkimKey, error), lookups *lookupLog, now time.Time) (dkimOutcome, error) {
	switch {
	case v.Err == nil:
		if k, err := keys(s.domain, s.selector); err == nil && k.testing {
			return dkimTesting, nil
		}
		return dkimValid, nil
	case !v.Expiration.IsZero() && now.After(v.Expiration), strings.Contains(v.Err.Error(), "expired"):
		return dkimExpired, v.Err
	case lookups.failedFor(s.selector + "._domainkey." + s.domain):
		return dkimNoKey, lookups.err(s.selector + "._domainkey." + s.domain)
	case strings.Contains(v.Err.Error(), "body hash did not verify"):
		hc := checkHeaderSignature(fields, s, keys, now)
		if hc.valid && !hc.testing {
			return dkimBodyChanged, v.Err
		}
		return headerOutcome(hc)
	}
	return dkimFail, v.Err
}

func headerOutcome(hc headerCheck) (dkimOutcome, error) {
	switch {
	case hc.valid && hc.testing:
		return dkimTesting, nil
	case hc.valid:
		return dkimValidHeader, nil
	case hc.expired:
		return dkimExpired, hc.err
	case errors.Is(hc.err, errNoKey):
		return dkimNoKey, hc.err
	}
	return dkimFail, hc.err
}

// weighSignature turns one signature's outcome into a signal.
func (c *Classifier) weighSignature(e *evidence, s *dkimSig, out dkimOutcome, detail error, how, from string, me identity) {
	ownDomain, own := me.ownsDomain(s.domain)
	sig := fmt.Sprintf("DKIM signature of %s (s=%s)", s.domain, s.selector)
	fromOwn := from != "" && me.addrs[from]
	switch out {
	case dkimValid, dkimValidHeader:
		prefix, w := "valid "+sig+" on the returned original", SentProof
		if out == dkimValidHeader {
			prefix, w = fmt.Sprintf("header-only DKIM check: body hash taken as given (%s); the %s on the original's header verifies", how, sig), SentStrong
		}
		switch {
		case !own:
			e.add("dkim", Neutral, "%s, but %s is not one of your domains (from %s)", prefix, s.domain, me.source())
		case fromOwn:
			e.add("dkim", w, "%s, From %s: your domain's system sent it", prefix, from)
		default:
			// Someone else at the person's domain, or no From: the
			// domain's system sent it all the same.
			e.add("dkim", min(w, SentStrong), "%s (your domain %s), From %q is not one of your addresses", prefix, ownDomain, from)
		}
	case dkimBodyChanged:
		e.add("dkim", Neutral, "the %s on the original's header verifies, but the whole body came back and no longer matches its body hash (re-encoded on the way back, or replaced): not counted", sig)
	case dkimExpired:
		e.add("dkim", Neutral, "the %s has expired (%v): not counted", sig, detail)
	case dkimTesting:
		e.add("dkim", Neutral, "the %s verifies, but %s publishes its key in testing mode (t=y): not counted", sig, s.domain)
	case dkimNoKey:
		e.add("dkim", Neutral, "the %s could not be checked, no evidence either way: %v", sig, detail)
	case dkimFail:
		if own {
			e.add("dkim", ForgedWeak, "the %s, your domain, does not verify (%v): forged, or altered on the way back", sig, detail)
		} else {
			e.add("dkim", Neutral, "the %s does not verify (%v), and it is not your domain", sig, detail)
		}
	}
}

// keyLookup returns a function that fetches and parses DKIM keys through
// c.DNS, bounded by ctx.
func (c *Classifier) keyLookup(ctx context.Context) func(domain, selector string) (*dkimKey, error) {
	return func(domain, selector string) (*dkimKey, error) {
		name := selector + "._domainkey." + domain
		txts, err := c.DNS.LookupTXT(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("looking up %s: %w", name, err)
		}
		if len(txts) != 1 {
			// RFC 6376 section 3.6.2.2 leaves several records undefined.
			return nil, fmt.Errorf("%s has %d TXT records, want 1", name, len(txts))
		}
		k, err := parseDKIMKey(txts[0])
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", name, err)
		}
		return k, nil
	}
}

// lookupLog remembers which look-ups go-msgauth made failed, so that a
// DNS failure is told apart from a bad signature: go-msgauth reports both
// as a failure.
type lookupLog struct {
	mu     sync.Mutex
	failed map[string]error
}

func (l *lookupLog) wrap(ctx context.Context, r Resolver) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		if !validDNSName(name) {
			err := fmt.Errorf("%q is no DNS name", name)
			l.record(name, err)
			return nil, err
		}
		txt, err := r.LookupTXT(ctx, name)
		if err == nil && len(txt) != 1 {
			err = fmt.Errorf("%d TXT records, want 1", len(txt))
		}
		if err != nil {
			l.record(name, err)
		}
		return txt, err
	}
}

func (l *lookupLog) record(name string, err error) {
	l.mu.Lock()
	l.failed[strings.ToLower(name)] = err
	l.mu.Unlock()
}

func (l *lookupLog) failedFor(name string) bool { return l.err(name) != nil }

func (l *lookupLog) err(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed[strings.ToLower(name)]
}

// signers lists the d= of the signatures, for reasons.
func signers(sigs []*dkimSig) string {
	var ds []string
	for _, s := range sigs {
		if s != nil {
			ds = append(ds, "d="+s.domain)
		}
	}
	if len(ds) == 0 {
		return "by signatures that cannot be read"
	}
	return strings.Join(ds, ", ")
}

// splitHeaderBody splits a raw message at the first blank line (LF or
// CRLF); the header keeps its last line end.
func splitHeaderBody(raw []byte) (header, body []byte) {
	lf := bytes.Index(raw, []byte("\n\n"))
	crlf := bytes.Index(raw, []byte("\n\r\n"))
	switch {
	case lf >= 0 && (crlf < 0 || lf < crlf):
		return raw[:lf+1], raw[lf+2:]
	case crlf >= 0:
		return raw[:crlf+1], raw[crlf+3:]
	}
	return raw, nil
}

// fieldsFromParsed rebuilds fields from an already parsed header (an
// original quoted inline): the folding is gone, which only relaxed header
// canonicalization forgives.
func fieldsFromParsed(h mailparse.Header) []headerField {
	fields := make([]headerField, 0, min(len(h), maxDKIMFields))
	for _, f := range h {
		if len(fields) == maxDKIMFields {
			break
		}
		fields = append(fields, headerField{name: f.Key, raw: f.Key + ": " + f.Value + "\r\n"})
	}
	return fields
}

// truncationWords are what bouncers write when they return only part of
// a message, lower case.
var truncationWords = []string{
	"truncated", "only the first", "was trimmed", "body omitted", "body has been omitted",
	"body of the message is", "rest of the message", "message body not included",
}

// bodyCutShort reports whether the body that came back is visibly not the
// whole body: a multipart whose closing boundary never comes, or a bounce
// that says it shortened the copy. Only then is a failing body hash put
// down to the bounce rather than to a changed message.
func bodyCutShort(m *mailparse.Message, h mailparse.Header, body []byte) (string, bool) {
	if mt, params := h.ContentType(); strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		if !bytes.Contains(body, []byte("--"+params["boundary"]+"--")) {
			return "the original's multipart body ends before its closing boundary: the bounce cut it short", true
		}
	}
	text := strings.ToLower(m.Text(maxBATVScanText))
	for _, w := range truncationWords {
		if strings.Contains(text, w) {
			return fmt.Sprintf("the bounce says it shortened the copy (%q)", w), true
		}
	}
	return "", false
}
