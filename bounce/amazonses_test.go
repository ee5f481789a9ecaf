package bounce

import (
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

func TestAmazonSES(t *testing.T) {
	checkMTA(t, []mtaCase{
		// SES's own class first, the remote server's code quoted after it.
		{"amazonses-dsn.eml", DSN, "amazonses", "ses-orig-1@email.amazonses.com",
			[]mtaRecipient{{"sven@example.org", "failed", "5.2.2"}}},
		// SES gave up (4.4.7); the remote server's last reply says why.
		{"amazonses-expired.eml", DSN, "amazonses", "ses-orig-2@example.net",
			[]mtaRecipient{{"tara@example.com", "failed", "4.4.2"}}},
		// JSON in SNS's envelope, split by Sendmail's "!" line breaks.
		{"amazonses-sns-bounce.eml", Bounce, "amazonses", "sns-orig-1@example.net",
			[]mtaRecipient{{"uwe@example.org", "failed", "5.1.1"}, {"vera@example.org", "failed", "5.2.2"}}},
		// A complaint is feedback, as ARF is: no bounce.
		{"amazonses-sns-complaint.eml", None, "", "", nil},
	})
	r := inspectFile(t, "testdata/amazonses-sns-bounce.eml")
	if o := r.Original; o.From != "orders@example.net" || o.Subject != "Your order" || len(o.To) != 2 {
		t.Errorf("original %+v", o)
	}
}

func TestSESStatus(t *testing.T) {
	for diag, want := range map[string]string{
		"5.1.0 - Unknown address error 550-'5.7.1 <a@b.c>... Access denied' (delivery attempts: 0)":    "5.7.1",
		"5.3.0 - Other mail system problem 550-'Unknown user a@b.c' (delivery attempts: 0)":            "5.3.0",
		"554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>": "4.4.2",
		"550 5.1.1 <a@b.c>: user unknown": "",
		"":                                "",
	} {
		if got := sesStatus(diag); got != want {
			t.Errorf("sesStatus(%q) = %q, want %q", diag, got, want)
		}
	}
}

// FuzzSESNotification: arbitrary bodies of an SNS message decode without
// panic and within bounds.
func FuzzSESNotification(f *testing.F) {
	f.Add(`{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"a@b.c","status":"5.1.1"}]},"mail":{"headers":[{"name":"Message-ID","value":"<x@y>"}]}}`)
	f.Add(`{"Type":"Notification","Message":"{\"notificationType\":\"Delivery\",\"delivery\":{\"recipients\":[\"a@b.c\"],\"smtpResponse\":\"250 2.6.0 ok\"}}"}`)
	f.Add(`{"notificationType":"Complaint"}`)
	f.Add("{\"a\":\"!\n b\"}")
	f.Fuzz(func(t *testing.T, body string) {
		m := mailparse.Parse([]byte("From: no-reply@sns.amazonaws.com\nX-Amz-Sns-Message-Id: 1\n\n" + body))
		in := newInput(m)
		sesComplaint(in)
		if r := decodeAmazonSES(in); r != nil && (len(r.Recipients) > maxRecipients || len(r.Original.Header) > maxSESHeaders) {
			t.Fatalf("unbounded: %d recipients, %d header fields", len(r.Recipients), len(r.Original.Header))
		}
	})
}
