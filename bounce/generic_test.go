package bounce

import (
	"path/filepath"
	"slices"
	"testing"
)

// vendorSample is what a testdata file must decode to.
type vendorSample struct {
	file, kind, format, originalID string
	recipients                     []string // "address status"
}

// checkVendorSample decodes testdata/s.file and compares it with s.
func checkVendorSample(t *testing.T, s vendorSample) {
	t.Helper()
	r := inspectFile(t, filepath.Join("testdata", s.file))
	if string(r.Kind) != s.kind || r.Format != s.format {
		t.Errorf("%s: kind %s format %q, want %s %q", s.file, r.Kind, r.Format, s.kind, s.format)
	}
	if r.Original.MessageID != s.originalID {
		t.Errorf("%s: original Message-ID %q (%s), want %q", s.file, r.Original.MessageID, r.Original.Where, s.originalID)
	}
	var got []string
	for _, rc := range r.Recipients {
		got = append(got, rc.Address+" "+rc.Status)
	}
	if !slices.Equal(got, s.recipients) {
		t.Errorf("%s: recipients %q, want %q", s.file, got, s.recipients)
	}
}

func TestGeneric(t *testing.T) {
	for _, s := range []vendorSample{
		{"generic-german.eml", "bounce", "generic", "angebot-77@example.com", []string{"ida@firma.example 5.1.1"}},
		{"generic-daemon-empty-from.eml", "bounce", "generic", "m-0313@example.com", []string{"jack@nowhere.example 5.1.2"}},
		// A person quoting a bounce, and a shop's notice about a parcel,
		// are not bounces.
		{"generic-human-quote.eml", "none", "", "", nil},
		{"generic-parcel-notice.eml", "none", "", "", nil},
	} {
		checkVendorSample(t, s)
	}
}

func TestStatusFromWords(t *testing.T) {
	check := func(diag string, delayed bool, want string) {
		t.Helper()
		if got := statusFromWords(diag, delayed); got != want {
			t.Errorf("statusFromWords(%q, %v) = %q, want %q", diag, delayed, got, want)
		}
	}
	check("The recipient name is not recognized", false, "5.1.1")
	check("Mailbox Full", false, "5.2.2")
	check("mailbox is full", true, "4.2.2")
	check("No mx record found for domain=example.org", false, "5.1.2")
	check("Remote server does not support TLS", false, "")
	check("", false, "")
}

func TestHasReplyCode(t *testing.T) {
	for s, want := range map[string]bool{
		"Remote host said: 550 5.1.1 user unknown": true,
		"550-5.7.1 blocked":                        true,
		"#550 5.1.1 RESOLVER":                      true,
		"order 450 000 units":                      false,
		"version 1.550.2":                          false,
		"call 5550 now":                            false,
		"no code here":                             false,
	} {
		if got := hasReplyCode(s); got != want {
			t.Errorf("hasReplyCode(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzTextReaders feeds the plain-text readers arbitrary text: they index
// lower-cased copies of it and must never slice out of range.
func FuzzTextReaders(f *testing.F) {
	f.Add("Diagnostic information for administrators:\na@b.example\n#550 5.1.1 x ##\n")
	f.Add("did not reach the following recipient(s):\n\na@b.example on Mon\n  unknown\n")
	f.Add("Delivery to the following recipient failed permanently:\n\n  a@b.example\n\nThe response from the remote server was:\n550 5.1.1 x\n")
	f.Add("\xc4\xb0Delivery has failed to these recipients or groups:\nN<mailto:a@b.example>\n")
	f.Fuzz(func(t *testing.T, s string) {
		adminBlockRecipients(s)
		exchange2003Recipients(s)
		failedListRecipients(s)
		lower := lowerASCII(s)
		if len(lower) != len(s) {
			t.Fatalf("foldCase changed the length of %q", s)
		}
		gmailListed(s, lower)
		gmailDiagnostic(s, lower)
		if i := originalStart(lower); i > len(s) {
			t.Fatalf("originalStart %d past the end", i)
		}
	})
}

func FuzzStatusFromWords(f *testing.F) {
	f.Add("mailbox full", true)
	f.Add("550 5.1.1 user unknown", false)
	f.Fuzz(func(t *testing.T, s string, delayed bool) {
		if got := statusFromWords(s, delayed); got != "" && len(got) < 5 {
			t.Fatalf("statusFromWords(%q) = %q", s, got)
		}
		if hasReplyCode(s) && len(s) < 4 {
			t.Fatalf("hasReplyCode(%q) = true", s)
		}
		if len(squeeze(s)) > maxDiagLen {
			t.Fatalf("squeeze(%q) longer than %d", s, maxDiagLen)
		}
	})
}
