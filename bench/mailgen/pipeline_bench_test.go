package mailgen

import (
	"context"
	"testing"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/internal/mailparse"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

// BenchmarkOncePerMessage is once's own work per message of the generated
// mix, without the network: the header triage every message gets, and the
// whole classification of those the triage (or an attachment) sends on.
// bench/once measures the same over IMAP; this is where to profile it
// (-cpuprofile).
func BenchmarkOncePerMessage(b *testing.B) {
	g, err := New(1, "p", DefaultMix)
	if err != nil {
		b.Fatal(err)
	}
	var inbox []Message
	for range 5000 {
		inbox = append(inbox, g.Next())
	}
	idx := sentindex.New()
	for _, raw := range g.Sent(1000) {
		if e, err := sentindex.EntryFromHeader(raw); err == nil {
			idx.Add(e)
		}
	}
	c := &classifier.Classifier{Sent: idx}
	var whole [][]byte
	for _, m := range inbox {
		h, _, _ := mailparse.ParseHeader(m.Raw, 1<<20)
		if classifier.NeedsBody(h, m.Kind == Attachment || m.Kind == Virus) {
			whole = append(whole, m.Raw)
		}
	}
	b.Run("triage", func(b *testing.B) {
		for b.Loop() {
			for _, m := range inbox {
				h, _, _ := mailparse.ParseHeader(m.Raw, 1<<20)
				_ = mailparse.MessageID(h.Get("Message-ID"))
				_ = mailparse.DecodeWords(h.Get("From"))
				_ = mailparse.DecodeWords(h.Get("Subject"))
				classifier.NeedsBody(h, false)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(inbox)), "ns/msg")
	})
	b.Run("classify", func(b *testing.B) {
		for b.Loop() {
			for _, raw := range whole {
				c.ClassifyRaw(context.Background(), raw)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(whole)), "ns/msg")
		b.ReportMetric(float64(len(whole))/float64(len(inbox)), "share")
	})
}

// BenchmarkHeaderBlock is the header parse every fetched envelope gets.
func BenchmarkHeaderBlock(b *testing.B) {
	g, err := New(1, "h", DefaultMix)
	if err != nil {
		b.Fatal(err)
	}
	var heads [][]byte
	size := 0
	for range 2000 {
		raw := g.Next().Raw
		n := headerEnd(raw)
		heads = append(heads, raw[:n])
		size += n
	}
	b.SetBytes(int64(size / len(heads)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		mailparse.ParseHeaderBlock(heads[i%len(heads)], 64<<10)
	}
}
