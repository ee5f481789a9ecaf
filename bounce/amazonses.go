package bounce

import (
	"encoding/json"
	"strings"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// Amazon SES reports on mail sent through it in two ways:
//   - a standard DSN from MAILER-DAEMON@…amazonses.com to the envelope
//     sender. Before about 2012 its Diagnostic-Code put SES's own class
//     first and quoted the remote server after it: "5.1.0 - Unknown address
//     error 550-'5.7.1 <a@b>... Access denied' (delivery attempts: 0)";
//     when SES gives up it writes "554 4.4.7 Message expired: unable to
//     deliver in 840 minutes.<421 4.4.2 Connection timed out>", the remote
//     server's last reply in angle brackets.
//   - a JSON event notification (Bounce, Delivery, Complaint) sent through
//     SNS to the address the sender subscribed, from no-reply@sns.amazonaws.com
//     with x-amz-sns-* fields: the JSON alone in the body, or wrapped in
//     SNS's own JSON envelope as an escaped string ("Message").
//
// A bounce or delivery notification is about mail the account sent, so
// it is reported as a Bounce with the recipients' fate; a complaint is a
// feedback report, as ARF is, and no bounce (see notBounce). The JSON names
// the original only by SES's own message ID, unless the sender set a
// Message-ID field; only the latter is reported as the original's.

// matchAmazonSES: SES's MAILER-DAEMON, or an SNS notification.
func matchAmazonSES(in *input) bool {
	_, dom, _ := strings.Cut(in.from, "@")
	if dom == "amazonses.com" || strings.HasSuffix(dom, ".amazonses.com") {
		return in.fromDaemon()
	}
	return isSNSNotification(in)
}

// isSNSNotification reports a message SNS sent: its address and its own
// header fields.
func isSNSNotification(in *input) bool {
	return in.from == "no-reply@sns.amazonaws.com" && in.header("X-Amz-Sns-Message-Id") != ""
}

// decodeAmazonSES reads an SES DSN or JSON notification.
func decodeAmazonSES(in *input) *Report {
	if isSNSNotification(in) {
		return decodeSESNotification(in)
	}
	r := reportFromDSN(in)
	if r == nil {
		return nil
	}
	for i := range r.Recipients {
		rc := &r.Recipients[i]
		if c := sesStatus(rc.Diagnostic); c != "" {
			rc.Status = c
		}
	}
	return r
}

// sesStatus is the remote server's code in an SES diagnostic, which says
// what went wrong better than SES's own: the code in a trailing "<421
// 4.4.2 …>", else the one in a quoted reply after SES's class ("5.1.0 -
// Unknown address error 550-'5.7.1 …'"), else that class. "" when the
// diagnostic has none of these shapes.
func sesStatus(diag string) string {
	if lt := strings.LastIndexByte(diag, '<'); lt >= 0 && strings.HasSuffix(strings.TrimSpace(diag), ">") {
		if inner := diag[lt+1:]; smtpReply(inner) {
			if c := StatusFromText(inner); c != "" {
				return c
			}
		}
	}
	class := StatusFromText(diag)
	if class == "" || !strings.HasPrefix(diag, class+" - ") {
		return ""
	}
	if q := strings.IndexByte(diag, '\''); q >= 0 {
		if c := StatusFromText(diag[q+1:]); c != "" {
			return c
		}
	}
	return class
}

// maxSESJSON bounds the JSON read from one notification.
const maxSESJSON = 64 << 10

// sesEvent is the part of an SES event notification (the "notificationType"
// or, from event publishing, "eventType" form) that says what happened.
type sesEvent struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		ReportingMTA      string `json:"reportingMTA"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Action         string `json:"action"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Delivery *struct {
		Recipients   []string `json:"recipients"`
		SMTPResponse string   `json:"smtpResponse"`
		ReportingMTA string   `json:"reportingMTA"`
	} `json:"delivery"`
	Mail struct {
		Timestamp     string   `json:"timestamp"`
		Source        string   `json:"source"`
		Destination   []string `json:"destination"`
		Headers       []struct{ Name, Value string }
		CommonHeaders struct {
			From      []string `json:"from"`
			To        []string `json:"to"`
			Subject   string   `json:"subject"`
			MessageID string   `json:"messageId"`
		} `json:"commonHeaders"`
	} `json:"mail"`
}

// snsEnvelope is SNS's JSON wrapper around the SES notification.
type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

