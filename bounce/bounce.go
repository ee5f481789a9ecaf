// Package bounce decides whether a message is bounce-like — a delivery
// status notification, a vendor's own bounce format, an auto-reply, a
// challenge-response request or an antivirus notice — and what message it
// is about. It decodes; deciding whether the person sent that message is the
// classifier's job.
package bounce

import (
	"time"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Kind says what sort of bounce-like message a report describes.
type Kind string

// The kinds of message Inspect tells apart.
const (
	None      Kind = "none"      // not bounce-like
	DSN       Kind = "dsn"       // a standard RFC 3464 delivery status notification
	Bounce    Kind = "bounce"    // a non-standard bounce in a vendor's own format
	AutoReply Kind = "autoreply" // RFC 3834 auto-reply, vacation notice
	Challenge Kind = "challenge" // challenge-response "please verify" request
	AVNotice  Kind = "av-notice" // "a virus was found in a message you sent"
)

// Report is what Inspect found.
type Report struct {
	Kind   Kind
	Format string // the decoder that claimed the message, lower case; "" for None
	// Original is the message the report is about, as far as it came back.
	Original Original
	// Recipients are the addresses the report is about, with their fate.
	Recipients []Recipient
	// ViaList is set when the message came through a mailing list
	// (List-Id, List-Post, Precedence: list).
	ViaList bool
	// Problems lists what could not be read; the report is still usable.
	Problems []string
}

// Original describes the message a bounce or auto-reply refers to.
type Original struct {
	MessageID string // without angle brackets
	From      string // addr-spec, lower case
	To        []string
	Subject   string
	Date      time.Time
	// InReplyTo and References come from the bounce or auto-reply itself:
	// auto-replies and some bounces (Gmail, Google Groups) name the
	// original only there.
	InReplyTo  string
	References []string
	// Where says how the original came back: "rfc822" (attached whole),
	// "headers" (its header only), "inline" (quoted in the text),
	// "in-reply-to" (named only by the bounce's own In-Reply-To), or "".
	Where string
	// Header is the original's header as far as it came back.
	Header mailparse.Header
	// Raw is the attached original (whole message or header) as it came,
	// for signature checks; nil when it was quoted inline or absent.
	Raw []byte
}

// Recipient is one address a report is about.
type Recipient struct {
	Address    string // lower case
	Action     string // failed, delayed, delivered, relayed, expanded; "" when unknown
	Status     string // enhanced status code, e.g. 5.1.1; "" when unknown
	Diagnostic string // the remote server's or MTA's words
	RemoteMTA  string
}

// Inspect reads a raw message and reports what kind of bounce it is, if
// any. It never fails: unreadable input yields Kind None with Problems set.
func Inspect(raw []byte) *Report {
	return InspectMessage(mailparse.Parse(raw))
}

// InspectMessage is Inspect for a message already parsed.
func InspectMessage(m *mailparse.Message) *Report {
	return inspect(m, 0)
}

// maxWrapped bounds how many bounces of bounces are unwrapped.
const maxWrapped = 3

func inspect(m *mailparse.Message, depth int) *Report {
	in := newInput(m)
	var r *Report
	if !notBounce(in) {
		for _, d := range decoders {
			if d.match(in) {
				if r = d.decode(in); r != nil {
					r.Format = d.format
					break
				}
			}
		}
	}
	viaList := in.viaList()
	if r == nil || (r.Kind == AutoReply && viaList) {
		// An auto-reply to a list post is list traffic, not backscatter.
		r = &Report{Kind: None}
	}
	r.ViaList = viaList
	r.Problems = append(r.Problems, m.Problems...)
	r.finish(in)
	if depth < maxWrapped {
		r.unwrap(depth)
	}
	return r
}

// unwrap makes a bounce of a bounce — a relay returning the notice it could
// not deliver — about the innermost original: the message the person is
// supposed to have sent.
func (r *Report) unwrap(depth int) {
	o := r.Original
	if r.Kind == None || len(o.Raw) == 0 || !newInput(&mailparse.Message{Header: o.Header}).fromDaemon() {
		return
	}
	inner := inspect(mailparse.Parse(o.Raw), depth+1)
	if inner.Kind != None && inner.Original.MessageID != "" {
		r.Original = inner.Original
	}
	if inner.Kind != None && len(r.Recipients) == 0 {
		// A gateway that forwards a bounce under a text of its own
		// names nobody: the bounce it carries does.
		r.Recipients = inner.Recipients
	}
}

// finish fills what every decoder would otherwise fill alike.
func (r *Report) finish(in *input) {
	if r.Kind == None {
		return
	}
	o := &r.Original
	if o.InReplyTo == "" {
		o.InReplyTo = mailparse.MessageID(in.m.Header.Get("In-Reply-To"))
	}
	if o.References == nil {
		o.References = mailparse.MessageIDs(in.m.Header.Get("References"), 64)
	}
	if o.MessageID == "" && o.InReplyTo != "" && r.Kind != AutoReply {
		// Gmail and Google Groups bounces name the original only here.
		o.MessageID, o.Where = o.InReplyTo, "in-reply-to"
	}
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		if rc.Status == "" {
			rc.Status = StatusFromText(rc.Diagnostic)
		}
		if rc.Status == "" {
			rc.Status = statusFromWords(rc.Diagnostic, rc.Action == "delayed")
		}
	}
}
