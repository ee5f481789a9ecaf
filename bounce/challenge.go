package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// A challenge-response system answers mail from unknown senders with a
// request to prove they are a person before the mail is delivered. Mail
// with a forged sender draws such requests too, so they are backscatter
// unless the person wrote the held message. What sets a request apart from
// the many "please verify your email" mails a person does want — sign-up
// confirmations, newsletter opt-ins, password resets — is that it is about
// a message the reader sent, which is being held.

// challengeHeaders are set by challenge-response systems on their
// requests (TMDA, Boxbe, SpamArrest, Bluebottle, MailInBlack, Qurb, ASK).
var challengeHeaders = []string{
	"X-TMDA-Confirm-Done", "X-TMDA-Fingerprint", "X-Boxbe-Challenge", "X-Boxbe-Pending",
	"X-Spamarrest-Challenge", "X-SpamArrest-noauth", "X-Bluebottle-Challenge",
	"X-Mailinblack", "X-MIB-Challenge", "X-Qurb-Challenge", "X-ASK-Info", "X-AskVersion",
	"X-Challenge", "X-Challenge-Response",
}

// challengeAgents are the products as they name themselves in X-Mailer,
// X-Delivery-Agent or the From display name, lower case.
var challengeAgents = []string{
	"tmda", "active spam killer", "boxbe", "spam arrest", "spamarrest", "mailinblack",
	"bluebottle", "qurb",
}

// challengeSubjects are lower-case subject fragments of such requests, in
// English, German, French and Spanish. BoxTrapper's subject is
// "verify#<id>", ASK's ends "(conf#<hash>)".
var challengeSubjects = []string{
	"please confirm your message", "confirm your message", "please verify your message",
	"verify your message", "verify you are human", "confirm you are human",
	"awaiting your confirmation", "awaits your confirmation", "awaiting confirmation",
	"waiting for your confirmation", "requires confirmation", "needs to be confirmed",
	"sender verification", "verification required", "authentication request",
	"authentication required", "please verify your email", "please validate",
	"verify#", "(conf#", "[spamarrest", "boxbe", "mailinblack",
	"bestätigen sie ihre nachricht", "bestätigung erforderlich", "absenderbestätigung",
	"absenderverifizierung",
	"confirmation requise", "demande d'authentification", "authentification requise",
	"confirmez votre message", "confirmer votre message",
	"confirme su mensaje", "confirmar su mensaje", "verificación de remitente",
	"verifique su mensaje",
}

// challengeHeld say, lower case, that the reader's message is held until
// they prove themselves.
var challengeHeld = []string{
	"challenge-response", "challenge response", "being held", "been held", "held until",
	"on hold until", "waiting list", "not been delivered yet", "before your message can be delivered",
	"before your message will be delivered", "your message will be delivered",
	"will be delivered once", "will be delivered as soon as", "will be delivered when",
	"awaiting your confirmation", "awaiting confirmation", "pending verification",
	"pending confirmation", "unconfirmed messages", "approved senders", "release your message",
	"zurückgehalten", "erst zugestellt", "unbestätigte nachrichten",
	"mis en attente", "en attente de confirmation", "me sera remis", "sera délivré", "défi-réponse",
	"ha sido retenido", "ha sido retenida", "será entregado en cuanto", "será entregado cuando",
	"desafío-respuesta", "pendiente de confirmación",
}

// challengeAsk say, lower case, what the reader is asked to do.
var challengeAsk = []string{
	"verify", "confirm", "prove", "reply to this", "click", "bestätig", "klicken", "cliquez",
	"prouv", "vérifi", "verific", "haga clic",
}

// notChallenge are, lower case, the words of the mails that ask to verify
// an address for the reader's own sake: sign-up confirmations, newsletter
// opt-ins, password resets. None of them is about a held message.
var notChallenge = []string{
	"password", "passwort", "mot de passe", "contraseña", "newsletter", "subscription",
	"subscribe", "mailing list", "create your account", "creating your account",
	"account creation", "signing up", "signed up", "sign up", "registration",
	"activate your account", "abonnement", "anmeldung", "inscription", "suscripción",
}

