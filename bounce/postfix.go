package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Postfix writes standard DSNs (multipart/report) whose text part begins
// "This is the mail system at host …" (older: "This is the Postfix
// program at host …") and lists each recipient as "<addr>: reason", the
// reason's continuation lines indented. Before Postfix 2.0 the same text
// came in a multipart/mixed without a delivery-status part. Its MIME
// boundary is "<queue ID>.<time>/<host>" (Sendmail uses the same shape).

// postfixSubjects are the subjects Postfix's bounce(8) templates use.
var postfixSubjects = []string{
	"undelivered mail returned to sender",
	"delayed mail (still being retried)",
	"postmaster copy: undelivered mail",
	"postmaster warning: delayed mail",
	"postfix smtp server: errors from",
	"successful mail delivery report",
	"mail delivery status report",
}

// matchPostfix: a Postfix subject, or a Postfix-shaped MIME boundary on a
// message that does not carry Sendmail's subjects.
func matchPostfix(in *input) bool {
	if forwardedByPerson(in) {
		return false
	}
	if in.subjectHas(postfixSubjects...) {
		return true
	}
	return queueBoundary(in.boundary) && !in.subjectHas(sendmailSubjects...)
}

// decodePostfix reads a Postfix bounce or delay notice: its DSN when it
// has one, else the notification text.
func decodePostfix(in *input) *Report {
	text := in.text()
	if !in.subjectHas(postfixSubjects...) && !hasAny(lowerASCII(text[:min(len(text), 4096)]),
		"this is the mail system at host", "this is the postfix program", "postfix") {
		// Only the boundary looked like Postfix's: leave it to others.
		return nil
	}
	if r := reportFromDSN(in); r != nil {
		mergeTextRecipients(r, postfixRecipients(text, false))
		preferDiagnosticCode(r)
		return r
	}
	if in.subjectHas("postfix smtp server: errors from") {
		return postfixTranscript(text)
	}
	// A relay that wrapped the whole Postfix report in its own text: the
	// text then holds Postfix's too, so look for the report first.
	if inner := embeddedReport(text); inner != nil {
		if r := reportFromDSN(inner); r != nil {
			preferDiagnosticCode(r)
			return r
		}
	}
	if r := postfixText(in, text); r != nil {
		return r
	}
	return postfixUnavailable(in, text)
}

// postfixUnavailable reads a Postfix report that names no recipient ("---
// Delivery report unavailable ---", a delivery-status part without
// recipient fields): the returned original's recipients are what failed.
func postfixUnavailable(in *input, text string) *Report {
	if !strings.Contains(lowerASCII(text), "this is the mail system at host") {
		return nil
	}
	o, ok := attachedOriginal(in.m)
	if !ok || len(o.To) == 0 {
		return nil
	}
	r := &Report{Kind: Bounce, Original: o}
	for _, a := range o.To[:min(len(o.To), maxRecipients)] {
		r.Recipients = append(r.Recipients, Recipient{Address: a, Action: "failed"})
	}
	return r
}

// postfixText reads a Postfix notification without a DSN.
func postfixText(in *input, text string) *Report {
	delayed := in.subjectHas("delayed mail")
	r := &Report{Kind: Bounce, Recipients: postfixRecipients(text, delayed)}
	if len(r.Recipients) == 0 {
		return nil
	}
	mergeTextStatus(r, text, lowerASCII(text))
	preferDiagnosticCode(r)
	r.Original = textOriginal(in)
	return r
}

// postfixRecipients reads the recipient paragraphs of a Postfix
// notification:
//
//	<bob@example.org> (expanded from <b@example.org>): host
//	    mx.example.org[192.0.2.1] said: 550 5.1.1 User unknown
func postfixRecipients(text string, delayed bool) []Recipient {
	lower := lowerASCII(text)
	start := strings.Index(lower, "this is the mail system at host")
	if start < 0 {
		start = strings.Index(lower, "this is the postfix program at host")
	}
	if start < 0 {
		return nil
	}
	delayed = delayed || strings.Contains(lower[start:], "delivery to the following recipient has been delayed") ||
		strings.Contains(lower[start:], "delivery to the following recipients has been delayed")
	var out []Recipient
	for _, para := range indentedParagraphs(text[start:], func(l string) bool { return strings.HasPrefix(l, "<") }) {
		if addr, diag := splitAngleRecipient(para); addr != "" {
			out = append(out, Recipient{Address: addr, Diagnostic: diag, Action: actionFor(StatusFromText(diag), delayed)})
		}
	}
	return out
}

