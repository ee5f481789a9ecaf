package dsn

import (
	"errors"
	"strings"
)

// Limits on one delivery-status body. Real reports are a few hundred bytes
// with a handful of recipients; these leave room for big mailing-list
// bounces while keeping hostile input cheap.
const (
	MaxStatusBytes    = 1 << 20  // input past this is ignored
	MaxRecipients     = 1000     // recipient blocks
	MaxFieldBytes     = 10 << 10 // one field's value, continuations included
	MaxFieldsPerBlock = 64       // fields read per block
)

// fieldKind names the fields ParseStatus reads; everything else (Final-Log-ID,
// X-Postfix-Sender, vendor extensions) is skipped.
type fieldKind uint8

const (
	kUnknown fieldKind = iota
	// Per-message fields, RFC 3464 section 2.2.
	kReportingMTA
	kDSNGateway
	kReceivedFromMTA
	kEnvelopeID
	kArrivalDate
	// Per-recipient fields, RFC 3464 section 2.3.
	kFinalRecipient
	kOriginalRecipient
	kActualRecipient
	kAction
	kStatus
	kDiagnosticCode
	kRemoteMTA
	kLastAttemptDate
	kWillRetryUntil
)

func (k fieldKind) perMessage() bool { return k >= kReportingMTA && k <= kArrivalDate }

// address reports whether the field names the recipient.
func (k fieldKind) address() bool { return k >= kFinalRecipient && k <= kActualRecipient }

// marksRecipient reports whether a block holding the field is a recipient
// block even without a per-message block before it.
func (k fieldKind) marksRecipient() bool { return k >= kFinalRecipient && k <= kStatus }

func (k fieldKind) perRecipient() bool { return k >= kFinalRecipient }

// kindOf maps a field name, in any case, to its kind without allocating.
func kindOf(name []byte) fieldKind {
	var buf [24]byte
	if len(name) > len(buf) {
		return kUnknown
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(name)]) {
	case "reporting-mta":
		return kReportingMTA
	case "dsn-gateway":
		return kDSNGateway
	case "received-from-mta":
		return kReceivedFromMTA
	case "original-envelope-id", "x-original-envelope-id":
		return kEnvelopeID
	case "arrival-date":
		return kArrivalDate
	case "final-recipient":
		return kFinalRecipient
	case "original-recipient":
		return kOriginalRecipient
	case "x-actual-recipient":
		return kActualRecipient
	case "action":
		return kAction
	case "status":
		return kStatus
	case "diagnostic-code":
		return kDiagnosticCode
	case "remote-mta":
		return kRemoteMTA
	case "last-attempt-date":
		return kLastAttemptDate
	case "will-retry-until":
		return kWillRetryUntil
	}
	return kUnknown
}

// field is one field of a block. value points into the input until a
// continuation line forces a copy (owned).
type field struct {
	kind  fieldKind
	value []byte
	owned bool
}

// ParseStatus parses the body of a message/delivery-status or
// message/global-delivery-status part: a per-message block, then one block
// per recipient, separated by blank lines (RFC 3464 section 2.1).
//
// It reads what real MTAs write: any line ending, folded fields and
// unindented continuation lines, blank lines holding spaces, field names
// in any case, a missing per-message block, missing or odd type prefixes,
// a Status with trailing text, a code found only in Diagnostic-Code. When a
// field repeats, the first usable value wins.
//
// It returns an error when the body holds no recipient block; the Status
// returned with that error holds whatever per-message fields were read.
func ParseStatus(b []byte) (*Status, error) {
	p := statusParser{st: &Status{}}
	if len(b) > MaxStatusBytes {
		b = b[:MaxStatusBytes]
		p.st.Truncated = true
	}
	p.run(b)
	if len(p.st.Recipients) == 0 {
		return p.st, errors.New("no recipient block (Final-Recipient, Action or Status)")
	}
	return p.st, nil
}

type statusParser struct {
	st     *Status
	block  []field
	drafts []draft
	// skipping is set while lines belong to a field dropped for the
	// per-block limit, so its continuations are dropped too.
	skipping bool
	// indented is set when the block's first field was indented: some
	// MTAs indent every line, so indented field lines are fields, not
	// continuations.
	indented bool
	// lastKnown is set when the last field kept in the block is one
	// ParseStatus reads; continuations of other fields are not kept.
	lastKnown bool
}

// draft is a recipient whose blocks are still being read.
type draft struct {
	r Recipient
}

