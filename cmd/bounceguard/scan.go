package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/internal/mailstore"
	"github.com/bounceguard/bounceguard/internal/sentindex"
	"github.com/spf13/pflag"
)

// offlineFlags are the flags scan and check share.
type offlineFlags struct {
	sent   []string
	format string
	policy policyFlags
}

func (o *offlineFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.sent, "sent", nil, "your sent mail: a Maildir, mbox file, .eml file or folder of them (repeatable); without it every bounce is bounce-unknown and kept")
	fs.StringVar(&o.format, "format", "text", "output: text (for people) or json (one object per line)")
	o.policy.register(fs)
}

func (o *offlineFlags) classifier(ctx context.Context, stderr io.Writer) (*classifier.Classifier, error) {
	if err := o.policy.validate(); err != nil {
		return nil, err
	}
	var idx *sentindex.Index
	if len(o.sent) > 0 {
		var err error
		if idx, err = loadSent(ctx, o.sent, stderr); err != nil {
			return nil, err
		}
	}
	return o.policy.classifier(idx), nil
}

const scanAbout = `Classify every message found at each PATH, offline. A PATH may be a
single message (.eml), a folder of messages, a Maildir, or an mbox file.
Nothing is moved: scan only reports. Give your sent mail with --sent so
that bounces can be told apart: bounces of mail you sent are bounce-legit
and kept, bounces of mail you never sent are backscatter.

Each message gets one class: clean, bounce-legit, bounce-unknown,
backscatter or virus; the last two would be quarantined.

Examples:
  bounceguard scan --sent ~/Maildir/.Sent ~/Maildir
  bounceguard scan --format json --sent sent.mbox inbox.mbox | jq .class
`

func runScan(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var o offlineFlags
	fs := newFlags("scan", "[flags] PATH...", scanAbout, stdout)
	o.register(fs)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "bounceguard scan: no PATH given: name the messages, Maildir or mbox to classify")
		return exitUsage
	}
	p, err := newPrinter(stdout, o.format)
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard scan: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	throughputGC(512 << 20)
	c, err := o.classifier(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard scan: %v\n", err)
		return exitNoInput
	}
	code := exitOK
	b := newScanBatch(ctx, c, p, stderr)
	for _, path := range fs.Args() {
		if err := mailstore.Walk(ctx, path, b.add); err != nil {
			fmt.Fprintf(stderr, "bounceguard scan: %v\n", err)
			code = exitNoInput
		}
	}
	if err := b.flush(); err != nil {
		fmt.Fprintf(stderr, "bounceguard scan: %v\n", err)
		code = exitIOErr
	}
	unscanned := b.unscanned
	p.summary()
	if unscanned > 0 {
		fmt.Fprintf(stderr, "bounceguard scan: %d messages were judged without the virus scanner\n", unscanned)
	}
	return code
}

// scanBatch classifies messages on every core while printing them in the
// order they were found: sources are gathered into a batch (bounded in
// count and bytes), classified in parallel, then printed in order.
type scanBatch struct {
	ctx       context.Context
	c         *classifier.Classifier
	p         *printer
	stderr    io.Writer
	sources   []mailstore.Source
	bytes     int
	unscanned int
}

// Batch bounds: enough work to keep the cores busy, little enough memory.
const (
	scanBatchMessages = 256
	scanBatchBytes    = 64 << 20
)

func newScanBatch(ctx context.Context, c *classifier.Classifier, p *printer, stderr io.Writer) *scanBatch {
	return &scanBatch{ctx: ctx, c: c, p: p, stderr: stderr}
}

// add is mailstore.Walk's callback.
func (b *scanBatch) add(s mailstore.Source) error {
	b.sources = append(b.sources, s)
	b.bytes += len(s.Raw)
	if len(b.sources) >= scanBatchMessages || b.bytes >= scanBatchBytes {
		return b.flush()
	}
	return nil
}

// flush classifies and prints the batch.
func (b *scanBatch) flush() error {
	verdicts := classifyAll(b.ctx, b.c, b.sources)
	for i, s := range b.sources {
		if s.Err != nil {
			if err := b.p.print(errorRecord(s.Name, s.Err)); err != nil {
				return err
			}
			continue
		}
		v := verdicts[i]
		if v.ScanErr != nil {
			if b.unscanned == 0 {
				fmt.Fprintf(b.stderr, "bounceguard scan: virus scanner unavailable: %v\n", v.ScanErr)
			}
			b.unscanned++
		}
		if err := b.p.print(newRecord(s.Name, v)); err != nil {
			return err
		}
	}
	b.sources, b.bytes = b.sources[:0], 0
	return nil
}

// classifyAll classifies the readable sources on GOMAXPROCS workers; the
// verdict of an unreadable source is left zero.
func classifyAll(ctx context.Context, c *classifier.Classifier, sources []mailstore.Source) []classifier.Verdict {
	out := make([]classifier.Verdict, len(sources))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(sources)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = c.Classify(ctx, sources[i].Raw)
			}
		}()
	}
	for i, s := range sources {
		if s.Err == nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return out
}

// throughputGC trades memory for speed where a run reads many messages and
// keeps few: the collector runs at 400% heap growth instead of 100% (a
// third less CPU over the corpus), under a soft limit that makes it work
// harder only near limit bytes. GOGC and GOMEMLIMIT still win.
func throughputGC(limit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}
