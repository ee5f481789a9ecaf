package imapclient

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	goimapclient "github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// testPassword is distinctive so the log test can grep for it.
const testPassword = "s3cret-Pa55word-xyzzy"

var (
	capsFull = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	capsRev1 = imap.CapSet{imap.CapIMAP4rev1: {}}
)

// memServer is go-imap's in-memory server on 127.0.0.1:0.
type memServer struct {
	addr string
	user *imapmemserver.User
}

func newMemServer(t *testing.T, caps imap.CapSet) *memServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("alice", testPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &memServer{addr: ln.Addr().String(), user: user}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

func (m *memServer) add(t *testing.T, mailbox, raw string, flags ...imap.Flag) {
	t.Helper()
	if _, err := m.user.Append(mailbox, literal{bytes.NewReader([]byte(raw))}, &imap.AppendOptions{Flags: flags}); err != nil {
		t.Fatalf("appending to %s: %v", mailbox, err)
	}
}

// testMessage builds a small message; the subject drives testDecide.
func testMessage(id, subject string, bodyBytes int) string {
	return fmt.Sprintf("From: someone@example.net\r\nTo: alice@example.org\r\nMessage-ID: <%s>\r\nSubject: %s\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\n\r\n%s\r\n",
		id, subject, strings.Repeat("x", bodyBytes))
}

// testDecide moves "backscatter…" subjects, fails on "broken…" ones.
func testDecide(_ context.Context, m *Message) (Decision, error) {
	switch {
	case strings.HasPrefix(m.Subject, "backscatter"):
		return Decision{Move: true, Class: "backscatter", Reasons: []string{"test says so"}}, nil
	case strings.HasPrefix(m.Subject, "broken"):
		return Decision{}, fmt.Errorf("cannot decide %q", m.Subject)
	}
	return Decision{Class: "clean"}, nil
}

func needBodyBySubject(e *Envelope) bool { return strings.Contains(e.Subject, "needbody") }

// addrConfig returns a plaintext loopback Config for addr.
func addrConfig(t *testing.T, addr, user string) Config {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return Config{
		Host: host, Port: p, User: user, TLS: TLSNone,
		Password:       func(context.Context) (string, error) { return testPassword, nil },
		DialTimeout:    5 * time.Second,
		CommandTimeout: 10 * time.Second,
	}
}

func dial(t *testing.T, cfg Config) *Session {
	t.Helper()
	s, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// memStore is a SyncStore in memory, keyed as a real one must be.
type memStore struct {
	mu   sync.Mutex
	last map[string]imap.UID
	sets int
}

func newMemStore() *memStore { return &memStore{last: map[string]imap.UID{}} }

func storeKey(mailbox string, v uint32) string { return fmt.Sprintf("%s\x00%d", mailbox, v) }

func (s *memStore) LastUID(mailbox string, v uint32) (imap.UID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[storeKey(mailbox, v)], nil
}

func (s *memStore) SetLastUID(mailbox string, v uint32, uid imap.UID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last[storeKey(mailbox, v)] = uid
	s.sets++
	return nil
}

// memLog is a MoveLog in memory.
type memLog struct {
	intents, done []MoveRecord
}

func (l *memLog) Intent(_ context.Context, recs []MoveRecord) error {
	l.intents = append(l.intents, recs...)
	return nil
}

func (l *memLog) Done(_ context.Context, recs []MoveRecord) error {
	l.done = append(l.done, recs...)
	return nil
}

// mailboxState reads a mailbox with a separate plain go-imap client:
// Message-ID → flags.
func mailboxState(t *testing.T, addr, user, mailbox string) map[string][]imap.Flag {
	t.Helper()
	c, err := goimapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("examining %s: %v", mailbox, err)
	}
	out := map[string][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-ID"}, Peek: true}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatalf("fetching %s: %v", mailbox, err)
	}
	for _, m := range msgs {
		id := headerMessageID(m.FindBodySection(section))
		if _, dup := out[id]; dup {
			t.Errorf("%s holds Message-ID %q twice", mailbox, id)
		}
		flags := slices.DeleteFunc(slices.Clone(m.Flags), func(f imap.Flag) bool { return f == `\Recent` })
		out[id] = flags
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// debugLogger returns a logger at debug level writing text into buf.
func debugLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// dovecot is the package's real server, nil when not installed.
var dovecot *testdovecot.Server

func needDovecot(t *testing.T) *testdovecot.Server {
	t.Helper()
	if dovecot == nil {
		t.Skip("dovecot not installed; set " + testdovecot.RequireEnv + "=1 to fail instead")
	}
	return dovecot
}

// headerMessageID is the Message-ID in a raw header, without brackets.
func headerMessageID(raw []byte) string {
	h, _, _ := mailparse.ParseHeader(raw, MaxHeaderBytes)
	return mailparse.MessageID(h.Get("Message-ID"))
}
