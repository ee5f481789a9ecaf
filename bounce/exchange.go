package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Microsoft Exchange writes three kinds of non-delivery report (NDR):
//   - 5.5 and 2003: plain text, "Your message ... did not reach the
//     following recipient(s):", one "address on date" line per recipient
//     with the reason indented below it, the original attached;
//   - 2007 and later (and Exchange Online, see office365.go): a standard
//     DSN whose human part says "Delivery has failed to these recipients
//     or groups:" and ends in a "Diagnostic information for
//     administrators:" block naming each recipient with the remote
//     server's reply, then "Original message headers:";
//   - the same text without the DSN part, and HTML-only variants of it.

// exchangeSubjects are the subject prefixes of Exchange NDRs in the
// languages Exchange ships, lower case.
var exchangeSubjects = []string{
	"undeliverable:", "non remis", "unzustellbar:", "non recapitabile:", "onbestelbaar:",
	"no se puede entregar:", "não entregue:", "não é possível entregar:", "配信不能:",
	"не доставлено:", "无法投递:", "無法傳遞:", "배달되지 않음:",
}

// matchExchange: Exchange marks its NDRs with X-MS-Embedded-Report (5.5,
// 2003) or X-MS-Exchange-Message-Is-Ndr (2007 on). Without those, a mail
// system's sender and either the NDR subject prefix or Exchange's name in
// X-Mailer or Received: Exchange names itself on people's mail too.
func matchExchange(in *input) bool {
	if in.has("X-MS-Embedded-Report") || in.has("X-MS-Exchange-Message-Is-Ndr") {
		return true
	}
	if !in.fromDaemon() {
		return false
	}
	if in.subjectHas(exchangeSubjects...) {
		return true
	}
	xm := in.header("X-Mailer")
	if containsFold(xm, "internet mail service") || containsFold(xm, "microsoft exchange") {
		return true
	}
	for _, v := range in.m.Header.Values("Received") {
		if containsFold(v, "with internet mail service") {
			return true
		}
	}
	return false
}

// decodeExchange reads an Exchange NDR of any generation.
func decodeExchange(in *input) *Report { return decodeMicrosoft(in) }

// decodeMicrosoft reads the NDRs that Exchange and Exchange Online share:
// the DSN when there is one, with the administrators' block filling the
// diagnostics it lacks; else the recipients from the text.
func decodeMicrosoft(in *input) *Report {
	text := in.text()
	if r := reportFromDSN(in); r != nil {
		fromText := adminBlockRecipients(text)
		fillDiagnostics(r.Recipients, fromText)
		expiredCause(r.Recipients, fromText)
		return r
	}
	rs := adminBlockRecipients(text)
	if len(rs) == 0 {
		rs = exchange2003Recipients(text)
	}
	if len(rs) == 0 {
		rs = failedListRecipients(text)
	}
	if len(rs) == 0 {
		return nil
	}
	finishRecipients(rs)
	r := &Report{Kind: Bounce, Recipients: rs}
	r.Original, _ = bounceOriginal(in)
	return r
}

// fillDiagnostics copies the text's diagnostic to DSN recipients that came
// without one.
func fillDiagnostics(rs, fromText []Recipient) {
	for i := range rs {
		if rs[i].Diagnostic != "" {
			continue
		}
		for _, t := range fromText {
			if t.Address == rs[i].Address {
				rs[i].Diagnostic = t.Diagnostic
			}
		}
	}
}

// expiredCause replaces the status of a recipient that expired in the queue
// (x.4.7, Exchange's "QUEUE.Expired") by the cause the administrators'
// block gives for the earlier attempts ("441 4.4.1 … Failed to connect"),
// which says more about what went wrong.
func expiredCause(rs, fromText []Recipient) {
	for i := range rs {
		if !strings.HasSuffix(rs[i].Status, ".4.7") {
			continue
		}
		for _, t := range fromText {
			if t.Address != rs[i].Address {
				continue
			}
			for d := t.Diagnostic; d != ""; {
				st := StatusFromText(d)
				if st == "" {
					break
				}
				if !strings.HasSuffix(st, ".4.7") {
					rs[i].Status = st
					break
				}
				d = d[strings.Index(d, st)+len(st):]
			}
		}
	}
}

// adminMarkers open the "Diagnostic information for administrators" block
// in the languages Exchange ships, lower case.
var adminMarkers = []string{
	"diagnostic information for administrators", "informations de diagnostic pour les administrateurs",
	"diagnoseinformationen für administratoren", "informazioni di diagnostica per gli amministratori",
	"información de diagnóstico para administradores", "diagnostische informatie voor beheerders",
	"informações de diagnóstico para administradores", "管理者向けの診断情報", "管理者用の診断情報",
	"диагностические сведения для администраторов", "管理员的诊断信息", "系統管理員的診斷資訊",
}

