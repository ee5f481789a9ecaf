package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// challengeHeaders are set by challenge-response systems on their
// requests (TMDA, Boxbe, SpamArrest, Bluebottle, MailInBlack, Qurb, ASK).
var challengeHeaders = []string{
	"X-TMDA-Confirm-Done", "X-TMDA-Fingerprint", "X-Boxbe-Challenge", "X-Boxbe-Pending",
	"X-Spamarrest-Challenge", "X-SpamArrest-noauth", "X-Bluebottle-Challenge",
	"X-Mailinblack", "X-MIB-Challenge", "X-Qurb-Challenge", "X-ASK-Info", "X-Challenge",
	"X-Challenge-Response",
}

// challengeSubjects are lower-case subject fragments of such requests.
var challengeSubjects = []string{
	"please confirm your message", "confirm your message", "please verify your message",
	"verify you are human", "awaiting your confirmation", "awaits your confirmation",
	"waiting for your confirmation", "requires confirmation", "needs to be confirmed",
	"sender verification", "authentication required", "spam protection",
	"[spamarrest", "boxbe", "mailinblack", "please validate", "confirmation requise",
	"bestätigung erforderlich",
}

// challengeWords are what a request's text says, lower case. A signup
// confirmation ("verify your email address") says none of these: the
// request must be about a message the reader sent being held.
var challengeWords = []string{
	"challenge-response", "challenge response", "your message has been held",
	"has been held until", "held until you", "before your message can be delivered",
	"your message will be delivered", "will be delivered once", "approved senders",
	"add you to my", "whitelist", "white list", "allowed senders", "verify you are human",
	"prove you are a person", "you are a person and not", "not a spam program",
	"unconfirmed messages", "sender verification",
}

// isChallenge: a challenge header, or a challenge subject.
func isChallenge(in *input) bool {
	for _, h := range challengeHeaders {
		if in.header(h) != "" {
			return true
		}
	}
	return in.subjectHas(challengeSubjects...)
}

// decodeChallenge claims a challenge-response request when its header
// says so, or its text talks of holding the reader's message until they
// prove themselves.
func decodeChallenge(in *input) *Report {
	byHeader := false
	for _, h := range challengeHeaders {
		byHeader = byHeader || in.header(h) != ""
	}
	if !byHeader && !hasAny(strings.ToLower(in.text()), challengeWords...) {
		return nil
	}
	r := &Report{Kind: Challenge}
	if o, ok := attachedOriginal(in.m); ok {
		r.Original = o
	} else if o, ok := inlineOriginal(in); ok {
		r.Original = o
	}
	// The challenger is the one the original was sent to: TMDA names its
	// primary address, others only the held copy's To.
	if a := mailparse.Address(in.header("X-Primary-Address")); a != "" {
		r.Recipients = []Recipient{{Address: a, Action: "held"}}
	} else if len(r.Original.To) > 0 {
		r.Recipients = []Recipient{{Address: r.Original.To[0], Action: "held"}}
	}
	return r
}
