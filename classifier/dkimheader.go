package classifier

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file checks the header signature of a DKIM-Signature (RFC 6376)
// on its own, taking the signed body hash (bh=) as given: what a bounce
// that returned only the original's header (text/rfc822-headers), or a
// body cut short, still allows. go-msgauth checks the body hash first
// and stops there, hence our own code.

// Bounds on what is read from a hostile header.
const (
	maxDKIMHeaderBytes = 256 << 10
	maxDKIMFields      = 1000
	maxDKIMSigBytes    = 8 << 10
	maxDKIMTags        = 32
	maxDKIMSignatures  = 4
	maxDKIMSignedNames = 64
)

// headerField is one header field as it came, folding included, with
// CRLF line ends: what "simple" header canonicalization needs.
type headerField struct {
	name string // as written
	raw  string // "Name: value\r\n", continuation lines included
}

// value returns the field's value, after the colon, folding included.
func (f headerField) value() string {
	_, v, _ := strings.Cut(f.raw, ":")
	return v
}

// splitHeaderFields cuts a raw header block (LF or CRLF) into fields,
// stopping at the blank line. Lines that are no field are dropped.
func splitHeaderFields(h []byte) []headerField {
	if len(h) > maxDKIMHeaderBytes {
		h = h[:maxDKIMHeaderBytes]
	}
	var fields []headerField
	var cur strings.Builder
	name := ""
	flush := func() {
		if name != "" && len(fields) < maxDKIMFields {
			fields = append(fields, headerField{name: name, raw: cur.String()})
		}
		name = ""
		cur.Reset()
	}
	for len(h) > 0 {
		var line []byte
		if i := bytes.IndexByte(h, '\n'); i >= 0 {
			line, h = h[:i], h[i+1:]
		} else {
			line, h = h, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				cur.Write(line)
				cur.WriteString("\r\n")
			}
			continue
		}
		flush()
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name = strings.TrimRight(string(line[:colon]), " \t")
		cur.Write(line)
		cur.WriteString("\r\n")
	}
	flush()
	return fields
}

// dkimSig is a parsed DKIM-Signature field.
type dkimSig struct {
	field       headerField
	domain      string // d=, lower case
	selector    string // s=
	identity    string // i=, "" when absent
	keyAlgo     string // rsa or ed25519
	headerCanon string // simple or relaxed
	signed      []string
	bodyHash    []byte
	sig         []byte
	expires     time.Time // zero: none
}

// parseTagList reads an RFC 6376 section 3.2 tag=value list. Folding
// white space around tags and values is dropped.
func parseTagList(s string) (map[string]string, error) {
	tags := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("tag %q has no '='", strings.TrimSpace(part))
		}
		k = strings.TrimSpace(k)
		if _, dup := tags[k]; dup {
			return nil, fmt.Errorf("tag %q given twice", k)
		}
		if len(tags) == maxDKIMTags {
			return nil, fmt.Errorf("more than %d tags", maxDKIMTags)
		}
		tags[k] = strings.TrimSpace(v)
	}
	return tags, nil
}

