package dsn

import (
	"fmt"
	"strings"
	"testing"
)

// rcpt summarises a recipient for compact expectations.
func rcpt(r Recipient) string {
	return fmt.Sprintf("%s|%s|%s|%s", r.Address(), r.Action, r.Status, r.DiagnosticCode)
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name, in string
		mta      string   // Reporting-MTA
		want     []string // rcpt summaries
		err      bool
	}{
		{
			name: "CR line endings",
			in:   "Reporting-MTA: dns; a.example\r\rFinal-Recipient: rfc822; x@example.com\rAction: failed\rStatus: 5.1.1\r",
			mta:  "a.example", want: []string{"x@example.com|failed|5.1.1|"},
		},
		{
			name: "mixed line endings and folding",
			in:   "Reporting-MTA: dns;a.example\r\n\nFinal-Recipient: x@example.com\r\nAction: failed\rStatus: 4.4.1\nDiagnostic-Code: smtp; 421\r\n\tlater\r\n",
			mta:  "a.example", want: []string{"x@example.com|failed|4.4.1|421 later"},
		},
		{
			name: "fields before the address",
			in:   "Arrival-Date: Tue, 3 Mar 2026 10:00:01 +0100\nReporting-MTA: dns; a.example\n\nLast-Attempt-Date: Tue, 3 Mar 2026 10:00:01 +0100\nDiagnostic-Code: smtp; 550-first\n550 5.7.1 second\nStatus: 5.0.0\nAction: failed\nFinal-Recipient: rfc822; x@example.com\n",
			mta:  "a.example", want: []string{"x@example.com|failed|5.0.0|550-first 550 5.7.1 second"},
		},
		{
			name: "two recipients without a blank line",
			in:   "Final-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822; y@example.com\nAction: delayed\nStatus: 4.2.2\n",
			want: []string{"x@example.com|failed|5.1.1|", "y@example.com|delayed|4.2.2|"},
		},
		{
			name: "repeated address is one recipient",
			in:   "Final-Recipient: rfc822; x@example.com\nAction: failed\nFinal-Recipient: rfc822; X@example.com\nStatus: 5.1.1\n",
			want: []string{"x@example.com|failed|5.1.1|"},
		},
		{
			name: "per-message block with a stray recipient field",
			in:   "Reporting-MTA: dns; a.example\nLast-Attempt-Date: Tue, 3 Mar 2026 10:00:01 +0100\n\nFinal-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 5.1.1\n\nReporting-MTA: dns; b.example\n",
			mta:  "a.example", want: []string{"x@example.com|failed|5.1.1|"},
		},
		{
			name: "unknown then known action",
			in:   "Final-Recipient: x@example.com\nAction: deliverable\nAction: Failed (bad address)\nStatus: failed\nDiagnostic-Code: 550 #5.1.0 rejected\n",
			want: []string{"x@example.com|failed|5.1.0|550 #5.1.0 rejected"},
		},
		{
			name: "no code from an IP address",
			in:   "Final-Recipient: x@example.com\nAction: failed\nDiagnostic-Code: host 192.0.2.5.4 said 550 v2.1.1\n",
			want: []string{"x@example.com|failed||host 192.0.2.5.4 said 550 v2.1.1"},
		},
		{
			name: "unknown fields and continuation of them",
			in:   "X-Postfix-Sender: rfc822; me@example.org\n\tmore\nX-mPOP-Fallback_MX-Queue-ID: 1\n\nFinal-Recipient: x@example.com\nX-Display-Name: X\n  Status: 5.5.5\nAction: failed\nStatus: 5.1.1\n",
			want: []string{"x@example.com|failed|5.1.1|"},
		},
		{
			name: "continuation before any field",
			in:   "  \n\tstray\nFinal-Recipient: x@example.com\nAction: failed\n",
			want: []string{"x@example.com|failed||"},
		},
		{name: "empty", in: "", err: true},
		{name: "blank lines only", in: "\r\n \r\n\t\n", err: true},
		{name: "prose", in: "Your message could not be delivered.\nSorry.\n", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := ParseStatus([]byte(tc.in))
			if tc.err {
				if err == nil {
					t.Fatalf("no error, got %+v", st)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.ReportingMTA != tc.mta {
				t.Errorf("Reporting-MTA %q, want %q", st.ReportingMTA, tc.mta)
			}
			var got []string
			for _, r := range st.Recipients {
				got = append(got, rcpt(r))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("recipients\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestParseStatusLimits(t *testing.T) {
	block := "Final-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 5.1.1\n\n"
	check := func(name, in string, wantRcpts int, wantTruncated bool, f func(*Status) string) {
		t.Helper()
		st, err := ParseStatus([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(st.Recipients) != wantRcpts || st.Truncated != wantTruncated {
			t.Errorf("%s: %d recipients, truncated %v; want %d, %v", name, len(st.Recipients), st.Truncated, wantRcpts, wantTruncated)
		}
		if f != nil {
			if msg := f(st); msg != "" {
				t.Errorf("%s: %s", name, msg)
			}
		}
	}
	check("recipients", strings.Repeat(block, MaxRecipients+5), MaxRecipients, true, nil)
	check("exactly the maximum", strings.Repeat(block, MaxRecipients), MaxRecipients, false, nil)
	big := "Final-Recipient: rfc822; x@example.com\nAction: failed\nDiagnostic-Code: " + strings.Repeat("d", 2000) + "\n\n"
	// The block cut off at the limit still counts: it has its address.
	check("input size", strings.Repeat(big, MaxStatusBytes/len(big)+10), MaxStatusBytes/len(big)+1, true, nil)
	long := strings.Repeat("a", MaxFieldBytes+100)
	check("long field", "Final-Recipient: x@example.com\nAction: failed\nDiagnostic-Code: "+long+"\n", 1, true, func(st *Status) string {
		if n := len(st.Recipients[0].DiagnosticCode); n != MaxFieldBytes {
			return fmt.Sprintf("diagnostic of %d bytes", n)
		}
		return ""
	})
	folded := "Final-Recipient: x@example.com\nAction: failed\nDiagnostic-Code: start\n" + strings.Repeat(" "+strings.Repeat("b", 99)+"\n", 200)
	check("long folded field", folded, 1, true, func(st *Status) string {
		if n := len(st.Recipients[0].DiagnosticCode); n > MaxFieldBytes {
			return fmt.Sprintf("diagnostic of %d bytes", n)
		}
		return ""
	})
	many := strings.Repeat("X-Filler: 1\n", MaxFieldsPerBlock) + "Final-Recipient: x@example.com\n\n" + block
	check("fields per block", many, 1, true, nil)
}

func TestFindCode(t *testing.T) {
	for in, want := range map[string]string{
		"5.1.1":                "5.1.1",
		"5.1.1 (user unknown)": "5.1.1",
		"550-5.1.1 no":         "5.1.1",
		"550 #5.1.0 rejected":  "5.1.0",
		"550 5.7.54 relay":     "5.7.54",
		"4.4.7;":               "4.4.7",
		"2.0.0":                "2.0.0",
		"5.1.1.":               "5.1.1",
		"5.1.1.2":              "",
		"192.0.2.1":            "",
		"[2.3.4.5]":            "",
		"v2.1.1":               "",
		"3.1.1":                "",
		"5.1234.1":             "",
		"5.1.":                 "",
		"":                     "",
	} {
		if got := findCode([]byte(in)); got != want {
			t.Errorf("findCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		"rfc822; a@example.com":            "a@example.com",
		"RFC822;<A@Example.com>":           "A@Example.com",
		"<a@example.com>":                  "a@example.com",
		"a@example.com":                    "a@example.com",
		"rfc822; a@example.com (Unknown)":  "a@example.com",
		"rfc822; John Doe <j@example.com>": "j@example.com",
		"rfc/822;s@example.com":            "s@example.com",
		`utf-8; \x{41}b@example.com`:       "Ab@example.com",
		`UTF-8; caf\x{E9}@example.com`:     "café@example.com",
		`utf-8; \x{ZZ}@example.com`:        `\x{ZZ}@example.com`,
		`utf-8; \x{110000}@example.com`:    `\x{110000}@example.com`,
		`utf-8; \x{41`:                     `\x{41`,
		"x-unix; /var/mail/a":              "/var/mail/a",
		"rfc822;":                          "",
		"":                                 "",
	} {
		if got := address([]byte(in)); got != want {
			t.Errorf("address(%q) = %q, want %q", in, got, want)
		}
	}
}
