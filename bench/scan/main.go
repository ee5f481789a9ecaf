// Command scan measures offline scan throughput (issue 9, item 1): the
// bounceguard binary's "scan --format json" over the Sisimai maildir/bsd
// corpus and over a generated mailbox, each against a floor measured in the
// same run — the same files read the same way and parsed with
// net/mail.ReadMessage, by this program run as a child process so that both
// pay for a process start.
//
//	go run ./bench/scan [-repeat 20] [-generated 20000] [-rounds 3]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/bounceguard/bounceguard/bench/mailgen"
	"github.com/bounceguard/bounceguard/bench/procstat"
	"github.com/bounceguard/bounceguard/internal/mailstore"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-floor" {
		os.Exit(floor(os.Args[2:]))
	}
	repeat := flag.Int("repeat", 20, "how many times one scan process reads the corpus (it has 629 messages)")
	generated := flag.Int("generated", 20000, "messages in the generated inbox (0: skip it)")
	sentN := flag.Int("sent", 2000, "messages in the generated sent folder")
	rounds := flag.Int("rounds", 3, "runs of each measurement; the fastest counts")
	corpus := flag.String("corpus", "", "Maildir to scan (default ../shared/corpus/sisimai/maildir/bsd next to the repository)")
	bin := flag.String("bin", "", "bounceguard binary to measure (default: build ./cmd/bounceguard)")
	flag.Parse()
	if err := run(*repeat, *generated, *sentN, *rounds, *corpus, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/scan:", err)
		os.Exit(1)
	}
}

func run(repeat, generated, sentN, rounds int, corpus, bin string) error {
	root, tmp, bin, cleanup, err := procstat.Workspace("bgscan", bin)
	if err != nil {
		return err
	}
	defer cleanup()
	if corpus == "" {
		corpus = filepath.Join(root, "..", "shared", "corpus", "sisimai", "maildir", "bsd")
	}
	if _, err := os.Stat(corpus); err != nil {
		fmt.Printf("corpus %s not present: skipped\n", corpus)
	} else {
		paths := make([]string, repeat)
		for i := range paths {
			paths[i] = corpus
		}
		if err := compare(bin, "maildir/bsd", paths, nil, rounds); err != nil {
			return err
		}
	}
	if generated > 0 {
		inbox, sent := filepath.Join(tmp, "inbox"), filepath.Join(tmp, "sent")
		if err := generate(inbox, sent, generated, sentN); err != nil {
			return err
		}
		if err := compare(bin, fmt.Sprintf("generated (%d, sent %d)", generated, sentN), []string{inbox}, []string{"--sent", sent}, rounds); err != nil {
			return err
		}
	}
	return nil
}

// compare runs scan and the floor rounds times each, interleaved so that
// both see the same machine, and prints the best of each and their ratio.
func compare(bin, label string, paths, extra []string, rounds int) error {
	devnull, err := procstat.DevNull()
	if err != nil {
		return err
	}
	defer devnull.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var bestScan, bestFloor procstat.Stat
	var n int
	for r := 0; r < rounds; r++ {
		args := append(append([]string{"scan", "--format", "json"}, extra...), paths...)
		cmd := exec.Command(bin, args...)
		cmd.Stdout = devnull
		st, _, err := procstat.Run(cmd)
		if err != nil {
			return err
		}
		if r == 0 || st.Wall < bestScan.Wall {
			bestScan = st
		}
		fl, out, err := procstat.Run(exec.Command(self, append([]string{"-floor"}, paths...)...))
		if err != nil {
			return err
		}
		if n, err = strconv.Atoi(string(bytes.TrimSpace(out))); err != nil {
			return fmt.Errorf("floor printed %q, want a count", out)
		}
		if r == 0 || fl.Wall < bestFloor.Wall {
			bestFloor = fl
		}
	}
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	fmt.Printf("scan %s: %d messages, best of %d\n", label, n, rounds)
	fmt.Printf("  bounceguard scan:   %8.0f msgs/s  %s\n", rate(bestScan.Wall), bestScan)
	fmt.Printf("  net/mail floor:     %8.0f msgs/s  %s\n", rate(bestFloor.Wall), bestFloor)
	fmt.Printf("  ratio scan/floor:   wall %.2fx, cpu %.2fx\n",
		bestScan.Wall.Seconds()/bestFloor.Wall.Seconds(), bestScan.CPU().Seconds()/bestFloor.CPU().Seconds())
	return nil
}

// floor reads every message at paths as scan does and parses each with
// net/mail.ReadMessage, reading its body through; it prints the count.
func floor(paths []string) int {
	n := 0
	for _, p := range paths {
		err := mailstore.Walk(context.Background(), p, func(s mailstore.Source) error {
			n++
			if m, err := mail.ReadMessage(bytes.NewReader(s.Raw)); err == nil {
				_, _ = io.Copy(io.Discard, m.Body)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println(n)
	return 0
}

// generate writes a generated inbox and sent folder as Maildirs.
func generate(inbox, sent string, n, sentN int) error {
	g, err := mailgen.New(1, "scan", mailgen.DefaultMix)
	if err != nil {
		return err
	}
	for _, d := range []string{inbox, sent} {
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(d, sub), 0o700); err != nil {
				return err
			}
		}
	}
	write := func(dir string, i int, raw []byte) error {
		return os.WriteFile(filepath.Join(dir, "cur", fmt.Sprintf("%09d.bench:2,S", i)), raw, 0o600)
	}
	for i := 0; i < n; i++ {
		if err := write(inbox, i, g.Next().Raw); err != nil {
			return err
		}
	}
	for i, raw := range g.Sent(sentN) {
		if err := write(sent, i, raw); err != nil {
			return err
		}
	}
	return nil
}
