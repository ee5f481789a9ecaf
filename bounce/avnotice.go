package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// An antivirus notice tells the sender of a message that a scanner on the
// way found a virus in it. Worms forge their sender, so most notices go to
// people who sent nothing: backscatter, unless the sent index shows the
// message. Scanners write them in their own words, so the decoder keys on
// what they share: an automatic sender, a subject about a virus, and text
// that names both a finding and the reader's message.

// avSubjects are lower-case subject fragments of antivirus notices.
var avSubjects = []string{
	"virus", "viren", "infected", "malware", "worm", "trojan", "banned attachment",
	"blocked attachment", "attachment blocked", "dangerous attachment", "content filter",
	"mailscanner", "infiziert", "infecté", "infectado", "ウイルス", "ウィルス",
	"病毒", "вирус",
}

// avProducts are scanners as they name themselves in the From display name
// or X-Mailer of their notices, lower case; a notice from one needs no
// daemon address.
var avProducts = []string{
	"mailscanner", "mailmarshal", "interscan", "scanmail", "symantec", "brightmail", "mcafee",
	"groupshield", "sophos", "puremessage", "kaspersky", "clamav", "amavis", "content-filter",
	"antivirus", "anti-virus", "virenschutz", "virus",
}

// avYours say, lower case, that the message was the reader's.
var avYours = []string{
	"message you sent", "you sent", "sent by you", "sent from your", "from you",
	"from your address", "your message", "your e-mail", "your email", "your mail",
	"originated from you", "ihre nachricht", "ihre e-mail", "von ihnen", "votre message",
	"vous avez envoyé", "su mensaje", "usted envió", "enviado por usted", "suo messaggio",
	"da lei inviato", "sua mensagem", "uw bericht", "あなたが送信", "送信されたメール",
	"您发送", "你发送", "отправленном вами", "вами", "ваше сообщение", "вашем сообщении",
}

// avFound are the scanner's words for a finding, lower case.
var avFound = []string{
	"virus", "viren", "infected", "infiziert", "infecté", "infectado", "infetto", "malware",
	"worm", "trojan", "banned", "blocked attachment", "unacceptable attachment",
	"attachment was removed", "dangerous content", "ウイルス", "ウィルス", "病毒", "вирус",
}

// maxAVRecipients bounds the recipients read from a notice's free text.
const maxAVRecipients = 20

// avVirusStatus is the status of a message stopped for a virus when the
// notice gives none: RFC 3463's security class, as amavis and most
// gateways reject such mail ("554 5.7.0 … VIRUS").
const avVirusStatus = "5.7.0"

// isAVNotice: an automatic message (a daemon's address, an empty
// Return-Path, Auto-Submitted, or a scanner naming itself) whose subject
// speaks of a virus, and no list mail: a security newsletter about a worm
// is not a notice. People who write about viruses are not automatic.
func isAVNotice(in *input) bool {
	if !in.subjectHas(avSubjects...) || in.viaList() || in.header("List-Unsubscribe") != "" {
		return false
	}
	return automatic(in) || in.header("X-Virus-Notice") != "" || avProduct(in)
}

// avProduct reports a scanner naming itself as the sender.
func avProduct(in *input) bool {
	name, _, _ := strings.Cut(in.header("From"), "<")
	if name == "" || in.from == "" {
		name = in.header("From") // "antivirus@…" with no display name
	}
	return hasAny(strings.ToLower(name+" "+in.header("X-Mailer")), avProducts...)
}

// decodeAVNotice claims the notice when its own text (not the returned
// copy) names a finding in the reader's message, and points at one
// message: a returned copy, a delivery-status report, or the address the
// message went to. Bug trackers quoting a notice are not one.
func decodeAVNotice(in *input) *Report {
	if trackerMail(in) {
		return nil
	}
	region := ownText(in)
	lower := strings.ToLower(region)
	if !hasAny(lower, avFound...) || !(hasAny(lower, avYours...) || namesReader(in, lower)) {
		return nil
	}
	r := reportFromDSN(in)
	if r != nil {
		r.Kind = AVNotice
	} else {
		r = &Report{Kind: AVNotice}
		if o, ok := attachedOriginal(in.m); ok {
			r.Original = o
		} else if o, ok := inlineOriginal(in); ok {
			r.Original = o
		}
		diag := avFinding(region)
		for _, a := range avRecipients(in, region, r.Original) {
			r.Recipients = append(r.Recipients, Recipient{Address: a, Action: "failed", Diagnostic: diag})
		}
	}
	if len(r.Recipients) == 0 && r.Original.MessageID == "" {
		return nil // about no message in particular
	}
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		if rc.Status == "" {
			rc.Status = StatusFromText(rc.Diagnostic)
		}
		if rc.Status == "" {
			rc.Status = avVirusStatus
		}
	}
	return r
}

// namesReader reports whether lower, a notice's text, names the address the
// notice went to: scanners that do not say "you" list the sender.
func namesReader(in *input, lower string) bool {
	for _, a := range mailparse.Addresses(in.header("To")) {
		if strings.Contains(lower, a) {
			return true
		}
	}
	return false
}

// avSenderLabels start the lines of a notice that name the sender, not a
// recipient, lower case.
var avSenderLabels = []string{
	"from", "sender", "absender", "von", "de ", "de:", "expéditeur", "remitente", "mittente",
	"remetente", "afzender", "отправитель", "差出人", "发件人",
}

// avRecipients are the addresses the infected message went to: those the
// notice's own text names, other than the reader's and the notice's, else
// the returned copy's To.
func avRecipients(in *input, region string, o Original) []string {
	skip := map[string]bool{in.from: true, o.From: true}
	for _, a := range mailparse.Addresses(in.header("To")) {
		skip[a] = true
	}
	var out []string
	for _, l := range textLines(region) {
		if len(out) >= maxAVRecipients {
			break
		}
		t := strings.ToLower(strings.TrimLeft(l, " \t>"))
		if hasPrefixAny(t, avSenderLabels...) || hasAny(t, "contact", "kontakt", "http") {
			continue
		}
		for _, a := range mailparse.FindAddresses(l, 4) {
			if !skip[a] {
				skip[a] = true
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 && len(o.To) > 0 {
		out = append(out, o.To[:min(len(o.To), maxAVRecipients)]...)
	}
	return out
}

// hasPrefixAny reports whether s starts with any of prefixes.
func hasPrefixAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// avFinding is the scanner's line naming what it found: best a line whose
// label names the finding ("Virus name: W32/…"), then one with a finding
// after a short label ("Report: … infected"), else any with a finding.
func avFinding(region string) string {
	best, rank := "", 0
	for _, line := range textLines(region) {
		l := strings.ToLower(line)
		if !hasAny(l, avFound...) {
			continue
		}
		r := 1
		if label, value, ok := strings.Cut(l, ":"); ok && len(label) <= 40 && len(strings.TrimSpace(value)) >= 3 {
			r = 2
			if hasAny(label, avFound...) && !hasAny(label, "antivirus", "anti-virus") {
				r = 3
			}
		}
		if r > rank {
			best, rank = squeeze(line), r
			if r == 3 {
				break
			}
		}
	}
	return best
}