func (p *statusParser) run(b []byte) {
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if isBlank(line) {
			p.endBlock()
			continue
		}
		p.line(line)
	}
	p.endBlock()
	for i := range p.drafts {
		p.st.Recipients = append(p.st.Recipients, p.drafts[i].finish())
	}
}

// nextLine splits b after its first line, which may end in LF, CRLF or a
// lone CR (old Mac mail).
func nextLine(b []byte) (line, rest []byte) {
	for i, c := range b {
		switch c {
		case '\n':
			return b[:i], b[i+1:]
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				return b[:i], b[i+2:]
			}
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (isSpace(b[0]) || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (isSpace(b[len(b)-1]) || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

// splitField splits "Name: value". ok is false for a line whose part before
// the colon is not a plausible field name, such as the "550-host [ip]:25"
// lines some MTAs leave unindented inside a Diagnostic-Code.
func splitField(line []byte) (name, value []byte, ok bool) {
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
	}
	if colon <= 0 {
		return nil, nil, false
	}
	name = line[:colon]
	for len(name) > 0 && isSpace(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	if len(name) == 0 || len(name) > 76 {
		return nil, nil, false
	}
	for _, c := range name {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return nil, nil, false
		}
	}
	return name, trimSpace(line[colon+1:]), true
}

func (p *statusParser) line(line []byte) {
	indented := isSpace(line[0])
	if indented {
		name, value, ok := splitField(trimSpace(line))
		fieldHere := ok && (len(p.block) == 0 && !p.skipping || p.indented && kindOf(name) != kUnknown)
		if !fieldHere {
			p.continuation(line)
			return
		}
		if len(p.block) == 0 {
			p.indented = true
		}
		p.field(name, value)
		return
	}
	name, value, ok := splitField(line)
	if !ok {
		p.continuation(line)
		return
	}
	p.field(name, value)
}

func (p *statusParser) field(name, value []byte) {
	if len(p.block) >= MaxFieldsPerBlock {
		p.st.Truncated = true
		p.skipping = true
		return
	}
	p.skipping = false
	k := kindOf(name)
	p.lastKnown = k != kUnknown
	if k == kUnknown {
		// Only its continuation lines need a home; nothing reads it.
		p.block = append(p.block, field{kind: k})
		return
	}
	if len(value) > MaxFieldBytes {
		value = value[:MaxFieldBytes]
		p.st.Truncated = true
	}
	p.block = append(p.block, field{kind: k, value: value})
}

// continuation appends a folded line to the block's last field, joined by
// one space so a folded Diagnostic-Code reads as one sentence.
func (p *statusParser) continuation(line []byte) {
	if p.skipping || len(p.block) == 0 || !p.lastKnown {
		return
	}
	f := &p.block[len(p.block)-1]
	line = trimSpace(line)
	if len(line) == 0 {
		return
	}
	if len(f.value)+1+len(line) > MaxFieldBytes {
		p.st.Truncated = true
		return
	}
	if !f.owned {
		v := make([]byte, len(f.value), len(f.value)+1+len(line)+64)
		copy(v, f.value)
		f.value, f.owned = v, true
	}
	if len(f.value) > 0 {
		f.value = append(f.value, ' ')
	}
	f.value = append(f.value, line...)
}

// endBlock files the fields of the block just read.
func (p *statusParser) endBlock() {
	defer func() {
		p.block = p.block[:0]
		p.skipping, p.indented, p.lastKnown = false, false, false
	}()
	if len(p.block) == 0 {
		return
	}
	var marks, hasAddr, other bool
	for _, f := range p.block {
		marks = marks || f.kind.marksRecipient()
		hasAddr = hasAddr || f.kind.address()
		other = other || f.kind.perRecipient()
	}
	for _, f := range p.block {
		if f.kind.perMessage() {
			p.st.PerMessage.set(f.kind, f.value)
		}
	}
	if !other {
		return
	}
	n := len(p.drafts)
	// A block without an address continues the recipient before it when
	// it fills only fields that recipient lacks: some MTAs put a blank
	// line inside a recipient's fields.
	if !hasAddr && n > 0 && p.drafts[n-1].fits(p.block) {
		p.drafts[n-1].add(p.block)
		return
	}
	if !marks {
		// Only Diagnostic-Code, Remote-MTA or dates with no recipient to
		// attach them to: a sloppy per-message block, not a recipient.
		return
	}
	start := 0
	for i, f := range p.block {
		// Two recipients run together without a blank line: a second,
		// different address after the first recipient's Action or Status.
		if i > start && f.kind.address() && p.repeatsAddress(p.block[start:i], f) {
			p.addDraft(p.block[start:i])
			start = i
		}
	}
	p.addDraft(p.block[start:])
}

func (p *statusParser) addDraft(fields []field) {
	if len(p.drafts) >= MaxRecipients {
		p.st.Truncated = true
		return
	}
	var d draft
	d.add(fields)
	p.drafts = append(p.drafts, d)
}

// repeatsAddress reports whether f starts a new recipient after fields:
// fields already set f's address to another value and an Action or Status.
func (p *statusParser) repeatsAddress(fields []field, f field) bool {
	var done, same, seen bool
	addr := address(f.value)
	for _, g := range fields {
		switch {
		case g.kind == kAction || g.kind == kStatus:
			done = true
		case g.kind == f.kind:
			seen = true
			same = same || strings.EqualFold(address(g.value), addr)
		}
	}
	return done && seen && !same
}

// fits reports whether the fields of block can all go into slots d has not
// filled yet.
func (d *draft) fits(block []field) bool {
	for _, f := range block {
		if !f.kind.perRecipient() {
			continue
		}
		if d.has(f.kind) {
			return false
		}
	}
	return true
}

func (d *draft) has(k fieldKind) bool {
	r := &d.r
	switch k {
	case kAction:
		return r.Action != ""
	case kStatus:
		return r.Status != ""
	case kDiagnosticCode:
		return r.DiagnosticCode != ""
	case kRemoteMTA:
		return r.RemoteMTA != ""
	case kLastAttemptDate:
		return !r.LastAttemptDate.IsZero()
	case kWillRetryUntil:
		return !r.WillRetryUntil.IsZero()
	}
	return false
}

// add sets d's fields from block. A repeated field keeps its first usable
// value, except that a specific Status beats a generic one (5.0.0) of the
// same class and a known Action word beats an unknown one.
func (d *draft) add(block []field) {
	r := &d.r
	for _, f := range block {
		switch f.kind {
		case kFinalRecipient:
			setAddress(&r.FinalRecipient, f.value)
		case kOriginalRecipient:
			setAddress(&r.OriginalRecipient, f.value)
		case kActualRecipient:
			setAddress(&r.ActualRecipient, f.value)
		case kAction:
			if a, known := action(f.value); r.Action == "" || known && !knownAction(r.Action) {
				r.Action = a
			}
		case kStatus:
			if c := findCode(f.value); c != "" && betterCode(r.Status, c) {
				r.Status = c
			}
		case kDiagnosticCode:
			if r.DiagnosticCode == "" {
				_, text := splitType(f.value)
				r.DiagnosticCode = string(text)
			}
		case kRemoteMTA:
			if r.RemoteMTA == "" {
				r.RemoteMTA = mtaName(f.value)
			}
		case kLastAttemptDate:
			if r.LastAttemptDate.IsZero() {
				r.LastAttemptDate = parseDate(f.value)
			}
		case kWillRetryUntil:
			if r.WillRetryUntil.IsZero() {
				r.WillRetryUntil = parseDate(f.value)
			}
		}
	}
}

// finish fills what can be inferred: a Status from the Diagnostic-Code
// ("550 5.1.1 ...", "550-5.1.1") when the Status field was missing or held
// no code.
func (d *draft) finish() Recipient {
	r := d.r
	if r.Status == "" {
		r.Status = findCode([]byte(r.DiagnosticCode))
	}
	return r
}

// setAddress fills an address field unless an earlier one already holds
// an address.
func setAddress(dst *string, v []byte) {
	if *dst == "" {
		*dst = address(v)
	}
}

// set fills a per-message field unless an earlier one already did.
func (pm *PerMessage) set(k fieldKind, v []byte) {
	switch k {
	case kReportingMTA:
		if pm.ReportingMTA == "" {
			pm.ReportingMTA = mtaName(v)
		}
	case kDSNGateway:
		if pm.DSNGateway == "" {
			pm.DSNGateway = mtaName(v)
		}
	case kReceivedFromMTA:
		if pm.ReceivedFromMTA == "" {
			pm.ReceivedFromMTA = mtaName(v)
		}
	case kEnvelopeID:
		if pm.OriginalEnvelopeID == "" {
			pm.OriginalEnvelopeID = string(v)
		}
	case kArrivalDate:
		if pm.ArrivalDate.IsZero() {
			pm.ArrivalDate = parseDate(v)
		}
	}
}
