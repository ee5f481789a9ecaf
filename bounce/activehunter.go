package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Active!hunter, a Japanese mail gateway, sends its bounces as
// multipart/report with no delivery-status part, marked by an X-AHMAILID
// field and "Active!Hunter" in the MIME boundary. The text follows
// Sendmail's layout, each failed address on a ">>>" line:
//
//	  ----- The following addresses had permanent fatal errors -----
//
//	>>> bob@example.org <bob@example.org>
//
//	  ----- Transcript of session follows -----
//	550 sorry, no mailbox here by that name (#5.1.1 - chkusr)

// ahFailed introduces the failed addresses, ahTranscript the remote
// server's replies.
const (
	ahFailed     = "----- the following addresses had permanent fatal errors -----"
	ahTranscript = "----- transcript of session follows -----"
)

// matchActiveHunter: Active!hunter's own field or boundary on mail from a
// mail system (the gateway may stamp what it passes on as well).
func matchActiveHunter(in *input) bool {
	if senderEvidence(in) == 0 {
		return false
	}
	return in.header("X-AHMAILID") != "" || strings.Contains(in.boundary, "Active!Hunter")
}

// decodeActiveHunter reads the ">>>" addresses and the transcript.
func decodeActiveHunter(in *input) *Report {
	text := in.text()
	lower := in.lower()
	start := strings.Index(lower, ahFailed)
	if start < 0 {
		return nil
	}
	// The transcript marker is searched for after the list's own, which
	// it may overlap ("…errors ----- transcript…" shares the dashes).
	start += len(ahFailed)
	list := text[start:]
	var transcript []string
	if i := strings.Index(lower[start:], ahTranscript); i >= 0 {
		list = text[start : start+i]
		for _, l := range textLines(text[start+i+len(ahTranscript):]) {
			if len(transcript) >= 50 {
				break
			}
			if t := strings.TrimSpace(l); t != "" {
				transcript = append(transcript, t)
			}
		}
	}
	r := &Report{Kind: Bounce}
	for _, l := range textLines(list) {
		if len(r.Recipients) >= maxRecipients {
			break
		}
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, ">>> ") {
			continue
		}
		addrs := mailparse.FindAddresses(t, 1)
		if len(addrs) == 0 {
			continue
		}
		r.Recipients = append(r.Recipients, Recipient{Address: addrs[0], Action: "failed",
			Diagnostic: transcriptFor(transcript, addrs[0])})
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = textOriginal(in)
	return r
}

// transcriptFor is the transcript's lines that name addr, or the whole
// transcript when none does (one recipient, one reply).
func transcriptFor(transcript []string, addr string) string {
	var mine []string
	for _, l := range transcript {
		if strings.Contains(lowerASCII(l), addr) {
			mine = append(mine, l)
		}
	}
	if len(mine) == 0 {
		mine = transcript
	}
	return squeeze(strings.Join(mine, " "))
}
