package bounce

import (
	"strings"
)

// "x3" is an unnamed MTA (Sisimai's name for it) that writes, under the
// subject "Delivery status notification", between lines of "=" signs:
//
//	      This is an automatically generated Delivery Status Notification.
//
//	Delivery to the following recipients failed permanently:
//
//	   * bob@example.org
//
//	                             Technical details:
//
//	SMTP:RCPT host 192.0.2.8: 553 5.3.0 <bob@example.org>... No such user here
//
// ("… was aborted after 5.0 hour(s):" when it gave up), sometimes as the
// first part of a DSN whose Status is its own guess while the
// Diagnostic-Code holds the remote server's reply.

// x3Intro is the fixed first sentence.
const x3Intro = "this is an automatically generated delivery status notification."

// matchX3: the fixed subject, exactly.
func matchX3(in *input) bool {
	return strings.TrimSpace(in.subject) == "delivery status notification"
}

// decodeX3 reads an x3 notification.
func decodeX3(in *input) *Report {
	text := in.text()
	lower := in.lower()
	at := strings.Index(lower, x3Intro)
	if at < 0 || senderEvidence(in) == 0 {
		return nil
	}
	listed := x3Recipients(text[at:], lower[at:])
	if r := reportFromDSN(in); r != nil {
		mergeTextRecipients(r, listed)
		preferDiagnosticCode(r)
		return r
	}
	if len(listed) == 0 {
		return nil
	}
	if strings.Contains(lower, "was aborted after") {
		// It gave up retrying: the message expired, whatever the last
		// attempt met.
		for i := range listed {
			if StatusFromText(listed[i].Diagnostic) == "" {
				listed[i].Status = "5.4.7"
			}
		}
	}
	finishRecipients(listed)
	return &Report{Kind: Bounce, Recipients: listed, Original: textOriginal(in)}
}

// x3Recipients reads the "* address" lines and gives each the technical
// details below them.
func x3Recipients(text, lower string) []Recipient {
	var out []Recipient
	for _, l := range textLines(text) {
		t := strings.TrimSpace(l)
		if a, ok := strings.CutPrefix(t, "* "); ok && isAddressLine(a) && len(out) < maxRecipients {
			out = append(out, Recipient{Address: bareAddress(a), Action: "failed"})
		}
	}
	diag := ""
	if at := strings.Index(lower, "technical details:"); at >= 0 {
		var parts []string
		for _, l := range textLines(text[at+len("technical details:"):]) {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "====") || len(parts) >= 16 {
				break
			}
			if t != "" {
				parts = append(parts, t)
			}
		}
		diag = squeeze(strings.Join(parts, " "))
	}
	for i := range out {
		out[i].Diagnostic = diag
	}
	return out
}
