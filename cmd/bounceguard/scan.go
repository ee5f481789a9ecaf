package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

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
	c, err := o.classifier(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard scan: %v\n", err)
		return exitNoInput
	}
	code := exitOK
	unscanned := 0
	for _, path := range fs.Args() {
		err := mailstore.Walk(ctx, path, func(s mailstore.Source) error {
			if s.Err != nil {
				return p.print(errorRecord(s.Name, s.Err))
			}
			v := c.Classify(ctx, s.Raw)
			if v.ScanErr != nil {
				if unscanned == 0 {
					fmt.Fprintf(stderr, "bounceguard scan: virus scanner unavailable: %v\n", v.ScanErr)
				}
				unscanned++
			}
			return p.print(newRecord(s.Name, v))
		})
		if err != nil {
			fmt.Fprintf(stderr, "bounceguard scan: %v\n", err)
			code = exitNoInput
		}
	}
	p.summary()
	if unscanned > 0 {
		fmt.Fprintf(stderr, "bounceguard scan: %d messages were judged without the virus scanner\n", unscanned)
	}
	return code
}
