// Package attachment is the attachment policy: it finds what worm mail
// carries — executables and scripts, disguised names, executables inside
// zip archives, content that is not what its name claims, archive bombs,
// fragmented or external bodies, and the EICAR test file — in a message
// that internal/mailparse has already decoded.
//
// Every finding names the attachment and a stable rule id. The package does
// no I/O: a scanner such as clamd is the caller's business.
package attachment

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Rule ids, stable: they appear in reports and configuration.
const (
	RuleBannedExtension = "banned-extension"     // an executable or script extension
	RuleDoubleExtension = "double-extension"     // "invoice.pdf.exe", also padded
	RuleUnicodeTrick    = "unicode-trick"        // bidi override, invisible or control characters in a name
	RuleArchiveMember   = "archive-member"       // a banned extension inside an archive
	RuleEncrypted       = "encrypted-archive"    // password-protected entries: nothing inside can be checked
	RuleTypeMismatch    = "type-mismatch"        // an executable, or an archive disguised as a document
	RuleEICAR           = "eicar"                // the EICAR anti-virus test file
	RuleMessagePartial  = "message-partial"      // message/partial, RFC 2046 section 5.2.2
	RuleExternalBody    = "external-body"        // message/external-body, RFC 2046 section 5.2.3
	RuleArchiveBomb     = "archive-bomb"         // inflates far beyond its size, or beyond what it declares
	RuleNestedDepth     = "nested-archive-depth" // archives nested deeper than MaxArchiveDepth
)

// Finding is one reason to treat a message as virus mail.
type Finding struct {
	// Part names the attachment: its file name (invisible characters
	// written as <U+XXXX>), or "part N" with N its IMAP part number ("part
	// 2" is the first attachment after the text of a multipart/mixed
	// message, "part 3.1" the body of the message attached as part 3).
	Part string
	Rule string // one of the Rule constants
	// Detail says what was found, for people: `"invoice.pdf.exe":
	// executable extension .exe behind .pdf`.
	Detail string
}

// String formats the finding as a reason line.
func (f Finding) String() string {
	return f.Rule + ": " + f.Detail
}

// Policy says what to flag and bounds the work spent on one message. Zero
// numeric fields take the defaults.
type Policy struct {
	// BannedExt holds extensions (lower case, without the dot) that are
	// flagged on attachments and on archive members.
	BannedExt map[string]bool
	// AllowEncrypted stops flagging archives with password-protected
	// entries. Some senders protect archives in good faith (and send the
	// password in a second mail), but worms use them to get past scanners.
	AllowEncrypted bool
	// MaxArchiveDepth is how deep archives inside archives are opened; an
	// archive attached to the message is depth 1. A deeper archive is
	// flagged with RuleNestedDepth.
	MaxArchiveDepth int
	// MaxArchiveEntries bounds the archive entries looked at in one
	// message, over all archives; entries past it are not checked.
	MaxArchiveEntries int
	// MaxInflated bounds the bytes decompressed from archives in one
	// message. Most members need only their first bytes; nested archives
	// need all of theirs.
	MaxInflated int64
	// MaxRatio and RatioMinSize define an archive bomb: an archive that
	// declares more than RatioMinSize bytes of content, more than MaxRatio
	// times its own size. Ordinary documents compress less than 20:1.
	MaxRatio     int64
	RatioMinSize int64
	// MaxFindings bounds the findings reported for one message.
	MaxFindings int
}

// The defaults of Policy's limits.
const (
	DefaultMaxArchiveDepth   = 4
	DefaultMaxArchiveEntries = 10000
	DefaultMaxInflated       = 32 << 20
	DefaultMaxRatio          = 100
	DefaultRatioMinSize      = 16 << 20
	DefaultMaxFindings       = 50
)

// DefaultPolicy returns a policy with the default banned extensions and
// limits; the caller may change it.
func DefaultPolicy() *Policy {
	banned := make(map[string]bool, len(defaultBanned))
	for _, e := range defaultBanned {
		banned[e] = true
	}
	return &Policy{BannedExt: banned}
}

