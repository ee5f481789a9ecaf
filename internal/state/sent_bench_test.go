package state

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// benchEntries makes n sent messages shaped like a mail client's, as
// bench/sentindex does: one every five minutes, to one to three of 5,000
// correspondents.
func benchEntries(n int) []sentindex.Entry {
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	base := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	es := make([]sentindex.Entry, n)
	for i := range es {
		rcpts := make([]string, 1+rng.IntN(3))
		for j := range rcpts {
			p := rng.IntN(5000)
			rcpts[j] = fmt.Sprintf("person%d@domain%d.example.net", p, p%400)
		}
		d := base.Add(time.Duration(i) * 5 * time.Minute)
		es[i] = sentindex.Entry{
			MessageID:  fmt.Sprintf("%s.%06x.%d.alice@mail.example.com", d.Format("20060102"), rng.Uint32()&0xffffff, i),
			Date:       d,
			From:       "alice@example.com",
			Recipients: rcpts,
		}
	}
	return es
}

func BenchmarkLoadSent(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "x.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.SaveSent("Sent", 1, uint32(n), benchEntries(n)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				_, _, idx, err := s.LoadSent("Sent")
				if err != nil || idx.Len() != n {
					b.Fatalf("LoadSent: len %d, %v", idx.Len(), err)
				}
			}
		})
	}
}