// stripFWS removes all white space (folding included): base64 values and
// tag lists may be folded anywhere.
func stripFWS(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// parseDKIMSignature reads the field's tags and checks what a verifier
// must (RFC 6376 section 6.1.1).
func parseDKIMSignature(f headerField) (*dkimSig, error) {
	v := f.value()
	if len(v) > maxDKIMSigBytes {
		return nil, fmt.Errorf("signature field is %d bytes, more than %d", len(v), maxDKIMSigBytes)
	}
	tags, err := parseTagList(v)
	if err != nil {
		return nil, fmt.Errorf("reading signature tags: %w", err)
	}
	for _, t := range []string{"v", "a", "b", "bh", "d", "h", "s"} {
		if _, ok := tags[t]; !ok {
			return nil, fmt.Errorf("signature has no %s= tag", t)
		}
	}
	if tags["v"] != "1" {
		return nil, fmt.Errorf("signature version %q, want 1", tags["v"])
	}
	s := &dkimSig{
		field:    f,
		domain:   strings.ToLower(strings.TrimSuffix(stripFWS(tags["d"]), ".")),
		selector: stripFWS(tags["s"]),
		identity: stripFWS(tags["i"]),
	}
	if !validDNSName(s.domain) || !validDNSName(s.selector) {
		return nil, fmt.Errorf("signature names d=%q s=%q, not DNS names", s.domain, s.selector)
	}
	switch strings.ToLower(stripFWS(tags["a"])) {
	case "rsa-sha256":
		s.keyAlgo = "rsa"
	case "ed25519-sha256":
		s.keyAlgo = "ed25519"
	default:
		// rsa-sha1 is excluded by RFC 8301 section 3.1.
		return nil, fmt.Errorf("signature algorithm %q, want rsa-sha256 or ed25519-sha256", tags["a"])
	}
	canon := strings.ToLower(stripFWS(tags["c"]))
	s.headerCanon, _, _ = strings.Cut(canon, "/")
	switch s.headerCanon {
	case "":
		s.headerCanon = "simple"
	case "simple", "relaxed":
	default:
		return nil, fmt.Errorf("header canonicalization %q, want simple or relaxed", s.headerCanon)
	}
	for _, n := range strings.Split(tags["h"], ":") {
		if n = stripFWS(n); n != "" && len(s.signed) < maxDKIMSignedNames {
			s.signed = append(s.signed, n)
		}
	}
	hasFrom := false
	for _, n := range s.signed {
		hasFrom = hasFrom || strings.EqualFold(n, "From")
	}
	if !hasFrom {
		return nil, errors.New("signature does not sign From")
	}
	if s.identity != "" {
		i := strings.ToLower(s.identity)
		at := strings.LastIndexByte(i, '@')
		if at < 0 || (i[at+1:] != s.domain && !strings.HasSuffix(i[at+1:], "."+s.domain)) {
			return nil, fmt.Errorf("signature identity i=%s is not within d=%s", s.identity, s.domain)
		}
	}
	if s.bodyHash, err = base64.StdEncoding.DecodeString(stripFWS(tags["bh"])); err != nil {
		return nil, fmt.Errorf("reading bh=: %w", err)
	}
	if s.sig, err = base64.StdEncoding.DecodeString(stripFWS(tags["b"])); err != nil {
		return nil, fmt.Errorf("reading b=: %w", err)
	}
	if x, ok := tags["x"]; ok {
		n, err := strconv.ParseInt(stripFWS(x), 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return nil, fmt.Errorf("signature expiry x=%q is no time", x)
		}
		s.expires = time.Unix(n, 0).UTC()
	}
	return s, nil
}

// validDNSName accepts the letters, digits, hyphens, underscores and dots
// of a host or selector name, up to 253 bytes: nothing else is worth a
// DNS query.
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// dkimKey is a parsed key record (RFC 6376 section 3.6.1).
type dkimKey struct {
	algo    string // rsa or ed25519
	rsa     *rsa.PublicKey
	ed      ed25519.PublicKey
	testing bool // t=y: the domain is testing DKIM
	strict  bool // t=s: i= must be exactly d=
}

// parseDKIMKey reads a key record's tags.
func parseDKIMKey(txt string) (*dkimKey, error) {
	if len(txt) > maxDKIMSigBytes {
		return nil, fmt.Errorf("key record is %d bytes, more than %d", len(txt), maxDKIMSigBytes)
	}
	tags, err := parseTagList(txt)
	if err != nil {
		return nil, fmt.Errorf("reading key record: %w", err)
	}
	if v, ok := tags["v"]; ok && v != "DKIM1" {
		return nil, fmt.Errorf("key record version %q, want DKIM1", v)
	}
	if s, ok := tags["s"]; ok {
		email := false
		for _, svc := range strings.Split(s, ":") {
			svc = stripFWS(svc)
			email = email || svc == "*" || svc == "email"
		}
		if !email {
			return nil, fmt.Errorf("key is for services %q, not email", s)
		}
	}
	if h, ok := tags["h"]; ok && !strings.Contains(":"+stripFWS(h)+":", ":sha256:") {
		return nil, fmt.Errorf("key allows hashes %q, not sha256", h)
	}
	k := &dkimKey{}
	for _, f := range strings.Split(tags["t"], ":") {
		switch stripFWS(f) {
		case "y":
			k.testing = true
		case "s":
			k.strict = true
		}
	}
	p := stripFWS(tags["p"])
	if p == "" {
		return nil, errors.New("key revoked (empty p=)")
	}
	der, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("reading key p=: %w", err)
	}
	switch k.algo = strings.ToLower(stripFWS(tags["k"])); k.algo {
	case "", "rsa":
		k.algo = "rsa"
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			// RFC 6376 erratum 3017: some publish an RSAPublicKey.
			if pub, err = x509.ParsePKCS1PublicKey(der); err != nil {
				return nil, fmt.Errorf("reading RSA key: %w", err)
			}
		}
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("key k=rsa is not an RSA key")
		}
		if rk.N.BitLen() < 1024 {
			// RFC 8301 section 3.2.
			return nil, fmt.Errorf("RSA key of %d bits, fewer than 1024", rk.N.BitLen())
		}
		k.rsa = rk
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key of %d bytes, want %d", len(der), ed25519.PublicKeySize)
		}
		k.ed = ed25519.PublicKey(der)
	default:
		return nil, fmt.Errorf("key type %q, want rsa or ed25519", k.algo)
	}
	return k, nil
}

