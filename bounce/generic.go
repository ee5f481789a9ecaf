package bounce

import (
	"strings"
	"unicode/utf8"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// The generic decoder catches the bounces of the many mail systems that have
// no decoder of their own yet. Since it knows no vendor's layout, it asks for
// more evidence than a vendor decoder would: a mail system as the sender AND
// bounce wording in the report's own text (not in the quoted original), and
// more of both when the sender is only a no-reply address. A person who
// forwards or quotes a bounce is not a mail system, so their mail stays None.

// maxGenericRecipients bounds the recipients the generic decoder reports:
// it guesses them from free text, and a forged bounce may list thousands.
const maxGenericRecipients = 20

// bounceSubjects are lower-case subject fragments of bounces in the
// languages the corpus and the wild show.
var bounceSubjects = []string{
	"undeliverable", "undelivered", "delivery failure", "delivery failed", "delivery status",
	"delivery notification", "delivery report", "delivery problem", "returned mail",
	"returned to sender", "failure notice", "mail delivery failed", "mail system error",
	"nondeliverable", "non-deliverable", "non-delivery", "could not be delivered",
	"message delivery has failed", "error sending your mail", "bounce", "returning to sender",
	"mail failed",
	"unzustellbar", "nicht zustellbar", "non remis", "non distribuable", "échec de remise",
	"no se puede entregar", "no entregado", "non recapitabile", "onbestelbaar",
	"配信できません", "未送達", "配送エラー", "メールエラー", "エラー通知",
	"не доставлено", "недоставленное", "не может быть доставлено",
	"退信", "投递失败", "无法投递", "未能送达", "系统退信",
	"配信不能", "配送不能", "mancato recapito", "não entregue", "falha na entrega",
	"niet afgeleverd", "не доставлен",
}

// failurePhrases say, lower case, that a message was not delivered.
var failurePhrases = []string{
	"could not be delivered", "couldn't be delivered", "could not deliver", "couldn't deliver",
	"cannot be delivered", "can't be delivered", "was not delivered", "wasn't delivered",
	"were not delivered", "not been delivered", "unable to deliver", "not able to deliver",
	"undeliverable", "undelivered", "delivery failed", "delivery has failed", "delivery failure",
	"delivery to the following recipient", "failed permanently", "permanent error",
	"permanent failure", "fatal error", "delivery error", "delivery problem",
	"did not reach", "could not be reached", "returned mail", "returning message to sender",
	"returned to sender", "was rejected", "were rejected", "has been rejected",
	"rejected your message", "has been delayed", "not yet been delivered", "still being retried",
	"will be retried", "temporary failure", "giving up", "non-delivery", "nondeliverable",
	"non-deliverable", "while attempting to deliver", "trouble delivering",
	"error sending", "failed to deliver", "delivery attempt", "transcript of session",
	"error delivering", "failure reasons", "failed addresses", "was aborted",
	"automatically generated delivery status notification",
	"konnte nicht zugestellt werden", "nicht zugestellt", "unzustellbar",
	"n'a pas pu être remis", "non remis", "échec de la remise", "impossible de remettre",
	"n'a pas pu être distribué", "no se pudo entregar", "no se puede entregar",
	"no ha podido ser entregado", "non è stato possibile recapitare", "non recapitabile",
	"配信できません", "送信できませんでした", "届きませんでした", "配送できませんでした",
	"未送達", "宛先不明", "送信に失敗",
	"не может быть доставлено", "не доставлено", "не удалось доставить",
	"退信", "无法投递", "投递失败", "未能送达", "无法送达",
	"impossibile recapitare", "mancato recapito", "não foi possível entregar", "não foi entregue",
	"não entregue", "falha na entrega", "kon niet worden afgeleverd", "niet afgeleverd",
	"onbestelbaar", "配信不能", "配信に失敗",
}

// reasonPhrases are, lower case, the usual reasons a mail system gives.
var reasonPhrases = []string{
	"user unknown", "unknown user", "no such user", "unknown recipient", "recipient unknown",
	"no such recipient", "invalid recipient", "recipient not found", "address not found",
	"invalid address", "mailbox unavailable", "mailbox not found", "mailbox full",
	"mailbox is full", "over quota", "quota exceeded", "exceeded storage", "does not exist",
	"doesn't exist", "host not found", "host unknown", "domain not found", "no mx record",
	"relay denied", "relaying denied", "access denied", "not listed in", "message expired",
	"remote host said", "smtp error", "rcpt to", "diagnostic-code", "final-recipient",
	"mailbox exceeds", "account is disabled", "invalid final delivery userid", "unknown host",
	"invalid user address", "requested action not taken",
}

// regionEndMarkers end the report's own text in the generic decoder: the
// vendors' copy markers, and a few more seen only with it, lower case.
var regionEndMarkers = append([]string{"message text follows", "message headers follow", "returned message"}, copyMarkers...)

// decodeGeneric reads any other bounce, keeping to what most share: the
// failed addresses, the reasons, the copy of the message. matchGeneric has
// vouched for the sender.
func decodeGeneric(in *input) *Report {
	sender := senderEvidence(in)
	text := in.text()
	lower := in.lower()
	region, regionLower := text, lower
	if end := originalStart(lower); end >= 0 {
		region, regionLower = text[:end], lower[:end]
	}
	words := hasAny(regionLower, failurePhrases...)
	reasons := hasAny(regionLower, reasonPhrases...)
	code := StatusFromText(region) != "" || hasReplyCode(region)
	if !words && !reasons && !code {
		return nil
	}
	orig, hasOrig := bounceOriginal(in)
	score := sender
	for _, ok := range []bool{words, reasons, code, hasOrig, in.subjectHas(bounceSubjects...)} {
		if ok {
			score++
		}
	}
	if score < 4 {
		return nil
	}
	if sender == 1 && !hasOrig && !code {
		// A no-reply address writing about a failed delivery may be a
		// shop's parcel notice: ask for a mail system's code or a copy.
		return nil
	}
	r := &Report{Kind: Bounce, Original: orig}
	r.Recipients = genericRecipients(in, region, orig)
	return r
}

// matchGeneric: a mail system's address, an empty envelope sender, the
// Exim/Gmail X-Failed-Recipients field; a no-reply address only without
// List-Unsubscribe (a newsletter about bounces quotes codes too; no mail
// system offers to unsubscribe from its bounces). The subject alone does
// not do: the header triage (MightBe) then sends no newsletters and no
// people's "Fwd: Undelivered Mail" for a whole fetch.
func matchGeneric(in *input) bool {
	switch senderEvidence(in) {
	case 2:
		return true
	case 1:
		return in.header("List-Unsubscribe") == ""
	}
	return false
}

// senderEvidence rates how surely a mail system sent the message: 2 for
// MAILER-DAEMON, postmaster, an empty envelope sender or X-Failed-Recipients;
// 1 for the no-reply kind of address, which newsletters use too; 0 else.
func senderEvidence(in *input) int {
	return memo(&in.evidence, func() int { return findSenderEvidence(in) })
}

func findSenderEvidence(in *input) int {
	if in.header("X-Failed-Recipients") != "" || daemonFromField(in) {
		return 2
	}
	rp := strings.TrimSpace(in.header("Return-Path"))
	if rp == "<>" || strings.EqualFold(rp, "<mailer-daemon>") || hasPrefixFold(rp, "<mailer-daemon@") {
		return 2
	}
	local, _, _ := strings.Cut(in.from, "@")
	local = strings.Trim(strings.ReplaceAll(strings.ReplaceAll(local, "_", "-"), ".", "-"), "-")
	if strings.Contains(local, "mailer-daemon") || strings.Contains(local, "postmaster") ||
		strings.Contains(local, "mail-daemon") || strings.Contains(local, "mail-delivery") {
		return 2
	}
	switch local {
	case "mailerdaemon", "maildaemon", "mdaemon", "post-master", "mail-delivery-system":
		return 2
	}
	if in.fromDaemon() {
		return 1
	}
	return 0
}

// daemonFromField reports a From field with no address or one naming
// MAILER-DAEMON only in its display name ("MAILER-DAEMON <>").
func daemonFromField(in *input) bool {
	if in.from != "" {
		return false
	}
	f := strings.TrimSpace(in.header("From"))
	return f == "<>" || containsFold(f, "mailer-daemon") || containsFold(f, "postmaster")
}

// hasReplyCode reports an SMTP reply code of a failure (4xx or 5xx, RFC 5321
// section 4.2) standing as a word, as bounces quote the remote server.
func hasReplyCode(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		c := s[i]
		if c != '4' && c != '5' {
			continue
		}
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.' || s[i-1] == ',') {
			continue
		}
		if s[i+1] < '0' || s[i+1] > '5' || !isDigit(s[i+2]) {
			continue
		}
		switch s[i+3] {
		case ' ', '-', ':', '\n', '\r':
			if s[i+3] == ' ' && i+4 < len(s) && isDigit(s[i+4]) {
				// "550 5.1.1" is a reply; "450 000" is just numbers.
				if i+5 < len(s) && s[i+5] == '.' {
					return true
				}
				continue
			}
			return true
		}
	}
	return false
}

