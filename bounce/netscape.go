package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Netscape Messaging Server (3.x and 4.x; iPlanet and Sun ONE Messaging
// Server 5 and later write PMDF-style reports, see messagingserver.go)
// sends, from "Mail Administrator <Postmaster@…>" under the subject "Mail
// System Error - Returned Mail", a text that states a reason in English
// sentences and then the addresses:
//
//	This Message was undeliverable due to the following reason:
//
//	The user(s) account is temporarily over quota.
//
//	<bob@example.org>
//
//	Please reply to <Postmaster@example.net>
//	if you feel this message to be in error.
//
// or, when the remote server refused, each address with its dialogue:
//
//	Each of the following recipients was rejected by a remote mail server.
//	The reasons given by the server are included to help you determine why
//	each recipient was rejected.
//
//	    Recipient: <bob@example.org>
//	    Reason:    5.1.1 <bob@example.org>... User unknown
//
// ("Recipient:" then ">>> RCPT TO:…" and "<<< 550 …" in later versions).
// Other reasons: "The following destination addresses were unknown",
// "Your message was not delivered because the destination computer was
// not found", "… was not reachable within the allowed queue period",
// "The following recipients did not receive this message:". KDDI's EZweb
// ran the same software (ezweb.go).

// nmsIntro starts the report; nmsEnd starts its closing advice.
const (
	nmsIntro = "this message was undeliverable due to the following reason:"
	nmsEnd   = "please reply to "
)

// nmsStatuses map Netscape's fixed reason sentences, lower case, to the
// status (RFC 3463) they state.
var nmsStatuses = []struct{ words, status string }{
	{"destination addresses were unknown", "5.1.1"},
	{"account is disabled", "5.2.1"},
	{"over quota", "5.2.2"},
	{"destination computer was not found", "5.1.2"},
	{"not reachable within the allowed queue period", "5.4.7"},
	{"was not delivered within", "5.4.7"},
}

// matchNetscape: Netscape's subject from a mail system.
func matchNetscape(in *input) bool {
	return in.subject == "mail system error - returned mail" && in.fromDaemon()
}

// decodeNetscape reads the reason and the addresses.
func decodeNetscape(in *input) *Report {
	text := in.text()
	lower := in.lower()
	at := strings.Index(lower, nmsIntro)
	if at < 0 {
		return nil
	}
	rs := nmsRecipients(text[at+len(nmsIntro):])
	if len(rs) == 0 {
		return nil
	}
	r := &Report{Kind: Bounce, Recipients: rs}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// nmsRecipients reads a Netscape-style report: "Recipient: <addr>" with
// its dialogue, "<addr>" alone or "<addr>: reason", and the reason
// sentences before them, which stand for every address without one of
// its own. It stops at the closing advice or the copy of the original.
func nmsRecipients(text string) []Recipient {
	if end := originalStart(lowerASCII(text)); end >= 0 {
		text = text[:end]
	}
	var out []Recipient
	var general []string
	own := false // the last recipient has reasons of its own
	for _, l := range textLines(text) {
		if len(out) >= maxRecipients {
			break
		}
		t := strings.TrimSpace(l)
		low := lowerASCII(t)
		switch {
		case t == "" || strings.HasPrefix(t, "---"):
			continue
		case strings.HasPrefix(low, nmsEnd):
			return nmsFinish(out, general)
		case strings.HasPrefix(low, "recipient:"):
			if a := mailparse.Address(t[len("recipient:"):]); a != "" {
				out = append(out, Recipient{Address: a, Action: "failed"})
				own = true
				continue
			}
		case t[0] == '<' && !strings.HasPrefix(t, "<<<"):
			if a, rest := nmsAngle(t); a != "" {
				out = append(out, Recipient{Address: a, Action: "failed", Diagnostic: rest})
				own = rest != ""
				continue
			}
		}
		if own && len(out) > 0 && (strings.HasPrefix(t, ">>>") || strings.HasPrefix(t, "<<<") || strings.HasPrefix(low, "reason:")) {
			rc := &out[len(out)-1]
			if strings.HasPrefix(low, "reason:") {
				t = strings.TrimSpace(t[len("reason:"):])
			}
			if len(rc.Diagnostic) < maxDiagnostic {
				rc.Diagnostic += " " + t
			}
			continue
		}
		// Netscape's sentences are English; a provider's own preamble in
		// another language (EZweb's Japanese) is no reason of its.
		if len(out) == 0 && len(general) < 20 && !nmsBoilerplate(low) && isASCII(t) {
			general = append(general, t)
		}
	}
	return nmsFinish(out, general)
}

// nmsAngle reads "<addr>" or "<addr>: reason".
func nmsAngle(t string) (addr, rest string) {
	end := strings.IndexByte(t, '>')
	if end < 0 {
		return "", ""
	}
	a := mailparse.Address(t[:end+1])
	if a == "" {
		return "", ""
	}
	return a, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t[end+1:]), ":"))
}

// nmsBoilerplate reports the fixed lines that introduce a list and
// say nothing of the reason.
func nmsBoilerplate(low string) bool {
	return hasAny(low, "each of the following recipients", "the reasons given by the server",
		"each recipient was rejected", "following recipients did not receive", "mail server.")
}

// nmsFinish gives every recipient without a reason of its own the
// general one, and the status Netscape's sentences state.
func nmsFinish(out []Recipient, general []string) []Recipient {
	g := squeeze(strings.Join(general, " "))
	for i := range out {
		rc := &out[i]
		rc.Diagnostic = clip(squeeze(rc.Diagnostic))
		if rc.Diagnostic == "" {
			rc.Diagnostic = g
		}
		if StatusFromText(rc.Diagnostic) != "" {
			continue
		}
		low := strings.ToLower(rc.Diagnostic)
		for _, s := range nmsStatuses {
			if strings.Contains(low, s.words) {
				rc.Status = s.status
				break
			}
		}
	}
	return out
}

// isASCII reports whether s is all 7-bit.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
