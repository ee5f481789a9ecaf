package bounce

import (
	"strings"
)

// Mimecast's gateway writes, under "[Postmaster] Email Delivery Failure"
// and from a postmaster address, either plain text or a DSN whose first
// part says the same:
//
//	An email that you attempted to send to the following address could not
//	be delivered:
//
//	-- bob@example.org
//
//	The problem appears to be :
//	-- Recipient email address is possibly incorrect
//
//	Additional information follows :
//	-- 5.4.1 Recipient address rejected: Access denied.
//
// ("This is a delivery failure notification message indicating that an
// email you addressed to email address : -- bob@example.org could not be
// delivered."). One notice is sent for each failed recipient.

// matchMimecast: Mimecast's own header fields, or its subject.
func matchMimecast(in *input) bool {
	if forwardedByPerson(in) {
		return false
	}
	return in.header("X-Mimecast-Originator") != "" || in.header("X-MC-System") != "" ||
		in.subjectHas("email delivery failure")
}

// mimecastMarkers introduce the failed address, the problem and the remote
// server's words, each on the "-- " line after them.
var mimecastMarkers = []string{
	"the following address could not be delivered", "addressed to email address",
	"the problem appears to be", "additional information follows",
}

// decodeMimecast reads a Mimecast bounce.
func decodeMimecast(in *input) *Report {
	if senderEvidence(in) == 0 {
		return nil
	}
	text := in.text()
	lower := in.lower()
	var addr, problem, info string
	for i, mk := range mimecastMarkers {
		at := strings.Index(lower, mk)
		if at < 0 {
			continue
		}
		v := mimecastItem(text[at+len(mk):])
		switch i {
		case 0, 1:
			if addr == "" {
				addr = bareAddress(v)
			}
		case 2:
			problem = v
		case 3:
			info = v
		}
	}
	diag := info
	if problem != "" && info != "" {
		diag = problem + "; " + info
	} else if info == "" {
		diag = problem
	}
	if r := reportFromDSN(in); r != nil {
		mergeTextRecipients(r, []Recipient{{Address: addr, Diagnostic: diag}})
		return r
	}
	if !mailboxAddress(addr) {
		return nil
	}
	r := &Report{Kind: Bounce, Recipients: []Recipient{{Address: addr, Action: "failed", Diagnostic: diag}}}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// mimecastItem is the value on the first "-- " line of text, with its
// continuation lines, within a few lines of the marker.
func mimecastItem(text string) string {
	lines := textLines(text)
	for i := 0; i < len(lines) && i < 5; i++ {
		t := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(t, "-- ") {
			continue
		}
		parts := []string{strings.TrimSpace(t[3:])}
		for j := i + 1; j < len(lines) && j < i+4; j++ {
			c := strings.TrimSpace(lines[j])
			if c == "" || strings.HasPrefix(c, "-- ") {
				break
			}
			parts = append(parts, c)
		}
		return squeeze(strings.Join(parts, " "))
	}
	return ""
}
