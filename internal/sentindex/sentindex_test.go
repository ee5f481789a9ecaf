package sentindex

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEntryFromHeader(t *testing.T) {
	check := func(name, hdr string, want Entry) {
		t.Helper()
		got, err := EntryFromHeader([]byte(hdr))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if got.MessageID != want.MessageID || !got.Date.Equal(want.Date) || got.From != want.From ||
			strings.Join(got.Recipients, ",") != strings.Join(want.Recipients, ",") {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
	jst := time.FixedZone("", 9*3600)
	check("plain LF",
		"Message-ID: <abc.123@Example.ORG>\nDate: Thu, 18 Sep 2008 17:54:04 +0900\nFrom: Neko <Neko@Example.jp>\nTo: a@example.net, \"B, b\" <B@example.net>\nCc: c@example.net\nBcc: d@example.net\n\nbody: x@y.z\n",
		Entry{"abc.123@Example.ORG", time.Date(2008, 9, 18, 17, 54, 4, 0, jst), "neko@example.jp",
			[]string{"a@example.net", "b@example.net", "c@example.net", "d@example.net"}})
	check("CRLF folded encoded",
		"Message-Id:\r\n <x@y>\r\nFrom: =?UTF-8?B?w6l0w6k=?=\r\n <me@home.example>\r\nTo: =?ISO-2022-JP?B?GyRCJDMbKEI=?= <jp@example.jp>,\r\n\tother@example.com\r\nDate: 18 Sep 2008 17:54 +0900 (JST)\r\n\r\n",
		Entry{"x@y", time.Date(2008, 9, 18, 17, 54, 0, 0, jst), "me@home.example",
			[]string{"jp@example.jp", "other@example.com"}})
	check("broken date, mbox line, no brackets",
		"From me@home Thu Sep 18 17:54:04 2008\nMessage-ID: bare@id.example trailing\nDate: yesterday-ish\nTo: undisclosed-recipients:;\n",
		Entry{MessageID: "bare@id.example"})
	check("asctime date",
		"Date: Thu Sep 18 17:54:04 2008\nTo: x@example.org\n",
		Entry{Date: time.Date(2008, 9, 18, 17, 54, 4, 0, time.UTC), Recipients: []string{"x@example.org"}})
	check("unparsable list falls back per piece",
		"To: good@example.org, \"unterminated <bad@example.org>, junk@@, <Angle@Example.org\nCc: Group: g1@example.org, g2@example.org;\n",
		Entry{Recipients: []string{"good@example.org", "bad@example.org", "angle@example.org", "g1@example.org", "g2@example.org"}})

	if _, err := EntryFromHeader([]byte("Subject: hi\n\n")); err == nil {
		t.Errorf("header without the wanted fields: no error")
	}
	if _, err := EntryFromHeader(nil); err == nil {
		t.Errorf("empty header: no error")
	}
	big := "Message-ID: <first@example.org>\n" + strings.Repeat("X-Pad: "+strings.Repeat("a", 100)+"\n", 4000)
	if e, err := EntryFromHeader([]byte(big)); err != nil || e.MessageID != "first@example.org" {
		t.Errorf("oversized header: %+v, %v", e, err)
	}
	many := "To: " + strings.Repeat("a@b.example, ", 20000) + "\n"
	if e, _ := EntryFromHeader([]byte(many)); len(e.Recipients) != maxRecipients {
		t.Errorf("recipients not capped: %d", len(e.Recipients))
	}
}

func TestHasMessageID(t *testing.T) {
	x := New()
	x.Add(Entry{MessageID: "Abc.Def@Mail.Example.ORG"})
	x.Add(Entry{MessageID: " <spaced@example.org> "})
	x.Add(Entry{MessageID: "noat-id"})
	x.Add(Entry{MessageID: "<>"})
	x.Add(Entry{MessageID: "idn@ÜBER.example"})
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"Abc.Def@Mail.Example.ORG", true},
		{"<Abc.Def@mail.example.org>", true},
		{"  <Abc.Def@MAIL.EXAMPLE.ORG>\t", true},
		{"abc.def@mail.example.org", false}, // local part is case-sensitive
		{"spaced@EXAMPLE.org", true},
		{"noat-id", true},
		{"NOAT-ID", false},
		{"idn@über.example", true},
		{"", false},
		{"<>", false},
		{"other@example.org", false},
	} {
		if got := x.HasMessageID(c.id); got != c.want {
			t.Errorf("HasMessageID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
	if x.Len() != 4 {
		t.Errorf("Len = %d, want 4", x.Len())
	}
	x.Add(Entry{MessageID: "<abc.def@MAIL.example.org>"})
	x.Add(Entry{MessageID: "Abc.Def@mail.example.org"})
	if x.Len() != 5 {
		t.Errorf("Len after duplicate = %d, want 5", x.Len())
	}
}

func TestCoverageAndRecipients(t *testing.T) {
	x := New()
	if _, _, ok := x.Coverage(); ok {
		t.Errorf("empty index has coverage")
	}
	d := func(day int) time.Time { return time.Date(2020, 1, day, 12, 0, 0, 0, time.UTC) }
	x.Add(Entry{MessageID: "1@a", Date: d(10), From: "Me@Home.example", Recipients: []string{"Bob@Example.org"}})
	x.Add(Entry{MessageID: "2@b.EXAMPLE", Date: d(3), From: "me@home.example", Recipients: []string{"bob@example.org", "carol@example.org"}})
	x.Add(Entry{MessageID: "3@a", Date: d(20), From: "alias@home.example", Recipients: []string{"bob@example.org"}})
	x.Add(Entry{MessageID: "4@a", Recipients: []string{"dave@example.org"}})                        // undated
	x.Add(Entry{MessageID: "5@a", Date: time.Unix(0, 0), Recipients: []string{"erin@example.org"}}) // epoch: broken clock
	first, last, ok := x.Coverage()
	if !ok || !first.Equal(d(3)) || !last.Equal(d(20)) {
		t.Errorf("Coverage = %v %v %v", first, last, ok)
	}
	if lt, ok := x.LastWroteTo("<BOB@example.org>"); !ok || !lt.Equal(d(20)) {
		t.Errorf("LastWroteTo(bob) = %v %v", lt, ok)
	}
	if lt, ok := x.LastWroteTo("dave@example.org"); !ok || !lt.IsZero() {
		t.Errorf("LastWroteTo(dave) = %v %v", lt, ok)
	}
	if _, ok := x.LastWroteTo("nobody@example.org"); ok {
		t.Errorf("LastWroteTo(nobody) ok")
	}
	day := 24 * time.Hour
	for _, c := range []struct {
		addr   string
		around time.Time
		window time.Duration
		want   bool
	}{
		{"bob@example.org", d(11), day, true},
		{"bob@example.org", d(15), day, false},
		{"bob@example.org", d(15), 5 * day, true},
		{"bob@example.org", d(1), 2 * day, true},
		{"bob@example.org", d(30), 0, true},
		{"carol@example.org", d(10), day, false},
		{"Carol@Example.org", d(4), day, true},
		{"dave@example.org", d(30), day, true},
		{"erin@example.org", d(30), day, true},
		{"nobody@example.org", d(10), 0, false},
	} {
		if got := x.WroteTo(c.addr, c.around, c.window); got != c.want {
			t.Errorf("WroteTo(%s, %v, %v) = %v", c.addr, c.around, c.window, got)
		}
	}
	if got := fmt.Sprint(x.MessageIDDomains()); got != "map[a:4 b.example:1]" {
		t.Errorf("MessageIDDomains = %s", got)
	}
	if got := fmt.Sprint(x.OwnAddresses()); got != "map[alias@home.example:1 me@home.example:2]" {
		t.Errorf("OwnAddresses = %s", got)
	}
}

func TestRecipientOrder(t *testing.T) {
	r := &recipient{}
	for _, v := range []int64{5, 1, 9, 3, 3, 7, 0} {
		r.insert(v)
	}
	if got := fmt.Sprint(r.times); got != "[0 1 3 3 5 7 9]" {
		t.Errorf("times = %s", got)
	}
}

func TestConcurrent(t *testing.T) {
	x := New()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				id := fmt.Sprintf("%d.%d@example.org", w, i)
				x.Add(Entry{MessageID: id, Date: time.Now(), Recipients: []string{"r@example.org"}})
				x.HasMessageID(id)
				x.WroteTo("r@example.org", time.Now(), time.Hour)
				x.Coverage()
			}
		}()
	}
	wg.Wait()
	if x.Len() != 2000 {
		t.Errorf("Len = %d", x.Len())
	}
}

