package classifier

import (
	"context"
	"strings"
	"testing"
)

// inlineBounce is a plain-text bounce that quotes the original with '>'.
func inlineBounce(quoted string) []byte {
	var q strings.Builder
	for _, l := range strings.Split(quoted, "\n") {
		q.WriteString("> " + l + "\n")
	}
	return []byte("From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n" +
		"To: alice@example.com\n" +
		"Date: Sat, 28 Nov 2026 10:00:00 +0000\n" +
		"Subject: Mail delivery failed: returning message to sender\n\n" +
		"This message was created automatically by mail delivery software.\n\n" +
		"A message that you sent could not be delivered to one or more of its\n" +
		"recipients. This is a permanent error. The following address(es) failed:\n\n" +
		"  bob@example.org\n    unknown user\n\n" +
		"------ This is a copy of the message, including all the headers. ------\n\n" +
		q.String())
}

const relayedHeader = "Received: from laptop.home (dsl-1.example.net [198.51.100.7])\n" +
	"\tby smtp.example.com (Postfix) with ESMTPSA id 4F2A1\n" +
	"\tfor <bob@example.org>; Fri, 27 Nov 2026 09:00:01 +0000 (UTC)\n" +
	"From: Alice <alice@example.com>\n" +
	"To: bob@example.org\n" +
	"Subject: the figures\n" +
	"Date: Fri, 27 Nov 2026 09:00:00 +0000\n" +
	"Message-ID: <phone-77@example.com>\n"

func TestRelays(t *testing.T) {
	ctx := context.Background()
	attached := dsnWith("text/rfc822-headers", strings.ReplaceAll(relayedHeader, "\n", "\r\n"), "failed")
	spam := strings.Replace(relayedHeader, "smtp.example.com", "mx.bulk.example.biz", 1)
	tests := []struct {
		name   string
		msg    []byte
		relays []string
		want   Class
		reason string
	}{
		{"attached header, folded by", attached, []string{"smtp.example.com"}, BounceLegit, "Received: by smtp.example.com, matches --relay smtp.example.com"},
		{"glob", attached, []string{"*.EXAMPLE.com"}, BounceLegit, "your relay smtp.example.com"},
		{"quoted inline, folded", inlineBounce(relayedHeader), []string{"smtp.example.com"}, BounceLegit, "Received: by smtp.example.com"},
		{"from address", attached, []string{"198.51.100.*"}, BounceLegit, "Received: from 198.51.100.7"},
		{"not through a relay", dsnWith("text/rfc822-headers", spam, "failed"), []string{"smtp.example.com"}, Backscatter, "names one of your relays"},
		{"no relays given", attached, nil, Backscatter, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := coveringIndex(t)
			c.Relays = tt.relays
			v := c.Classify(ctx, tt.msg)
			if v.Class != tt.want {
				t.Errorf("got %s, want %s; signals %+v", v.Class, tt.want, v.Signals)
			}
			if tt.reason != "" && !reasonsMention(v, tt.reason) {
				t.Errorf("reasons %q lack %q", v.Reasons, tt.reason)
			}
		})
	}
}

func TestReceivedHosts(t *testing.T) {
	check := func(v string, wantFrom, wantBy string) {
		t.Helper()
		from, by := receivedHosts(v)
		if strings.Join(from, " ") != wantFrom || strings.Join(by, " ") != wantBy {
			t.Errorf("receivedHosts(%q) = %q, %q; want %q, %q", v, from, by, wantFrom, wantBy)
		}
	}
	check("from mail.example.com (mail.example.com [192.0.2.1]) by mx.example.org (Postfix) with ESMTPS id X; Fri, 27 Nov 2026 09:00:01 +0000",
		"mail.example.com mail.example.com 192.0.2.1", "mx.example.org")
	check("from [127.0.0.1] (helo=localhost) by relay.example.net with smtp (Exim 4.92)", "127.0.0.1", "relay.example.net")
	check("from localhost ([::1]:48740 helo=lists1p.gnu.org) by lists.gnu.org with esmtp", "::1 lists1p.gnu.org", "lists.gnu.org")
	check("by smtp.example.com (Postfix, from userid 1000) id 1; Fri, 27 Nov 2026", "", "smtp.example.com")
	check("from unknown (HELO Example.COM.) ([IPv6:2001:db8::1]) by mx.example.org", "example.com 2001:db8::1", "mx.example.org")
	check("", "", "")
}
