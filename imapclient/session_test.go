package imapclient

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestDialPlaintextPolicy(t *testing.T) {
	pw := func(context.Context) (string, error) { return testPassword, nil }
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"non-loopback refused", Config{Host: "192.0.2.1", User: "a", TLS: TLSNone, Password: pw}, "--insecure-plaintext"},
		{"IPv6 non-loopback refused", Config{Host: "2001:db8::1", User: "a", TLS: TLSNone, Password: pw}, "--insecure-plaintext"},
		{"bad TLS mode", Config{Host: "127.0.0.1", User: "a", TLS: "ssl", Password: pw}, "must be implicit, starttls or none"},
		{"no host", Config{User: "a", Password: pw}, "--host"},
		{"no password source", Config{Host: "127.0.0.1", User: "a"}, "password"},
		{"missing CA file", Config{Host: "127.0.0.1", User: "a", CAFile: "/nonexistent/ca.pem", Password: pw}, "--tls-ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Dial(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Dial error %v, want one mentioning %q", err, tt.wantErr)
			}
			if time.Since(start) > time.Second {
				t.Errorf("refusal took %s: it must not wait on the network", time.Since(start))
			}
		})
	}
}

func TestLoginAndLogs(t *testing.T) {
	m := newMemServer(t, capsFull)
	loadInbox(t, m)
	var logs bytes.Buffer
	cfg := addrConfig(t, m.addr, "alice")
	cfg.Logger = debugLogger(&logs)
	s := dial(t, cfg)
	if !s.Caps().Has(imap.CapMove) {
		t.Errorf("caps after login %v lack MOVE", s.Caps())
	}
	if _, err := s.Sweep(context.Background(), SweepOptions{Dest: "Quarantine", Store: newMemStore(), Log: &memLog{}, Decide: testDecide}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	wrong := cfg
	wrong.Password = func(context.Context) (string, error) { return testPassword + "-wrong", nil }
	_, err := Dial(context.Background(), wrong)
	if err == nil || !strings.Contains(err.Error(), "check the user name and password") {
		t.Errorf("wrong password: error %v", err)
	}
	if err != nil && strings.Contains(err.Error(), testPassword) {
		t.Errorf("login error reveals the password: %v", err)
	}
	if logs.Len() == 0 {
		t.Fatal("nothing logged at debug level; the test proves nothing")
	}
	if strings.Contains(logs.String(), testPassword) {
		t.Errorf("the password appears in the logs:\n%s", logs.String())
	}
}

// silentServer greets (unless mute) and then never answers.
func silentServer(t *testing.T, greet bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if greet {
					c.Write([]byte("* OK [CAPABILITY IMAP4rev1] hello\r\n"))
				}
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		greet bool
		want  string
	}{
		{"no greeting", false, "deadline exceeded"},
		{"no answer", true, "no answer within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := addrConfig(t, silentServer(t, tc.greet), "alice")
			cfg.DialTimeout, cfg.CommandTimeout = 200*time.Millisecond, 200*time.Millisecond
			start := time.Now()
			_, err := Dial(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dial error %v, want %q", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("gave up after %s", d)
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	m := newMemServer(t, capsFull)
	s := dial(t, addrConfig(t, m.addr, "alice"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Sweep(ctx, SweepOptions{DryRun: true, Store: newMemStore(), Decide: testDecide})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Sweep with a cancelled context: %v", err)
	}
	if _, err := s.Status(context.Background(), "INBOX"); err != nil {
		t.Errorf("a context cancelled before any command was sent broke the session: %v", err)
	}
}

func TestFindSent(t *testing.T) {
	tests := []struct {
		name      string
		mailboxes []string
		override  string
		want      string
		wantErr   string
	}{
		{"none", []string{"Archive"}, "", "", "--sent-folder"},
		{"common name", []string{"Archive", "Sent Items"}, "", "Sent Items", ""},
		{"case and order", []string{"sent messages", "INBOX/Sent"}, "", "sent messages", ""},
		{"german", []string{"Gesendet"}, "", "Gesendet", ""},
		{"override", []string{"Sent", "Mine"}, "Mine", "Mine", ""},
		{"override missing", []string{"Sent"}, "Nope", "", "--sent-folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemServer(t, capsFull)
			for _, name := range tt.mailboxes {
				if err := m.user.Create(name, nil); err != nil {
					t.Fatal(err)
				}
			}
			s := dial(t, addrConfig(t, m.addr, "alice"))
			got, err := s.FindSent(context.Background(), tt.override)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("FindSent = %q, %v; want an error mentioning %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("FindSent = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEnsureMailbox(t *testing.T) {
	m := newMemServer(t, capsRev1)
	s := dial(t, addrConfig(t, m.addr, "alice"))
	for range 2 {
		if err := s.EnsureMailbox(context.Background(), "Quarantine"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Status(context.Background(), "Quarantine"); err != nil {
		t.Errorf("Quarantine missing after EnsureMailbox: %v", err)
	}
	if err := s.EnsureMailbox(context.Background(), "Q*"); err == nil {
		t.Error("a wildcard name was accepted")
	}
}

func TestMoveUIDsRefusesChangedUIDValidity(t *testing.T) {
	m := newMemServer(t, capsFull)
	m.add(t, "INBOX", testMessage("a@x", "a", 1))
	s := dial(t, addrConfig(t, m.addr, "alice"))
	st, err := s.Status(context.Background(), "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureMailbox(context.Background(), "Q"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MoveUIDs(context.Background(), "INBOX", st.UIDValidity+1, "Q", []imap.UID{1}); err == nil {
		t.Error("MoveUIDs moved under a different UIDVALIDITY")
	}
	if got := len(mailboxState(t, m.addr, "alice", "INBOX")); got != 1 {
		t.Errorf("INBOX has %d messages, want 1", got)
	}
	res, err := s.MoveUIDs(context.Background(), "INBOX", st.UIDValidity, "Q", []imap.UID{1, 1})
	if err != nil || res.DestUIDs[1] == 0 {
		t.Errorf("MoveUIDs = %+v, %v", res, err)
	}
}
