// Package classifier decides what to do with a message: it weighs what the
// bounce package found against the evidence of what the person really sent
// and returns a verdict with its reasons. A false positive — a real message
// moved — costs far more than a missed bounce, so thin evidence keeps mail.
package classifier

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/attachment"
	"github.com/bounceguard/bounceguard/internal/clamd"
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
	// Attachments is the attachment policy; nil means attachment.DefaultPolicy.
	Attachments *attachment.Policy
	// Scanner, when set, scans every message whole (clamd). When it fails
	// the message is judged without it and the reasons say so: a scanner
	// outage must not move mail.
	Scanner Scanner
}

// Scanner scans a raw message for malware.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (clamd.Result, error)
}

var defaultPolicy = attachment.DefaultPolicy()

// Classify parses raw and decides on it.
func (c *Classifier) Classify(ctx context.Context, raw []byte) Verdict {
	return c.ClassifyRaw(ctx, raw)
}

// ClassifyMessage decides on a message already parsed.
func (c *Classifier) ClassifyMessage(ctx context.Context, m *mailparse.Message) Verdict {
	return c.decide(ctx, m, nil)
}

// ClassifyRaw is Classify for a message whose raw bytes are at hand, so
// that a Scanner can see them as they came.
func (c *Classifier) ClassifyRaw(ctx context.Context, raw []byte) Verdict {
	return c.decide(ctx, mailparse.Parse(raw), raw)
}

func (c *Classifier) decide(ctx context.Context, m *mailparse.Message, raw []byte) Verdict {
	r := bounce.InspectMessage(m)
	v := Verdict{Report: r}
	if r.Kind == bounce.None {
		v.Class = Clean
		v.Reasons = []string{"not bounce-like"}
	} else {
		e := c.evidence(m, r)
		v.Signals = e.signals
		v.Class, v.Reasons = e.decide(r)
	}
	c.virusCheck(ctx, &v, m, raw)
	v.Action = Keep
	if v.Class == Backscatter || v.Class == Virus || (v.Class == BounceUnknown && c.QuarantineUnknown) {
		v.Action = Quarantine
	}
	return v
}

// virusCheck applies the attachment policy and the scanner. What they find
// makes a message virus, except a bounce already decided: a bounce of the
// person's own mail stays bounce-legit (they want to know it did not
// arrive) and backscatter stays backscatter, with the finding among the
// reasons.
func (c *Classifier) virusCheck(ctx context.Context, v *Verdict, m *mailparse.Message, raw []byte) {
	policy := c.Attachments
	if policy == nil {
		policy = defaultPolicy
	}
	var found []string
	for _, f := range policy.Check(m) {
		found = append(found, f.String())
	}
	if c.Scanner != nil && raw != nil {
		res, err := c.Scanner.Scan(ctx, bytes.NewReader(raw))
		switch {
		case err != nil:
			v.Reasons = append(v.Reasons, fmt.Sprintf("virus scanner unavailable, message judged without it: %v", err))
		case res.Infected:
			found = append(found, "virus scanner found "+res.Signature)
		}
	}
	if len(found) == 0 {
		return
	}
	switch v.Class {
	case BounceLegit, Backscatter:
		// Already decided on stronger grounds; say what else is inside.
		v.Reasons = append(v.Reasons, found...)
	default:
		v.Class = Virus
		v.Reasons = found
	}
}
