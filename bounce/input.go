package bounce

import (
	"strings"

	"github.com/bounceguard/bounceguard/dsn"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// maxText bounds the text a decoder searches: bounces put what matters
// near the top, and a forged bounce of a 20 MB message must not cost more.
const maxText = 128 << 10

// input is one message as the decoders see it, with the look-ups they
// share computed once, on first use.
type input struct {
	m       *mailparse.Message
	from    string // From addr-spec, lower case
	subject string // decoded, lower case
	ctype   string // top-level media type
	params  map[string]string

	textDone  bool
	txt       string
	lowerDone bool
	low       string

	dsnDone bool
	dsnRep  *dsn.Report
}

func newInput(m *mailparse.Message) *input {
	in := &input{
		m:       m,
		from:    mailparse.Address(m.Header.Get("From")),
		subject: strings.ToLower(mailparse.DecodeWords(m.Header.Get("Subject"))),
	}
	in.ctype, in.params = m.Header.ContentType()
	return in
}

// text is the message's readable text, at most maxText bytes.
func (in *input) text() string {
	if !in.textDone {
		in.txt, in.textDone = in.m.Text(maxText), true
	}
	return in.txt
}

// lower is text() with its ASCII letters lower-cased (offsets into it are
// offsets into text()), made once for all the decoders that search it.
func (in *input) lower() string {
	if !in.lowerDone {
		in.low, in.lowerDone = lowerASCII(in.text()), true
	}
	return in.low
}

// dsn is the message's delivery status report, or nil.
func (in *input) dsn() *dsn.Report {
	if !in.dsnDone {
		in.dsnDone = true
		if r, err := dsn.FromMessage(in.m); err == nil {
			in.dsnRep = r
		}
	}
	return in.dsnRep
}

// header returns the value of the top-level header field key.
func (in *input) header(key string) string { return in.m.Header.Get(key) }

// fromDaemon reports whether the message comes from a mail system rather
// than a person: MAILER-DAEMON, postmaster and their kin, or an empty
// envelope sender.
func (in *input) fromDaemon() bool {
	local, _, _ := strings.Cut(in.from, "@")
	switch local {
	case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "maildaemon",
		"mail.daemon", "mailer_daemon", "mdaemon", "smtp", "mta", "root",
		"mailadmin", "bounce", "bounces", "nobody", "noreply", "no-reply", "administrator", "system":
		return true
	}
	if strings.Contains(local, "mailer-daemon") || strings.Contains(local, "postmaster") {
		return true
	}
	rp := strings.TrimSpace(in.header("Return-Path"))
	return rp == "<>" || strings.EqualFold(rp, "<MAILER-DAEMON>")
}

// viaList reports whether the message came through a mailing list.
func (in *input) viaList() bool {
	if in.header("List-Id") != "" || in.header("List-Post") != "" || in.header("Mailing-List") != "" {
		return true
	}
	// Not "bulk": vacation programs mark their own replies so.
	return strings.EqualFold(strings.TrimSpace(in.header("Precedence")), "list")
}

// subjectHas reports whether the lower-cased subject contains any of subs.
func (in *input) subjectHas(subs ...string) bool {
	for _, s := range subs {
		if strings.Contains(in.subject, s) {
			return true
		}
	}
	return false
}
