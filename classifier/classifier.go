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
	// Defer asks to keep the message for now and decide again later: it
	// would be backscatter, but its original was sent so recently that the
	// person's copy may not be in the sent folder yet (Classifier.Grace).
	// Its class is bounce-unknown until then. A scanner outage with
	// ScanFailClosed defers too.
	Defer bool
	// ScanErr is the virus scanner's failure, if it failed.
	ScanErr error
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
	// ScanFailClosed makes a scanner outage defer the decision (keep the
	// message now, decide again later) instead of judging without it.
	ScanFailClosed bool

	// Addresses are the person's own addresses. Empty means the From
	// addresses of the sent index. Their domains are the person's domains,
	// whose DKIM signatures prove the person's system sent a message.
	Addresses []string
	// Relays are path.Match patterns of the host names and IP addresses of
	// the person's own mail relays (e.g. "*.mail.example.com"); an
	// original whose Received chain names one of them is the person's.
	Relays []string
	// DNS looks up DKIM keys. Nil means no look-ups (offline): signatures
	// are reported but not checked. A failed look-up is never evidence.
	DNS Resolver
	// BATV holds the keys the person's MTA signs envelope senders with
	// (BATV prvs); nil means BATV is not in use.
	BATV *BATVKeys
	// Grace defers a backscatter verdict on a bounce whose original is
	// younger than this: a mail client saves its sent copy after sending,
	// and a fast bounce can arrive first. 0 never defers (offline scans).
	Grace time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c *Classifier) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
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
	return c.decide(ctx, m, nil, false)
}

// ClassifyRaw is Classify for a message whose raw bytes are at hand, so
// that a Scanner can see them as they came.
func (c *Classifier) ClassifyRaw(ctx context.Context, raw []byte) Verdict {
	return c.decide(ctx, mailparse.Parse(raw), raw, false)
}

// decide classifies m; all gathers every signal even when the verdict is
// settled early (explain).
func (c *Classifier) decide(ctx context.Context, m *mailparse.Message, raw []byte, all bool) Verdict {
	r := bounce.InspectMessage(m)
	v := Verdict{Report: r}
	if r.Kind == bounce.None {
		v.Class = Clean
		v.Reasons = []string{"not bounce-like"}
	} else {
		e := c.evidence(ctx, m, r, all)
		v.Signals = e.signals
		v.Class, v.Reasons = e.decide(r)
		if v.Class == Backscatter && c.Grace > 0 && !e.when.IsZero() {
			if age := c.now().Sub(e.when); age < c.Grace {
				v.Class, v.Defer = BounceUnknown, true
				v.Reasons = append([]string{fmt.Sprintf("original sent %s ago: its copy may not be in the sent folder yet; decided again later", age.Round(time.Second))}, v.Reasons...)
			}
		}
	}
	c.virusCheck(ctx, &v, m, raw)
	v.Action = Keep
	if v.Class == Virus {
		v.Defer = false // a virus is a virus however young
	}
	if !v.Defer && (v.Class == Backscatter || v.Class == Virus || (v.Class == BounceUnknown && c.QuarantineUnknown)) {
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
		case err != nil && c.ScanFailClosed:
			v.ScanErr, v.Defer = err, true
			v.Reasons = append(v.Reasons, fmt.Sprintf("virus scanner unavailable, decided again later: %v", err))
		case err != nil:
			v.ScanErr = err
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
