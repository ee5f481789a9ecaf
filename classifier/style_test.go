package classifier

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// styledIndex is a sent index of n messages, all written by one client
// that makes ids like 8c4b1f0e-3a2d-4e5f-9a8b-0c1d2e3f4a5b@example.com,
// dated through November 2026.
func styledIndex(n int) *sentindex.Index {
	idx := sentindex.New()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		idx.Add(sentindex.Entry{
			MessageID: fmt.Sprintf("%08x-3a2d-4e5f-9a8b-%012x@example.com", i*7919, i*104729),
			Date:      base.Add(time.Duration(i) * 29 * 24 * time.Hour / time.Duration(n)),
			From:      "alice@example.com",
			// No recipients, so only the id's style decides.
		})
	}
	return idx
}

func TestMessageIDStyle(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		n       int
		id      string
		date    string
		want    Class
		weight  Weight
		compare string // the style the reason names
	}{
		{"own style, absent id", 60, "1234abcd-3a2d-4e5f-9a8b-00000000aaaa@example.com", "Fri, 27 Nov 2026 09:00:00 +0000",
			Backscatter, Neutral, "looks like your style @example.com"},
		{"own domain, foreign shape", 60, "000d01d5$12345$ABCDEF@example.com", "Fri, 27 Nov 2026 09:00:00 +0000",
			Backscatter, ForgedWeak, "unlike your style @example.com (36 characters"},
		{"foreign domain, large narrow index", 60, "spam.123@bulk.example.biz", "Fri, 27 Nov 2026 09:00:00 +0000",
			Backscatter, ForgedStrong, "a domain none of your 60 sent messages' ids use (yours: @example.com"},
		{"foreign domain, small index", 20, "spam.123@bulk.example.biz", "Fri, 27 Nov 2026 09:00:00 +0000",
			Backscatter, ForgedWeak, "a domain none of your 20"},
		{"foreign domain before coverage", 60, "spam.123@bulk.example.biz", "Mon, 01 Jan 2024 09:00:00 +0000",
			BounceUnknown, ForgedWeak, "a domain none of your 60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Classifier{Sent: styledIndex(tt.n)}
			v := c.Classify(ctx, dsnMessage(tt.id, tt.date, "bob@example.org"))
			s, ok := signalNamed(v, "message-id-style")
			if v.Class != tt.want || !ok || s.Weight != tt.weight || !strings.Contains(s.Reason, tt.compare) {
				t.Errorf("got %s, style signal %v %q; want %s, %s %q", v.Class, s.Weight, s.Reason, tt.want, tt.weight, tt.compare)
			}
		})
	}
	// Too little sent mail to learn from: no style signal at all.
	c := &Classifier{Sent: styledIndex(5)}
	if s, ok := signalNamed(c.Classify(ctx, dsnMessage("spam.123@bulk.example.biz", "Fri, 27 Nov 2026 09:00:00 +0000", "bob@example.org")), "message-id-style"); ok {
		t.Errorf("5 sent messages gave a style signal: %+v", s)
	}
}

// TestBeforeCoverage: however much else points at forgery, an original
// from before the sent index begins is not backscatter on the absence of
// its Message-ID; weak signs stay weak.
func TestBeforeCoverage(t *testing.T) {
	c := &Classifier{Sent: styledIndex(80)}
	v := c.Classify(context.Background(), dsnMessage("spam.123@bulk.example.biz", "Mon, 01 Jan 2024 09:00:00 +0000", "bob@example.org"))
	if v.Class != BounceUnknown || v.Action != Keep {
		t.Errorf("got %s/%s, want bounce-unknown/keep; reasons %q", v.Class, v.Action, v.Reasons)
	}
	if !reasonsMention(v, "before the index begins") {
		t.Errorf("reasons %q do not say the original is older than the index", v.Reasons)
	}
}
