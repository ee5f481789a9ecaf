package dsn_test

import (
	"fmt"

	"github.com/bounceguard/bounceguard/dsn"
)

func ExampleParse() {
	raw := []byte("From: MAILER-DAEMON@mx.example.net\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n" +
		"\r\n" +
		"--b\r\n" +
		"Content-Type: text/plain\r\n" +
		"\r\n" +
		"Your message could not be delivered.\r\n" +
		"--b\r\n" +
		"Content-Type: message/delivery-status\r\n" +
		"\r\n" +
		"Reporting-MTA: dns; mx.example.net\r\n" +
		"\r\n" +
		"Final-Recipient: rfc822; bob@example.com\r\n" +
		"Action: failed\r\n" +
		"Status: 5.1.1\r\n" +
		"--b\r\n" +
		"Content-Type: text/rfc822-headers\r\n" +
		"\r\n" +
		"Message-ID: <lunch-1@example.org>\r\n" +
		"From: alice@example.org\r\n" +
		"--b--\r\n")
	r, err := dsn.Parse(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ReportingMTA)
	for _, rc := range r.Recipients {
		fmt.Println(rc.FinalRecipient, rc.Action, rc.Status)
	}
	fmt.Println(r.Original.MessageID, r.Original.HeadersOnly)
	// Output:
	// mx.example.net
	// bob@example.com failed 5.1.1
	// lunch-1@example.org true
}

func ExampleParseStatus() {
	body := []byte("Reporting-MTA: dns; mx.example.net\n" +
		"\n" +
		"Final-Recipient: RFC822; <bob@example.com>\n" +
		"Action: Failed\n" +
		"Diagnostic-Code: smtp; 550-5.1.1 The account does not\n" +
		"    exist.\n")
	st, err := dsn.ParseStatus(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := st.Recipients[0]
	fmt.Printf("%s %s %s %q\n", r.FinalRecipient, r.Action, r.Status, r.DiagnosticCode)
	// Output:
	// bob@example.com failed 5.1.1 "550-5.1.1 The account does not exist."
}
