package classifier

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/clamd"
)

type fakeScanner struct {
	res clamd.Result
	err error
}

func (f fakeScanner) Scan(_ context.Context, r io.Reader) (clamd.Result, error) {
	_, _ = io.Copy(io.Discard, r)
	return f.res, f.err
}

func TestScanner(t *testing.T) {
	ham := []byte("From: bob@example.org\nTo: alice@example.com\nSubject: hi\n\nhello\n")
	ctx := context.Background()

	c := &Classifier{Scanner: fakeScanner{res: clamd.Result{Infected: true, Signature: "Test.Marker"}}}
	if v := c.Classify(ctx, ham); v.Class != Virus || v.Action != Quarantine || !strings.Contains(strings.Join(v.Reasons, " "), "Test.Marker") {
		t.Errorf("infected: %s/%s %q", v.Class, v.Action, v.Reasons)
	}
	// A scanner outage must not move mail, and must be said.
	c = &Classifier{Scanner: fakeScanner{err: errors.New("connection refused")}}
	if v := c.Classify(ctx, ham); v.Class != Clean || v.Action != Keep || !strings.Contains(strings.Join(v.Reasons, " "), "scanner unavailable") {
		t.Errorf("scanner down: %s/%s %q", v.Class, v.Action, v.Reasons)
	}
}

func TestScannerFailClosed(t *testing.T) {
	ham := []byte("From: bob@example.org\nTo: alice@example.com\nSubject: hi\n\nhello\n")
	c := &Classifier{Scanner: fakeScanner{err: errors.New("connection refused")}, ScanFailClosed: true}
	v := c.Classify(context.Background(), ham)
	if !v.Defer || v.ScanErr == nil || v.Action != Keep {
		t.Errorf("fail-closed: defer %v, scan error %v, action %s", v.Defer, v.ScanErr, v.Action)
	}
}
