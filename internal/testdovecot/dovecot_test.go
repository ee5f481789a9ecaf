package testdovecot

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestStartWriteLogin(t *testing.T) {
	srv, err := Start(Options{SpecialUse: map[string]string{"Outgoing": `\Sent`}})
	if errors.Is(err, ErrNotInstalled) && !Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		start := time.Now()
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
		t.Logf("stop took %s", time.Since(start))
	}()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(srv.AddUser("alice", "alicepw"))
	for i := range 3 {
		raw := fmt.Sprintf("Message-ID: <m%d@example.org>\r\nSubject: %d\r\n\r\nbody\r\n", i, i)
		check(srv.WriteMessage("alice", "INBOX", []byte(raw)))
	}
	check(srv.WriteMessage("alice", "INBOX", []byte("Subject: gone\r\n\r\nx\r\n"), `\Deleted`, `\Seen`))
	check(srv.WriteMessage("alice", "Outgoing", []byte("Subject: sent\r\n\r\nx\r\n")))

	p, err := NewProxy(srv.Addr())
	check(err)
	defer p.Close()
	c, err := imapclient.DialInsecure(p.Addr(), nil)
	check(err)
	defer c.Close()
	check(c.Login("alice", "alicepw").Wait())
	sel, err := c.Select("INBOX", nil).Wait()
	check(err)
	if sel.NumMessages != 4 {
		t.Errorf("INBOX has %d messages, want 4", sel.NumMessages)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(4), &imap.FetchOptions{Flags: true, UID: true}).Collect()
	check(err)
	if len(msgs) != 1 || !slices.Contains(msgs[0].Flags, imap.FlagDeleted) || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Errorf("UID 4 fetched as %+v, want \\Deleted and \\Seen", msgs)
	}
	list, err := c.List("", "*", nil).Collect()
	check(err)
	var sent bool
	for _, m := range list {
		for _, a := range m.Attrs {
			sent = sent || (m.Mailbox == "Outgoing" && a == imap.MailboxAttrSent)
		}
	}
	if !sent {
		t.Errorf("LIST = %+v, want Outgoing with \\Sent", list)
	}
	if p.Fetches() != 1 {
		t.Errorf("proxy counted %d FETCH commands, want 1", p.Fetches())
	}
}
