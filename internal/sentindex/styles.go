package sentindex

import (
	"sort"
	"strings"
)

// CharClasses is a set of the kinds of character a Message-ID's left-hand
// side is written with.
type CharClasses uint8

// The character classes.
const (
	Digits CharClasses = 1 << iota
	Lower
	Upper
	Dot
	Dash
	Underscore
	OtherPunct // anything else: $ = + % / and the like
)

var classNames = []string{"digits", "lower", "upper", "dot", "dash", "underscore", "other punctuation"}

// String names the classes, e.g. "digits+lower+dash".
func (c CharClasses) String() string {
	var parts []string
	for i, n := range classNames {
		if c&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// Style is one way the person's mail clients write Message-IDs, learned
// from the sent mail: the base domain of the right-hand side, the
// character classes of the left-hand side (the union over every id of that
// domain) and the range of its lengths.
//
// A style is kept per base domain rather than per exact right-hand side:
// some clients (Outlook, Exchange Online) write a different server name
// into every id, and merging makes a style looser, never stricter, which
// errs towards keeping mail.
type Style struct {
	Domain         string // last two labels of the right-hand side (three under co.uk and the like), lower case
	Example        string // the first right-hand side seen, lower case
	Classes        CharClasses
	MinLen, MaxLen int // left-hand side length in bytes
	Count          int
}

// maxStyles bounds the styles one index learns: a sent folder full of
// messages written by others (imported, redirected) must not grow it
// without end. Ids past the bound are counted but not learned.
const maxStyles = 64

// maxStyledLocal bounds the left-hand side length recorded.
const maxStyledLocal = 1024

// styleSet is the styles learned so far. Its zero value is ready to use.
type styleSet struct {
	byDomain map[string]*Style
	total    int // ids seen, learned or not
}

// add learns the style of one normalised Message-ID.
func (s *styleSet) add(id string) {
	dom, example, cls, n, ok := IDStyle(id)
	if !ok {
		return
	}
	s.learn(dom, example, cls, n)
}

// learn adds one id's style, as IDStyle describes it: the state file
// stores that description rather than the id.
func (s *styleSet) learn(dom, example string, cls CharClasses, n int) {
	s.total++
	st := s.byDomain[dom]
	if st == nil {
		if len(s.byDomain) >= maxStyles {
			return
		}
		st = s.create(dom, example, n)
	}
	st.merge(cls, n)
}

// lookup is the style of the domain dom, created with the example and the
// length n when it is new; nil when it is new and there is no room for
// another. Unlike learn it counts nothing: the caller merges the id (and
// counts it in total) itself.
func (s *styleSet) lookup(dom, example []byte, n int) *Style {
	if st := s.byDomain[string(dom)]; st != nil {
		return st
	}
	if len(s.byDomain) >= maxStyles {
		return nil
	}
	return s.create(string(dom), string(example), n)
}

// create adds a style for dom, which must not have one, without counting
// any id in it.
func (s *styleSet) create(dom, example string, n int) *Style {
	if s.byDomain == nil {
		s.byDomain = make(map[string]*Style)
	}
	st := &Style{Domain: dom, Example: example, MinLen: n, MaxLen: n}
	s.byDomain[dom] = st
	return st
}

// mergeAll counts the ids of o, a style of the same domain, in.
func (st *Style) mergeAll(o *Style) {
	st.Classes |= o.Classes
	st.MinLen = min(st.MinLen, o.MinLen)
	st.MaxLen = max(st.MaxLen, o.MaxLen)
	st.Count += o.Count
}

// merge counts one more id of the style, with the classes cls and the
// length n.
func (st *Style) merge(cls CharClasses, n int) {
	st.Classes |= cls
	st.MinLen = min(st.MinLen, n)
	st.MaxLen = max(st.MaxLen, n)
	st.Count++
}

// Styles returns the Message-ID styles of the sent mail, most used first,
// and the number of Message-IDs they were learned from (including any
// past the bound on styles). The slice is a copy.
func (x *Index) Styles() (styles []Style, total int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	styles = make([]Style, 0, len(x.styles.byDomain))
	for _, st := range x.styles.byDomain {
		styles = append(styles, *st)
	}
	sort.Slice(styles, func(i, j int) bool {
		if styles[i].Count != styles[j].Count {
			return styles[i].Count > styles[j].Count
		}
		return styles[i].Domain < styles[j].Domain
	})
	return styles, x.styles.total
}

// IDStyle describes one Message-ID (angle brackets optional): the base
// domain and the right-hand side as written (both lower case), and the
// character classes and length of the left-hand side. ok is false for an
// id without both sides.
func IDStyle(id string) (domain, rhs string, classes CharClasses, length int, ok bool) {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	local, rhs, ok := splitID(id)
	if !ok || local == "" || rhs == "" {
		return "", "", 0, 0, false
	}
	if len(local) > maxStyledLocal {
		local = local[:maxStyledLocal]
	}
	for i := 0; i < len(local); i++ {
		classes |= classOf(local[i])
	}
	rhs = strings.TrimSuffix(strings.Trim(rhs, "[]"), ".")
	return BaseDomain(rhs), rhs, classes, len(local), true
}

func classOf(c byte) CharClasses {
	switch {
	case c >= '0' && c <= '9':
		return Digits
	case c >= 'a' && c <= 'z':
		return Lower
	case c >= 'A' && c <= 'Z':
		return Upper
	case c == '.':
		return Dot
	case c == '-':
		return Dash
	case c == '_':
		return Underscore
	}
	return OtherPunct
}

// BaseDomain returns the last two labels of a lower-case domain, or three
// when the second-level label is a generic one under a two-letter country
// code (example.co.uk, example.com.au): close enough to "the registered
// domain" to tell one provider from another without a public suffix list.
func BaseDomain(d string) string {
	// Found from the end without splitting: this runs for every sent
	// message indexed.
	last := strings.LastIndexByte(d, '.')
	if last < 0 {
		return d
	}
	second := strings.LastIndexByte(d[:last], '.')
	if second < 0 {
		return d
	}
	if len(d)-last-1 == 2 && genericSecondLevel[d[second+1:last]] {
		if third := strings.LastIndexByte(d[:second], '.'); third >= 0 {
			return d[third+1:]
		}
		return d
	}
	return d[second+1:]
}

// genericSecondLevel are the second-level labels countries register
// domains under.
var genericSecondLevel = map[string]bool{
	"co": true, "com": true, "net": true, "org": true, "ac": true, "edu": true,
	"gov": true, "gv": true, "or": true, "ne": true, "go": true, "ltd": true, "plc": true,
}
