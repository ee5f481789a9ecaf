package mailparse

import (
	"strings"
	"testing"
)

func TestParseNested(t *testing.T) {
	raw := "From: MAILER-DAEMON@example.net\r\n" +
		"Subject: Undelivered\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nIt failed.\r\n" +
		"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"--b1\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <orig@example.com>\r\nSubject: =?UTF-8?B?SMOpbGxv?=\r\n\r\nhi\r\n" +
		"--b1--\r\n"
	m := Parse([]byte(raw))
	if len(m.Parts) != 4 {
		t.Fatalf("got %d parts, want 4: %v", len(m.Parts), m.Problems)
	}
	check := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	check(m.Parts[0].MediaType, "multipart/report")
	check(m.Parts[0].Params["report-type"], "delivery-status")
	check(m.Parts[2].MediaType, "message/delivery-status")
	check(strings.TrimSpace(m.Text(100)), "It failed.")
	att := m.Attached()
	if len(att) != 1 || att[0].Embedded == nil {
		t.Fatalf("no embedded message")
	}
	check(MessageID(att[0].Embedded.Header.Get("Message-Id")), "orig@example.com")
	check(DecodeWords(att[0].Embedded.Header.Get("Subject")), "Héllo")
}

func TestLenientHeader(t *testing.T) {
	h, body, ok := ParseHeader([]byte("From ab@c Mon\nX-A: 1\n\tcontinued\nno colon here\nSubject:  s \n\nbody"), 1000)
	if ok {
		t.Error("a line without a colon should make ok false")
	}
	if got := h.Get("x-a"); got != "1\tcontinued no colon here" {
		t.Errorf("folded: %q", got)
	}
	if h.Get("subject") != "s" || string(body) != "body" {
		t.Errorf("subject %q body %q", h.Get("subject"), body)
	}
}

func TestNormalizeNewlines(t *testing.T) {
	for in, want := range map[string]string{
		"a\r\nb":    "a\r\nb",
		"a\rb\r":    "a\nb\n",
		"a\r\nb\rc": "a\r\nb\nc",
		"":          "",
	} {
		if got := string(NormalizeNewlines([]byte(in))); got != want {
			t.Errorf("NormalizeNewlines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessageIDs(t *testing.T) {
	for in, want := range map[string]string{
		"<a@b>":              "a@b",
		" (comment) <a@b.c>": "a@b.c",
		"a@b.c":              "a@b.c",
		"<a@b":               "a@b",
		"<>":                 "",
		"<a b@c> <d@e>":      "d@e",
	} {
		if got := MessageID(in); got != want {
			t.Errorf("MessageID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimits(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("Content-Type: multipart/mixed; boundary=x\n\n")
	for range 1000 {
		sb.WriteString("--x\nContent-Type: text/plain\n\nhello\n")
	}
	m := Parse([]byte(sb.String()))
	if len(m.Parts) > DefaultLimits.MaxParts || !m.Truncated {
		t.Errorf("parts %d truncated %v", len(m.Parts), m.Truncated)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Subject: x\n\nbody"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822\n\nA: b\n\n--x--"))
	f.Add([]byte("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n=E9=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := Parse(b)
		_ = m.Text(1 << 10)
		for _, p := range m.Parts {
			_ = p.Filename()
		}
	})
}

func TestMalformedPartHeader(t *testing.T) {
	raw := "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: message/delivery-status\nX-Info:\nabc==\n\nFinal-Recipient: rfc822; x@example.com\n--b--\n"
	m := Parse([]byte(raw))
	if p := m.Find("message/delivery-status"); p == nil || !strings.Contains(string(p.Body), "Final-Recipient") {
		t.Fatalf("delivery-status part lost: %d parts, problems %v", len(m.Parts), m.Problems)
	}
}

func TestSplitMultipart(t *testing.T) {
	for _, tc := range []struct {
		body   string
		parts  []string
		closed bool
	}{
		{"pre\r\n--x\r\nA\r\n--x\r\nB\r\n--x--\r\nepi", []string{"A", "B"}, true},
		{"--x\nA\n--xyz\n--x\nB", []string{"A\n--xyz", "B"}, false},
		{"  --x\nA\n  --x--\n", []string{"A"}, true},
		{"no boundary here", nil, false},
		{"--x", nil, false},
	} {
		got, closed := splitMultipart([]byte(tc.body), "x")
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if strings.Join(gs, "|") != strings.Join(tc.parts, "|") || closed != tc.closed {
			t.Errorf("splitMultipart(%q) = %q, %v; want %q, %v", tc.body, gs, closed, tc.parts, tc.closed)
		}
	}
}

func TestSloppyContentType(t *testing.T) {
	for _, tc := range []struct{ header, mt, param, value string }{
		{"Content-Type: text/plain\n\tcharset=iso-2022-jp\n", "text/plain", "charset", "iso-2022-jp"},
		{"Content-Type: multipart/mixed;\nboundary=\"b1\"\n", "multipart/mixed", "boundary", "b1"},
		{"Content-Type: multipart/report; boundary=b; b=c d\n", "multipart/report", "boundary", "b"},
	} {
		h, _, _ := ParseHeader([]byte(tc.header+"\n"), 1000)
		mt, params := h.ContentType()
		if mt != tc.mt || params[tc.param] != tc.value {
			t.Errorf("%q: got %q %v, want %q %s=%q", tc.header, mt, params, tc.mt, tc.param, tc.value)
		}
	}
}