// originalStart returns where the copy of the original begins in the
// lower-cased text: a marker line ("----- Original message -----",
// "Original message follows."), else the first unindented Received,
// Message-ID or Return-Path field; -1 when there is none. Markers count
// only at the start of a line, so "The original message was received at"
// does not end the report.
func originalStart(lower string) int {
	start := -1
	for _, mk := range regionEndMarkers {
		for off := 0; off < len(lower); {
			i := strings.Index(lower[off:], mk)
			if i < 0 {
				break
			}
			at := off + i
			ls := strings.LastIndexByte(lower[:at], '\n') + 1
			if strings.Trim(lower[ls:at], " \t-=*|>_#") == "" {
				if start < 0 || ls < start {
					start = ls
				}
				break
			}
			off = at + len(mk)
		}
	}
	for _, f := range []string{"received:", "message-id:", "return-path:"} {
		for _, p := range []string{"\n", "\n> ", "\n>"} {
			if i := strings.Index(lower, p+f); i >= 0 && (start < 0 || i+1 < start) {
				start = i + 1
			}
		}
		if strings.HasPrefix(lower, f) {
			start = 0
		}
	}
	return start
}

// bounceOriginal is the original a plain-text bounce returned: attached,
// else quoted in its text.
func bounceOriginal(in *input) (Original, bool) {
	if o, ok := attachedOriginal(in.m); ok {
		return o, true
	}
	return inlineOriginal(in)
}

