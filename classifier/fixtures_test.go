package classifier

import (
	"context"
	"testing"

	"github.com/bounceguard/bounceguard/fixtures"
	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// fixtureClassifier is the classifier the demo and README use: the
// fixtures' sent folder as the sent index.
func fixtureClassifier(t *testing.T) *Classifier {
	t.Helper()
	sent, err := fixtures.Sent()
	if err != nil {
		t.Fatal(err)
	}
	idx := sentindex.New()
	for _, f := range sent {
		e, err := sentindex.EntryFromHeader(f.Raw)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		idx.Add(e)
	}
	return &Classifier{Sent: idx}
}

// TestFixtures: every inbox fixture gets the class, action, kind, format
// and original Message-ID that fixtures/expected.tsv gives it.
func TestFixtures(t *testing.T) {
	c := fixtureClassifier(t)
	inbox, err := fixtures.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	byName, err := fixtures.ExpectedByFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range inbox {
		e := byName[f.Name]
		v := c.Classify(context.Background(), f.Raw)
		r := v.Report
		if string(v.Class) != e.Class || string(v.Action) != e.Action || string(r.Kind) != e.Kind ||
			r.Format != e.Format || r.Original.MessageID != e.OriginalMessageID {
			t.Errorf("%s:\n got  %s %s %s %q <%s>\n want %s %s %s %q <%s>\n reasons %q", f.Name,
				v.Class, v.Action, r.Kind, r.Format, r.Original.MessageID,
				e.Class, e.Action, e.Kind, e.Format, e.OriginalMessageID, v.Reasons)
		}
	}
}

// TestFixturesTriage: every bounce-like fixture is one whose header alone
// says "fetch the body" — else an IMAP sweep would keep it unread.
func TestFixturesTriage(t *testing.T) {
	inbox, err := fixtures.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fixtures.ExpectedByFile()
	for _, f := range inbox {
		h, _, _ := mailparse.ParseHeader(f.Raw, mailparse.DefaultLimits.MaxHeaderBytes)
		if want[f.Name].Kind != "none" && !NeedsBody(h, false) {
			t.Errorf("%s (%s): NeedsBody says no from the header", f.Name, want[f.Name].Kind)
		}
	}
}
