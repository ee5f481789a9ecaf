package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/dsn"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Sendmail 8 writes standard DSNs whose text part reads
//
//	   ----- The following addresses had permanent fatal errors -----
//	<bob@example.org>
//	    (reason: 550 5.1.1 <bob@example.org>... User unknown)
//
//	   ----- Transcript of session follows -----
//	... while talking to mx.example.org.:
//	>>> RCPT To:<bob@example.org>
//	<<< 550 5.1.1 <bob@example.org>... User unknown
//
// and Sendmail 5 (and 8 without DSN support) only the transcript, with a
// "NNN <addr>... reason" line per failed recipient, then
// "----- Unsent message follows -----" and the original.

// sendmailSubjects are the subjects Sendmail gives its notices.
var sendmailSubjects = []string{
	"returned mail:",
	"postmaster notify:",
	"warning: could not send message",
}

// sendmailMarkers are fixed lines of Sendmail's notification text.
var sendmailMarkers = []string{
	"----- the following addresses had",
	"----- transcript of session follows -----",
	"the original message was received at",
}

const transcriptMarker = "----- transcript of session follows -----"

// matchSendmail: a Sendmail subject, or Sendmail's "Mail Delivery
// Subsystem" sender name.
func matchSendmail(in *input) bool {
	if forwardedByPerson(in) {
		return false
	}
	return in.subjectHas(sendmailSubjects...) ||
		containsFold(in.header("From"), "mail delivery subsystem")
}

// decodeSendmail reads a Sendmail DSN, delay warning or plain-text bounce.
func decodeSendmail(in *input) *Report {
	text := in.text()
	lower := in.lower()
	if r := reportFromDSN(in); r != nil {
		mergeTextRecipients(r, sendmailAddresses(text, lower))
		preferDiagnosticCode(r)
		if len(r.Recipients) == 1 {
			refineFromTranscript(&r.Recipients[0], text, lower)
		}
		return r
	}
	if !hasAny(lower, sendmailMarkers...) {
		return nil
	}
	r := &Report{Kind: Bounce, Original: textOriginal(in)}
	if r.Recipients = sendmailAddresses(text, lower); len(r.Recipients) == 0 {
		r.Recipients = sendmailV5(text, lower, r.Original)
	}
	mergeTextStatus(r, text, lower)
	if len(r.Recipients) == 0 {
		return nil
	}
	preferDiagnosticCode(r)
	if len(r.Recipients) == 1 {
		refineFromTranscript(&r.Recipients[0], text, lower)
	}
	return r
}

// sendmailAddresses reads the "----- The following addresses had …" lists:
// an address per unindented line, its "(reason: …)" indented below.
func sendmailAddresses(text, lower string) []Recipient {
	var out []Recipient
	for off := 0; off < len(lower) && len(out) < maxRecipients; {
		i := strings.Index(lower[off:], "----- the following addresses had")
		if i < 0 {
			break
		}
		at := off + i
		nl := strings.IndexByte(lower[at:], '\n')
		if nl < 0 {
			break
		}
		action := "failed"
		switch head := lower[at : at+nl]; {
		case strings.Contains(head, "transient"):
			action = "delayed"
		case strings.Contains(head, "delivery notifications"):
			action = "delivered"
		}
		off = at + nl + 1
		for rest := text[off:]; rest != "" && len(out) < maxRecipients; {
			var line string
			line, rest, _ = strings.Cut(rest, "\n")
			l := strings.TrimRight(line, "\r \t")
			t := strings.TrimSpace(l)
			if t == "" || strings.HasPrefix(t, "-----") {
				break
			}
			if l[0] != ' ' && l[0] != '\t' {
				out = append(out, Recipient{Address: bareAddress(t), Action: action})
				continue
			}
			if len(out) > 0 && strings.HasPrefix(t, "(reason:") {
				out[len(out)-1].Diagnostic = clip(strings.TrimSpace(strings.TrimSuffix(t[len("(reason:"):], ")")))
			}
		}
	}
	return out
}

// bareAddress is the address on a line of Sendmail's list: "<a@b>",
// "a@b", or a local name alone (a local alias, a program).
func bareAddress(s string) string {
	if a := mailparse.Address(s); a != "" {
		return a
	}
	s = strings.Trim(s, "<>\" \t")
	return strings.ToLower(s[:min(len(s), 256)])
}

