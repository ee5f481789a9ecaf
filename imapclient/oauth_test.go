package imapclient

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// goodToken is distinctive so the tests can grep logs and errors for it.
const goodToken = "ya29.good-T0ken-plugh"

// oauthServer is go-imap's server with sessions that take OAuth2 tokens
// through the SASL mechanisms given, and record which one was used.
type oauthServer struct {
	addr string
	mu   sync.Mutex
	used []string
}

func newOAuthServer(t *testing.T, mechs ...string) *oauthServer {
	t.Helper()
	user := imapmemserver.NewUser("alice", testPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	o := &oauthServer{}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &saslSession{UserSession: imapmemserver.NewUserSession(user), mechs: mechs, srv: o}, nil, nil
		},
		Caps:         capsFull,
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	o.addr = ln.Addr().String()
	return o
}

func (o *oauthServer) mechanisms() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.used...)
}

// saslSession checks tokens the way Gmail and Microsoft 365 do: a refused
// token gets a JSON error challenge, and the server waits for the
// client's answer before it says NO.
type saslSession struct {
	*imapmemserver.UserSession
	mechs []string
	srv   *oauthServer
}

func (s *saslSession) Login(string, string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "use OAuth2"}
}

func (s *saslSession) AuthenticateMechanisms() []string { return s.mechs }

func (s *saslSession) Authenticate(mech string) (sasl.Server, error) {
	s.srv.mu.Lock()
	s.srv.used = append(s.srv.used, mech)
	s.srv.mu.Unlock()
	switch mech {
	case "XOAUTH2":
		return &xoauth2Server{}, nil
	case "OAUTHBEARER":
		return noServer{sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if o.Username == "alice" && o.Token == goodToken {
				return nil
			}
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer", Scope: "https://mail.example/imap"}
		})}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "mechanism not supported"}
}

// noServer turns a SASL failure into the NO [AUTHENTICATIONFAILED] a real
// server sends.
type noServer struct{ sasl.Server }

func (n noServer) Next(resp []byte) ([]byte, bool, error) {
	ch, done, err := n.Server.Next(resp)
	if err != nil {
		return nil, true, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials"}
	}
	return ch, done, nil
}

// xoauth2Server is the server side of XOAUTH2.
type xoauth2Server struct{ refused bool }

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case x.refused:
		if len(resp) != 0 {
			return nil, true, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "expected an empty response"}
		}
		return nil, true, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials (Failure)"}
	case resp == nil:
		return []byte{}, false, nil // ask for the initial response
	}
	if string(resp) == "user=alice\x01auth=Bearer "+goodToken+"\x01\x01" {
		return nil, true, nil
	}
	x.refused = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
}

func TestOAuth(t *testing.T) {
	type tc struct {
		name   string
		mechs  []string
		auth   AuthMethod
		token  string
		want   string // the mechanism the server should see, "" for none
		errHas string // "" for success
	}
	for _, c := range []tc{
		{"xoauth2 offered", []string{"XOAUTH2", "OAUTHBEARER"}, "", goodToken, "XOAUTH2", ""},
		{"xoauth2 bad token", []string{"XOAUTH2"}, "", "ya29.expired", "XOAUTH2", "status 401, scope needed https://mail.google.com/"},
		{"oauthbearer only", []string{"OAUTHBEARER"}, "", goodToken, "OAUTHBEARER", ""},
		{"oauthbearer bad token", []string{"OAUTHBEARER"}, "", "ya29.expired", "OAUTHBEARER", "status invalid_token"},
		{"oauthbearer forced", []string{"XOAUTH2", "OAUTHBEARER"}, AuthOAuthBearer, goodToken, "OAUTHBEARER", ""},
		{"no oauth offered", []string{"PLAIN"}, "", goodToken, "", "offers neither AUTH=XOAUTH2 nor AUTH=OAUTHBEARER"},
		{"not a token", []string{"XOAUTH2"}, "", "{\"access_token\": \"x\"}", "", "not an access token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newOAuthServer(t, c.mechs...)
			var logs bytes.Buffer
			cfg := addrConfig(t, srv.addr, "alice")
			cfg.Password = nil
			cfg.Auth = c.auth
			cfg.Token = func(context.Context) (string, error) { return c.token, nil }
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			start := time.Now()
			s, err := Dial(context.Background(), cfg)
			took := time.Since(start)
			if c.errHas == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer s.Close()
				if _, err := s.Status(context.Background(), "INBOX"); err != nil {
					t.Errorf("after login: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("Dial: error %v, want %q", err, c.errHas)
				}
				if !errors.Is(err, ErrAuth) && c.name != "not a token" {
					t.Errorf("Dial: error %v does not wrap ErrAuth", err)
				}
				// The server waits for an answer to its error challenge:
				// without one this would last the 10 s command timeout.
				if took > 2*time.Second {
					t.Errorf("refusal took %s", took)
				}
			}
			if got := strings.Join(srv.mechanisms(), ","); got != c.want {
				t.Errorf("server saw %q, want %q", got, c.want)
			}
			all := logs.String()
			if err != nil {
				all += err.Error()
			}
			if strings.Contains(all, c.token) || strings.Contains(all, "ya29") {
				t.Errorf("the token leaked into a log or error:\n%s", all)
			}
		})
	}
}

// TestOAuthTokenPerLogin: the token command runs on every connect, so a
// helper that refreshes tokens is asked each time.
func TestOAuthTokenPerLogin(t *testing.T) {
	srv := newOAuthServer(t, "XOAUTH2")
	var calls atomic.Int32
	cfg := addrConfig(t, srv.addr, "alice")
	cfg.Password = nil
	cfg.Token = func(context.Context) (string, error) {
		calls.Add(1)
		return goodToken, nil
	}
	for range 2 {
		dial(t, cfg).Close()
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("token asked for %d times in 2 logins", n)
	}
}

func TestAuthConfig(t *testing.T) {
	tok := func(context.Context) (string, error) { return goodToken, nil }
	pw := func(context.Context) (string, error) { return testPassword, nil }
	check := func(c Config, wantErr string) {
		t.Helper()
		c.Host, c.User = "h", "u"
		_, err := c.withDefaults()
		if (err == nil) != (wantErr == "") || err != nil && !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%+v: error %v, want %q", c.Auth, err, wantErr)
		}
	}
	check(Config{Password: pw}, "")
	check(Config{Token: tok}, "")
	check(Config{}, "no password or token source")
	check(Config{Auth: AuthXOAUTH2, Password: pw}, "no OAuth2 token source")
	check(Config{Auth: AuthPassword, Token: tok}, "no password source")
	check(Config{Auth: "kerberos", Token: tok}, `login method "kerberos"`)
}

func FuzzDescribeOAuthError(f *testing.F) {
	f.Add([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`))
	f.Add([]byte(`{"status":["x"]}`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := describeOAuthError(b)
		if len(s) > 300 {
			t.Errorf("description of %d bytes", len(s))
		}
	})
}
