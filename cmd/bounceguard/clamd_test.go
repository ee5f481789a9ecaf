package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bounceguard/bounceguard/internal/clamd/clamdtest"
)

// TestScanClamd is issue 6's acceptance against a real clamd: a message
// whose attachment matches the (test) signature is virus; with clamd
// stopped, messages are kept, the failure is reported, and the run goes on;
// with --clamd-fail-closed, check gives no verdict (75).
func TestScanClamd(t *testing.T) {
	b := make([]byte, 12)
	rand.Read(b)
	marker := "bounceguard-cmd-marker-" + hex.EncodeToString(b)
	srv, err := clamdtest.Start([]clamdtest.Signature{{Name: "Bounceguard.Test.Marker", Data: []byte(marker)}}, clamdtest.Options{})
	if errors.Is(err, clamdtest.ErrNotInstalled) && !clamdtest.Required() {
		t.Skip("clamd not installed; set " + clamdtest.RequireEnv + "=1 to fail instead")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	dir := t.TempDir()
	infected := "From: eve@example.net\nTo: alice@example.com\nSubject: invoice\nMessage-ID: <inf@example.net>\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n" +
		"--b\nContent-Type: application/octet-stream; name=data.bin\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString([]byte("xx"+marker+"xx")) + "\n--b--\n"
	clean, _ := os.ReadFile(fixturesDir("inbox", "01-personal-bob.eml"))
	os.WriteFile(filepath.Join(dir, "1-infected.eml"), []byte(infected), 0o600)
	os.WriteFile(filepath.Join(dir, "2-clean.eml"), clean, 0o600)

	code, out, errOut := runCmd(t, "", "scan", "--no-dns", "--clamd", srv.Addr, dir)
	if code != exitOK || !strings.Contains(out, "Bounceguard.Test.Marker") || strings.Count(out, "virus          quarantine") != 1 {
		t.Fatalf("scan with clamd: exit %d\n%s\n%s", code, out, errOut)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "", "scan", "--no-dns", "--clamd", srv.Addr, dir)
	if code != exitOK || !strings.Contains(errOut, "2 messages were judged without the virus scanner") || strings.Contains(out, "virus          quarantine") {
		t.Errorf("scan with clamd down: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runCmd(t, string(clean), "check", "--no-dns", "--clamd", srv.Addr, "--clamd-fail-closed")
	if code != exitTempFail || !strings.Contains(errOut, "scanner unavailable") {
		t.Errorf("check --clamd-fail-closed with clamd down: exit %d, %s", code, errOut)
	}
}