// sendmailV5 reads the transcript of Sendmail 5: "550 <a@b>... User
// unknown" lines name the failed recipients. When no line names one
// ("421 example.com (smtp)... Deferred: …" only), the original's To is
// what failed.
func sendmailV5(text, lower string, orig Original) []Recipient {
	at := strings.Index(lower, transcriptMarker)
	if at < 0 {
		return nil
	}
	var out []Recipient
	lastReply, hostLine := "", ""
	for rest := text[at+len(transcriptMarker):]; rest != "" && len(out) < maxRecipients; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "-----") {
			break
		}
		if strings.HasPrefix(l, "<<< ") {
			lastReply = l[4:]
			continue
		}
		if !smtpReply(l) {
			continue
		}
		rcpt, why, ok := strings.Cut(l[4:], "... ")
		if !ok {
			continue
		}
		if rcpt = strings.TrimSpace(rcpt); !strings.HasPrefix(rcpt, "<") {
			// "421 example.com (smtp)... Deferred": about a host.
			if hostLine == "" {
				hostLine = l
			}
			continue
		}
		addr := mailparse.Address(rcpt)
		if addr == "" || hasRecipient(out, addr) {
			continue
		}
		diag := l[:4] + strings.TrimSpace(why)
		if lastReply != "" {
			diag = lastReply + "; " + diag
		}
		out = append(out, Recipient{Address: addr, Action: "failed", Diagnostic: clip(diag)})
		lastReply = ""
	}
	if len(out) == 0 && hostLine != "" {
		for _, a := range orig.To[:min(len(orig.To), maxRecipients)] {
			out = append(out, Recipient{Address: a, Action: "failed", Diagnostic: clip(hostLine)})
		}
	}
	return out
}

func hasRecipient(rs []Recipient, addr string) bool {
	for _, r := range rs {
		if r.Address == addr {
			return true
		}
	}
	return false
}

// mergeTextStatus reads delivery-status fields that sit in the text
// itself (a DSN whose MIME structure a relay flattened) and takes Status,
// diagnostic and full address from them for the recipients they name.
func mergeTextStatus(r *Report, text, lower string) {
	at := indexFieldLine(lower, "reporting-mta:")
	if at < 0 {
		at = indexFieldLine(lower, "final-recipient:")
	}
	if at < 0 {
		return
	}
	body := text[at:]
	// The status part ends at the next MIME boundary line.
	for off := 0; off < len(body); {
		line, _, _ := strings.Cut(body[off:], "\n")
		if strings.HasPrefix(line, "--") {
			body = body[:off]
			break
		}
		off += len(line) + 1
	}
	st, err := dsn.ParseStatus([]byte(body))
	if err != nil || st == nil {
		return
	}
	for i, d := range st.Recipients {
		addr := strings.ToLower(d.Address())
		j := -1
		for k := range r.Recipients {
			if r.Recipients[k].Address == addr {
				j = k
				break
			}
		}
		if j < 0 && len(st.Recipients) == len(r.Recipients) && addr != "" {
			// Sendmail lists a local name ("kijitora") where the status
			// has the full address: match them by position.
			j = i
			r.Recipients[j].Address = addr
		}
		if j < 0 {
			continue
		}
		rc := &r.Recipients[j]
		if d.Status != "" {
			rc.Status = d.Status
		}
		if d.DiagnosticCode != "" {
			rc.Diagnostic = clip(d.DiagnosticCode)
		}
		if d.Action != "" {
			rc.Action = d.Action
		}
	}
}

// refineFromTranscript: when Sendmail gave only a generic X.0.0 and no
// diagnostic code, the session transcript may hold the specific one
// ("554 5.3.0 unknown mailer error 255").
func refineFromTranscript(rc *Recipient, text, lower string) {
	if rc.Status != "" && !strings.HasSuffix(rc.Status, ".0.0") || StatusFromText(rc.Diagnostic) != "" {
		return
	}
	at := strings.Index(lower, transcriptMarker)
	if at < 0 {
		return
	}
	for rest := text[at+len(transcriptMarker):]; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "-----") || strings.HasPrefix(l, "--") && !strings.Contains(l, " ") {
			return // the next section, or a MIME boundary
		}
		if !smtpReply(l) {
			continue
		}
		if c := StatusFromText(l); c != "" && c[0] == l[0] && !strings.HasSuffix(c, ".0.0") {
			rc.Status = c
			return
		}
	}
}
