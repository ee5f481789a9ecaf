package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// fml, a Japanese mailing-list manager, marks its own mail with an
// X-MLServer field ("fml [fml 4.0.3 release …]") and sends two kinds of it:
//   - to the author of a post it refused, because the author is not a
//     member: "You are not a member of this mailing list <list@…>." under
//     the subject "You a@b are not member (list ML)". This is a bounce of
//     the post — and the backscatter a spammer who forges your address
//     into a closed list's traffic makes — so it is reported as one, the
//     list address as the recipient that did not get it.
//   - to the list's maintainers, alerts about the list's traffic ("Loop
//     Alert: Duplicated Message-ID", command reports). Those go to the
//     maintainer, not to the author of the message they quote, so they are
//     no bounce of the reader's mail: calling them one would sweep a list
//     maintainer's alerts into quarantine whenever the looping message was
//     someone else's. They are left alone (Kind None).

// fmlNotMember is fml's sentence refusing a non-member's post, lower case.
const fmlNotMember = "you are not a member of this mailing list"

// matchFML: fml's own field, which the list's posts carry too, and the
// subject of its refusal ("You a@b are not member (list ML)").
func matchFML(in *input) bool {
	return strings.HasPrefix(strings.TrimSpace(in.header("X-MLServer")), "fml") &&
		strings.HasPrefix(in.subject, "you ") && strings.Contains(in.subject, " are not member")
}

// decodeFML reads fml's refusal of a non-member's post: its sentence
// opens the text (a post that merely quotes it is no refusal).
func decodeFML(in *input) *Report {
	text := strings.TrimLeft(in.text(), " \t\r\n")
	if !strings.HasPrefix(lowerASCII(text), fmlNotMember) {
		return nil
	}
	line, _, _ := strings.Cut(text[len(fmlNotMember):], "\n")
	list := mailparse.Address(line)
	if list == "" {
		return nil
	}
	diag := squeeze(text[:len(fmlNotMember)+len(line)])
	// Delivery not authorised (RFC 3463): the list takes posts from its
	// members only.
	return &Report{Kind: Bounce, Recipients: []Recipient{{Address: list, Action: "failed", Status: "5.7.1", Diagnostic: diag}}}
}
