package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/bounceguard/bounceguard/bounce"
	"github.com/bounceguard/bounceguard/classifier"
)

// record is one line of --format json output: the contract in DESIGN.md.
// Fields may be added, never renamed.
type record struct {
	Source     string            `json:"source"`
	Class      classifier.Class  `json:"class"`
	Action     classifier.Action `json:"action"`
	Kind       bounce.Kind       `json:"kind"`
	Format     string            `json:"format"`
	Original   originalRecord    `json:"original"`
	Recipients []recipientRecord `json:"recipients"`
	Reasons    []string          `json:"reasons"`
	Error      string            `json:"error"`
}

type originalRecord struct {
	MessageID string   `json:"message_id"`
	From      string   `json:"from"`
	To        []string `json:"to"`
	Subject   string   `json:"subject"`
	Date      string   `json:"date"`
}

type recipientRecord struct {
	Address    string `json:"address"`
	Action     string `json:"action"`
	Status     string `json:"status"`
	Diagnostic string `json:"diagnostic"`
}

// newRecord describes a verdict on the message from source.
func newRecord(source string, v classifier.Verdict) record {
	r := v.Report
	rec := record{
		Source:     source,
		Class:      v.Class,
		Action:     v.Action,
		Kind:       r.Kind,
		Format:     r.Format,
		Reasons:    v.Reasons,
		Recipients: []recipientRecord{},
		Original: originalRecord{
			MessageID: r.Original.MessageID,
			From:      r.Original.From,
			To:        r.Original.To,
			Subject:   r.Original.Subject,
		},
	}
	if rec.Reasons == nil {
		rec.Reasons = []string{}
	}
	if rec.Original.To == nil {
		rec.Original.To = []string{}
	}
	if !r.Original.Date.IsZero() {
		rec.Original.Date = r.Original.Date.UTC().Format(time.RFC3339)
	}
	for _, rc := range r.Recipients {
		rec.Recipients = append(rec.Recipients, recipientRecord{
			Address: rc.Address, Action: rc.Action, Status: rc.Status, Diagnostic: rc.Diagnostic,
		})
	}
	return rec
}

// errorRecord describes a message that could not be read: it is kept.
func errorRecord(source string, err error) record {
	return record{
		Source: source, Class: classifier.Clean, Action: classifier.Keep, Kind: bounce.None,
		Recipients: []recipientRecord{}, Reasons: []string{}, Original: originalRecord{To: []string{}},
		Error: err.Error(),
	}
}

// printer writes records as JSON lines or as text for people, and counts
// them per class for the closing summary.
type printer struct {
	w      io.Writer
	json   bool
	counts map[classifier.Class]int
	errors int
}

func newPrinter(w io.Writer, format string) (*printer, error) {
	switch format {
	case "text", "json":
	default:
		return nil, fmt.Errorf("--format %q: must be text or json", format)
	}
	return &printer{w: w, json: format == "json", counts: map[classifier.Class]int{}}, nil
}

func (p *printer) print(rec record) error {
	p.counts[rec.Class]++
	if rec.Error != "" {
		p.errors++
	}
	if p.json {
		b, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encoding result for %s: %w", rec.Source, err)
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	}
	_, err := io.WriteString(p.w, textLine(rec))
	return err
}

// textLine is one line per message: class, what it is, the original it is
// about, where it came from, and the reason that decided.
func textLine(rec record) string {
	what := string(rec.Kind)
	if rec.Format != "" {
		what += "/" + rec.Format
	}
	id := "-"
	if rec.Original.MessageID != "" {
		id = "<" + rec.Original.MessageID + ">"
	}
	reason := ""
	if len(rec.Reasons) > 0 {
		reason = rec.Reasons[0]
	}
	if rec.Error != "" {
		reason = "could not read: " + rec.Error
	}
	return fmt.Sprintf("%-14s %-10s %-20s %s %s\n    %s\n", rec.Class, rec.Action, what, rec.Source, id, reason)
}

// summary writes the count per class.
func (p *printer) summary() {
	if p.json {
		return
	}
	total := 0
	var parts []string
	for _, c := range []classifier.Class{classifier.Clean, classifier.BounceLegit, classifier.BounceUnknown, classifier.Backscatter, classifier.Virus} {
		total += p.counts[c]
		parts = append(parts, fmt.Sprintf("%s %d", c, p.counts[c]))
	}
	var extra []string
	for c, n := range p.counts {
		if !knownClass(c) {
			extra = append(extra, fmt.Sprintf("%s %d", c, n))
			total += n
		}
	}
	sort.Strings(extra)
	parts = append(parts, extra...)
	fmt.Fprintf(p.w, "\n%d messages: %s", total, strings.Join(parts, ", "))
	if p.errors > 0 {
		fmt.Fprintf(p.w, " (%d could not be read and were kept)", p.errors)
	}
	fmt.Fprintln(p.w)
}

func knownClass(c classifier.Class) bool {
	switch c {
	case classifier.Clean, classifier.BounceLegit, classifier.BounceUnknown, classifier.Backscatter, classifier.Virus:
		return true
	}
	return false
}
