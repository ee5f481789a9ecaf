package dsn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bounceguard/bounceguard/internal/mailparse"
)

func BenchmarkParseStatus(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "basic.eml"))
	if err != nil {
		b.Fatal(err)
	}
	m := mailparse.Parse(raw)
	body := m.Parts[statusPart(m)].Body
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseStatus(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromMessage(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "basic.eml"))
	if err != nil {
		b.Fatal(err)
	}
	m := mailparse.Parse(raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromMessage(m); err != nil {
			b.Fatal(err)
		}
	}
}
