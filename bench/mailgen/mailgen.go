// Package mailgen makes large test mailboxes from the project's fixtures:
// an inbox of mostly ham with backscatter, legitimate bounces, attachments
// and virus mail mixed in, and a sent folder that holds the originals of the
// legitimate bounces. Every message gets a Message-ID and Date of its own;
// bounces get originals of their own too, so no two messages are the same
// and the sent index cannot answer from a handful of ids.
//
// The mix is deterministic for a seed, so two runs of a benchmark measure the
// same mailbox.
package mailgen

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/bounceguard/bounceguard/fixtures"
)

// Kind is what a generated inbox message is meant to be.
type Kind string

// The kinds, with the class the classifier should give each.
const (
	Ham         Kind = "ham"         // clean
	Backscatter Kind = "backscatter" // backscatter
	Legit       Kind = "legit"       // bounce-legit
	Attachment  Kind = "attachment"  // clean, with an attachment
	Virus       Kind = "virus"       // virus
)

// Class returns the verdict class a message of kind k should get.
func (k Kind) Class() string {
	switch k {
	case Backscatter:
		return "backscatter"
	case Legit:
		return "bounce-legit"
	case Virus:
		return "virus"
	}
	return "clean"
}

// Mix is the share of each kind in an inbox, in per mille; Ham takes the
// rest.
type Mix struct {
	Backscatter, Legit, Attachment, Virus int
}

// DefaultMix is issue 9's inbox: about 90% ham, 8% backscatter of mixed
// kinds, 1% legitimate bounces, 1% with attachments of which some are virus.
var DefaultMix = Mix{Backscatter: 80, Legit: 10, Attachment: 7, Virus: 3}

// Message is one generated message.
type Message struct {
	Kind Kind
	// Template is the fixture it was made from.
	Template string
	Raw      []byte
}

// template is a fixture and what it takes to make copies of it.
type template struct {
	name string
	raw  []byte
	// original is the Message-ID of the bounced or replied-to message ("" for
	// none); every copy gets a fresh one in its place.
	original string
	// sent is the sent fixture holding original, for legitimate bounces.
	sent []byte
	// weight is how often a ham template is picked relative to the others.
	weight int
}

// Generator makes messages. It is not safe for concurrent use.
type Generator struct {
	rng    *rand.Rand
	mix    Mix
	prefix string
	byKind map[Kind][]*template
	sent   []*template
	n      int
	// owed are the sent messages the legitimate bounces made so far refer
	// to; Sent writes them first.
	owed [][]byte
	// MedianHam and MaxHam shape the sizes of ham messages: log-normal
	// around MedianHam bytes, at most MaxHam.
	MedianHam, MaxHam int
	// Start is the Date of the first ham message; each one after is a
	// little later.
	Start time.Time
}

// hamWeights favour the plain personal, list and notification mail that
// makes up most of an inbox over receipts, reports and invitations.
var hamWeights = map[string]int{
	"01": 30, "02": 25, "03": 15, "04": 15, "10": 6, "12": 3,
	"05": 1, "06": 1, "07": 1, "08": 1, "09": 1, "11": 1, "18": 1,
}

// New returns a Generator with the given mix. Messages from different
// Generators differ when their prefixes do.
func New(seed uint64, prefix string, mix Mix) (*Generator, error) {
	inbox, err := fixtures.Inbox()
	if err != nil {
		return nil, err
	}
	sent, err := fixtures.Sent()
	if err != nil {
		return nil, err
	}
	exp, err := fixtures.ExpectedByFile()
	if err != nil {
		return nil, err
	}
	g := &Generator{
		rng: rand.New(rand.NewPCG(seed, 0x6265_6e63_68)), mix: mix, prefix: prefix,
		byKind:    map[Kind][]*template{},
		MedianHam: 4 << 10, MaxHam: 256 << 10,
		Start: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC),
	}
	for _, f := range sent {
		g.sent = append(g.sent, &template{name: f.Name, raw: f.Raw})
	}
	for _, f := range inbox {
		e := exp[f.Name]
		t := &template{name: f.Name, raw: f.Raw, original: e.OriginalMessageID}
		num := strings.TrimPrefix(f.Name, "inbox/")[:2]
		var k Kind
		switch {
		case e.Class == "virus":
			k = Virus
		case e.Class == "backscatter":
			k = Backscatter
		case e.Class == "bounce-legit":
			k = Legit
			for _, s := range sent {
				if bytes.Contains(s.Raw, []byte("<"+e.OriginalMessageID+">")) {
					t.sent = s.Raw
				}
			}
			if t.sent == nil {
				return nil, fmt.Errorf("no sent fixture holds the original %s of %s", e.OriginalMessageID, f.Name)
			}
		case e.Class == "clean" && hamWeights[num] > 0:
			k, t.weight = Ham, hamWeights[num]
		case e.Class == "clean" && num >= "13" && num <= "17":
			k = Attachment
		default:
			continue // bounce-unknown: outside the mix
		}
		g.byKind[k] = append(g.byKind[k], t)
	}
	for _, k := range []Kind{Ham, Backscatter, Legit, Attachment, Virus} {
		if len(g.byKind[k]) == 0 {
			return nil, fmt.Errorf("no fixture of kind %s", k)
		}
	}
	return g, nil
}

