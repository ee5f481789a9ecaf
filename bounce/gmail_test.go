package bounce

import "testing"

func TestGmail(t *testing.T) {
	for _, s := range []vendorSample{
		{"gmail-2014.eml", "bounce", "gmail", "CAOrig9s8d7f6g5h4j3k2l1@mail.gmail.com", []string{"frank@unknown.example 5.1.1"}},
		// No copy came back: the original is named by In-Reply-To only.
		{"gmail-2020.eml", "bounce", "gmail", "CAB1x2y3z4-Orig@mail.gmail.com", []string{"gina@mailbox.example 5.1.1"}},
	} {
		checkVendorSample(t, s)
	}
	r := inspectFile(t, "testdata/gmail-2020.eml")
	if r.Original.Where != "in-reply-to" {
		t.Errorf("gmail-2020.eml: original from %q, want in-reply-to", r.Original.Where)
	}
}
