package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// United Internet's mail systems — 1&1 (Eins und Eins, IONOS), GMX,
// WEB.DE, mail.com — write an Exim-like plain-text bounce, marked by an
// X-UI-Out-Filterresults field, with the addresses unindented and the
// original's header after a fixed line:
//
//	This message was created automatically by mail delivery software.
//
//	A message that you sent could not be delivered to one or more of
//	its recipients. This is a permanent error. The following address
//	failed:
//
//	"bob@example.org":
//	SMTP error from remote server after RCPT command:
//	host: mx.example.org
//	5.1.1 <bob@example.org>... User Unknown
//
//	--- The header of the original message is following. ---
//
// An address may stand alone, quoted, in angle brackets or with a colon;
// the reason follows, sometimes after "Reason:" or "For the following
// reason:". GMX's own bounces carry X-GMX-* fields as well (gmx.go).

// uiCopyMarker ends the report; uiListMarker ends the line before the list.
const (
	uiCopyMarker = "--- the header of the original message is following. ---"
	uiListMarker = "failed:"
)

// matchEinsUndEins: United Internet's field, or Exim's subject, on mail
// from a mail system.
func matchEinsUndEins(in *input) bool {
	if forwardedByPerson(in) || !in.fromDaemon() {
		return false
	}
	return in.header("X-UI-Out-Filterresults") != "" || in.subjectHas("mail delivery failed")
}

// decodeUnitedInternet reads the bounce text of 1&1 and GMX.
func decodeUnitedInternet(in *input) *Report {
	text := in.text()
	lower := in.lower()
	end := strings.Index(lower, uiCopyMarker)
	if end < 0 {
		if in.header("X-UI-Out-Filterresults") == "" {
			return nil
		}
		end = len(text)
	}
	start := strings.Index(lower[:end], uiListMarker)
	if start < 0 {
		return nil
	}
	r := &Report{Kind: Bounce}
	var diag []string
	flush := func() {
		if n := len(r.Recipients); n > 0 {
			r.Recipients[n-1].Diagnostic = clip(squeeze(strings.Join(diag, " ")))
		}
		diag = diag[:0]
	}
	for _, l := range textLines(text[start+len(uiListMarker) : end]) {
		if len(r.Recipients) >= maxRecipients {
			break
		}
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if a := uiRecipient(t); a != "" {
			flush()
			r.Recipients = append(r.Recipients, Recipient{Address: a, Action: "failed"})
			continue
		}
		if len(r.Recipients) == 0 || len(diag) >= 20 {
			continue
		}
		low := lowerASCII(t)
		switch {
		case strings.HasPrefix(low, "for the following reason:"):
			t = t[len("for the following reason:"):]
		case strings.HasPrefix(low, "reason:"):
			t = t[len("reason:"):]
		}
		if t = strings.TrimSpace(t); t != "" {
			diag = append(diag, t)
		}
	}
	flush()
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// uiRecipient returns the address of a line that holds only an address:
// bob@example.org, "bob@example.org":, <bob@example.org>; "" otherwise.
func uiRecipient(t string) string {
	t = strings.TrimSuffix(t, ":")
	t = strings.Trim(t, `"<>`)
	if !isAddressLine(t) || strings.ContainsAny(t, `"<>:`) {
		return ""
	}
	return mailparse.Address(t)
}