// kind draws the next message's kind.
func (g *Generator) kind() Kind {
	r := g.rng.IntN(1000)
	for _, c := range []struct {
		k Kind
		n int
	}{{Backscatter, g.mix.Backscatter}, {Legit, g.mix.Legit}, {Attachment, g.mix.Attachment}, {Virus, g.mix.Virus}} {
		if r < c.n {
			return c.k
		}
		r -= c.n
	}
	return Ham
}

func (g *Generator) pick(k Kind) *template {
	ts := g.byKind[k]
	if k != Ham {
		return ts[g.rng.IntN(len(ts))]
	}
	total := 0
	for _, t := range ts {
		total += t.weight
	}
	r := g.rng.IntN(total)
	for _, t := range ts {
		if r < t.weight {
			return t
		}
		r -= t.weight
	}
	return ts[len(ts)-1]
}

// Next makes the next inbox message.
func (g *Generator) Next() Message {
	g.n++
	k := g.kind()
	t := g.pick(k)
	raw := t.raw
	id := fmt.Sprintf("%s%d.%x@%s", g.prefix, g.n, g.rng.Uint32(), idDomain(messageID(raw)))
	if t.original != "" {
		// A fresh original: the same shape, so decoders and the Message-ID
		// form checks see what they saw in the fixture.
		orig := fmt.Sprintf("%s%d.%s", g.prefix, g.n, t.original)
		raw = bytes.ReplaceAll(raw, []byte(t.original), []byte(orig))
		if k == Legit {
			s := bytes.ReplaceAll(t.sent, []byte(t.original), []byte(orig))
			g.owed = append(g.owed, s)
		}
	}
	raw = SetHeader(raw, "Message-ID", "<"+id+">")
	if k == Ham {
		// Ham spreads over the year; bounces keep dates near their
		// originals' so the sent folder's coverage means what it meant.
		raw = SetHeader(raw, "Date", g.Start.Add(time.Duration(g.n)*time.Minute).Format(time.RFC1123Z))
		raw = g.pad(raw)
	} else {
		raw = SetHeader(raw, "Date", bounceDate(raw).Add(time.Duration(g.n%3600)*time.Second).Format(time.RFC1123Z))
	}
	return Message{Kind: k, Template: t.name, Raw: raw}
}

// Sent makes n sent messages: first the originals of the legitimate bounces
// made so far (and not yet returned), then copies of the sent fixtures with
// ids of their own, dated over the year before the fixtures' dates so that
// the folder's coverage spans every bounced original. Fewer than owed are
// never returned: n is raised to fit them.
func (g *Generator) Sent(n int) [][]byte {
	out := g.owed
	g.owed = nil
	start := time.Date(2025, 11, 1, 9, 0, 0, 0, time.UTC)
	filler := n - len(out)
	for i := 0; i < filler; i++ {
		t := g.sent[i%len(g.sent)]
		raw := t.raw
		id := messageID(raw)
		local, dom, _ := strings.Cut(id, "@")
		raw = SetHeader(raw, "Message-ID", fmt.Sprintf("<%ssent%d.%s@%s>", g.prefix, i, local, dom))
		// Spread over 330 days, ending before the fixtures' own dates.
		at := start.Add(time.Duration(int64(i) * int64(330*24*time.Hour) / int64(max(filler, 1))))
		out = append(out, SetHeader(raw, "Date", at.Format(time.RFC1123Z)))
	}
	return out
}

// words are what padding text is made of.
var words = strings.Fields(`the a to of and in that is for it on with as was at by this be
from are have or not but we you they all will can there about would
which their one so if what when up out more some time only could new
meeting report draft garden invoice weekend school project budget
figures tomorrow thanks again please see attached let me know best
regards quarter plan update review friday monday holiday train`)

