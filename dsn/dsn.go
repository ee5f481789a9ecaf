// Package dsn reads delivery status notifications: RFC 3464 reports
// (multipart/report; report-type=delivery-status) and their RFC 6533
// internationalised form.
//
// Real MTAs bend the format in many ways, so the reader is lenient (line
// endings, folding, case, missing blocks and types, codes only in the
// diagnostic) but bounded in every dimension, since its input comes from
// anyone who can send mail.
package dsn

import (
	"time"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// PerMessage holds the per-message fields of a delivery-status body
// (RFC 3464 section 2.2).
type PerMessage struct {
	ReportingMTA       string // the name, without its "dns;" type
	DSNGateway         string
	ReceivedFromMTA    string
	OriginalEnvelopeID string
	ArrivalDate        time.Time
}

// Recipient holds the per-recipient fields (RFC 3464 section 2.3).
type Recipient struct {
	FinalRecipient    string // address only, without its "rfc822;" type
	OriginalRecipient string
	Action            string // lower case: failed, delayed, delivered, relayed, expanded
	Status            string // e.g. 5.1.1
	DiagnosticCode    string // the text after its "smtp;" type
	RemoteMTA         string
	LastAttemptDate   time.Time
	WillRetryUntil    time.Time
	// ActualRecipient is the non-standard X-Actual-Recipient field that
	// Postfix and others add after alias expansion, without its type.
	ActualRecipient string
}

// Address returns the recipient's best known address: Final-Recipient,
// else X-Actual-Recipient, else Original-Recipient (some MTAs write only
// the latter).
func (r *Recipient) Address() string {
	switch {
	case r.FinalRecipient != "":
		return r.FinalRecipient
	case r.ActualRecipient != "":
		return r.ActualRecipient
	}
	return r.OriginalRecipient
}

// Status is a parsed delivery-status body.
type Status struct {
	PerMessage
	Recipients []Recipient
	// Truncated is set when a limit (input size, recipients, fields per
	// block, field length) cut something off.
	Truncated bool
}

// Report is a whole delivery status notification.
type Report struct {
	Status
	// HumanText is the first, human-readable part (text/plain, else
	// text/html with the markup removed), at most MaxHumanText bytes.
	HumanText string
	// Original is the returned message or its header; nil when the report
	// carries neither.
	Original *Original
}

// Original is the message a report is about.
type Original struct {
	Header      mailparse.Header
	HeadersOnly bool   // text/rfc822-headers, message/global-headers, or a header block sent as text/plain
	MessageID   string // without angle brackets; "" when absent
	Raw         []byte // the part's content as it came, for signature checks
}

// Parse reads a raw message as a delivery status notification.
func Parse(raw []byte) (*Report, error) {
	return FromMessage(mailparse.Parse(raw))
}
