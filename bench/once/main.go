// Command once measures "bounceguard once" against a real, throwaway
// Dovecot (issue 9, items 2 and 3). It fills an inbox of -inbox generated
// messages and a sent folder of -sent straight into Dovecot's Maildir, then
// times, each as a child process with its CPU time and peak RSS from rusage:
//
//   - the floor: a minimal go-imap client doing one
//     UID FETCH 1:* (UID RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER]) over
//     the inbox, cold (Dovecot's cache empty) and warm;
//   - once --dry-run with a new state (it builds the sent index too), and
//     again with that state (sent index stored, inbox read again);
//   - once, moving for real, with that state;
//   - once with nothing new (the cron case), three times;
//   - once after -new more messages arrived.
//
// Run as root (Dovecot's mail processes run as the dovecot user):
//
//	go run ./bench/once [-inbox 100000] [-sent 10000] [-new 100]
package main

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/bounceguard/bounceguard/bench/mailgen"
	"github.com/bounceguard/bounceguard/bench/procstat"
	"github.com/bounceguard/bounceguard/internal/testdovecot"
)

const (
	user     = "alice"
	password = "bench-password"
	writers  = 4
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-floor" {
		os.Exit(floor(os.Args[2]))
	}
	inboxN := flag.Int("inbox", 100_000, "messages in the inbox")
	sentN := flag.Int("sent", 10_000, "messages in the sent folder")
	newN := flag.Int("new", 100, "messages that arrive before the last run")
	bin := flag.String("bin", "", "bounceguard binary to measure (default: build ./cmd/bounceguard)")
	perf := flag.String("perf", "", "record runs with Linux perf into FILE.N (perf report -i FILE.N)")
	perfRuns := flag.String("perf-runs", "stored", "record the runs whose label contains this")
	pairs := flag.Int("pairs", 3, "alternating warm-floor and stored-state dry-run pairs; the ratio reported is their median")
	quick := flag.Bool("quick", false, "stop after the dry-run pairs")
	flag.Parse()
	if err := run(*inboxN, *sentN, *newN, *pairs, *quick, *bin, *perf, *perfRuns); err != nil {
		fmt.Fprintln(os.Stderr, "bench/once:", err)
		os.Exit(1)
	}
}