// canonicalHeader canonicalizes one field (RFC 6376 section 3.4.1 and
// 3.4.2).
func canonicalHeader(f headerField, relaxed bool) string {
	if !relaxed {
		return f.raw
	}
	name, v, _ := strings.Cut(f.raw, ":")
	var sb strings.Builder
	sb.Grow(len(f.raw))
	sb.WriteString(strings.ToLower(strings.TrimRight(name, " \t")))
	sb.WriteByte(':')
	space, wrote := false, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\r', '\n':
			// unfolding
		case ' ', '\t':
			space = true
		default:
			if space && wrote {
				sb.WriteByte(' ')
			}
			space, wrote = false, true
			sb.WriteByte(c)
		}
	}
	sb.WriteString("\r\n")
	return sb.String()
}

// withoutSignature empties the value of the b= tag in a DKIM-Signature
// field, white space around it included, keeping everything else as it
// came (RFC 6376 section 3.7).
func withoutSignature(raw string) string {
	name, v, ok := strings.Cut(raw, ":")
	if !ok {
		return raw
	}
	var sb strings.Builder
	sb.WriteString(name)
	sb.WriteByte(':')
	first := true
	for part := range strings.SplitSeq(v, ";") {
		if !first {
			sb.WriteByte(';')
		}
		first = false
		k, _, hasEq := strings.Cut(part, "=")
		if hasEq && strings.TrimSpace(k) == "b" {
			sb.WriteString(part[:len(k)+1])
			continue
		}
		sb.WriteString(part)
	}
	return sb.String()
}

// signedData builds the data the header signature is over: the signed
// fields, each picked from the bottom of the header up (RFC 6376 section
// 5.4.2), then the signature field with b= empty and no final CRLF.
func signedData(fields []headerField, s *dkimSig) []byte {
	relaxed := s.headerCanon == "relaxed"
	used := map[string]int{} // lower-case name → instances taken
	var buf bytes.Buffer
	for _, n := range s.signed {
		ln := strings.ToLower(n)
		skip := used[ln]
		used[ln]++
		for i := len(fields) - 1; i >= 0; i-- {
			if !strings.EqualFold(fields[i].name, n) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			buf.WriteString(canonicalHeader(fields[i], relaxed))
			break
		}
	}
	self := headerField{name: s.field.name, raw: withoutSignature(s.field.raw)}
	buf.WriteString(strings.TrimSuffix(canonicalHeader(self, relaxed), "\r\n"))
	return buf.Bytes()
}

// errNoKey marks a key that could not be had: a DNS failure, a missing or
// unreadable record. It is no evidence either way.
var errNoKey = errors.New("no usable key")

// headerCheck is the outcome of checking one header signature.
type headerCheck struct {
	sig     *dkimSig
	valid   bool
	expired bool
	testing bool // valid, but the key says the domain is testing
	err     error
}

// checkHeaderSignature verifies the header signature s over fields with
// the key from lookup, the body hash taken as given.
func checkHeaderSignature(fields []headerField, s *dkimSig, lookup func(domain, selector string) (*dkimKey, error), now time.Time) headerCheck {
	hc := headerCheck{sig: s}
	if !s.expires.IsZero() && now.After(s.expires) {
		hc.expired = true
		hc.err = fmt.Errorf("signature expired %s", s.expires.Format(time.RFC3339))
		return hc
	}
	key, err := lookup(s.domain, s.selector)
	if err != nil {
		hc.err = fmt.Errorf("%w: %v", errNoKey, err)
		return hc
	}
	if key.algo != s.keyAlgo {
		hc.err = fmt.Errorf("signature is %s, the key %s", s.keyAlgo, key.algo)
		return hc
	}
	if key.strict && s.identity != "" && !strings.HasSuffix(strings.ToLower(s.identity), "@"+s.domain) {
		hc.err = fmt.Errorf("key forbids subdomain identity i=%s", s.identity)
		return hc
	}
	sum := sha256.Sum256(signedData(fields, s))
	switch key.algo {
	case "rsa":
		err = rsa.VerifyPKCS1v15(key.rsa, crypto.SHA256, sum[:], s.sig)
	case "ed25519":
		// RFC 8463 section 3: Ed25519 signs the SHA-256 hash.
		if !ed25519.Verify(key.ed, sum[:], s.sig) {
			err = errors.New("ed25519: invalid signature")
		}
	}
	if err != nil {
		hc.err = fmt.Errorf("header signature does not verify: %v", err)
		return hc
	}
	hc.valid, hc.testing = true, key.testing
	return hc
}

// dkimSignatures returns the parsed DKIM-Signature fields of a header,
// top first, at most maxDKIMSignatures; those that cannot be parsed come
// back as errors, in the same order.
func dkimSignatures(fields []headerField) ([]*dkimSig, []error) {
	var sigs []*dkimSig
	var errs []error
	for _, f := range fields {
		if !strings.EqualFold(f.name, "DKIM-Signature") {
			continue
		}
		if len(sigs) == maxDKIMSignatures {
			break
		}
		s, err := parseDKIMSignature(f)
		sigs = append(sigs, s)
		errs = append(errs, err)
	}
	return sigs, errs
}