// genericRecipients guesses the failed addresses: X-Failed-Recipients
// when present, else the addresses in the report's own text that are
// neither the bounce's nor the original's sender or addressee.
func genericRecipients(in *input, region string, orig Original) []Recipient {
	lines := textLines(region)
	if x := in.header("X-Failed-Recipients"); x != "" {
		var out []Recipient
		for _, a := range mailparse.FindAddresses(x, maxGenericRecipients) {
			out = append(out, Recipient{Address: a, Action: "failed", Diagnostic: diagnosticFor(lines, a)})
		}
		finishRecipients(out)
		return out
	}
	skip := map[string]bool{in.from: true, orig.From: true}
	for _, a := range mailparse.Addresses(in.header("To")) {
		skip[a] = true
	}
	skip[mailparse.Address(in.header("Return-Path"))] = true
	var out []Recipient
	for i, l := range lines {
		if len(out) >= maxGenericRecipients {
			break
		}
		if skipLine(l) {
			continue
		}
		for _, a := range mailparse.FindAddresses(l, 4) {
			local, _, _ := strings.Cut(a, "@")
			// A postmaster can be the failed recipient, but "contact
			// postmaster@…" is advice.
			if skip[a] || strings.Contains(local, "mailer-daemon") ||
				local == "postmaster" && strings.Contains(lowerASCII(l), "contact") {
				continue
			}
			skip[a] = true
			out = append(out, Recipient{Address: a, Action: "failed", Diagnostic: diagnosticAt(lines, i)})
		}
	}
	finishRecipients(out)
	return out
}

// skipLine reports a line that names addresses other than the failed
// ones: quoted header fields of the original, the envelope sender.
func skipLine(l string) bool {
	t := strings.ToLower(strings.TrimLeft(l, " \t>"))
	for _, p := range []string{"from:", "to:", "cc:", "reply-to:", "sender:", "return-path:", "message-id:",
		"in-reply-to:", "references:", "received:", "mail from", "envelope-from", "x-", "from ", "by "} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return strings.Contains(t, "message-id") || strings.Contains(t, "original message")
}

// diagnosticFor is the diagnostic next to the first line naming addr.
func diagnosticFor(lines []string, addr string) string {
	for i, l := range lines {
		if strings.Contains(strings.ToLower(l), addr) {
			return diagnosticAt(lines, i)
		}
	}
	return ""
}

// diagnosticAt joins line i and the non-blank lines right after it, up to
// a few, as the reason given for the address on line i.
func diagnosticAt(lines []string, i int) string {
	var parts []string
	for j := i; j < len(lines) && j < i+4; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" {
			if j == i+1 && len(parts) == 1 && strings.HasSuffix(parts[0], ":") {
				continue // "<addr>:" then a blank line then the reason
			}
			break
		}
		if j > i && isAddressLine(t) {
			break
		}
		parts = append(parts, t)
	}
	return squeeze(strings.Join(parts, " "))
}

// finishRecipients fills a missing Status from the diagnostic's words.
func finishRecipients(rs []Recipient) {
	for i := range rs {
		if rs[i].Status == "" {
			rs[i].Status = StatusFromText(rs[i].Diagnostic)
		}
		if rs[i].Status == "" {
			rs[i].Status = statusFromWords(rs[i].Diagnostic, rs[i].Action == "delayed")
		}
	}
}