// sesNotification reads the SES event in an SNS message's body, unwrapping
// SNS's envelope; nil when the body holds none.
func sesNotification(in *input) *sesEvent {
	body := in.text()
	start := strings.IndexByte(body, '{')
	if start < 0 {
		return nil
	}
	body = body[start:min(len(body), start+maxSESJSON)]
	// Sendmail splits lines longer than it allows with "!", a newline and
	// a space, inside the JSON's strings too.
	body = strings.ReplaceAll(body, "!\n ", "")
	var ev sesEvent
	var env snsEnvelope
	dec := json.NewDecoder(strings.NewReader(body))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil
	}
	if json.Unmarshal(raw, &env) == nil && env.Type == "Notification" && env.Message != "" {
		raw = json.RawMessage(env.Message)
	}
	if json.Unmarshal(raw, &ev) != nil {
		return nil
	}
	return &ev
}

// sesComplaint reports an SES complaint notification: the SES analogue of
// an ARF feedback report, which goes to the real sender.
func sesComplaint(in *input) bool {
	if !isSNSNotification(in) {
		return false
	}
	ev := sesNotification(in)
	return ev != nil && (ev.NotificationType == "Complaint" || ev.EventType == "Complaint")
}

// decodeSESNotification turns a Bounce or Delivery notification into a
// report.
func decodeSESNotification(in *input) *Report {
	ev := sesNotification(in)
	if ev == nil {
		return nil
	}
	kind := ev.NotificationType
	if kind == "" {
		kind = ev.EventType
	}
	r := &Report{Kind: Bounce}
	switch {
	case kind == "Bounce" && ev.Bounce != nil:
		for _, b := range ev.Bounce.BouncedRecipients {
			if len(r.Recipients) >= maxRecipients {
				break
			}
			addr := mailparse.Address(b.EmailAddress)
			if addr == "" {
				continue
			}
			action := strings.ToLower(b.Action)
			if action == "" {
				action = "failed"
			}
			diag := clip(dsnValue(b.DiagnosticCode))
			status := StatusFromText(b.Status)
			if status == "" {
				status = StatusFromText(diag)
			}
			r.Recipients = append(r.Recipients, Recipient{Address: addr, Action: action, Status: status,
				Diagnostic: diag, RemoteMTA: dsnValue(ev.Bounce.ReportingMTA)})
		}
	case kind == "Delivery" && ev.Delivery != nil:
		resp := clip(ev.Delivery.SMTPResponse)
		for _, a := range ev.Delivery.Recipients {
			if len(r.Recipients) >= maxRecipients {
				break
			}
			if addr := mailparse.Address(a); addr != "" {
				r.Recipients = append(r.Recipients, Recipient{Address: addr, Action: "delivered",
					Status: StatusFromText(resp), Diagnostic: resp})
			}
		}
	default:
		return nil
	}
	if len(r.Recipients) == 0 {
		return nil
	}
	finishRecipients(r.Recipients)
	r.Original = sesOriginal(ev)
	return r
}

// dsnValue drops a DSN type prefix ("smtp; ", "dsn; ").
func dsnValue(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ';'); i > 0 && i < 12 && !strings.ContainsAny(s[:i], " <@") {
		s = strings.TrimSpace(s[i+1:])
	}
	return s
}

// maxSESHeaders bounds the original's header fields taken from the JSON.
const maxSESHeaders = 100

// sesOriginal describes the original as the notification's "mail" object
// does.
func sesOriginal(ev *sesEvent) Original {
	m := ev.Mail
	var h mailparse.Header
	for _, f := range m.Headers {
		if len(h) >= maxSESHeaders {
			break
		}
		h = append(h, mailparse.Field{Key: f.Name, Value: f.Value})
	}
	o := originalFromHeader(h, "headers")
	if len(h) == 0 {
		o.Where, o.Header = "", nil
	}
	if o.MessageID == "" {
		o.MessageID = mailparse.MessageID(m.CommonHeaders.MessageID)
	}
	if o.From == "" && len(m.CommonHeaders.From) > 0 {
		o.From = mailparse.Address(m.CommonHeaders.From[0])
	}
	if o.From == "" {
		o.From = mailparse.Address(m.Source)
	}
	if len(o.To) == 0 {
		for _, a := range m.Destination {
			if len(o.To) >= maxRecipients {
				break
			}
			if addr := mailparse.Address(a); addr != "" {
				o.To = append(o.To, addr)
			}
		}
	}
	if o.Subject == "" {
		o.Subject = m.CommonHeaders.Subject
	}
	if o.Date.IsZero() {
		if t, ok := mailparse.Date(m.Timestamp); ok {
			o.Date = t.UTC()
		}
	}
	return o
}
