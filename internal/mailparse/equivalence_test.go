package mailparse

import (
	"bytes"
	"mime"
	"reflect"
	"strings"
	"testing"
)

// refParseHeader is ParseHeader as it was before fields shared one string:
// the optimised parser must give exactly its answers.
func refParseHeader(b []byte, maxBytes int) (h Header, body []byte, ok bool) {
	ok = true
	rest := b
	for len(rest) > 0 {
		if len(b)-len(rest) > maxBytes {
			ok = false
			if i := bytes.Index(rest, []byte("\n\n")); i >= 0 {
				return h, rest[i+2:], false
			}
			if i := bytes.Index(rest, []byte("\n\r\n")); i >= 0 {
				return h, rest[i+3:], false
			}
			return h, nil, false
		}
		line, next := cutLine(rest)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return h, next, ok
		}
		if line[0] == ' ' || line[0] == '\t' {
			ok = false
			rest = next
			continue
		}
		end := next
		for len(end) > 0 && (end[0] == ' ' || end[0] == '\t') {
			_, end = cutLine(end)
		}
		raw := rest[:len(rest)-len(end)]
		rest = end
		colon := bytes.IndexByte(raw, ':')
		if colon <= 0 || !validKey(raw[:colon]) {
			switch {
			case len(h) == 0 && bytes.HasPrefix(raw, []byte("From ")):
			case len(h) > 0:
				h[len(h)-1].Value += " " + refUnfold(raw)
				ok = false
			default:
				ok = false
			}
			continue
		}
		key := string(bytes.TrimRight(raw[:colon], " \t"))
		h = append(h, Field{Key: key, Value: refUnfold(raw[colon+1:])})
	}
	return h, nil, ok
}

