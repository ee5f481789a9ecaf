package bounce

import (
	"strings"
)

// The DragonFly Mail Agent (dma, DragonFly BSD's and others' small MTA)
// writes one plain-text bounce per failed recipient, under the subject
// "Mail delivery failed", with a Received field naming itself:
//
//	This is the DragonFly Mail Agent v0.13 at mx.example.net.
//
//	There was an error delivering your mail to <bob@example.org>.
//
//	mx.example.org [192.0.2.1] did not like our RCPT TO:
//	550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown
//
//	Message headers follow.
//
// then the original's header (or, configured so, "Original message
// follows." and the whole message). Its own reasons carry no code:
// "DNS lookup failure: host x not found", "Could not deliver for the last
// 432000 seconds. Giving up."

// dmaIntro starts dma's text; dmaRecipient names the failed address;
// dmaCopyMarkers end the report.
var (
	dmaIntro       = "this is the dragonfly mail agent"
	dmaRecipient   = "there was an error delivering your mail to <"
	dmaCopyMarkers = []string{"message headers follow.", "original message follows."}
)

// matchDragonFly: dma's Received field or its subject, on mail from a mail
// system ("MAILER-DAEMON <>"): people's mail that dma relays carries the
// Received field too.
func matchDragonFly(in *input) bool {
	if forwardedByPerson(in) || senderEvidence(in) == 0 {
		return false
	}
	return receivedHas(in, "DragonFly Mail Agent") || in.subject == "mail delivery failed"
}

// receivedHas reports whether one of the message's first Received fields
// contains s (as the product names itself, case and all).
func receivedHas(in *input, s string) bool {
	n := 0
	for _, f := range in.m.Header {
		if !strings.EqualFold(f.Key, "Received") {
			continue
		}
		if strings.Contains(f.Value, s) {
			return true
		}
		if n++; n >= 16 {
			break
		}
	}
	return false
}

// decodeDragonFly reads a dma bounce.
func decodeDragonFly(in *input) *Report {
	text := in.text()
	lower := in.lower()
	at := strings.Index(lower, dmaIntro)
	if at < 0 {
		return nil
	}
	text, lower = text[at:], lower[at:]
	if end := firstMarker(lower, dmaCopyMarkers); end >= 0 {
		text, lower = text[:end], lower[:end]
	}
	r := &Report{Kind: Bounce}
	for off := 0; len(r.Recipients) < maxRecipients; {
		i := strings.Index(lower[off:], dmaRecipient)
		if i < 0 {
			break
		}
		start := off + i + len(dmaRecipient)
		gt := strings.IndexByte(lower[start:], '>')
		if gt < 0 {
			break
		}
		addr := lower[start : start+gt]
		off = start + gt
		if !mailboxAddress(addr) {
			continue
		}
		// The reason is the paragraphs after this sentence, up to the
		// next recipient's.
		body := text[off:]
		if nl := strings.IndexByte(body, '\n'); nl >= 0 {
			body = body[nl+1:]
		} else {
			body = ""
		}
		if next := strings.Index(lowerASCII(body), dmaRecipient); next >= 0 {
			body = body[:next]
		}
		r.Recipients = append(r.Recipients, Recipient{
			Address:    addr,
			Action:     "failed",
			Diagnostic: squeeze(body),
			RemoteMTA:  dmaRemote(body),
		})
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// dmaRemote is the host of "mx.example.org [192.0.2.1] did not like our
// RCPT TO:", or "".
func dmaRemote(body string) string {
	i := strings.Index(body, " did not like our ")
	if i < 0 {
		return ""
	}
	line := body[strings.LastIndexByte(body[:i], '\n')+1 : i]
	host, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return strings.ToLower(host)
}
