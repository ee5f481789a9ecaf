package classifier

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Explanation is a verdict with everything that went into it: every
// signal considered (also those not needed once the verdict was settled),
// what the classifier knew, and the steps from signals to verdict.
type Explanation struct {
	Verdict
	// From, Subject and Date are the message's own, decoded.
	From, Subject, Date string
	// Knowledge says what the classifier had to go on: the sent index,
	// the person's addresses, relays, DNS, BATV.
	Knowledge []string
	// Steps say how the verdict followed from the signals.
	Steps []string
}

// Explain decides on raw as Classify does and explains the verdict. The
// class is the one Classify gives; Explain only looks further.
func (c *Classifier) Explain(ctx context.Context, raw []byte) Explanation {
	m := mailparse.Parse(raw)
	x := Explanation{
		Verdict: c.decide(ctx, m, raw, true),
		From:    mailparse.DecodeWords(m.Header.Get("From")),
		Subject: mailparse.DecodeWords(m.Header.Get("Subject")),
		Date:    m.Header.Get("Date"),
	}
	x.Knowledge = c.knowledge()
	x.Steps = steps(x.Verdict, c.QuarantineUnknown)
	return x
}

// knowledge describes what the classifier had to go on.
func (c *Classifier) knowledge() []string {
	var k []string
	if c.Sent == nil || c.Sent.Len() == 0 {
		k = append(k, "sent index: none (give --sent): no Message-ID can be looked up")
	} else {
		first, last, ok := c.Sent.Coverage()
		cover := "no dates"
		if ok {
			cover = day(first) + ".." + day(last)
		}
		styles, total := c.Sent.Styles()
		k = append(k, fmt.Sprintf("sent index: %d messages, covering %s; %d Message-ID styles learned from %d ids", c.Sent.Len(), cover, len(styles), total))
	}
	me := c.ownIdentity()
	if me.known() {
		addrs := make([]string, 0, len(me.addrs))
		for a := range me.addrs {
			addrs = append(addrs, a)
		}
		sort.Strings(addrs)
		if len(addrs) > 8 {
			addrs = append(addrs[:8], fmt.Sprintf("and %d more", len(addrs)-8))
		}
		k = append(k, fmt.Sprintf("your addresses (from %s): %s", me.source(), strings.Join(addrs, ", ")))
	} else {
		k = append(k, "your addresses: unknown (give --address, or --sent to learn them)")
	}
	if len(c.Relays) > 0 {
		k = append(k, "your relays (--relay): "+strings.Join(c.Relays, ", "))
	} else {
		k = append(k, "your relays: none given (--relay)")
	}
	if c.DNS != nil {
		k = append(k, "DNS: on, DKIM signatures are checked")
	} else {
		k = append(k, "DNS: off, DKIM signatures are not checked")
	}
	if c.BATV != nil {
		k = append(k, "BATV: on (--batv-key): bounces must come to a tagged address")
	} else {
		k = append(k, "BATV: off")
	}
	return k
}

// steps says, in order, how the verdict followed.
func steps(v Verdict, quarantineUnknown bool) []string {
	r := v.Report
	if r == nil || r.Kind == bounce.None {
		s := []string{"no bounce decoder claimed the message: it is not bounce-like, so no evidence is weighed"}
		if v.Class == Virus {
			s = append(s, "the attachment policy or the virus scanner found something: virus")
		} else {
			s = append(s, "nothing found by the attachment policy or the scanner: clean")
		}
		return append(s, "action: "+string(v.Action))
	}
	var sent, forged []string
	for _, sg := range v.Signals {
		switch {
		case sg.Weight >= SentStrong:
			sent = append(sent, sg.Name)
		case sg.Weight <= ForgedStrong:
			forged = append(forged, sg.Name)
		}
	}
	s := []string{
		fmt.Sprintf("the message is bounce-like (%s), about the original it names", r.Kind),
		"rule: any proof or strong sign that you sent the original keeps it; only without one does a strong sign of forgery make it backscatter; weak signs are shown but never decide",
	}
	switch {
	case len(sent) > 0:
		s = append(s, fmt.Sprintf("strong signs of sending: %s: bounce-legit", strings.Join(uniq(sent), ", ")))
		if len(forged) > 0 {
			s = append(s, fmt.Sprintf("the strong signs of forgery (%s) are outweighed", strings.Join(uniq(forged), ", ")))
		}
	case len(forged) > 0:
		s = append(s, fmt.Sprintf("no strong sign of sending; strong signs of forgery: %s: backscatter", strings.Join(uniq(forged), ", ")))
	default:
		s = append(s, "no strong sign either way: bounce-unknown")
	}
	switch {
	case v.Class == Virus:
		s = append(s, "the attachment policy or the virus scanner found something, and no strong evidence had decided the bounce: virus")
	case v.Class == BounceUnknown && quarantineUnknown:
		s = append(s, "bounce-unknown is quarantined (--quarantine-unknown)")
	case v.Class == BounceUnknown:
		s = append(s, "bounce-unknown is kept: when in doubt, keep (--quarantine-unknown changes that)")
	}
	return append(s, "action: "+string(v.Action))
}

func uniq(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// WriteText writes the explanation for people.
func (x Explanation) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format+"\n", args...) }
	p("Message")
	p("  From:     %s", x.From)
	p("  Subject:  %s", x.Subject)
	p("  Date:     %s", x.Date)
	r := x.Report
	if r != nil && r.Kind != bounce.None {
		o := r.Original
		p("Bounce")
		format := ""
		if r.Format != "" {
			format = " (" + r.Format + ")"
		}
		p("  Kind:     %s%s", r.Kind, format)
		p("  Original: %s", describeOriginal(o))
		for _, rc := range r.Recipients {
			p("  Recipient: %s %s %s %s", rc.Address, rc.Action, rc.Status, oneLine(rc.Diagnostic, 100))
		}
		for _, pr := range r.Problems {
			p("  Problem:  %s", pr)
		}
	}
	p("What bounceguard knew")
	for _, k := range x.Knowledge {
		p("  %s", k)
	}
	p("Signals considered")
	if len(x.Signals) == 0 {
		p("  none: only bounce-like messages are weighed")
	}
	for _, s := range x.Signals {
		p("  %-13s %-16s %s", s.Weight, s.Name, s.Reason)
	}
	p("Verdict: %s, %s", x.Class, x.Action)
	for _, s := range x.Steps {
		p("  - %s", s)
	}
	p("Reasons reported")
	for _, s := range x.Reasons {
		p("  - %s", s)
	}
	return bw.Flush()
}

func describeOriginal(o bounce.Original) string {
	if o.MessageID == "" && o.From == "" && o.Where == "" {
		return "not found in the bounce"
	}
	var parts []string
	if o.MessageID != "" {
		parts = append(parts, "<"+o.MessageID+">")
	} else {
		parts = append(parts, "no Message-ID")
	}
	if o.From != "" {
		parts = append(parts, "from "+o.From)
	}
	if len(o.To) > 0 {
		parts = append(parts, "to "+strings.Join(o.To, ", "))
	}
	if !o.Date.IsZero() {
		parts = append(parts, "dated "+o.Date.Format(time.RFC3339))
	}
	switch o.Where {
	case "rfc822":
		parts = append(parts, "came back whole (attached)")
	case "headers":
		parts = append(parts, "only its header came back")
	case "inline":
		parts = append(parts, "quoted in the bounce's text")
	case "in-reply-to":
		parts = append(parts, "named only by the bounce's In-Reply-To")
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