// postfixTranscript reads the postmaster notice "Postfix SMTP server:
// errors from …": the failed SMTP session, whose recipients are in its
// RCPT TO commands and whose reason is the server's last error reply.
func postfixTranscript(text string) *Report {
	var addrs []string
	diag := ""
	for rest := text; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		l := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(l, "In:"):
			cmd := strings.TrimSpace(l[3:])
			if len(cmd) <= 8 || !strings.EqualFold(cmd[:8], "rcpt to:") || len(addrs) >= maxRecipients {
				break
			}
			// RCPT TO:<addr> ORCPT=…: the address is the first word.
			if f := strings.Fields(cmd[8:]); len(f) > 0 {
				if a := mailparse.Address(f[0]); a != "" {
					addrs = append(addrs, a)
				}
			}
		case strings.HasPrefix(l, "Out:"):
			if reply := strings.TrimSpace(l[4:]); smtpReply(reply) {
				diag = reply
			}
		}
	}
	if len(addrs) == 0 || diag == "" {
		return nil
	}
	r := &Report{Kind: Bounce}
	for _, a := range addrs {
		r.Recipients = append(r.Recipients, Recipient{Address: a, Diagnostic: clip(diag), Action: actionFor("", false)})
	}
	return r
}

// The helpers below are shared by the decoders for the classic Unix MTAs
// (postfix.go, sendmail.go, exim.go, qmail.go).

// maxRecipients bounds the recipients read from one bounce's text.
const maxRecipients = 256

// maxDiagnostic bounds one recipient's diagnostic text.
const maxDiagnostic = 2048

// forwardedByPerson reports a person passing a bounce on ("Fwd: Returned
// mail"): no bounce itself, and one that must never be moved.
func forwardedByPerson(in *input) bool {
	return memo(&in.forwarded, func() int { return boolInt(isForwardedByPerson(in)) }) == 1
}

func isForwardedByPerson(in *input) bool {
	s := strings.TrimSpace(in.subject)
	for _, p := range []string{"fwd:", "fw:", "re:", "aw:", "wg:", "tr:", "rv:", "sv:", "vs:", "enc:"} {
		if strings.HasPrefix(s, p) {
			return !in.fromDaemon()
		}
	}
	return false
}

// queueBoundary reports a MIME boundary shaped "<queue ID>.<time>/<host>",
// as Postfix and Sendmail make them.
func queueBoundary(b string) bool {
	id, host, ok := strings.Cut(b, "/")
	if !ok || host == "" || strings.ContainsAny(host, "/ ") {
		return false
	}
	dot := strings.LastIndexByte(id, '.')
	if dot <= 0 || dot == len(id)-1 {
		return false
	}
	for i := dot + 1; i < len(id); i++ {
		if !isDigit(id[i]) {
			return false
		}
	}
	return true
}

// mergeTextRecipients adds to a DSN's recipients what the notification
// text says of them: the diagnostic a DSN left out, and the address where
// the DSN's is no address ("@mx.example.org", a pipe or file). Text and DSN
// recipients pair by address, else by position when both lists are as
// long.
func mergeTextRecipients(r *Report, text []Recipient) {
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		j := -1
		for k := range text {
			if text[k].Address == rc.Address {
				j = k
				break
			}
		}
		if j < 0 && len(text) == len(r.Recipients) {
			j = i
		}
		if j < 0 {
			continue
		}
		if !mailboxAddress(rc.Address) && mailboxAddress(text[j].Address) {
			rc.Address = text[j].Address
		}
		if rc.Diagnostic == "" {
			rc.Diagnostic = text[j].Diagnostic
		}
	}
}

