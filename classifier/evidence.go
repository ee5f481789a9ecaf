package classifier

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Weight says which way a signal points and how hard.
type Weight int

// Signal weights. Only Proof and Strong decide; Weak signals are shown
// in reasons and by explain but never move mail on their own.
const (
	ForgedStrong Weight = -2 // e.g. the original's id is absent from a covering index
	ForgedWeak   Weight = -1
	Neutral      Weight = 0
	SentWeak     Weight = 1
	SentStrong   Weight = 2 // e.g. a recipient the person wrote to then
	SentProof    Weight = 3 // e.g. the original's id is in the sent index
)

var weightNames = map[Weight]string{
	ForgedStrong: "forged-strong",
	ForgedWeak:   "forged-weak",
	Neutral:      "neutral",
	SentWeak:     "sent-weak",
	SentStrong:   "sent-strong",
	SentProof:    "sent-proof",
}

// String names the weight, e.g. "sent-strong".
func (w Weight) String() string {
	if n, ok := weightNames[w]; ok {
		return n
	}
	return fmt.Sprintf("weight(%d)", int(w))
}

// Signal is one piece of evidence and its reading.
type Signal struct {
	Name   string // short, stable: "message-id", "coverage", "recipient", …
	Weight Weight
	Reason string // for people
}

type evidence struct {
	signals []Signal
	// when the original was sent, as far as known: its Date, else the
	// bounce's; zero when neither can be read.
	when time.Time
}

func (e *evidence) add(name string, w Weight, format string, args ...any) {
	e.signals = append(e.signals, Signal{Name: name, Weight: w, Reason: fmt.Sprintf(format, args...)})
}

// evidence gathers the signals the classifier has about r. Unless all is
// set it stops looking once the message is bound to be kept — the sent
// index proves it, or a strong sign of sending is in — which spares DNS
// look-ups; explain sets all, to show everything.
func (c *Classifier) evidence(ctx context.Context, m *mailparse.Message, r *bounce.Report, all bool) *evidence {
	e := &evidence{}
	if c.sentIndexSignals(e, m, r) && !all {
		return e
	}
	me := c.ownIdentity()
	c.batvSignals(e, m, r, me)
	c.relaySignals(e, r)
	if e.strongest() >= SentStrong && !all {
		return e
	}
	c.dkimSignals(ctx, e, m, r, me)
	return e
}

// strongest returns the highest weight of the signals so far.
func (e *evidence) strongest() Weight {
	w := ForgedStrong
	for _, s := range e.signals {
		w = max(w, s.Weight)
	}
	return w
}

// sentIndexSignals weighs the original against the sent index: its
// Message-ID, the index's coverage, the Message-ID's style and the
// recipients. It reports whether the index proves the person sent it.
func (c *Classifier) sentIndexSignals(e *evidence, m *mailparse.Message, r *bounce.Report) bool {
	o := r.Original
	ids := originalIDs(r)
	idx := c.Sent
	if idx == nil || idx.Len() == 0 {
		e.add("sent-index", Neutral, "no sent index: nothing to compare with")
		return false
	}
	first, last, _ := idx.Coverage()
	for _, id := range ids {
		if idx.HasMessageID(id) {
			e.add("message-id", SentProof, "original message-id <%s> is in the sent index", id)
			return true
		}
	}

	// When was the original sent? Its own Date, else the bounce's.
	when, whenSrc := o.Date, "original's date"
	if when.IsZero() {
		if t, ok := mailparse.Date(m.Header.Get("Date")); ok {
			when, whenSrc = t.UTC(), "bounce's date"
		}
	}
	e.when = when
	covered := !when.IsZero() && !when.Before(first)
	span := fmt.Sprintf("index covers %s..%s", day(first), day(last))

	if len(ids) > 0 {
		if covered {
			e.add("message-id", ForgedStrong, "original message-id <%s> not in sent index (%s)", ids[0], span)
		} else if when.IsZero() {
			e.add("message-id", Neutral, "original message-id <%s> not in sent index, but the original's date is unknown", ids[0])
		} else {
			e.add("coverage", Neutral, "original message-id <%s> not in sent index, but the %s %s is before the index begins (%s)", ids[0], whenSrc, day(when), span)
		}
		c.styleSignals(e, ids[0], covered)
	} else {
		e.add("message-id", Neutral, "no original message-id in the %s", r.Kind)
	}

	c.recipientSignals(e, r, when, covered)
	if n := failedCount(r); n > 1 {
		e.add("recipients", ForgedWeak, "%d failed recipients in one report", n)
	}
	return false
}

// recipientSignals weighs whether the person wrote to the bounce's
// recipients around the time of the original.
func (c *Classifier) recipientSignals(e *evidence, r *bounce.Report, when time.Time, covered bool) {
	window := c.RecipientWindow
	if window == 0 {
		window = 14 * 24 * time.Hour
	}
	addrs := recipientAddrs(r)
	if len(addrs) == 0 {
		return
	}
	never := 0
	for _, a := range addrs {
		if !when.IsZero() && c.Sent.WroteTo(a, when, window) {
			e.add("recipient", SentStrong, "the person wrote to %s within %d days of %s", a, int(window.Hours()/24), day(when))
			return
		}
		if _, ok := c.Sent.LastWroteTo(a); !ok {
			never++
		}
	}
	if never == len(addrs) && covered {
		e.add("recipient", ForgedWeak, "the person never wrote to %s", strings.Join(addrs, ", "))
	}
}

// decide turns the signals into a class. Any proof or strong sign of
// sending keeps the message; only then does strong evidence of forgery
// make it backscatter; the rest is unknown.
func (e *evidence) decide(r *bounce.Report) (Class, []string) {
	var sent, forged, other []string
	for _, s := range e.signals {
		switch {
		case s.Weight >= SentStrong:
			sent = append(sent, s.Reason)
		case s.Weight <= ForgedStrong:
			forged = append(forged, s.Reason)
		default:
			other = append(other, s.Reason)
		}
	}
	switch {
	case len(sent) > 0:
		// The signs of forgery were weighed too: say so.
		for _, f := range forged {
			other = append(other, "outweighed: "+f)
		}
		return BounceLegit, append(sent, other...)
	case len(forged) > 0:
		return Backscatter, append(forged, other...)
	}
	if len(other) == 0 {
		other = []string{"no evidence either way"}
	}
	return BounceUnknown, other
}

// originalIDs are the ids that name the original: its own Message-ID and,
// for auto-replies and bounces that name it so, In-Reply-To and References.
func originalIDs(r *bounce.Report) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	add(r.Original.MessageID)
	if r.Kind == bounce.AutoReply || r.Original.Where == "" || r.Original.Where == "in-reply-to" {
		add(r.Original.InReplyTo)
		for i := len(r.Original.References) - 1; i >= 0; i-- {
			add(r.Original.References[i])
		}
	}
	return ids
}

func recipientAddrs(r *bounce.Report) []string {
	var out []string
	for _, rc := range r.Recipients {
		if rc.Address != "" {
			out = append(out, rc.Address)
		}
	}
	if len(out) == 0 {
		out = append(out, r.Original.To...)
	}
	return out
}

func failedCount(r *bounce.Report) int {
	n := 0
	for _, rc := range r.Recipients {
		if rc.Action == "failed" {
			n++
		}
	}
	return n
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