func run(inboxN, sentN, newN, pairs int, quick bool, bin, perf, perfRuns string) error {
	_, tmp, bin, cleanup, err := procstat.Workspace("bgonce", bin)
	if err != nil {
		return err
	}
	defer cleanup()
	srv, err := testdovecot.Start(testdovecot.Options{})
	if err != nil {
		return fmt.Errorf("starting dovecot: %w", err)
	}
	defer srv.Stop()
	if err := srv.AddUser(user, password); err != nil {
		return err
	}

	start := time.Now()
	g, err := mailgen.New(1, "b", mailgen.DefaultMix)
	if err != nil {
		return err
	}
	// Writing is mostly system time: a few writers keep both cores busy.
	type job struct {
		mailbox string
		raw     []byte
	}
	jobs := make(chan job, 64)
	errs := make(chan error, writers)
	for i := 0; i < writers; i++ {
		go func() {
			var err error
			for j := range jobs {
				if err == nil {
					err = srv.WriteMessage(user, j.mailbox, j.raw, `\Seen`)
				}
			}
			errs <- err
		}()
	}
	kinds := map[mailgen.Kind]int{}
	var bytesIn int64
	for i := 0; i < inboxN; i++ {
		m := g.Next()
		kinds[m.Kind]++
		bytesIn += int64(len(m.Raw))
		jobs <- job{"INBOX", m.Raw}
	}
	var later []mailgen.Message
	for i := 0; i < newN; i++ {
		later = append(later, g.Next())
	}
	for _, raw := range g.Sent(sentN) {
		jobs <- job{"Sent", raw}
	}
	close(jobs)
	for i := 0; i < writers; i++ {
		if err := <-errs; err != nil {
			return err
		}
	}
	fmt.Printf("generated in %v: inbox %d messages (%.0f MB; %s), sent %d\n",
		time.Since(start).Round(time.Millisecond), inboxN, float64(bytesIn)/(1<<20), kindCounts(kinds), sentN)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	// served runs cmd and says what Dovecot spent serving it: the session's
	// process is counted once it has exited, a moment after the client.
	served := func(cmd *exec.Cmd) (procstat.Stat, []byte, string, error) {
		before, _ := srv.ServiceCPU()
		st, out, err := procstat.Run(cmd)
		time.Sleep(300 * time.Millisecond)
		after, cerr := srv.ServiceCPU()
		if cerr != nil {
			return st, out, "", err
		}
		return st, out, fmt.Sprintf("; dovecot cpu %v", (after - before).Round(10*time.Millisecond)), err
	}
	floorRun := func(label string) (procstat.Stat, error) {
		st, out, dv, err := served(exec.Command(self, "-floor", srv.Addr()))
		if err != nil {
			return st, err
		}
		fmt.Printf("%-34s %s%s (%s messages)\n", label, st, dv, bytes.TrimSpace(out))
		return st, nil
	}
	state := filepath.Join(tmp, "state")
	perfN := 0
	once := func(label string, args ...string) (procstat.Stat, error) {
		args = append([]string{"once", "--host", "127.0.0.1", "--port", strconv.Itoa(srv.Port),
			"--user", user, "--tls", "none", "--state", state}, args...)
		cmd := exec.Command(bin, args...)
		if perf != "" && strings.Contains(label, perfRuns) {
			perfN++
			out := fmt.Sprintf("%s.%d", perf, perfN)
			cmd = exec.Command("perf", append([]string{"record", "-q", "-F", "999", "-g", "-o", out, "--", bin}, args...)...)
			label += " [perf " + out + "]"
		}
		cmd.Env = append(os.Environ(), "BOUNCEGUARD_PASSWORD="+password)
		st, out, dv, err := served(cmd)
		if err != nil {
			return st, err
		}
		fmt.Printf("%-34s %s%s\n%s", label, st, dv, summary(out))
		return st, nil
	}

	fmt.Println()
	cold, err := floorRun("floor (cold cache):")
	if err != nil {
		return err
	}
	dry1, err := once("once --dry-run (new state):", "--dry-run")
	if err != nil {
		return err
	}
	// The floor's wall time varies by a quarter between runs here, so the
	// stored-state dry run is measured in pairs right after a floor run
	// each, and the median pair's ratio is the one reported.
	type pair struct{ floor, dry procstat.Stat }
	var runs []pair
	for i := range max(pairs, 1) {
		warm, err := floorRun(fmt.Sprintf("floor (warm cache) %d:", i+1))
		if err != nil {
			return err
		}
		dry, err := once(fmt.Sprintf("once --dry-run (sent index stored) %d:", i+1), "--dry-run")
		if err != nil {
			return err
		}
		runs = append(runs, pair{warm, dry})
	}
	slices.SortFunc(runs, func(a, b pair) int {
		return cmp.Compare(a.dry.Wall.Seconds()/a.floor.Wall.Seconds(), b.dry.Wall.Seconds()/b.floor.Wall.Seconds())
	})
	warm, dry2 := runs[len(runs)/2].floor, runs[len(runs)/2].dry
	ratio := func(a, b procstat.Stat) string {
		return fmt.Sprintf("wall %.2fx, cpu %.2fx", a.Wall.Seconds()/b.Wall.Seconds(), a.CPU().Seconds()/b.CPU().Seconds())
	}
	dryRatios := func() {
		fmt.Println("\nratios to the raw-fetch floor (warm cache unless said):")
		fmt.Printf("  once --dry-run, new state:         %s (to the cold floor: %s)\n", ratio(dry1, warm), ratio(dry1, cold))
		for i, p := range runs {
			fmt.Printf("  pair %d, sorted:                   %s\n", i+1, ratio(p.dry, p.floor))
		}
		fmt.Printf("  once --dry-run, sent index stored: %s (median of %d pairs)\n", ratio(dry2, warm), len(runs))
	}
	if quick {
		dryRatios()
		fmt.Printf("peak RSS of once --dry-run: %.1f MB, %.1f MB\n", mb(dry1.MaxRSS), mb(dry2.MaxRSS))
		return nil
	}
	real, err := once("once (moves):")
	if err != nil {
		return err
	}
	var idle []procstat.Stat
	for i := 0; i < 3; i++ {
		st, err := once(fmt.Sprintf("once, nothing new (%d):", i+1))
		if err != nil {
			return err
		}
		idle = append(idle, st)
	}
	for _, m := range later {
		if err := srv.WriteMessage(user, "INBOX", m.Raw); err != nil {
			return err
		}
	}
	more, err := once(fmt.Sprintf("once, %d new:", newN))
	if err != nil {
		return err
	}

	dryRatios()
	fmt.Printf("  once, moving:                      %s\n", ratio(real, warm))
	fmt.Printf("peak RSS of once: dry-run %.1f MB, %.1f MB; moving %.1f MB\n",
		mb(dry1.MaxRSS), mb(dry2.MaxRSS), mb(real.MaxRSS))
	best := idle[0]
	for _, st := range idle[1:] {
		if st.Wall < best.Wall {
			best = st
		}
	}
	fmt.Printf("once with nothing new (best of %d): wall %v, cpu %v; with %d new: wall %v, cpu %v\n",
		len(idle), best.Wall.Round(time.Millisecond), best.CPU().Round(time.Millisecond),
		newN, more.Wall.Round(time.Millisecond), more.CPU().Round(time.Millisecond))
	return nil
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func kindCounts(m map[mailgen.Kind]int) string {
	var parts []string
	for _, k := range []mailgen.Kind{mailgen.Ham, mailgen.Backscatter, mailgen.Legit, mailgen.Attachment, mailgen.Virus} {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// summary keeps the counting lines of once's text output, not the list of
// moved messages.
func summary(out []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Sent folder") || strings.Contains(line, " new messages.") ||
			strings.Contains(line, " messages: ") || strings.HasPrefix(line, "0 messages") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return b.String()
}

// floor is the raw-fetch floor: log in, select INBOX read-only, and fetch
// what once's first pass needs of every message in one command, reading
// each header literal through. It prints the number of messages.
func floor(addr string) int {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		return 1
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "floor: login:", err)
		return 1
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "floor: select:", err)
		return 1
	}
	opts := &imap.FetchOptions{
		UID: true, RFC822Size: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection:   []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, Peek: true}},
	}
	cmd := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, opts)
	n := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		n++
		for item := msg.Next(); item != nil; item = msg.Next() {
			if s, ok := item.(imapclient.FetchItemDataBodySection); ok && s.Literal != nil {
				if _, err := io.Copy(io.Discard, s.Literal); err != nil {
					fmt.Fprintln(os.Stderr, "floor: reading header:", err)
					return 1
				}
			}
		}
	}
	if err := cmd.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "floor: fetch:", err)
		return 1
	}
	if err := c.Logout().Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "floor: logout:", err)
		return 1
	}
	fmt.Println(n)
	return 0
}