// trackerHeaders mark the mail of bug trackers and ticket systems. Their
// notifications quote whatever a ticket says — a bounce, a virus notice, a
// challenge — and are none of these themselves.
var trackerHeaders = []string{
	"X-Bugzilla-Product", "X-Bugzilla-Reason", "X-Bugzilla-Type", "X-JIRA-FingerPrint",
	"RT-Ticket", "X-Redmine-Project", "X-GitHub-Reason", "X-GitLab-Project", "X-Trac-Ticket-ID",
}

// trackerMail reports mail from a bug tracker or ticket system.
func trackerMail(in *input) bool {
	for _, h := range trackerHeaders {
		if in.header(h) != "" {
			return true
		}
	}
	return false
}

// challengeHeader reports a challenge-response system's own header field.
func challengeHeader(in *input) bool {
	for _, h := range challengeHeaders {
		if in.header(h) != "" {
			return true
		}
	}
	return false
}

// challengeAgent reports a challenge-response product naming itself.
func challengeAgent(in *input) bool {
	name, _, _ := strings.Cut(in.header("From"), "<")
	for _, s := range []string{in.header("X-Mailer"), in.header("X-Delivery-Agent"), name} {
		for _, agent := range challengeAgents {
			if containsFold(s, agent) {
				return true
			}
		}
	}
	return false
}

// isChallenge: a challenge header or product, or a challenge subject.
func isChallenge(in *input) bool {
	return challengeHeader(in) || challengeAgent(in) || in.subjectHas(challengeSubjects...)
}

// decodeChallenge claims a challenge-response request. Its own header field
// is enough; otherwise the request's own text (not the held copy) must say
// that the reader's message is held and what to do about it, and must not
// be a sign-up, opt-in or password mail; and unless a C/R product names
// itself, the request must be marked automatic, since a person may well
// write "is the order being held until you confirm?". List mail is never a
// request.
func decodeChallenge(in *input) *Report {
	if trackerMail(in) || in.viaList() || in.header("List-Unsubscribe") != "" {
		return nil
	}
	region := strings.ToLower(ownText(in))
	if !challengeHeader(in) {
		if hasAny(region, notChallenge...) {
			return nil
		}
		if !challengeAgent(in) && (!automatic(in) || !hasAny(region, challengeHeld...) || !hasAny(region, challengeAsk...)) {
			return nil
		}
	}
	r := &Report{Kind: Challenge}
	if o, ok := attachedOriginal(in.m); ok {
		r.Original = o
	} else if o, ok := inlineOriginal(in); ok {
		r.Original = o
	}
	if a := challenger(in, r.Original); a != "" {
		r.Recipients = []Recipient{{Address: a, Action: "held"}}
	}
	return r
}

// automatic reports the marks of a machine-made message: Auto-Submitted
// (RFC 3834), the Precedence values mail robots set, an empty envelope
// sender, a daemon's address.
func automatic(in *input) bool {
	as := strings.ToLower(strings.TrimSpace(in.header("Auto-Submitted")))
	if as != "" && as != "no" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(in.header("Precedence"))) {
	case "bulk", "junk", "auto_reply":
		return true
	}
	return in.fromDaemon()
}

// challenger is the address the held message was sent to: TMDA names it
// in X-Primary-Address, a held copy in its To; else the request's own
// sender (Qurb and ASK send from the person's address), unless that is a
// service's address — a confirm, verify or notify alias (TMDA, Boxbe,
// SpamArrest, Bluebottle), a daemon — rather than the person's.
func challenger(in *input, o Original) string {
	if a := mailparse.Address(in.header("X-Primary-Address")); a != "" {
		return a
	}
	if len(o.To) > 0 {
		return o.To[0]
	}
	local, _, _ := strings.Cut(in.from, "@")
	// Not fromDaemon: requests often come with an empty Return-Path.
	if in.from == "" || local == "postmaster" ||
		hasAny(local, "daemon", "confirm", "verify", "notify", "challenge", "guard", "noreply", "no-reply") {
		return ""
	}
	return in.from
}

// ownText is the message's text up to the copy of the original it
// carries, if any: the words of the notice itself, not of the message it
// is about.
func ownText(in *input) string {
	text := in.text()
	if end := originalStart(in.lower()); end >= 0 {
		return text[:end]
	}
	return text
}
