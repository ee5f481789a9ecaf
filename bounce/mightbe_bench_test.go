package bounce

import (
	"testing"

	"github.com/bounceguard/bounceguard/fixtures"
	"github.com/bounceguard/bounceguard/internal/mailparse"
)

func BenchmarkMightBeHam(b *testing.B) {
	inbox, _ := fixtures.Inbox()
	var hs []mailparse.Header
	for _, f := range inbox[:18] {
		h, _, _ := mailparse.ParseHeader(f.Raw, 1<<20)
		hs = append(hs, h)
	}
	for b.Loop() {
		for _, h := range hs {
			MightBe(h)
		}
	}
}