// pad grows a ham message to a log-normal size around MedianHam: plain
// text gets more paragraphs, multipart/alternative and multipart/mixed get
// a text part before the closing delimiter. Other structures stay as they
// are.
func (g *Generator) pad(raw []byte) []byte {
	size := int(float64(g.MedianHam) * math.Exp(g.rng.NormFloat64()*0.9))
	size = min(size, g.MaxHam)
	need := size - len(raw)
	if need <= 0 {
		return raw
	}
	ct := strings.ToLower(headerValue(raw, "Content-Type"))
	switch {
	case ct == "" || strings.HasPrefix(ct, "text/plain"):
		if cte := strings.ToLower(headerValue(raw, "Content-Transfer-Encoding")); cte == "base64" || cte == "quoted-printable" {
			return raw
		}
		return append(append(bytes.Clone(raw), '\n'), g.text(need)...)
	case strings.HasPrefix(ct, "multipart/alternative"), strings.HasPrefix(ct, "multipart/mixed"):
		b := boundary(ct, headerValue(raw, "Content-Type"))
		closing := []byte("\n--" + b + "--")
		i := bytes.LastIndex(raw, closing)
		if b == "" || i < 0 {
			return raw
		}
		var out bytes.Buffer
		out.Write(raw[:i])
		fmt.Fprintf(&out, "\n--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n", b)
		out.Write(g.text(need))
		out.Write(raw[i:])
		return out.Bytes()
	}
	return raw
}

// text makes about n bytes of lines of words, wrapped at 72 columns.
func (g *Generator) text(n int) []byte {
	out := make([]byte, 0, n+80)
	line := 0
	for len(out) < n {
		w := words[g.rng.IntN(len(words))]
		if line+len(w)+1 > 72 {
			out = append(out, '\n')
			line = 0
		} else if line > 0 {
			out = append(out, ' ')
			line++
		}
		out = append(out, w...)
		line += len(w)
	}
	return append(out, '\n')
}

// boundary finds the boundary parameter in a Content-Type value; lower is
// the lower-cased value, used to find it, orig gives its real case.
func boundary(lower, orig string) string {
	i := strings.Index(lower, "boundary=")
	if i < 0 {
		return ""
	}
	v := orig[i+len("boundary="):]
	if strings.HasPrefix(v, `"`) {
		v, _, _ = strings.Cut(v[1:], `"`)
		return v
	}
	if j := strings.IndexAny(v, "; \t\r\n"); j >= 0 {
		v = v[:j]
	}
	return v
}

// headerEnd returns the offset of the blank line that ends raw's header.
func headerEnd(raw []byte) int {
	if bytes.HasPrefix(raw, []byte("\n")) {
		return 0
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return i + 1
	}
	return len(raw)
}

// field finds the top-level header field key: where its first line starts
// and where its last continuation line ends; start is -1 when it is absent.
func field(raw []byte, key string) (start, end int) {
	hend := headerEnd(raw)
	for off := 0; off < hend; {
		nl := bytes.IndexByte(raw[off:hend], '\n')
		lineEnd := hend
		if nl >= 0 {
			lineEnd = off + nl + 1
		}
		line := raw[off:lineEnd]
		if len(line) > len(key) && line[len(key)] == ':' && strings.EqualFold(string(line[:len(key)]), key) {
			end := lineEnd
			for end < hend && (raw[end] == ' ' || raw[end] == '\t') {
				if j := bytes.IndexByte(raw[end:hend], '\n'); j >= 0 {
					end += j + 1
				} else {
					end = hend
				}
			}
			return off, end
		}
		off = lineEnd
	}
	return -1, -1
}

// headerValue returns the unfolded value of the top-level field key.
func headerValue(raw []byte, key string) string {
	start, end := field(raw, key)
	if start < 0 {
		return ""
	}
	v := string(raw[start+len(key)+1 : end])
	v = strings.NewReplacer("\r", "", "\n", "").Replace(v)
	return strings.TrimSpace(v)
}

// SetHeader returns raw with the top-level header field key set to value:
// its first occurrence replaced, or a new field added at the top.
func SetHeader(raw []byte, key, value string) []byte {
	line := key + ": " + value + "\n"
	start, end := field(raw, key)
	out := make([]byte, 0, len(raw)+len(line))
	if start < 0 {
		return append(append(out, line...), raw...)
	}
	out = append(out, raw[:start]...)
	out = append(out, line...)
	return append(out, raw[end:]...)
}

// messageID returns the Message-ID of raw without brackets.
func messageID(raw []byte) string {
	return strings.Trim(headerValue(raw, "Message-ID"), "<> ")
}

func idDomain(id string) string {
	if i := strings.LastIndexByte(id, '@'); i >= 0 {
		return id[i+1:]
	}
	return "bench.example.net"
}

// bounceDate is the fixture's own date, or the fixtures' last day.
func bounceDate(raw []byte) time.Time {
	v := headerValue(raw, "Date")
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	if t, err := time.Parse(time.RFC1123Z, v); err == nil {
		return t
	}
	if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", v); err == nil {
		return t
	}
	return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
}
