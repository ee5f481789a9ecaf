package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bounceguard/bounceguard/classifier"
)

const checkAbout = `Classify one message read from standard input and say so by the exit
code: 0 keep, 1 quarantine, 64 or more when it could not decide (then
keep the message). For mail filters: procmail, maildrop, Sieve "execute".

With --annotate the message is written back to standard output with
X-Bounceguard-Class and X-Bounceguard-Reasons headers added, and the exit
code is 0 whenever the message was written back, so that a filter never
loses it; test the header instead.

procmail:
  :0 fw
  | bounceguard check --annotate --sent $HOME/Maildir/.Sent
  :0
  * ^X-Bounceguard-Class: (backscatter|virus)
  .Quarantine/
`

func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o offlineFlags
	var annotate bool
	var maxSize int64
	fs := newFlags("check", "[flags] < message", checkAbout, stdout)
	o.register(fs)
	fs.BoolVar(&annotate, "annotate", false, "write the message back with X-Bounceguard-* headers instead of a report")
	fs.Int64Var(&maxSize, "max-size", 20<<20, "largest message to classify, in bytes; a larger one is kept")
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bounceguard check: unexpected argument %q: the message is read from standard input (use scan for files)\n", fs.Arg(0))
		return exitUsage
	}
	p, err := newPrinter(stdout, o.format)
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard check: %v\n", err)
		return exitUsage
	}
	raw, readErr := io.ReadAll(io.LimitReader(stdin, maxSize+1))
	tooLarge := int64(len(raw)) > maxSize
	if annotate && (readErr != nil || tooLarge) {
		// Never lose the message: hand back what came in, untouched.
		return passThrough(raw, stdin, stdout, stderr, readErr)
	}
	if readErr != nil {
		fmt.Fprintf(stderr, "bounceguard check: reading the message: %v\n", readErr)
		return exitIOErr
	}
	if tooLarge {
		fmt.Fprintf(stderr, "bounceguard check: message larger than --max-size %d bytes: keep it\n", maxSize)
		return exitDataErr
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		fmt.Fprintln(stderr, "bounceguard check: no message on standard input")
		return exitNoInput
	}
	ctx := context.Background()
	c, err := o.classifier(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bounceguard check: %v\n", err)
		if annotate {
			return passThrough(raw, stdin, stdout, stderr, nil)
		}
		return exitNoInput
	}
	v := c.Classify(ctx, raw)
	if annotate {
		if err := writeAnnotated(stdout, raw, v); err != nil {
			fmt.Fprintf(stderr, "bounceguard check: writing the message: %v\n", err)
			return exitIOErr
		}
		return exitOK
	}
	if v.ScanErr != nil && v.Defer {
		// --clamd-fail-closed: no verdict without the scanner; the mail
		// system retries delivery on EX_TEMPFAIL.
		fmt.Fprintf(stderr, "bounceguard check: virus scanner unavailable: %v\n", v.ScanErr)
		return exitTempFail
	}
	if err := p.print(newRecord("-", v)); err != nil {
		fmt.Fprintf(stderr, "bounceguard check: %v\n", err)
		return exitIOErr
	}
	if v.Action == classifier.Quarantine {
		return exitQuarantine
	}
	return exitOK
}

// passThrough writes the message back unchanged (what was read plus the
// rest of stdin) after a failure, so a filter keeps it as it was.
func passThrough(head []byte, rest io.Reader, stdout, stderr io.Writer, cause error) int {
	if cause != nil {
		fmt.Fprintf(stderr, "bounceguard check: %v: message passed through unchanged\n", cause)
	}
	if _, err := stdout.Write(head); err != nil {
		return exitIOErr
	}
	if _, err := io.Copy(stdout, rest); err != nil {
		return exitIOErr
	}
	return exitOK
}

// writeAnnotated writes raw with the verdict's headers put first, in the
// message's own line ending.
func writeAnnotated(w io.Writer, raw []byte, v classifier.Verdict) error {
	nl := "\n"
	if i := bytes.IndexByte(raw, '\n'); i > 0 && raw[i-1] == '\r' {
		nl = "\r\n"
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "X-Bounceguard-Class: %s%s", v.Class, nl)
	fmt.Fprintf(bw, "X-Bounceguard-Reasons: %s%s", headerSafe(strings.Join(v.Reasons, "; "), nl), nl)
	bw.Write(raw) // a write error sticks to bw and comes back from Flush
	return bw.Flush()
}

// headerSafe makes s one header field value: control characters become
// spaces, so a reason quoting hostile text cannot inject fields, and long
// values are folded with nl.
func headerSafe(s, nl string) string {
	var sb strings.Builder
	col := 0
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			r = ' '
		}
		if col > 70 && r == ' ' {
			sb.WriteString(nl + "\t")
			col = 0
			continue
		}
		sb.WriteRune(r)
		col++
	}
	return sb.String()
}
