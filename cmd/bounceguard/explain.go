package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/emersion/go-imap/v2"

	"github.com/bounceguard/bounceguard/classifier"
	"github.com/bounceguard/bounceguard/imapclient"
	"github.com/bounceguard/bounceguard/internal/sentindex"
)

const explainAbout = `Explain the verdict on one message: every signal considered — the sent
index, DKIM on the returned original, your relays in its Received chain,
your Message-ID style, BATV — what each says and how much it weighs, and
how the verdict followed. Nothing is moved.

The message is a FILE (an .eml), or with --uid the message of that UID in
--mailbox on your IMAP server (then the account flags are needed, and the
sent index is read from the headers of your sent folder unless --sent is
given; the state store is not touched).

Examples:
  bounceguard explain --sent ~/Maildir/.Sent bounce.eml
  bounceguard explain --uid 4711 --host imap.example.com --user alice --password-file ~/.config/bounceguard/pw
`

func runExplain(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	var o offlineFlags
	var a accountFlags
	var uid uint32
	var sentFolder string
	var maxSize int64
	fs := newFlags("explain", "[flags] FILE | --uid N --host HOST --user USER", explainAbout, stdout)
	o.register(fs)
	fs.Uint32Var(&uid, "uid", 0, "explain the message of this UID in --mailbox on the IMAP server instead of a file")
	fs.StringVar(&sentFolder, "sent-folder", "", "with --uid: the folder of mail you sent (default: the one marked \\Sent, else a common name)")
	fs.Int64Var(&maxSize, "max-size", imapclient.DefaultMaxSize, "largest message to read, in bytes")
	a.register(fs)
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if o.format != "text" && o.format != "json" {
		fmt.Fprintf(stderr, "bounceguard explain: --format %q: must be text or json\n", o.format)
		return exitUsage
	}
	switch {
	case uid == 0 && fs.NArg() != 1:
		fmt.Fprintln(stderr, "bounceguard explain: name one FILE, or give --uid N with the account flags")
		return exitUsage
	case uid != 0 && fs.NArg() > 0:
		fmt.Fprintf(stderr, "bounceguard explain: --uid and FILE %q both given: choose one\n", fs.Arg(0))
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var raw []byte
	var source string
	var c *classifier.Classifier
	if uid == 0 {
		source = fs.Arg(0)
		var err error
		if raw, err = readMessageFile(source, maxSize); err != nil {
			fmt.Fprintf(stderr, "bounceguard explain: %v\n", err)
			return exitNoInput
		}
		if c, err = o.classifier(ctx, stderr); err != nil {
			fmt.Fprintf(stderr, "bounceguard explain: %v\n", err)
			return exitNoInput
		}
	} else {
		if err := a.validate(); err != nil {
			fmt.Fprintf(stderr, "bounceguard explain: %v\n", err)
			return usageOrConfig(err)
		}
		source = fmt.Sprintf("%s UID %d", a.mailbox, uid)
		var sent *sentindex.Index
		var err error
		raw, sent, err = fetchForExplain(ctx, &a, &o, imap.UID(uid), sentFolder, maxSize, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "bounceguard explain: %v\n", err)
			return exitCodeFor(err)
		}
		c = o.policy.classifier(sent)
	}
	x := c.Explain(ctx, raw)
	if o.format == "json" {
		if err := writeExplainJSON(stdout, source, x); err != nil {
			fmt.Fprintf(stderr, "bounceguard explain: %v\n", err)
			return exitIOErr
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "%s\n", source)
	if err := x.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "bounceguard explain: %v\n", err)
		return exitIOErr
	}
	return exitOK
}

// readMessageFile reads one message, refusing one over maxSize.
func readMessageFile(path string, maxSize int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(raw)) > maxSize {
		return nil, fmt.Errorf("%s is larger than --max-size %d bytes", path, maxSize)
	}
	return raw, nil
}

// fetchForExplain fetches the message and the sent index: from --sent
// when given, else the headers of the server's sent folder, read afresh.
// explain leaves the state store alone, so it never waits for (nor
// disturbs) a daemon working on the same account.
func fetchForExplain(ctx context.Context, a *accountFlags, o *offlineFlags, uid imap.UID, sentFolder string, maxSize int64, stderr io.Writer) ([]byte, *sentindex.Index, error) {
	sess, err := imapclient.Dial(ctx, a.config(stderr))
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	raw, err := sess.FetchMessage(ctx, a.mailbox, uid, maxSize)
	if err != nil {
		return nil, nil, err
	}
	if len(o.sent) > 0 {
		idx, err := loadSent(ctx, o.sent, stderr)
		return raw, idx, err
	}
	folder, err := sess.FindSent(ctx, sentFolder)
	if err != nil {
		return nil, nil, err
	}
	idx := sentindex.New()
	_, _, err = sess.FetchHeaders(ctx, folder, 0, func(_ imap.UID, h []byte) error {
		if e, err := sentindex.EntryFromHeader(h); err == nil {
			idx.Add(e)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the sent folder %q: %w", folder, err)
	}
	return raw, idx, nil
}

// explainRecord is explain --format json: the scan record plus all the
// signals, what was known, and the steps.
type explainRecord struct {
	record
	Signals   []signalRecord `json:"signals"`
	Knowledge []string       `json:"knowledge"`
	Steps     []string       `json:"steps"`
}

type signalRecord struct {
	Name   string `json:"name"`
	Weight string `json:"weight"`
	Value  int    `json:"value"` // -2 forged-strong … 3 sent-proof
	Reason string `json:"reason"`
}

func writeExplainJSON(w io.Writer, source string, x classifier.Explanation) error {
	rec := explainRecord{record: newRecord(source, x.Verdict), Signals: []signalRecord{}, Knowledge: x.Knowledge, Steps: x.Steps}
	for _, s := range x.Signals {
		rec.Signals = append(rec.Signals, signalRecord{Name: s.Name, Weight: s.Weight.String(), Value: int(s.Weight), Reason: s.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rec); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