func FuzzEntryFromHeader(f *testing.F) {
	f.Add([]byte("Message-ID: <a@b>\r\nTo: x@y, \"q,\" <z@w>\r\nDate: Thu, 18 Sep 2008 17:54:04 +0900\r\n\r\n"))
	f.Add([]byte("To: =?utf-8?q?=ff?= <a@b>,,,<\n\t>\"\\"))
	f.Add([]byte(":\n \n:::\nFrom: <<<>>>@@"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := EntryFromHeader(b)
		if err != nil {
			return
		}
		x := New()
		x.Add(e)
		if normalizeID(e.MessageID) != "" && !x.HasMessageID(e.MessageID) {
			t.Errorf("added id %q not found", e.MessageID)
		}
	})
}

func ExampleIndex() {
	x := New()
	e, _ := EntryFromHeader([]byte("Message-ID: <1234@mail.example.org>\nDate: Mon, 2 Mar 2020 10:00:00 +0000\nFrom: me@example.org\nTo: friend@example.net\n\n"))
	x.Add(e)
	fmt.Println(x.HasMessageID("<1234@MAIL.EXAMPLE.ORG>"))
	fmt.Println(x.HasMessageID("<forged@mail.example.org>"))
	fmt.Println(x.WroteTo("Friend@example.net", time.Date(2020, 3, 3, 0, 0, 0, 0, time.UTC), 7*24*time.Hour))
	// Output:
	// true
	// false
	// true
}
