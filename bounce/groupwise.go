package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Novell (now Micro Focus/OpenText) GroupWise's Internet Agent, GWIA,
// reports a failure under the subject "Message status - undeliverable",
// from the gateway's own address, with X-Mailer "GroupWise Internet Agent":
//
//	The message that you sent was undeliverable to the following:
//		bob@example.org (user not found)
//		carl@example.org (host: mx.example.org) (queue: Smtp) (Mailbox full)
//
//	Possibly truncated original message follows:
//
//	<the original, header and body, as text or attached>
//
// Each address is followed by parenthesised notes, the reason last; the
// address is written as the sender typed it and may lack a domain.

// gwIntro introduces the list of addresses, lower case.
const gwIntro = "was undeliverable to the following:"

// matchGroupWise: GWIA's subject, or its X-Mailer on mail from a mail
// system.
func matchGroupWise(in *input) bool {
	if forwardedByPerson(in) {
		return false
	}
	if in.subject == "message status - undeliverable" {
		return true
	}
	return strings.Contains(in.header("X-Mailer"), "GroupWise") && in.fromDaemon()
}

// decodeGroupWise reads the indented list after GWIA's sentence.
func decodeGroupWise(in *input) *Report {
	text := in.text()
	lower := in.lower()
	at := strings.Index(lower, gwIntro)
	if at < 0 {
		return nil
	}
	r := &Report{Kind: Bounce}
	for i, l := range textLines(text[at+len(gwIntro):]) {
		if i == 0 {
			continue // the rest of the sentence's line
		}
		if len(r.Recipients) >= maxRecipients {
			break
		}
		if strings.TrimSpace(l) == "" {
			if len(r.Recipients) > 0 {
				break
			}
			continue
		}
		if l[0] != ' ' && l[0] != '\t' {
			break
		}
		addr, reason := gwRecipient(strings.TrimSpace(l))
		if addr == "" {
			continue
		}
		r.Recipients = append(r.Recipients, Recipient{Address: addr, Action: "failed", Diagnostic: reason})
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// gwRecipient splits "bob@example.org (host: x) (queue: Smtp) (reason)"
// into the address and the last parenthesised note. A name without a
// domain is no address a report can carry: "".
func gwRecipient(t string) (addr, reason string) {
	head, notes, _ := strings.Cut(t, "(")
	addr = mailparse.Address(strings.TrimSpace(head))
	if addr == "" {
		return "", ""
	}
	if open := strings.LastIndexByte(t, '('); open >= 0 && len(notes) > 0 {
		reason = strings.TrimSuffix(strings.TrimSpace(t[open+1:]), ")")
	}
	return addr, clip(strings.TrimSpace(reason))
}