// mailboxAddress reports whether a is shaped like local@domain, not a
// pipe, a file or a bare host.
func mailboxAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && a[0] != '|' && a[0] != '/' && !strings.ContainsAny(a, " \t")
}

// preferDiagnosticCode sets each recipient's Status to the enhanced code
// in its diagnostic when there is one. MTAs fill Status with a code of
// their own (Exim always 5.0.0, Sendmail 4.4.7 when it gives up, Postfix
// 5.0.0 for a reply without a code); the remote server's code says what
// actually went wrong.
func preferDiagnosticCode(r *Report) {
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		if c := StatusFromText(rc.Diagnostic); c != "" && c[0] != '2' {
			rc.Status = c
		}
	}
}

// actionFor is the DSN action for a recipient of a plain-text notice.
func actionFor(status string, delayed bool) string {
	if delayed {
		return "delayed"
	}
	if strings.HasPrefix(status, "2.") {
		return "delivered"
	}
	return "failed"
}

// smtpReply reports whether l starts with a 4xx or 5xx reply code and a
// space or hyphen.
func smtpReply(l string) bool {
	return len(l) > 4 && (l[0] == '4' || l[0] == '5') && isDigit(l[1]) && isDigit(l[2]) && (l[3] == ' ' || l[3] == '-')
}

// textOriginal is the original of a plain-text bounce: attached, or quoted
// after the vendor's marker.
func textOriginal(in *input) Original {
	if o, ok := attachedOriginal(in.m); ok {
		return o
	}
	if o, ok := inlineOriginal(in); ok {
		return o
	}
	return Original{}
}

// indentedParagraphs returns the paragraphs of text that begin with a line
// for which starts is true, each with its indented continuation lines,
// joined into one line. A blank or unindented line ends a paragraph.
func indentedParagraphs(text string, starts func(string) bool) []string {
	var out []string
	var cur strings.Builder
	open := false
	flush := func() {
		if open {
			out = append(out, cur.String())
			cur.Reset()
			open = false
		}
	}
	for rest := text; rest != "" && len(out) < maxRecipients; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimRight(line, "\r \t")
		switch {
		case line == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if open && cur.Len() < maxDiagnostic {
				cur.WriteByte(' ')
				cur.WriteString(strings.TrimSpace(line))
			}
		default:
			flush()
			if starts(line) {
				open = true
				cur.WriteString(line)
			}
		}
	}
	flush()
	return out
}

// splitAngleRecipient splits "<addr> (expanded from <x>): reason" into the
// address and the reason.
func splitAngleRecipient(para string) (addr, diag string) {
	end := strings.IndexByte(para, '>')
	if !strings.HasPrefix(para, "<") || end < 0 {
		return "", ""
	}
	addr = strings.ToLower(strings.TrimSpace(para[1:end]))
	if !strings.Contains(addr, "@") || strings.ContainsAny(addr, " \t<") {
		return "", ""
	}
	rest := strings.TrimSpace(para[end+1:])
	if strings.HasPrefix(rest, "(") {
		if c := strings.IndexByte(rest, ')'); c >= 0 {
			rest = rest[c+1:]
		}
	}
	rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
	return addr, clip(rest)
}

// clip bounds a diagnostic.
func clip(s string) string {
	if len(s) > maxDiagnostic {
		return s[:maxDiagnostic]
	}
	return s
}

// embeddedReport finds a whole delivery status notification pasted into
// text by a relay or an ISP's wrapper (its header with a multipart/report
// Content-Type, then its body) and returns it for decoding; nil when there
// is none.
func embeddedReport(text string) *input {
	at := indexFieldLine(lowerASCII(text), "content-type: multipart/report")
	if at < 0 {
		return nil
	}
	start := headerBlockStart(text, at)
	m := mailparse.Parse([]byte(text[start:]))
	if ct, _ := m.Header.ContentType(); ct != "multipart/report" {
		return nil
	}
	return newInput(m)
}
