package classifier

import (
	"context"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// FuzzHeaderDKIM: the header-only verifier never panics, whatever the
// header and whatever key record DNS returns.
func FuzzHeaderDKIM(f *testing.F) {
	f.Add([]byte(headerOf(sign(f, original("seed-1@example.com")))), "")
	f.Add([]byte(headerOf(sign(f, original("seed-2@example.com"), withSimple()))), "v=DKIM1; k=ed25519; p=AAAA")
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=; b=\n\tAAAA\nFrom: a@example.com\n\n"), "p=")
	f.Add([]byte("DKIM-Signature: v=1; b=; b=\nDKIM-Signature: ;;;=;\n x=99999999999999999999\n"), "t=y:s; h=sha1")
	dns := dnsFor(f, "example.com")
	f.Fuzz(func(t *testing.T, header []byte, record string) {
		lookup := func(domain, selector string) (*dkimKey, error) {
			if record != "" {
				return parseDKIMKey(record)
			}
			txt, err := dns.LookupTXT(context.Background(), selector+"._domainkey."+domain)
			if err != nil || len(txt) != 1 {
				return nil, errNoKey
			}
			return parseDKIMKey(txt[0])
		}
		fields := splitHeaderFields(header)
		sigs, errs := dkimSignatures(fields)
		for i, s := range sigs {
			if errs[i] == nil {
				checkHeaderSignature(fields, s, lookup, time.Unix(1800000000, 0))
			}
		}
		relaxed := fieldsFromParsed(mailparse.Header{{Key: "DKIM-Signature", Value: string(header)}})
		if s, err := parseDKIMSignature(relaxed[0]); err == nil {
			checkHeaderSignature(relaxed, s, lookup, time.Unix(1800000000, 0))
		}
	})
}

// FuzzPRVS: reading and verifying BATV addresses never panics.
func FuzzPRVS(f *testing.F) {
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	f.Add(prvs(0, now, "alice@example.com"))
	f.Add("prvs=9905c7c8d6=ms@dev.example.de")
	f.Add("PRVS=0123ABCDEF=a=b@@c")
	f.Add("prvs=")
	f.Fuzz(func(t *testing.T, s string) {
		if a, ok := parsePRVS(s); ok {
			testBATV.verify(a)
			batvFresh(a.day, now)
		}
		m := mailparse.Parse([]byte("To: " + s + "\nDelivered-To: <" + s + ">\n\nx\n"))
		prvsAddresses(m)
	})
}

// FuzzReceivedHosts: reading Received fields never panics.
func FuzzReceivedHosts(f *testing.F) {
	f.Add("from a.example (b.example [192.0.2.1]) by c.example with ESMTP; Fri, 27 Nov 2026 09:00:01 +0000")
	f.Add("from ((((( by )))) from ( by")
	f.Add("by [ipv6:")
	f.Fuzz(func(t *testing.T, v string) {
		receivedHosts(v)
	})
}
