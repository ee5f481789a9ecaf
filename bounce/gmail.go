package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Gmail's mail system has written three kinds of bounce:
//   - until about 2016, plain text: "Delivery to the following recipient
//     failed permanently:" (or "has been delayed:"), the indented address,
//     "Technical details of permanent failure:" with the remote server's
//     reply, then "----- Original message -----" and the original;
//   - since, "** Address not found **" style headings, "Your message wasn't
//     delivered to a@b.c because …", "The response from the remote server
//     was:", often as a standard DSN with text/rfc822-headers, sometimes
//     with no copy at all but In-Reply-To naming the original;
//   - Google Groups' notices, in the group's language, with only
//     X-Failed-Recipients to say who failed.
// All come from mailer-daemon@googlemail.com or @google.com.

// matchGmail: Google's mailer-daemon, by address.
func matchGmail(in *input) bool {
	local, dom, _ := strings.Cut(in.from, "@")
	if local != "mailer-daemon" {
		return false
	}
	return dom == "googlemail.com" || dom == "google.com" || dom == "gmail.com"
}

// gmailListMarkers introduce the indented list of recipients.
var gmailListMarkers = []string{
	"delivery to the following recipient", "delivery to these recipients or groups",
}

// gmailDiagMarkers introduce the remote server's words, newest wording first.
var gmailDiagMarkers = []string{
	"the response from the remote server was:", "the error that the other server returned was:",
	"technical details of permanent failure:", "technical details of temporary failure:",
	"the response was:",
}

// gmailNamedMarkers are the sentences of the newer format that name the
// recipient in passing.
var gmailNamedMarkers = []string{
	"wasn't delivered to", "was not delivered to", "couldn't be delivered to", "hasn't been delivered to",
	"has not been delivered to", "there was a problem delivering your message to",
}

// decodeGmail reads any of Gmail's bounces.
func decodeGmail(in *input) *Report {
	if r := reportFromDSN(in); r != nil {
		return r
	}
	text := in.text()
	lower := in.lower()
	region, regionLower := text, lower
	if end := originalStart(lower); end >= 0 {
		region, regionLower = text[:end], lower[:end]
	}
	action := "failed"
	if hasAny(regionLower, "has been delayed", "delivery incomplete", "will retry", "will be retried", "warning message only") {
		action = "delayed"
	}
	addrs := gmailListed(region, regionLower)
	if len(addrs) == 0 {
		for _, mk := range gmailNamedMarkers {
			if i := strings.Index(regionLower, mk); i >= 0 {
				end := min(len(region), i+len(mk)+330)
				addrs = mailparse.FindAddresses(region[i+len(mk):end], 1)
				break
			}
		}
	}
	if len(addrs) == 0 {
		addrs = mailparse.FindAddresses(in.header("X-Failed-Recipients"), maxGenericRecipients)
	}
	if len(addrs) == 0 {
		return nil
	}
	diag := gmailDiagnostic(region, regionLower)
	r := &Report{Kind: Bounce}
	for _, a := range addrs {
		r.Recipients = append(r.Recipients, Recipient{Address: a, Action: action, Diagnostic: diag})
	}
	finishRecipients(r.Recipients)
	r.Original, _ = bounceOriginal(in)
	return r
}

// gmailListed reads the indented addresses under "Delivery to the
// following recipient(s) …:", up to the first line that is not one.
func gmailListed(region, regionLower string) []string {
	start := firstMarker(regionLower, gmailListMarkers)
	if start < 0 {
		return nil
	}
	var out []string
	for _, l := range textLines(region[start:])[1:] {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if t == "" {
			if len(out) > 0 {
				break
			}
			continue
		}
		if !isAddressLine(t) || len(out) >= maxGenericRecipients {
			break
		}
		out = append(out, mailparse.FindAddresses(t, 1)[0])
	}
	return out
}

// gmailDiagnostic is the text after the first diagnostic marker, up to the
// copy of the original or a bounded length.
func gmailDiagnostic(region, regionLower string) string {
	for _, mk := range gmailDiagMarkers {
		if i := strings.Index(regionLower, mk); i >= 0 {
			rest := region[i+len(mk):]
			if j := strings.Index(rest, "\n\n\n"); j >= 0 {
				rest = rest[:j]
			}
			return squeeze(rest)
		}
	}
	return ""
}
