package bounce

import (
	"strings"
	"testing"
)

// FuzzContainsFold: containsFold and hasPrefixFold agree with searching a
// lower-cased copy, for the ASCII needles the decoders use.
func FuzzContainsFold(f *testing.F) {
	f.Add("Received: from x with Internet Mail Service (5.5)", "with internet mail service")
	f.Add("MAILER-DAEMON", "mailer-daemon")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, s, sub string) {
		sub = lowerASCII(sub)
		for i := 0; i < len(sub); i++ {
			if sub[i] >= 0x80 {
				return // needles are ASCII
			}
		}
		if got, want := containsFold(s, sub), strings.Contains(lowerASCII(s), sub); got != want {
			t.Fatalf("containsFold(%q, %q) = %v, want %v", s, sub, got, want)
		}
		if got, want := hasPrefixFold(s, sub), strings.HasPrefix(lowerASCII(s), sub); got != want {
			t.Fatalf("hasPrefixFold(%q, %q) = %v, want %v", s, sub, got, want)
		}
	})
}
