package mailgen

import (
	"context"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// TestMixClassifies checks that the generated mailbox is what the
// benchmarks claim: every message gets the class of its kind when the
// generated sent folder is the sent index, and no two share a Message-ID.
func TestMixClassifies(t *testing.T) {
	g, err := New(1, "t", DefaultMix)
	if err != nil {
		t.Fatal(err)
	}
	g.MedianHam = 1 << 10
	var inbox []Message
	for range 1500 {
		inbox = append(inbox, g.Next())
	}
	idx := sentindex.New()
	ids := map[string]bool{}
	for _, raw := range g.Sent(300) {
		e, err := sentindex.EntryFromHeader(raw)
		if err != nil {
			t.Fatal(err)
		}
		if ids[e.MessageID] {
			t.Errorf("sent Message-ID %s twice", e.MessageID)
		}
		ids[e.MessageID] = true
		idx.Add(e)
	}
	if idx.Len() != 300 {
		t.Errorf("sent index holds %d ids, want 300", idx.Len())
	}
	c := &classifier.Classifier{Sent: idx}
	kinds := map[Kind]int{}
	for _, m := range inbox {
		kinds[m.Kind]++
		h, _, _ := mailparse.ParseHeader(m.Raw, 1<<20)
		id := mailparse.MessageID(h.Get("Message-ID"))
		if ids[id] || id == "" {
			t.Errorf("%s: Message-ID %q empty or not unique", m.Template, id)
		}
		ids[id] = true
		if _, ok := mailparse.Date(h.Get("Date")); !ok {
			t.Errorf("%s: unreadable Date %q", m.Template, h.Get("Date"))
		}
		v := c.Classify(context.Background(), m.Raw)
		if string(v.Class) != m.Kind.Class() {
			t.Errorf("%s (%s): class %s, want %s: %s", m.Template, m.Kind, v.Class, m.Kind.Class(), strings.Join(v.Reasons, "; "))
		}
	}
	for _, k := range []Kind{Ham, Backscatter, Legit, Attachment, Virus} {
		if kinds[k] == 0 {
			t.Errorf("no message of kind %s in 1500", k)
		}
	}
}

func TestSetHeader(t *testing.T) {
	check := func(raw, key, value, want string) {
		t.Helper()
		if got := string(SetHeader([]byte(raw), key, value)); got != want {
			t.Errorf("SetHeader(%q, %s): %q, want %q", raw, key, got, want)
		}
	}
	check("A: 1\nDate: x\n y\nB: 2\n\nDate: body\n", "date", "z", "A: 1\ndate: z\nB: 2\n\nDate: body\n")
	check("A: 1\n\nbody", "Message-ID", "<i>", "Message-ID: <i>\nA: 1\n\nbody")
	check("A: 1", "A", "2", "A: 2\n")
}