// withDefaults returns a copy of p with zero limits set to the defaults.
func (p *Policy) withDefaults() *Policy {
	q := *p
	setDefault(&q.MaxArchiveDepth, DefaultMaxArchiveDepth)
	setDefault(&q.MaxArchiveEntries, DefaultMaxArchiveEntries)
	setDefault(&q.MaxInflated, DefaultMaxInflated)
	setDefault(&q.MaxRatio, DefaultMaxRatio)
	setDefault(&q.RatioMinSize, DefaultRatioMinSize)
	setDefault(&q.MaxFindings, DefaultMaxFindings)
	return &q
}

func setDefault[T int | int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// headLen is how much of an archive member is read to sniff its type and
// look for the EICAR file (at most 128 bytes): enough for most PE headers.
const headLen = 1024

// Check returns the findings on m and on the messages embedded in it, in
// document order; none means the policy has nothing against the message.
func (p *Policy) Check(m *mailparse.Message) []Finding {
	c := &checker{p: p.withDefaults()}
	c.message(m, "")
	return c.findings
}

// checker holds the state of one Check: the findings and the budgets,
// which are shared by all archives of the message.
type checker struct {
	p        *Policy
	findings []Finding
	entries  int
	inflated int64
	inflater io.ReadCloser // reused: a new flate reader costs ~40 KB
}

func (c *checker) add(part, rule, format string, args ...any) {
	if len(c.findings) >= c.p.MaxFindings {
		return
	}
	f := Finding{Part: part, Rule: rule, Detail: fmt.Sprintf(format, args...)}
	for _, g := range c.findings {
		if g == f {
			return
		}
	}
	c.findings = append(c.findings, f)
}

// message checks m's parts, numbering them as IMAP does (RFC 3501 section
// 6.4.5), so a person can find the part in a mail client: "2" for the
// second part of a multipart message, "3.1" for the first part inside the
// message attached as part 3. prefix is the number of the part m is
// embedded in, with a trailing dot.
func (c *checker) message(m *mailparse.Message, prefix string) {
	if len(m.Parts) == 0 {
		return
	}
	base := m.Parts[0].Depth
	var counters []int
	for _, part := range m.Parts {
		var number string
		if rel := part.Depth - base; rel > 0 {
			for len(counters) < rel {
				counters = append(counters, 0)
			}
			counters = counters[:rel]
			counters[rel-1]++
			number = prefix + joinInts(counters)
		} else if !strings.HasPrefix(part.MediaType, "multipart/") {
			number = prefix + "1" // a message whose body is a single part
		} else {
			number = strings.TrimSuffix(prefix, ".")
		}
		name := part.Filename()
		label, what := display(name), quote(name)
		if name == "" {
			label = "part " + number
			if number == "" {
				label = "message body"
			}
			what = label
		}
		c.part(part, name, label, what)
		if part.Embedded != nil {
			c.message(part.Embedded, number+".")
		}
	}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

func (c *checker) part(p *mailparse.Part, name, label, what string) {
	switch p.MediaType {
	case "message/partial":
		// RFC 2046 section 5.2.2: a fragment that only the reader's
		// client reassembles, which hides the whole from scanners.
		c.add(label, RuleMessagePartial, "%s: message/partial fragment (id %q), reassembled only by the mail client", what, p.Params["id"])
		return
	case "message/external-body":
		// RFC 2046 section 5.2.3: the content is fetched from elsewhere
		// (FTP, URL, a local file), past every scanner.
		c.add(label, RuleExternalBody, "%s: message/external-body pointing to %s", what, accessType(p.Params))
		return
	}
	if name != "" {
		c.name(label, name, what, false)
	}
	if len(p.Body) == 0 {
		return
	}
	// The name is what the person sees and what decides how the file
	// opens; the declared type speaks only for a part without an
	// extension (mailers often label a .zip text/plain or worse).
	claimed := typeKind(p.MediaType)
	if info := inspectName(name); info.ext != "" {
		claimed = extKinds[info.ext]
	}
	c.content(label, name, what, claimed, p.MediaType, p.Body, 0)
}

func accessType(params map[string]string) string {
	if t := params["access-type"]; t != "" {
		return fmt.Sprintf("access-type %q", t)
	}
	return "an unnamed access type"
}

// name applies the name rules to one attachment or archive member. what
// describes it in Details (the attachment's label, or "a.zip" holds "x").
func (c *checker) name(label, name, what string, inArchive bool) {
	info := inspectName(name)
	if len(info.tricks) > 0 {
		c.add(label, RuleUnicodeTrick, "%s: %s in the name", what, describeTricks(info.tricks))
	}
	if !c.p.BannedExt[info.ext] {
		return
	}
	switch {
	case info.prevExt != "" && info.padded:
		c.add(label, RuleDoubleExtension, "%s: executable extension .%s hidden behind .%s and padding", what, info.ext, info.prevExt)
	case info.prevExt != "":
		c.add(label, RuleDoubleExtension, "%s: executable extension .%s behind .%s", what, info.ext, info.prevExt)
	case inArchive:
		c.add(label, RuleArchiveMember, "%s: banned extension .%s", what, info.ext)
	default:
		c.add(label, RuleBannedExtension, "%s: banned extension .%s", what, info.ext)
	}
}

// content checks the decoded bytes of an attachment or archive member:
// the EICAR file, the sniffed type against the claimed one, and archives.
// depth counts the archives data is inside.
func (c *checker) content(label, name, what string, claimed kind, declared string, data []byte, depth int) {
	if isEICAR(data) {
		c.add(label, RuleEICAR, "%s: EICAR anti-virus test file", what)
	}
	sniffed := sniff(data)
	officeZip := false
	if sniffed == kindZip {
		officeZip = c.zip(label, what, data, depth+1)
	}
	switch {
	case sniffed == kindPE && !c.p.BannedExt[inspectName(name).ext]:
		// Windows runs it whatever its name says once it is saved with
		// an executable name; nobody mails one under a harmless name in
		// good faith.
		c.add(label, RuleTypeMismatch, "%s: %s content%s", what, sniffed.name, claim(name, declared))
	case sniffed.class == classExecutable && claimed != kindUnknown && claimed.class == classOther:
		c.add(label, RuleTypeMismatch, "%s: %s content%s", what, sniffed.name, claim(name, declared))
	case sniffed.class == classArchive && claimed != kindUnknown && claimed.class == classOther:
		if claimed == kindOLE && officeZip {
			// An Office 2007 document under its 97-2003 name: Office
			// opens it, and exporters produce it.
			return
		}
		c.add(label, RuleTypeMismatch, "%s: %s content%s", what, sniffed.name, claim(name, declared))
	}
}

// claim says what the part claimed to be, for Details.
func claim(name, declared string) string {
	if ext := inspectName(name).ext; ext != "" {
		return " named ." + ext
	}
	if declared != "" {
		return " declared " + declared
	}
	return ""
}

// zip walks the archive in data, found inside what at the given archive
// depth, and reports whether it is an Office Open XML or OpenDocument file.
func (c *checker) zip(label, what string, data []byte, depth int) (officeZip bool) {
	if depth > c.p.MaxArchiveDepth {
		c.add(label, RuleNestedDepth, "%s: archive nested more than %d deep", what, c.p.MaxArchiveDepth)
		return false
	}
	dir, err := openZip(data)
	if err != nil {
		// A damaged or truncated archive is not evidence of a virus;
		// a scanner, if any, sees the raw message.
		return false
	}
	var encrypted []string
	var declared uint64
	dir.each(func(e *zipEntry) bool {
		if c.entries >= c.p.MaxArchiveEntries {
			return false
		}
		c.entries++
		declared = min(declared+e.usize, 1<<62)
		if e.name == "[Content_Types].xml" || e.name == "mimetype" {
			officeZip = true
		}
		member := what + " holds " + quote(e.name)
		c.name(label, e.name, member, true)
		if e.unicodeName != "" && e.unicodeName != e.name {
			c.name(label, e.unicodeName, what+" holds "+quote(e.unicodeName), true)
		}
		if len(e.name) > 0 && (e.name[len(e.name)-1] == '/' || e.name[len(e.name)-1] == '\\') {
			return true // a directory
		}
		if e.flags&flagEncrypted != 0 {
			if len(encrypted) < 3 {
				encrypted = append(encrypted, quote(e.name))
			}
			return true
		}
		c.member(label, member, dir, e, depth)
		return true
	})
	if len(encrypted) > 0 && !c.p.AllowEncrypted {
		c.add(label, RuleEncrypted, "%s: password-protected entries (%s), which no scanner can read", what, join(encrypted))
	}
	if declared >= uint64(c.p.RatioMinSize) && declared/uint64(c.p.MaxRatio) > uint64(len(data)) {
		c.add(label, RuleArchiveBomb, "%s: %d bytes declare %d bytes of content, more than %d:1", what, len(data), declared, c.p.MaxRatio)
	}
	return officeZip
}

// member reads an archive member: its first bytes, or all of it when it is
// an archive to walk, all within the message's inflate budget.
func (c *checker) member(label, what string, dir *zipDir, e *zipEntry, depth int) {
	raw, ok := dir.content(e)
	if !ok {
		return
	}
	data := c.inflate(e, raw, headLen)
	if data == nil {
		return
	}
	if uint64(len(data)) > e.usize {
		c.add(label, RuleArchiveBomb, "%s: inflates past its declared %d bytes", what, e.usize)
		return
	}
	if isZip(data) && uint64(len(data)) < e.usize {
		if depth >= c.p.MaxArchiveDepth {
			c.add(label, RuleNestedDepth, "%s: archive nested more than %d deep", what, c.p.MaxArchiveDepth)
			return
		}
		if e.usize > uint64(c.p.MaxInflated-c.inflated) {
			// Too big for what is left of the budget: not looked into.
			return
		}
		data = c.inflate(e, raw, int(e.usize)+1)
		if uint64(len(data)) > e.usize {
			c.add(label, RuleArchiveBomb, "%s: inflates past its declared %d bytes", what, e.usize)
			return
		}
	}
	claimed := kindUnknown
	if info := inspectName(e.name); info.ext != "" {
		claimed = extKinds[info.ext]
	}
	c.content(label, e.name, what, claimed, "", data, depth)
}

// inflate returns up to n bytes of the member (never more than its declared
// size plus one, so a lie shows), counted against the message's budget.
// nil means the member cannot be read: an unsupported method, or no budget
// left. A corrupt or truncated stream yields the bytes before the damage.
func (c *checker) inflate(e *zipEntry, raw []byte, n int) []byte {
	n = int(min(int64(n), int64(e.usize)+1, c.p.MaxInflated-c.inflated))
	if n <= 0 {
		return nil
	}
	var r io.Reader
	switch e.method {
	case methodStored:
		r = bytes.NewReader(raw)
	case methodDeflate:
		if c.inflater == nil {
			c.inflater = flate.NewReader(bytes.NewReader(raw))
		} else if err := c.inflater.(flate.Resetter).Reset(bytes.NewReader(raw), nil); err != nil {
			return nil
		}
		r = c.inflater
	default:
		// Deflate64, bzip2, LZMA, zstd: rare in mail, left to a scanner.
		return nil
	}
	buf := make([]byte, n)
	k, _ := io.ReadFull(r, buf)
	c.inflated += int64(k)
	return buf[:k]
}

func quote(s string) string {
	return fmt.Sprintf("%q", display(s))
}

func join(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}
