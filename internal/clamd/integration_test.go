package clamd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/clamd/clamdtest"
)

// realClamd is the clamd started by TestMain, nil when it is not installed.
var realClamd *clamdtest.Server

// marker is the test signature's data: random, so that it matches nothing
// but the messages these tests build.
var marker string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		fmt.Fprintln(os.Stderr, "generating the test marker:", err)
		return 1
	}
	marker = "bounceguard-test-marker-" + hex.EncodeToString(b)
	srv, err := startClamd()
	switch {
	case errors.Is(err, clamdtest.ErrNotInstalled) && !clamdtest.Required():
		// The integration test skips itself.
	case err != nil:
		fmt.Fprintln(os.Stderr, "starting clamd:", err)
		return 1
	default:
		realClamd = srv
		defer srv.Stop()
	}
	return m.Run()
}

func startClamd() (*clamdtest.Server, error) {
	return clamdtest.Start([]clamdtest.Signature{{Name: "Bounceguard.Test.Marker", Data: []byte(marker)}},
		clamdtest.Options{StreamMaxLength: "1M"})
}

// mimeMessage returns a message with one base64 attachment holding body.
func mimeMessage(body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.org\r\nTo: b@example.net\r\nSubject: test\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n" +
		"Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(body)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b1--\r\n")
	return b.Bytes()
}

func TestRealClamd(t *testing.T) {
	if realClamd == nil {
		t.Skip("clamd is not installed; set " + clamdtest.RequireEnv + "=1 to require it")
	}
	t.Logf("clamd answered PING %v after start", realClamd.StartTime.Round(time.Millisecond))
	c, err := New(realClamd.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// The marker only in base64, so clamd must decode the MIME part to find it.
	infected := mimeMessage([]byte("some text before " + marker + " and after"))
	if bytes.Contains(infected, []byte(marker)) {
		t.Fatal("test message holds the marker in clear")
	}
	res, err := c.Scan(ctx, bytes.NewReader(infected))
	if err != nil || !res.Infected || !strings.HasPrefix(res.Signature, "Bounceguard.Test.Marker") {
		t.Errorf("Scan(message with the marker) = %+v, %v; want infected with Bounceguard.Test.Marker", res, err)
	}
	res, err = c.Scan(ctx, bytes.NewReader(mimeMessage([]byte("nothing to see here"))))
	if err != nil || res.Infected {
		t.Errorf("Scan(clean message) = %+v, %v; want clean", res, err)
	}
	_, err = c.Scan(ctx, bytes.NewReader(mimeMessage(bytes.Repeat([]byte("large "), 400<<10))))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Scan(message over StreamMaxLength) error %v, want ErrTooLarge", err)
	}

}

// TestRealClamdStops stops a clamd of its own (the shared one stays up for
// -count=N) in the middle of a stream: the scan must fail, not pass the
// message as clean, and later calls must fail too.
func TestRealClamdStops(t *testing.T) {
	if realClamd == nil {
		t.Skip("clamd is not installed; set " + clamdtest.RequireEnv + "=1 to require it")
	}
	srv, err := startClamd()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := New(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := c.Scan(ctx, pr)
		done <- err
	}()
	if _, err := pw.Write(mimeMessage([]byte("first half"))[:200]); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	// The client may block writing to a dead peer or reading the pipe;
	// keep feeding it until it gives up.
	go func() {
		for {
			if _, err := pw.Write(bytes.Repeat([]byte("more "), 4096)); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Scan while clamd stopped succeeded")
		}
		t.Logf("Scan while clamd stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Scan did not return after clamd stopped")
	}
	pr.Close()
	if _, err := c.Scan(ctx, strings.NewReader(marker)); err == nil {
		t.Error("Scan after clamd stopped succeeded")
	}
	if err := c.Ping(ctx); err == nil {
		t.Error("Ping after clamd stopped succeeded")
	}
}
