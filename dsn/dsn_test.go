package dsn

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// utc makes times comparable with reflect.DeepEqual.
func utc(rs []Recipient) []Recipient {
	out := make([]Recipient, len(rs))
	for i, r := range rs {
		r.LastAttemptDate = r.LastAttemptDate.UTC()
		r.WillRetryUntil = r.WillRetryUntil.UTC()
		out[i] = r
	}
	return out
}

func TestParse(t *testing.T) {
	basic := struct {
		pm    PerMessage
		rcpts []Recipient
	}{
		PerMessage{ReportingMTA: "mx.example.net", OriginalEnvelopeID: "env-42", ArrivalDate: date("2026-03-03T09:00:01Z")},
		[]Recipient{{
			FinalRecipient: "bob@example.com", OriginalRecipient: "bob@example.com",
			Action: "failed", Status: "5.1.1", RemoteMTA: "mx.example.com",
			DiagnosticCode:  "550 5.1.1 <bob@example.com>: user unknown",
			LastAttemptDate: date("2026-03-03T09:00:04Z"),
		}, {
			FinalRecipient: "carol@example.com", Action: "delayed", Status: "4.2.2",
			DiagnosticCode: "452 4.2.2 mailbox full", WillRetryUntil: date("2026-03-06T09:00:01Z"),
		}},
	}
	tests := []struct {
		file        string
		err         string // a part of the expected error; "" for none
		pm          PerMessage
		rcpts       []Recipient
		human       string // a part of HumanText
		origID      string
		headersOnly bool
	}{
		{file: "basic.eml", pm: basic.pm, rcpts: basic.rcpts, human: "could not be delivered", origID: "lunch-1@example.org"},
		{file: "basic-crlf.eml", pm: basic.pm, rcpts: basic.rcpts, human: "could not be delivered", origID: "lunch-1@example.org"},
		{file: "basic-cr.eml", pm: basic.pm, rcpts: basic.rcpts, human: "could not be delivered", origID: "lunch-1@example.org"},
		{
			// Upper-case names and types, a blank line holding spaces, a
			// comment after the MTA name, repeated fields, a generic
			// Status followed by a specific one, folded and unindented
			// continuation lines.
			file: "sloppy.eml",
			pm:   PerMessage{ReportingMTA: "relay.example.net", ReceivedFromMTA: "client.example.org"},
			rcpts: []Recipient{{
				FinalRecipient: "Bob@Example.COM", Action: "failed", Status: "5.1.1",
				DiagnosticCode: "550-5.1.1 The email account that you tried to reach does not exist. " +
					"550-relay.example.com [192.0.2.7]:25 said so 550 5.1.1 end of reply",
			}},
			human: "Delivery failed.", origID: "hello-7@example.org", headersOnly: true,
		},
		{
			// No per-message block; addresses without type, in brackets;
			// Status missing (code from Diagnostic-Code) or with text;
			// Original-Recipient only; Remote-MTA without type.
			file: "no-per-message.eml",
			rcpts: []Recipient{
				{FinalRecipient: "dave@example.com", Action: "failed", Status: "5.2.1", DiagnosticCode: "550-5.2.1 mailbox disabled"},
				{FinalRecipient: "erin@example.com", Action: "failed", Status: "5.7.1", DiagnosticCode: "554 denied"},
				{OriginalRecipient: "frank@example.com", Action: "failed", DiagnosticCode: "550 no such user", RemoteMTA: "192.0.2.9"},
			},
			human: "See below.", origID: "report-3@example.org",
		},
		{
			// RFC 6533: utf-8 address type with \x{HHHH} escapes.
			file:  "global.eml",
			pm:    PerMessage{ReportingMTA: "mx.example.net"},
			rcpts: []Recipient{{FinalRecipient: "张三@example.cn", OriginalRecipient: "user+tag@example.cn", Action: "failed", Status: "5.1.1", DiagnosticCode: "550 5.1.1 unknown"}},
			human: "recipient below failed", origID: "global-9@example.org", headersOnly: true,
		},
		{
			// multipart/mixed holding a delivery-status part.
			file:  "mixed-container.eml",
			rcpts: []Recipient{{OriginalRecipient: "grace@example.com", Action: "failed", DiagnosticCode: "550 Unknown user grace@example.com", RemoteMTA: "192.0.2.44"}},
			human: "delivery problems", origID: "mixed-5@example.org",
		},
		{
			// HTML human part; the original's header sent as text/plain;
			// Postfix's extension fields.
			file: "text-original.eml",
			pm:   PerMessage{ReportingMTA: "mx.example.net", ArrivalDate: date("2026-03-03T09:00:01Z")},
			rcpts: []Recipient{{
				FinalRecipient: "heidi@example.com", ActualRecipient: "heidi.h@example.com",
				Action: "failed", Status: "5.2.2", DiagnosticCode: "552 5.2.2 over quota",
			}},
			human: "Delivery to heidi@example.com failed.", origID: "plans-2@example.org", headersOnly: true,
		},
		{
			// Every line indented; a blank line inside the recipient block.
			file:  "split-block.eml",
			pm:    PerMessage{ReportingMTA: "mx.example.net", ArrivalDate: date("2026-03-03T09:00:01Z")},
			rcpts: []Recipient{{FinalRecipient: "ivan@example.com", Action: "failed", Status: "5.4.4", DiagnosticCode: "554 5.4.4 no route"}},
			human: "failed", origID: "split-4@example.org",
		},
		{
			// An indented boundary line hides the status part in the text.
			file:  "broken-boundary.eml",
			pm:    PerMessage{ReportingMTA: "mx.example.net"},
			rcpts: []Recipient{{FinalRecipient: "judy@example.com", Action: "failed", Status: "5.1.1"}},
			human: "had delivery problems", origID: "broken-6@example.org",
		},
		{file: "read-receipt.eml", err: `report-type "disposition-notification", must be delivery-status`},
		{file: "mixed-receipt.eml", err: "message/disposition-notification part"},
		{file: "quoted-bounce.eml", err: `content-type "text/plain", must be multipart/report`},
		{file: "no-status.eml", err: "no message/delivery-status part"},
		{file: "per-message-only.eml", err: "no recipient block", pm: PerMessage{ReportingMTA: "mx.example.net", ArrivalDate: date("2026-03-03T09:00:01Z")}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r, err := Parse(raw)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if r != nil && !r.ArrivalDate.Equal(tc.pm.ArrivalDate) {
					t.Errorf("partial report's arrival date %v, want %v", r.ArrivalDate, tc.pm.ArrivalDate)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pm := r.PerMessage
			pm.ArrivalDate = pm.ArrivalDate.UTC()
			if pm != tc.pm {
				t.Errorf("per-message\n%+v, want\n%+v", pm, tc.pm)
			}
			if got := utc(r.Recipients); !reflect.DeepEqual(got, tc.rcpts) {
				t.Errorf("recipients\n%+v, want\n%+v", got, tc.rcpts)
			}
			if !strings.Contains(r.HumanText, tc.human) {
				t.Errorf("human text %q, want it to contain %q", r.HumanText, tc.human)
			}
			if r.Original == nil {
				t.Fatalf("no original")
			}
			if r.Original.MessageID != tc.origID || r.Original.HeadersOnly != tc.headersOnly {
				t.Errorf("original %q headers only %v, want %q %v", r.Original.MessageID, r.Original.HeadersOnly, tc.origID, tc.headersOnly)
			}
			if len(r.Original.Raw) == 0 || len(r.Original.Header) == 0 {
				t.Errorf("original without raw content or header")
			}
			if r.Truncated {
				t.Errorf("truncated")
			}
		})
	}
}

func TestFromMessageNil(t *testing.T) {
	if _, err := FromMessage(nil); err == nil {
		t.Error("nil message: no error")
	}
}
