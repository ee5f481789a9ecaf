// Package classifier decides what to do with a message: it weighs what the
// bounce package found against the evidence of what the person really sent
// and returns a verdict with its reasons. A false positive — a real message
// moved — costs far more than a missed bounce, so thin evidence keeps mail.
package classifier

import (
	"context"
	"time"

	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// Class is a verdict's class (DESIGN.md, "The verdict").
type Class string

// The classes, one per message.
const (
	Clean         Class = "clean"          // not bounce-like, no virus
	BounceLegit   Class = "bounce-legit"   // the person sent the original
	BounceUnknown Class = "bounce-unknown" // bounce-like, no evidence either way
	Backscatter   Class = "backscatter"    // bounce-like, for mail the person did not send
	Virus         Class = "virus"          // a virus, or an attachment the policy bans
)

// Action is what to do with a message.
type Action string

// The actions.
const (
	Keep       Action = "keep"
	Quarantine Action = "quarantine"
)

// Verdict is the decision on one message.
type Verdict struct {
	Class   Class
	Action  Action
	Reasons []string
	// Report is what the bounce package found; never nil.
	Report *bounce.Report
	// Signals are all the evidence considered, deciding or not.
	Signals []Signal
}

// Classifier holds the evidence and policy that verdicts are made from.
// Its zero value works: with no sent index every bounce is bounce-unknown.
type Classifier struct {
	// Sent is the index of what the person sent; nil means none.
	Sent *sentindex.Index
	// QuarantineUnknown moves bounce-unknown messages too.
	QuarantineUnknown bool
	// RecipientWindow is how near in time a message to a bounce's
	// recipient must be to count as "wrote to them then"; 0 means 14 days.
	RecipientWindow time.Duration
}

// Classify parses raw and decides on it.
func (c *Classifier) Classify(ctx context.Context, raw []byte) Verdict {
	return c.ClassifyMessage(ctx, mailparse.Parse(raw))
}

// ClassifyMessage decides on a message already parsed.
func (c *Classifier) ClassifyMessage(ctx context.Context, m *mailparse.Message) Verdict {
	r := bounce.InspectMessage(m)
	v := Verdict{Report: r}
	if r.Kind == bounce.None {
		v.Class, v.Action = Clean, Keep
		v.Reasons = []string{"not bounce-like"}
		return v
	}
	e := c.evidence(m, r)
	v.Signals = e.signals
	v.Class, v.Reasons = e.decide(r)
	v.Action = Keep
	if v.Class == Backscatter || v.Class == Virus || (v.Class == BounceUnknown && c.QuarantineUnknown) {
		v.Action = Quarantine
	}
	return v
}
