package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/fixtures"
	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

const demoAbout = `See bounceguard work without touching any real mail: start an IMAP server
inside this process on 127.0.0.1, fill it with the project's sample mailbox
(ordinary mail, bounces of mail the owner sent, backscatter of every kind,
virus mail, and the owner's sent folder), clean it once over a real IMAP
connection — the same code as "bounceguard once" — and explain what was
moved, what was kept, and why.
`

// demoUser owns the sample mailbox in fixtures/.
const demoUser = "alice@example.com"

func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("demo", "", demoAbout, stdout)
	var verbose bool
	fs.BoolVarP(&verbose, "verbose", "v", false, "log each IMAP step to standard error")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if err := demo(context.Background(), stdout, stderr, verbose); err != nil {
		fmt.Fprintf(stderr, "bounceguard demo: %v\n", err)
		return exitSoftware
	}
	return exitOK
}

// demoServer is go-imap's in-memory server holding the sample mailbox.
type demoServer struct {
	user *imapmemserver.User
	addr *net.TCPAddr
	srv  *imapserver.Server
}

func startDemoServer(password string, caps imap.CapSet) (*demoServer, error) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(demoUser, password)
	for _, mb := range []string{"INBOX", "Sent"} {
		if err := user.Create(mb, nil); err != nil {
			return nil, fmt.Errorf("creating %s: %w", mb, err)
		}
	}
	load := func(mailbox string, files []fixtures.File) error {
		for _, f := range files {
			if _, err := user.Append(mailbox, literal{bytes.NewReader(f.Raw)}, &imap.AppendOptions{}); err != nil {
				return fmt.Errorf("loading %s into %s: %w", f.Name, mailbox, err)
			}
		}
		return nil
	}
	inbox, err := fixtures.Inbox()
	if err != nil {
		return nil, err
	}
	sent, err := fixtures.Sent()
	if err != nil {
		return nil, err
	}
	if err := load("INBOX", inbox); err != nil {
		return nil, err
	}
	if err := load("Sent", sent); err != nil {
		return nil, err
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true, // loopback only, and the client insists on it
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	go srv.Serve(ln)
	return &demoServer{user: user, addr: ln.Addr().(*net.TCPAddr), srv: srv}, nil
}

// counts is the number of messages in each of the demo's mailboxes, as the
// server holds them.
func (d *demoServer) counts() map[string]int {
	out := map[string]int{}
	for _, mb := range []string{"INBOX", "Quarantine", "Sent"} {
		if st, err := d.user.Status(mb, &imap.StatusOptions{NumMessages: true}); err == nil && st.NumMessages != nil {
			out[mb] = int(*st.NumMessages)
		}
	}
	return out
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

func demo(ctx context.Context, w, stderr io.Writer, verbose bool) error {
	pw := make([]byte, 16)
	rand.Read(pw)
	password := hex.EncodeToString(pw)
	d, err := startDemoServer(password, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
	if err != nil {
		return err
	}
	defer d.srv.Close()
	before := d.counts()

	dir, err := os.MkdirTemp("", "bounceguard-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Fprintf(w, "bounceguard demo: an IMAP server on %s holds the mailbox of %s:\n", d.addr, demoUser)
	fmt.Fprintf(w, "%d messages in INBOX and %d in Sent. Cleaning INBOX once, over IMAP, as \"bounceguard once\" would.\n\n", before["INBOX"], before["Sent"])

	type detail struct {
		kind, format, original string
	}
	var mu sync.Mutex
	details := map[imap.UID]detail{}
	j := &job{
		cfg: imapclient.Config{
			Host: d.addr.IP.String(), Port: d.addr.Port, User: demoUser, TLS: imapclient.TLSNone,
			Password: func(context.Context) (string, error) { return password, nil },
			Logger:   newLogger(stderr, verbose),
		},
		statePath:  filepath.Join(dir, "state.db"),
		mailbox:    "INBOX",
		quarantine: "Quarantine",
		details: func(uid imap.UID, v classifier.Verdict) {
			mu.Lock()
			defer mu.Unlock()
			details[uid] = detail{string(v.Report.Kind), v.Report.Format, v.Report.Original.MessageID}
		},
	}
	start := time.Now()
	res, err := j.run(ctx)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	after := d.counts()

	sw := res.sweep
	var moved, kept []imapclient.Outcome
	for _, o := range sw.Outcomes {
		if o.Action == imapclient.ActionMoved {
			moved = append(moved, o)
		} else {
			kept = append(kept, o)
		}
	}
	order := map[string]int{"virus": 0, "backscatter": 1, "bounce-legit": 2, "bounce-unknown": 3, "clean": 4}
	byClass := func(os []imapclient.Outcome) {
		sort.SliceStable(os, func(a, b int) bool { return order[os[a].Class] < order[os[b].Class] })
	}
	byClass(moved)
	byClass(kept)
	line := func(o imapclient.Outcome) {
		dt := details[o.UID]
		what := dt.kind
		if dt.format != "" {
			what += "/" + dt.format
		}
		subject := strconv.Quote(truncate(mailparse.DecodeWords(o.Subject), 58))
		if o.Class == string(classifier.Clean) {
			fmt.Fprintf(w, "  %-14s %-20s %s\n", o.Class, "", subject)
			return
		}
		reason := ""
		if len(o.Reasons) > 0 {
			reason = o.Reasons[0]
		}
		fmt.Fprintf(w, "  %-14s %-20s %s\n  %14s %s\n", o.Class, what, subject, "", reason)
	}
	fmt.Fprintf(w, "Moved to Quarantine (%d) — mail the owner never sent, and virus mail:\n", len(moved))
	for _, o := range moved {
		line(o)
	}
	fmt.Fprintf(w, "\nKept in INBOX (%d) — bounces of the owner's own mail, bounces with no evidence either way, and ordinary mail:\n", len(kept))
	for _, o := range kept {
		line(o)
	}
	fmt.Fprintf(w, "\n%s in %.1f s.\n\n", classCounts(sw.Classes), elapsed.Seconds())
	fmt.Fprintf(w, "  %-12s %6s %6s\n", "mailbox", "before", "after")
	for _, mb := range []string{"INBOX", "Quarantine", "Sent"} {
		fmt.Fprintf(w, "  %-12s %6d %6d\n", mb, before[mb], after[mb])
	}
	fmt.Fprint(w, `
Every move was recorded; "bounceguard restore" puts moved mail back.
To see what it would do with your own mailbox, without moving anything:
  bounceguard once --host imap.example.com --user you@example.com --password-file ~/.config/bounceguard/password --dry-run
`)
	return nil
}