func refUnfold(v []byte) string {
	var sb strings.Builder
	for _, c := range bytes.TrimSpace(v) {
		if c != '\r' && c != '\n' {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

func refGet(h Header, key string) string {
	for _, f := range h {
		if strings.EqualFold(f.Key, key) {
			return f.Value
		}
	}
	return ""
}

var equivalenceKeys = []string{"Subject", "message-id", "TO", "x", "k", "s", "Content-Type", "\u212a", "\u017fubject"}

func checkSameHeader(t *testing.T, b []byte, maxBytes int) {
	t.Helper()
	h, body, ok := ParseHeader(b, maxBytes)
	rh, rbody, rok := refParseHeader(b, maxBytes)
	if !reflect.DeepEqual(h, rh) || !bytes.Equal(body, rbody) || (body == nil) != (rbody == nil) || ok != rok {
		t.Fatalf("ParseHeader(%q, %d):\n got %q %q %v\nwant %q %q %v", b, maxBytes, h, body, ok, rh, rbody, rok)
	}
	for _, k := range equivalenceKeys {
		if got, want := h.Get(k), refGet(h, k); got != want {
			t.Fatalf("Get(%q) = %q, want %q", k, got, want)
		}
	}
	if bh, bok := ParseHeaderBlock(b, maxBytes); !reflect.DeepEqual(bh, h) || bok != ok {
		t.Fatalf("ParseHeaderBlock(%q, %d) = %q %v, ParseHeader gives %q %v", b, maxBytes, bh, bok, h, ok)
	}
}

func TestParseHeaderSameAsBefore(t *testing.T) {
	for _, in := range []string{
		"", "\n", "\r\n\r\nbody", "A: 1\nB:2\r\n\r\nbody",
		"From x@y Mon\nSubject:  folded\n  more \r\n\tand more\nbroken line\nContent-Type: a;\nboundary=b\n\nbody",
		" lead\nX: y\n\n", "X: y", "Bad Key: v\nY: z\n\n", "A:\n\n", "A: \u00a0v\u00a0\n\n",
		"K: kelvin\n\u212a: weird\n\n", strings.Repeat("X-Long: "+strings.Repeat("a", 50)+"\n", 10) + "\nbody",
	} {
		for _, max := range []int{0, 5, 30, 1 << 20} {
			checkSameHeader(t, []byte(in), max)
		}
	}
}

func FuzzParseHeaderSame(f *testing.F) {
	f.Add([]byte("A: 1\r\n b\nFrom: x\n\nbody"), 10)
	f.Add([]byte("From mbox\nX:y\nno colon\n\r\nrest"), 1000)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max < 0 {
			max = -max
		}
		checkSameHeader(t, b, max)
	})
}

func checkSameAddresses(t *testing.T, v string) {
	t.Helper()
	for _, max := range []int{1, 2, MaxAddresses} {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if got, want := addressList(v, max), parsedList(v, max); !reflect.DeepEqual(got, want) {
			t.Fatalf("addressList(%q, %d) = %q, net/mail path gives %q", v, max, got, want)
		}
	}
	want := ""
	if as := parsedList(v, 1); len(as) > 0 {
		want = as[0]
	}
	if got := Address(v); got != want {
		t.Fatalf("Address(%q) = %q, net/mail path gives %q", v, got, want)
	}
}

func TestSimpleListSameAsNetMail(t *testing.T) {
	for _, v := range []string{
		"a@b", "A.B@Example.COM", "<x@y.z>", "Bob Smith <Bob@Example.org>", "Bob<b@x>", "a@b, c@d,e@f",
		"a@b,", ",a@b", "a@b,,c@d", "a..b@c", ".a@b", "a@b.", "a@-b", "a@b-", "a+tag@x_y.z", "a@b <c@d>",
		"Bob - Smith <a@b>", " \t<a@b>\t", "Bob\vSmith <a@b>", "<a@b", "a@b>", "<>", "@b", "a@", "1@2",
		"Ann O'Neil <a@b>", "\"Smith, J\" <j@x>", "\"J. O'Neil\" <J@X.org>", "\"\" <a@b>", "\"a\"\"b\" <a@b>",
		" \"Bob\"  <b@x>", "\"Bob\\\"\" <b@x>", "\"=?utf-8?q?J=C3=B6rg?=\" <j@x>", "x_y@a.b", "a@b_c.d", "undisclosed-recipients:;",
	} {
		checkSameAddresses(t, v)
	}
}

func FuzzSimpleListSame(f *testing.F) {
	f.Add("Bob Smith <Bob@Example.org>, c@d")
	f.Add("a.b-c+d_e@x-y.z")
	f.Fuzz(func(t *testing.T, v string) {
		checkSameAddresses(t, v)
	})
}

func checkSameMediaType(t *testing.T, v string) {
	t.Helper()
	mt, params, ok := simpleMediaType(v)
	if !ok {
		return
	}
	wantType, wantParams, err := mime.ParseMediaType(v)
	if err != nil {
		t.Fatalf("simpleMediaType(%q) = %q %q, but mime says %v", v, mt, params, err)
	}
	if mt != wantType || !reflect.DeepEqual(params, wantParams) {
		t.Fatalf("simpleMediaType(%q) = %q %q, mime says %q %q", v, mt, params, wantType, wantParams)
	}
}

func TestSimpleMediaTypeSameAsMime(t *testing.T) {
	for _, v := range []string{
		"text/plain", "Text/HTML; Charset=UTF-8", `multipart/mixed; boundary="=_a b/c"`, "text/plain;",
		"text/plain; ", "text/plain;;", "text/plain; a=1; A=2", "text/plain; name*=utf-8''x", `a/b; c="d\"e"`,
		"a/b c=d", " a/b ;c=d ", "a/b;c=", `a/b;c=""`, "a/", "/b", "a/b/c", "a/b; c=d e", "multipart/report; report-type=delivery-status;\tboundary=x",
	} {
		checkSameMediaType(t, v)
	}
	if _, _, ok := simpleMediaType(`multipart/alternative; boundary="b1"; charset=us-ascii`); !ok {
		t.Error("simpleMediaType refuses a common Content-Type")
	}
}

func FuzzSimpleMediaTypeSame(f *testing.F) {
	f.Add(`multipart/mixed; boundary="=_x"; charset=utf-8`)
	f.Add("text/plain;format=flowed")
	f.Fuzz(func(t *testing.T, v string) {
		checkSameMediaType(t, v)
	})
}

func FuzzContentTypeParamSame(f *testing.F) {
	f.Add(`multipart/mixed; boundary="=_x"; charset=utf-8`, "boundary")
	f.Add(`multipart/report; report-type=delivery-status; boundary=b; a=1; b=2; c=3; d=4; e=5; f=6`, "report-type")
	f.Add("text/plain; a=1; A=2", "a")
	f.Fuzz(func(t *testing.T, v, name string) {
		h := Header{{Key: "Content-Type", Value: v}}
		mt, params := h.ContentType()
		if gotType, got := h.ContentTypeParam(name); gotType != mt || got != params[name] {
			t.Fatalf("ContentTypeParam(%q) of %q = %q %q, ContentType gives %q %q", name, v, gotType, got, mt, params[name])
		}
	})
}
