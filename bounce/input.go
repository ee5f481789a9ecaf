package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/dsn"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// maxText bounds the text a decoder searches: bounces put what matters
// near the top, and a forged bounce of a 20 MB message must not cost more.
const maxText = 128 << 10

// input is one message as the decoders see it, with the look-ups they
// share computed once, on first use.
type input struct {
	m       *mailparse.Message
	from    string // From addr-spec, lower case
	subject string // decoded, lower case
	ctype   string // top-level media type
	// boundary is ctype's boundary parameter: most decoders ask for it
	// and nothing else (param reads the others).
	boundary string
	// names has the bit of every top-level field name (nameBit), so that a
	// look-up of an absent field costs no scan of the header.
	names nameSet
	// pairs are the byte pairs of subject, made on first use.
	pairs     bytePairs
	pairsDone bool

	textDone  bool
	txt       string
	lowerDone bool
	low       string

	dsnDone bool
	dsnRep  *dsn.Report

	// Answers many decoders ask for, made on first use (memo).
	daemon, evidence, forwarded int8
}

func newInput(m *mailparse.Message) *input {
	in := &input{
		m:       m,
		from:    mailparse.Address(m.Header.Get("From")),
		subject: strings.ToLower(mailparse.DecodeWords(m.Header.Get("Subject"))),
	}
	in.ctype, in.boundary = m.Header.ContentTypeParam("boundary")
	for _, f := range m.Header {
		in.names.add(f.Key)
	}
	return in
}

// param returns a parameter of the top-level Content-Type (name in lower
// case).
func (in *input) param(name string) string {
	_, v := in.m.Header.ContentTypeParam(name)
	return v
}

// text is the message's readable text, at most maxText bytes.
func (in *input) text() string {
	if !in.textDone {
		in.txt, in.textDone = in.m.Text(maxText), true
	}
	return in.txt
}

// lower is text() with its ASCII letters lower-cased (offsets into it are
// offsets into text()), made once for all the decoders that search it.
func (in *input) lower() string {
	if !in.lowerDone {
		in.low, in.lowerDone = lowerASCII(in.text()), true
	}
	return in.low
}

// dsn is the message's delivery status report, or nil.
func (in *input) dsn() *dsn.Report {
	if !in.dsnDone {
		in.dsnDone = true
		if r, err := dsn.FromMessage(in.m); err == nil {
			in.dsnRep = r
		}
	}
	return in.dsnRep
}

// header returns the value of the top-level header field key.
func (in *input) header(key string) string {
	if !in.names.mayHave(key) {
		return "" // most look-ups are for fields a message does not have
	}
	return in.m.Header.Get(key)
}

// has reports whether the top-level header has a field named key, even an
// empty one.
func (in *input) has(key string) bool {
	return in.names.mayHave(key) && in.m.Header.Has(key)
}

// nameSet is a 256-bit set of (hashed) field names, case folded: a
// message's thirty-odd fields leave most bits clear.
type nameSet [4]uint64

func (s *nameSet) add(name string) {
	w, b := nameBit(name)
	s[w] |= b
}

func (s *nameSet) mayHave(name string) bool {
	w, b := nameBit(name)
	return s[w]&b != 0
}

// nameBit is the word and bit of a field name in a nameSet. Every header
// look-up computes it, so it reads only the length and the last two bytes,
// which tell most field names apart; names that share a bit only cost a
// scan.
func nameBit(name string) (int, uint64) {
	n := len(name)
	h := uint(n) * 31
	if n >= 2 {
		// |0x20 folds ASCII letters; other bytes only map to another bit.
		h += uint(name[n-1]|0x20)*7 + uint(name[n-2]|0x20)
	}
	return int(h>>6) & 3, 1 << (h & 63)
}

// fromDaemon reports whether the message comes from a mail system rather
// than a person: MAILER-DAEMON, postmaster and their kin, or an empty
// envelope sender.
func (in *input) fromDaemon() bool {
	return memo(&in.daemon, func() int { return boolInt(in.isFromDaemon()) }) == 1
}

// memo returns f's answer, made on the first call and kept in slot: 0 not
// yet, else the answer plus one. Many decoders ask the same questions of
// one message.
func memo(slot *int8, f func() int) int {
	if *slot == 0 {
		*slot = int8(f()) + 1
	}
	return int(*slot) - 1
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (in *input) isFromDaemon() bool {
	local, _, _ := strings.Cut(in.from, "@")
	switch local {
	case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "maildaemon",
		"mail.daemon", "mailer_daemon", "mdaemon", "smtp", "mta", "root",
		"mailadmin", "bounce", "bounces", "nobody", "noreply", "no-reply", "administrator", "system":
		return true
	}
	if strings.Contains(local, "mailer-daemon") || strings.Contains(local, "postmaster") {
		return true
	}
	rp := strings.TrimSpace(in.header("Return-Path"))
	return rp == "<>" || strings.EqualFold(rp, "<MAILER-DAEMON>")
}

// viaList reports whether the message came through a mailing list.
func (in *input) viaList() bool {
	if in.header("List-Id") != "" || in.header("List-Post") != "" || in.header("Mailing-List") != "" {
		return true
	}
	// Not "bulk": vacation programs mark their own replies so.
	return strings.EqualFold(strings.TrimSpace(in.header("Precedence")), "list")
}

// subjectHas reports whether the lower-cased subject contains any of subs.
func (in *input) subjectHas(subs ...string) bool {
	if !in.pairsDone {
		in.pairs.add(in.subject)
		in.pairsDone = true
	}
	for _, s := range subs {
		// Every decoder asks about the subject, with hundreds of phrases
		// in all: most are ruled out by a pair of their bytes the subject
		// lacks, without a substring search.
		if in.pairs.mayHold(s) && strings.Contains(in.subject, s) {
			return true
		}
	}
	return false
}

// bytePairs is a 4096-bit set of the (hashed) adjacent byte pairs of a
// string: a string lacking one of a phrase's pairs cannot contain it.
type bytePairs [64]uint64

func pairBit(a, b byte) (word int, bit uint64) {
	k := (uint(a)*131 + uint(b)) & 4095
	return int(k >> 6), 1 << (k & 63)
}

func (p *bytePairs) add(s string) {
	for i := 0; i+1 < len(s); i++ {
		w, b := pairBit(s[i], s[i+1])
		p[w] |= b
	}
}

// mayHold reports whether s could contain sub: false when one of sub's
// first and last byte pairs is missing.
func (p *bytePairs) mayHold(sub string) bool {
	if len(sub) < 2 {
		return true
	}
	w, b := pairBit(sub[0], sub[1])
	if p[w]&b == 0 {
		return false
	}
	w, b = pairBit(sub[len(sub)-2], sub[len(sub)-1])
	return p[w]&b != 0
}
