package imapclient

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

// TestMain starts one Dovecot for the package (start-up is quick, a clean
// stop takes about a second), with TLS and a \Sent mailbox of an unusual name.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	srv, err := testdovecot.ForPackage(testdovecot.Options{TLS: true, SpecialUse: map[string]string{"Outgoing": `\Sent`}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting dovecot:", err)
		return 1
	}
	if srv != nil {
		dovecot = srv
		defer srv.Stop()
	}
	return m.Run()
}
