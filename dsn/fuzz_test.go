package dsn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

// seeds returns the test messages and the delivery-status bodies in them.
func seeds(f *testing.F) (messages, statuses [][]byte) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		messages = append(messages, raw)
		if m := mailparse.Parse(raw); statusPart(m) >= 0 {
			statuses = append(statuses, m.Parts[statusPart(m)].Body)
		}
	}
	return messages, statuses
}

func FuzzParseStatus(f *testing.F) {
	_, statuses := seeds(f)
	for _, s := range statuses {
		f.Add(s)
	}
	f.Add([]byte("Final-Recipient: utf-8; \\x{10FFFF}\\x{D800}\\x{0}\\x{}@x\r\rAction:\rStatus: 5.999.999\r\n\t\n  x: y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStatus(b)
		if st == nil {
			t.Fatal("nil status")
		}
		if err == nil && len(st.Recipients) == 0 {
			t.Fatal("no error and no recipient")
		}
		if len(st.Recipients) > MaxRecipients {
			t.Fatalf("%d recipients", len(st.Recipients))
		}
		for _, r := range st.Recipients {
			if len(r.DiagnosticCode) > MaxFieldBytes {
				t.Fatalf("diagnostic of %d bytes", len(r.DiagnosticCode))
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	messages, _ := seeds(f)
	for _, m := range messages {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := Parse(raw)
		if err == nil && (r == nil || len(r.Recipients) == 0) {
			t.Fatal("no error and no recipient")
		}
	})
}
