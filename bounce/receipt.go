package bounce

import "strings"

// Outlook and Exchange turn read receipts into plain text ("Read: …",
// "Not read: …") when they pass them on inside an organisation or to a
// client that does not show RFC 8098 reports: "Your message / To: … /
// Subject: … / was read on …". Such a receipt answers mail the person
// sent, and its quoted subject may well say "Delivery failed", so it must
// not be taken for a bounce.

// receiptSubjects start, lower case, the subject of such receipts in the
// languages Outlook writes them in.
var receiptSubjects = []string{
	"read:", "not read:", "gelesen:", "ungelesen:", "nicht gelesen:", "lu :", "lu:",
	"non lu :", "non lu:", "leído:", "no leído:", "letto:", "non letto:", "gelezen:",
	"niet gelezen:", "lido:", "não lido:", "прочитано:", "не прочитано:", "已读:", "未读:",
	"開封済み:", "未開封:",
}

// receiptWords are, lower case, what the receipt's text says happened.
var receiptWords = []string{
	"was read on", "without being read", "wurde am", "gelesen", "a été lu", "a été supprimé",
	"fue leído", "se eliminó sin leer", "è stato letto", "is gelezen", "foi lido",
	"было прочитано", "已读", "開封されました",
}

// plainReceipt reports a plain-text read receipt: its subject says so,
// and its text is "Your message … was read on …".
func plainReceipt(in *input) bool {
	if !hasPrefixAny(in.subject, receiptSubjects...) || in.ctype == "multipart/report" {
		return false
	}
	text := in.text()
	if len(text) > 4096 {
		text = text[:4096] // a receipt is a few lines
	}
	lower := strings.ToLower(text)
	return hasAny(lower, "your message", "ihre nachricht", "votre message", "su mensaje",
		"il suo messaggio", "uw bericht", "sua mensagem", "ваше сообщение", "您的邮件", "メッセージ") &&
		hasAny(lower, receiptWords...)
}
