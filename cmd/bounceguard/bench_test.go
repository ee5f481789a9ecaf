package main

import (
	"bytes"
	"context"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"testing"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/internal/mailstore"
)

func corpusBSD(b *testing.B) string {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "sisimai", "maildir", "bsd")
	if _, err := os.Stat(dir); err != nil {
		b.Skip("../shared/corpus/sisimai not present")
	}
	return dir
}

// BenchmarkScanCorpus measures what scan does per message over the Sisimai
// corpus — read from disk, decode, classify, format as JSON — and reports
// messages per second. BenchmarkNetMailFloor is the floor to compare it
// with, measured in the same run: the same files read and parsed by
// net/mail.ReadMessage.
func BenchmarkScanCorpus(b *testing.B) {
	dir := corpusBSD(b)
	c := &classifier.Classifier{}
	p, _ := newPrinter(io.Discard, "json")
	ctx := context.Background()
	n := 0
	for b.Loop() {
		batch := newScanBatch(ctx, c, p, io.Discard)
		err := mailstore.Walk(ctx, dir, func(s mailstore.Source) error {
			n++
			return batch.add(s)
		})
		if err == nil {
			err = batch.flush()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkNetMailFloor(b *testing.B) {
	dir := corpusBSD(b)
	ctx := context.Background()
	n := 0
	for b.Loop() {
		err := mailstore.Walk(ctx, dir, func(s mailstore.Source) error {
			n++
			m, err := mail.ReadMessage(bytes.NewReader(s.Raw))
			if err == nil {
				_, _ = io.Copy(io.Discard, m.Body)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
