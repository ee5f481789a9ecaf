package imapclient

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// dovecotUser adds a fresh user to the package's Dovecot.
func dovecotUser(t *testing.T, name string) *testdovecot.Server {
	t.Helper()
	srv := needDovecot(t)
	if err := srv.AddUser(name, testPassword); err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestDovecotSweepRestore(t *testing.T) {
	srv := dovecotUser(t, "sweeper")
	// Several fetch batches: header and body FETCHes in flight together,
	// and moves made while later batches are still being read.
	const n = 3*fetchBatch + 100
	var wantInbox, wantQuarantine []string
	for i := range n {
		id := fmt.Sprintf("m%03d@example.org", i)
		subject := fmt.Sprintf("ham %d", i)
		var flags []string
		switch i % 5 {
		case 1:
			subject = fmt.Sprintf("backscatter %d", i)
		case 2:
			subject = fmt.Sprintf("backscatter %d needbody", i)
		case 3:
			flags = []string{`\Deleted`} // the person's client's business
		}
		if strings.HasPrefix(subject, "backscatter") {
			wantQuarantine = append(wantQuarantine, id)
		} else {
			wantInbox = append(wantInbox, id)
		}
		if err := srv.WriteMessage("sweeper", "INBOX", []byte(testMessage(id, subject, 100)), flags...); err != nil {
			t.Fatal(err)
		}
	}
	proxy, err := testdovecot.NewProxy(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s := dial(t, addrConfig(t, proxy.Addr(), "sweeper"))
	if s.MoveMethod() != MoveByMove {
		t.Fatalf("Dovecot move method %v: capabilities after login not re-read?", s.MoveMethod())
	}
	store, log := newMemStore(), &memLog{}
	opts := SweepOptions{Dest: "Quarantine", Store: store, Log: log, Decide: testDecide, NeedBody: needBodyBySubject}
	res, err := s.Sweep(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved != len(wantQuarantine) || len(res.Outcomes) != n || res.LastUID != n {
		t.Errorf("moved %d of %d outcomes, last UID %d; want %d of %d, %d", res.Moved, len(res.Outcomes), res.LastUID, len(wantQuarantine), n, n)
	}
	slices.Sort(wantInbox)
	slices.Sort(wantQuarantine)
	inbox := mailboxState(t, srv.Addr(), "sweeper", "INBOX")
	if got := sortedKeys(inbox); !slices.Equal(got, wantInbox) {
		t.Errorf("INBOX holds %d messages, want %d", len(got), len(wantInbox))
	}
	if got := sortedKeys(mailboxState(t, srv.Addr(), "sweeper", "Quarantine")); !slices.Equal(got, wantQuarantine) {
		t.Errorf("Quarantine holds %d messages, want %d", len(got), len(wantQuarantine))
	}
	for _, r := range log.done {
		if r.DestUID == 0 || r.DestUIDValidity == 0 {
			t.Fatalf("move record without destination UID: %+v", r)
		}
	}

	fetches, start := proxy.Fetches(), time.Now()
	again, err := s.Sweep(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Outcomes) != 0 || proxy.Fetches() != fetches {
		t.Errorf("second sweep: %d outcomes, %d FETCH commands; want none", len(again.Outcomes), proxy.Fetches()-fetches)
	}
	t.Logf("second sweep with nothing new: %s", time.Since(start)) // measured in bench/once

	outs, err := s.Restore(context.Background(), log.done)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if o.Err != nil || o.UID == 0 {
			t.Fatalf("restoring %s: UID %d, %v", o.Record.MessageID, o.UID, o.Err)
		}
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(wantInbox), wantQuarantine...)))
	if got := sortedKeys(mailboxState(t, srv.Addr(), "sweeper", "INBOX")); !slices.Equal(got, all) {
		t.Errorf("INBOX after restore holds %d messages, want %d", len(got), len(all))
	}
	if got := len(mailboxState(t, srv.Addr(), "sweeper", "Quarantine")); got != 0 {
		t.Errorf("Quarantine holds %d messages after restore", got)
	}
}

func TestDovecotFindSentBySpecialUse(t *testing.T) {
	srv := dovecotUser(t, "sender")
	for _, name := range []string{"Outgoing", "Sent Items"} {
		if err := srv.CreateMailbox("sender", name); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.WriteMessage("sender", "Outgoing", []byte(testMessage("out1@x", "mine", 1))); err != nil {
		t.Fatal(err)
	}
	s := dial(t, addrConfig(t, srv.Addr(), "sender"))
	got, err := s.FindSent(context.Background(), "")
	if err != nil || got != "Outgoing" {
		t.Fatalf("FindSent = %q, %v; want the \\Sent mailbox Outgoing", got, err)
	}
	var headers int
	v, last, err := s.FetchHeaders(context.Background(), got, 0, func(imap.UID, []byte) error { headers++; return nil })
	if err != nil || v == 0 || last != 1 || headers != 1 {
		t.Errorf("FetchHeaders = %d, %d, %v with %d headers", v, last, err, headers)
	}
}

func TestDovecotTLS(t *testing.T) {
	srv := dovecotUser(t, "tls")
	var logs bytes.Buffer
	tests := []struct {
		name    string
		mode    TLSMode
		port    int
		caFile  string
		wantErr string
	}{
		{"implicit self-signed refused", TLSImplicit, srv.TLSPort, "", "--tls-ca"},
		{"starttls self-signed refused", TLSStartTLS, srv.Port, "", "--tls-ca"},
		{"implicit with CA", TLSImplicit, srv.TLSPort, srv.CAFile, ""},
		{"starttls with CA", TLSStartTLS, srv.Port, srv.CAFile, ""},
		{"implicit against a plain port", TLSImplicit, srv.Port, srv.CAFile, "--tls starttls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := addrConfig(t, srv.Addr(), "tls")
			cfg.TLS, cfg.Port, cfg.CAFile = tt.mode, tt.port, tt.caFile
			cfg.Logger = debugLogger(&logs)
			s, err := Dial(context.Background(), cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Dial error %v, want one mentioning %q", err, tt.wantErr)
				}
				if s != nil {
					s.Close()
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer s.Close()
			if _, err := s.Status(context.Background(), "INBOX"); err != nil {
				t.Error(err)
			}
		})
	}
	if strings.Contains(logs.String(), testPassword) {
		t.Errorf("the password appears in the logs:\n%s", logs.String())
	}
}
