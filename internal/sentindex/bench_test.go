package sentindex

import (
	"strconv"
	"testing"
	"time"
)

func syntheticIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i) + ".1583143200.abcdef@mail.example.org"
	}
	return ids
}

func buildIndex(ids []string) *Index {
	x := New()
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range ids {
		x.Add(Entry{MessageID: id, Date: base.Add(time.Duration(i) * time.Minute),
			From: "me@example.org", Recipients: []string{"r" + strconv.Itoa(i%5000) + "@example.net"}})
	}
	return x
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		ids := syntheticIDs(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				buildIndex(ids)
			}
		})
	}
}

func BenchmarkHasMessageID(b *testing.B) {
	ids := syntheticIDs(1_000_000)
	x := buildIndex(ids)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		x.HasMessageID(ids[i%len(ids)])
		i++
	}
}

func BenchmarkAddBatch(b *testing.B) {
	ids := syntheticIDs(1_000_000)
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	es := make([]Entry, len(ids))
	for i, id := range ids {
		es[i] = Entry{MessageID: id, Date: base.Add(time.Duration(i) * time.Minute),
			From: "me@example.org", Recipients: []string{"r" + strconv.Itoa(i%5000) + "@example.net"}}
	}
	var batches [][]byte
	for i := 0; i < len(es); i += 50_000 {
		batches = append(batches, AppendBatch(nil, es[i:i+50_000]))
	}
	b.ResetTimer()
	for b.Loop() {
		x := New()
		for _, bt := range batches {
			if _, err := x.AddBatch(bt); err != nil {
				b.Fatal(err)
			}
		}
	}
}