// wordStatuses map a mail system's plain words to the enhanced status code
// (RFC 3463) they stand for, for bounces that give no code.
var wordStatuses = []struct {
	status string
	words  []string
}{
	// Before "does not exist", which names a user more often.
	{"5.1.2", []string{"domain does not exist", "domain doesn't exist", "no such domain"}},
	{"5.1.1", []string{"user unknown", "unknown user", "no such user", "unknown recipient", "recipient unknown",
		"recipient name is not recognized", "recipient not found", "address not found", "no such recipient",
		"invalid recipient", "does not exist", "doesn't exist", "not listed in", "no mailbox", "mailbox not found",
		"mailbox unavailable", "invalid address", "account that you tried to reach does not exist",
		"invalid final delivery userid", "invalid user address", "user not found", "user not exist", "user doesn't have",
		"no valid recipients"}},
	{"5.2.1", []string{"account has been disabled", "account is disabled", "mailbox disabled",
		"account has been suspended"}},
	{"5.2.2", []string{"mailbox full", "mailbox is full", "over quota", "quota exceeded", "exceeded storage",
		"storage quota", "mailfolder is full", "mailbox exceeded", "exceeds the mailbox size",
		"mailbox exceeds"}},
	{"5.1.2", []string{"host not found", "host unknown", "unknown host", "domain not found", "no mx record",
		"unrouteable", "unroutable"}},
	{"5.3.4", []string{"message too large", "message is too large", "message too big", "message size exceeds",
		"exceeds size limit", "size limit exceeded"}},
	{"5.4.7", []string{"message expired", "giving up", "retry timeout", "too many retries", "could not be delivered within",
		"envelope expired", "in the queue too long"}},
	{"5.4.1", []string{"connection timed out", "operation timed out", "connection refused", "host not reachable",
		"no route to host", "unable to connect", "network error"}},
	{"5.7.1", []string{"relaying denied", "relay denied", "relay access denied", "not permitted to relay",
		"spam", "blocked", "blacklisted"}},
	// The same in the other languages bounces are written in; a domain
	// first, since "does not exist" words name a user more often.
	{"5.1.2", []string{"domaine inexistant", "domaine introuvable", "dominio inexistente", "dominio no existe",
		"dominio sconosciuto", "domínio inexistente", "domein bestaat niet", "domain existiert nicht",
		"домен не найден", "ドメインが存在しません", "域名不存在"}},
	{"5.1.1", []string{"benutzer unbekannt", "empfänger unbekannt", "unbekannter empfänger", "existiert nicht",
		"destinataire inconnu", "utilisateur inconnu", "adresse inconnue", "n'existe pas",
		"usuario desconocido", "destinatario desconocido", "no existe", "utente sconosciuto",
		"destinatario sconosciuto", "non esiste", "usuário desconhecido", "destinatário desconhecido",
		"não existe", "onbekende gebruiker", "onbekende ontvanger", "bestaat niet",
		"пользователь не найден", "нет такого пользователя", "не существует", "адресат не найден",
		"存在しません", "宛先不明", "用户不存在", "收件人不存在", "不存在"}},
	{"5.2.2", []string{"postfach voll", "postfach ist voll", "boîte pleine", "boîte aux lettres pleine",
		"quota dépassé", "buzón lleno", "está lleno", "casella piena", "casella di posta piena",
		"caixa postal cheia", "está cheia", "mailbox vol", "postvak vol", "переполнен",
		"容量超過", "容量オーバー", "邮箱已满", "邮箱空间不足"}},
}

// statusFromWords infers an enhanced status code from a diagnostic's words;
// delayed recipients get the transient class. "" when nothing fits.
func statusFromWords(diag string, delayed bool) string {
	if diag == "" {
		return ""
	}
	lower := strings.ToLower(diag)
	for _, ws := range wordStatuses {
		if hasAny(lower, ws.words...) {
			if delayed {
				return "4" + ws.status[1:]
			}
			return ws.status
		}
	}
	return ""
}

// textLines splits text into lines without their CR.
func textLines(text string) []string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r")
	}
	return lines
}

// isAddressLine reports a line that is one address and little else:
// "kijitora@example.com", "<a@b.c>:", "rfc822;a@b.c", "Neko<mailto:a@b.c>".
func isAddressLine(t string) bool {
	t = strings.TrimSpace(t)
	if t == "" || len(t) > 320 || strings.ContainsAny(t, " \t") || !strings.Contains(t, "@") {
		return false
	}
	return len(mailparse.FindAddresses(t, 1)) == 1
}

// maxDiagLen bounds one recipient's diagnostic text.
const maxDiagLen = 1000

// squeeze collapses runs of white space and bounds s.
func squeeze(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxDiagLen {
		n := maxDiagLen
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s
}
