package imapclient_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/imapclient"
)

// noState remembers nothing: every sweep starts from the first message.
type noState struct{}

func (noState) LastUID(string, uint32) (imap.UID, error)  { return 0, nil }
func (noState) SetLastUID(string, uint32, imap.UID) error { return nil }

// ExampleSession_Sweep shows a dry run over INBOX: connect, find the sent
// folder, and report what a policy would move.
func ExampleSession_Sweep() {
	ctx := context.Background()
	s, err := imapclient.Dial(ctx, imapclient.Config{
		Host: "imap.example.org",
		User: "alice",
		Password: func(context.Context) (string, error) {
			b, err := os.ReadFile("/run/user/1000/imap-password")
			return strings.TrimSpace(string(b)), err
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	sent, err := s.FindSent(ctx, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent folder:", sent)
	res, err := s.Sweep(ctx, imapclient.SweepOptions{
		Store:  noState{},
		DryRun: true,
		// Whole messages only for what looks like a delivery report.
		NeedBody: func(e *imapclient.Envelope) bool {
			return strings.Contains(strings.ToLower(e.Subject), "undeliver")
		},
		Decide: func(ctx context.Context, m *imapclient.Message) (imapclient.Decision, error) {
			if m.Raw != nil && strings.Contains(string(m.Raw), "report-type=delivery-status") {
				return imapclient.Decision{Move: true, Class: "bounce"}, nil
			}
			return imapclient.Decision{Class: "clean"}, nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range res.Outcomes {
		fmt.Println(o.UID, o.Action, o.Class, o.Subject)
	}
}
