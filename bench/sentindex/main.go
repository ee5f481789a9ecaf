// Command sentindex measures the sent index (issue 9, item 4): building it
// from 10,000 and 1,000,000 Message-IDs, storing it in the state file and
// loading it back, adding a few new messages to a stored index, the time of
// one look-up, and the state file's size on disk.
//
//	go run ./bench/sentindex [-sizes 10000,1000000] [-new 100]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bounceguard/bounceguard/internal/sentindex"
	"github.com/bounceguard/bounceguard/internal/state"
)

func main() {
	sizes := flag.String("sizes", "10000,1000000", "index sizes to measure, comma-separated")
	newN := flag.Int("new", 100, "messages added to the stored index in the incremental step")
	lookups := flag.Int("lookups", 2_000_000, "look-ups timed per size")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench/sentindex: size %q: want a positive number\n", s)
			os.Exit(2)
		}
		if err := measure(n, *newN, *lookups); err != nil {
			fmt.Fprintln(os.Stderr, "bench/sentindex:", err)
			os.Exit(1)
		}
	}
}

// entries makes n sent messages shaped like a mail client's: ids of the
// form the fixtures' Alice writes, one a few minutes after the other, to one
// to three of 5,000 correspondents.
func entries(rng *rand.Rand, from, n int) []sentindex.Entry {
	base := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]sentindex.Entry, n)
	for i := range out {
		k := from + i
		rcpts := make([]string, 1+rng.IntN(3))
		for j := range rcpts {
			p := rng.IntN(5000)
			rcpts[j] = fmt.Sprintf("person%d@domain%d.example.net", p, p%400)
		}
		out[i] = sentindex.Entry{
			MessageID:  fmt.Sprintf("%s.%06x.%d.alice@mail.example.com", base.Add(time.Duration(k)*5*time.Minute).Format("20060102"), rng.Uint32()&0xffffff, k),
			Date:       base.Add(time.Duration(k) * 5 * time.Minute),
			From:       "alice@example.com",
			Recipients: rcpts,
		}
	}
	return out
}

func measure(n, newN, lookups int) error {
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	es := entries(rng, 0, n)
	fmt.Printf("sent index of %d messages\n", n)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	idx := sentindex.New()
	for _, e := range es {
		idx.Add(e)
	}
	build := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fmt.Printf("  build in memory:        %v (%.0f ns/message), heap %.1f MB\n",
		build.Round(time.Microsecond), float64(build.Nanoseconds())/float64(n), float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))

	// Look-ups of present ids go through all of them in random order, so
	// both the strings and the index's memory are mostly cold, as for a
	// bounce now and then; absent ones cycle through 1,024 strings.
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = "<" + e.MessageID + ">"
	}
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	misses := make([]string, 1024)
	for i := range misses {
		misses[i] = fmt.Sprintf("<%x.%d@spam.example.org>", rng.Uint64(), i)
	}
	start = time.Now()
	hits := 0
	for i := 0; i < lookups; i++ {
		if idx.HasMessageID(ids[i%len(ids)]) {
			hits++
		}
	}
	hit := time.Since(start)
	start = time.Now()
	for i := 0; i < lookups; i++ {
		if idx.HasMessageID(misses[i%len(misses)]) {
			hits--
		}
	}
	miss := time.Since(start)
	if hits != lookups {
		return fmt.Errorf("look-ups: %d of %d found", hits, lookups)
	}
	fmt.Printf("  look-up (present):      %.0f ns\n", float64(hit.Nanoseconds())/float64(lookups))
	fmt.Printf("  look-up (absent):       %.0f ns\n", float64(miss.Nanoseconds())/float64(lookups))

	dir, err := os.MkdirTemp("", "bgsent")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state", "bench.db")
	st, err := state.Open(path)
	if err != nil {
		return err
	}
	start = time.Now()
	if err := st.SaveSent("Sent", 1, uint32(n), es); err != nil {
		return err
	}
	save := time.Since(start)
	if err := st.Close(); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("  save to state:          %v\n", save.Round(time.Microsecond))
	fmt.Printf("  state file:             %.1f MB (%.1f bytes/message)\n", float64(fi.Size())/(1<<20), float64(fi.Size())/float64(n))

	load := func() (time.Duration, *sentindex.Index, error) {
		st, err := state.Open(path)
		if err != nil {
			return 0, nil, err
		}
		defer st.Close()
		start := time.Now()
		_, _, x, err := st.LoadSent("Sent")
		return time.Since(start), x, err
	}
	d, x, err := load()
	if err != nil {
		return err
	}
	if x.Len() != n {
		return fmt.Errorf("loaded %d ids, want %d", x.Len(), n)
	}
	fmt.Printf("  load from state:        %v (%.0f ns/message)\n", d.Round(time.Microsecond), float64(d.Nanoseconds())/float64(n))

	more := entries(rng, n, newN)
	st, err = state.Open(path)
	if err != nil {
		return err
	}
	start = time.Now()
	err = st.SaveSent("Sent", 1, uint32(n+newN), more)
	add := time.Since(start)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("  save %d new:            %v\n", newN, add.Round(time.Microsecond))
	d, x, err = load()
	if err != nil {
		return err
	}
	if x.Len() != n+newN || !x.HasMessageID(more[len(more)-1].MessageID) {
		return fmt.Errorf("after adding %d: loaded %d ids, want %d", newN, x.Len(), n+newN)
	}
	fmt.Printf("  load after that:        %v\n", d.Round(time.Microsecond))
	return nil
}