// adminEndMarkers close it: the original's header follows.
var adminEndMarkers = []string{
	"original message headers", "en-têtes de message d'origine", "ursprüngliche nachrichtenkopfzeilen",
	"intestazioni originali del messaggio", "encabezados del mensaje original", "originele berichtkoppen",
	"cabeçalhos da mensagem original", "元のメッセージ ヘッダー", "исходные заголовки сообщения", "原始邮件头",
}

// adminBlockRecipients reads the administrators' block of Exchange 2007 and
// later: a line holding only the recipient's address, then the remote
// server's reply ("#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
// "Remote Server returned '550 …'") until a blank line.
func adminBlockRecipients(text string) []Recipient {
	lower := lowerASCII(text)
	start := firstMarker(lower, adminMarkers)
	if start < 0 {
		return nil
	}
	var out []Recipient
	var cur *Recipient
	for _, l := range textLines(text[start:])[1:] {
		t := strings.TrimSpace(l)
		tl := strings.ToLower(t)
		if hasAny(tl, adminEndMarkers...) || strings.HasPrefix(tl, "received:") || len(out) >= maxGenericRecipients {
			break
		}
		switch {
		case t == "":
			if cur != nil && cur.Diagnostic != "" {
				cur = nil
			}
		case isAddressLine(t):
			out = append(out, Recipient{Address: mailparse.FindAddresses(t, 1)[0], Action: "failed"})
			cur = &out[len(out)-1]
		case cur != nil && len(cur.Diagnostic) < maxDiagLen:
			cur.Diagnostic = squeeze(cur.Diagnostic + " " + strings.Trim(t, "#"))
		}
	}
	for i := range out {
		out[i].Diagnostic = strings.TrimSpace(strings.TrimSuffix(out[i].Diagnostic, "#"))
	}
	return out
}

// exchange2003Markers introduce the recipient list of Exchange 5.5/2003.
var exchange2003Markers = []string{
	"did not reach the following recipient", "the following recipient(s) could not be reached",
	"could not be delivered to the following recipient",
}

// exchange2003Recipients reads the list of Exchange 5.5 and 2003:
// "kijitora@example.jp on Thu, 29 Apr 2010 …" lines, each followed by
// indented reasons ("The recipient name is not recognized", an
// "MSEXCH:IMS:…" code).
func exchange2003Recipients(text string) []Recipient {
	lower := lowerASCII(text)
	start := firstMarker(lower, exchange2003Markers)
	if start < 0 {
		return nil
	}
	var out []Recipient
	for _, l := range textLines(text[start:])[1:] {
		t := strings.TrimSpace(l)
		if t == "" {
			if len(out) > 0 {
				break
			}
			continue
		}
		if len(out) >= maxGenericRecipients {
			break
		}
		first, _, _ := strings.Cut(t, " ")
		if strings.Contains(first, "@") && len(mailparse.FindAddresses(first, 1)) == 1 {
			out = append(out, Recipient{Address: mailparse.FindAddresses(first, 1)[0], Action: "failed"})
			continue
		}
		if len(out) == 0 || strings.HasPrefix(t, ";") || strings.Contains(strings.ToLower(t), "mts-id") {
			continue
		}
		cur := &out[len(out)-1]
		cur.Diagnostic = squeeze(cur.Diagnostic + " " + t)
	}
	return out
}

// failedListMarkers open the human-readable list of newer NDRs.
var failedListMarkers = []string{
	"delivery has failed to these recipients", "échec de la remise pour ces destinataires",
	"übermittlung an folgende empfänger", "recapito non riuscito per i seguenti destinatari",
	"error en la entrega a estos destinatarios", "your message to", "couldn't be delivered to",
}

// failedListRecipients reads the list at the top of an NDR that lacks the
// administrators' block (some HTML-only NDRs): "Name<mailto:a@b.c>" or
// bare address lines, each with the explanation under it.
func failedListRecipients(text string) []Recipient {
	lower := lowerASCII(text)
	start := firstMarker(lower, failedListMarkers)
	if start < 0 {
		return nil
	}
	lines := textLines(text[start:])
	var out []Recipient
	for i, l := range lines {
		if i > 60 || len(out) >= maxGenericRecipients {
			break
		}
		t := strings.TrimSpace(l)
		if i == 0 {
			// "Your message to a@b.c couldn't be delivered."
			for _, a := range mailparse.FindAddresses(t, 4) {
				out = append(out, Recipient{Address: a, Action: "failed", Diagnostic: diagnosticAt(lines, i+1)})
			}
			continue
		}
		addr := ""
		if j := strings.Index(lowerASCII(t), "<mailto:"); j >= 0 {
			if as := mailparse.FindAddresses(t[j:], 1); len(as) == 1 {
				addr = as[0]
			}
		} else if isAddressLine(t) {
			addr = mailparse.FindAddresses(t, 1)[0]
		}
		if addr != "" {
			out = append(out, Recipient{Address: addr, Action: "failed", Diagnostic: diagnosticAt(lines, i+1)})
		}
	}
	return out
}
