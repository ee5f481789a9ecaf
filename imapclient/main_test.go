package imapclient

import (
	"errors"
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
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		// Fuzzing runs TestMain in every worker; none needs a server.
		return m.Run()
	}
	srv, err := testdovecot.Start(testdovecot.Options{TLS: true, SpecialUse: map[string]string{"Outgoing": `\Sent`}})
	switch {
	case errors.Is(err, testdovecot.ErrNotInstalled) && !testdovecot.Required():
	case err != nil:
		fmt.Fprintln(os.Stderr, "starting dovecot:", err)
		return 1
	default:
		dovecot = srv
		defer srv.Stop()
	}
	return m.Run()
}
