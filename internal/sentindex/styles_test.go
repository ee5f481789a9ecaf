package sentindex

import "testing"

func TestStyles(t *testing.T) {
	x := New()
	for _, id := range []string{
		"<8c4b1f0e-3a2d-4e5f-9a8b-0c1d2e3f4a5b@example.com>",
		"8C4B1F0E-3A2D@Laptop.Example.COM",
		"CAK7q3xP9mQZ8rT2wY=w@mail.gmail.com",
		"no-domain",
		"20260101.GA1234@host", // a host without a domain
	} {
		x.Add(Entry{MessageID: id})
	}
	styles, total := x.Styles()
	if total != 4 || len(styles) != 3 {
		t.Fatalf("got %d styles from %d ids: %+v", len(styles), total, styles)
	}
	s := styles[0]
	if s.Domain != "example.com" || s.Example != "example.com" || s.Count != 2 || s.MinLen != 13 || s.MaxLen != 36 ||
		s.Classes != Digits|Lower|Upper|Dash {
		t.Errorf("example.com style: %+v (%s)", s, s.Classes)
	}
	if styles[1].Domain != "gmail.com" || styles[1].Classes.String() != "digits+lower+upper+other punctuation" {
		t.Errorf("gmail style: %+v (%s)", styles[1], styles[1].Classes)
	}
}

func TestBaseDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.com": "example.com",
		"am6pr04mb5432.eurprd04.prod.outlook.com": "outlook.com",
		"mail.example.co.uk":                      "example.co.uk",
		"example.co.uk":                           "example.co.uk",
		"a.b.c.de":                                "c.de",
		"mail.web.de":                             "web.de",
		"mx.example.com.au":                       "example.com.au",
		"localhost":                               "localhost",
		"":                                        "",
	} {
		if got := BaseDomain(in); got != want {
			t.Errorf("BaseDomain(%q) = %q, want %q", in, got, want)
		}
	}
}
