// Package clamd is a client for ClamAV's scanning daemon. It speaks the
// null-terminated ("z") form of the clamd protocol: PING, and INSTREAM, which
// sends the data to scan over the connection itself, so clamd needs no access
// to our files and may run on another host.
package clamd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one PING or scan when the context has no deadline.
// clamd takes seconds on a large message with archives; minutes mean it hangs.
const DefaultTimeout = 2 * time.Minute

// chunkSize is the INSTREAM chunk length. clamd buffers chunks up to its
// StreamMaxLength (25 MB by default), so any size well below that works;
// 64 KiB keeps the number of writes low without a large buffer.
const chunkSize = 64 << 10

// maxReply bounds a reply read from clamd: "stream: " plus a signature name.
const maxReply = 4096

// ErrTooLarge reports that clamd refused the stream because it exceeds its
// StreamMaxLength. The message was not scanned; a caller keeps it and says so
// (or raises StreamMaxLength in clamd.conf).
var ErrTooLarge = errors.New("message larger than clamd's StreamMaxLength, not scanned")

// Result is clamd's verdict on one stream.
type Result struct {
	Infected  bool
	Signature string // the signature that matched, e.g. "Win.Test.EICAR_HDB-1"
}

// Scanner scans a stream for viruses. *Client implements it; the classifier
// takes a Scanner so that tests can hand in a fake.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (Result, error)
}

// Client talks to one clamd. It holds no connection: each call dials anew,
// as clamd closes the connection after every answer to a z-command. A
// Client is safe for concurrent use once Timeout is set.
type Client struct {
	network, address string
	// Timeout bounds a call whose context has no deadline; zero means
	// DefaultTimeout.
	Timeout time.Duration
}

var _ Scanner = (*Client)(nil)

// New returns a client for the clamd at addr, either "tcp://HOST:PORT" or
// "unix:/PATH" (also written "unix:///PATH"). It checks the form only; Ping
// checks that clamd answers.
func New(addr string) (*Client, error) {
	if rest, ok := strings.CutPrefix(addr, "tcp://"); ok {
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return nil, fmt.Errorf("clamd address %q: %v; want tcp://HOST:PORT", addr, err)
		}
		if host == "" {
			return nil, fmt.Errorf("clamd address %q: no host; want tcp://HOST:PORT, e.g. tcp://127.0.0.1:3310", addr)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("clamd address %q: port %q, must be a number from 1 to 65535", addr, port)
		}
		return &Client{network: "tcp", address: rest}, nil
	}
	if rest, ok := strings.CutPrefix(addr, "unix:"); ok {
		path := rest
		if p, ok := strings.CutPrefix(rest, "//"); ok {
			path = p
		}
		if !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("clamd address %q: socket path %q is not absolute; want unix:/PATH", addr, path)
		}
		return &Client{network: "unix", address: path}, nil
	}
	return nil, fmt.Errorf("clamd address %q: want tcp://HOST:PORT or unix:/PATH", addr)
}

// String returns the address in the form New accepts.
func (c *Client) String() string {
	if c.network == "unix" {
		return "unix:" + c.address
	}
	return "tcp://" + c.address
}

// Ping checks that clamd is up and answers.
func (c *Client) Ping(ctx context.Context) error {
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return c.fail(ctx, "sending PING", err)
	}
	reply, err := readReply(conn)
	if err != nil {
		return c.fail(ctx, "reading the answer to PING", err)
	}
	if reply != "PONG" {
		return fmt.Errorf("clamd at %s: answer to PING %q, want \"PONG\"", c, reply)
	}
	return nil
}

// Scan sends everything r yields to clamd with INSTREAM and returns its
// verdict. An error means the data was not scanned (clamd unreachable, died,
// timed out, or refused it: ErrTooLarge); a caller then keeps the message.
func (c *Client) Scan(ctx context.Context, r io.Reader) (Result, error) {
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	if _, err := conn.Write([]byte("zINSTREAM\x00")); err != nil {
		return Result{}, c.fail(ctx, "sending INSTREAM", err)
	}
	// Each chunk is a 4-byte big-endian length and that many bytes; a
	// zero length ends the stream.
	buf := make([]byte, 4+chunkSize)
	for {
		n, rerr := io.ReadFull(r, buf[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(buf, uint32(n))
			if _, err := conn.Write(buf[:4+n]); err != nil {
				return Result{}, c.writeFailed(ctx, conn, err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return Result{}, fmt.Errorf("reading the message to scan: %w", rerr)
		}
	}
	if _, err := conn.Write([]byte{0, 0, 0, 0}); err != nil {
		return Result{}, c.writeFailed(ctx, conn, err)
	}
	reply, err := readReply(conn)
	if err != nil {
		return Result{}, c.fail(ctx, "reading the scan result", err)
	}
	res, err := parseScanReply(reply)
	if err != nil {
		return Result{}, fmt.Errorf("clamd at %s: %w", c, err)
	}
	return res, nil
}

// dial connects and arms the deadline. stop closes the connection and
// disarms the context watch.
func (c *Client) dial(ctx context.Context) (net.Conn, func(), error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		t := c.Timeout
		if t <= 0 {
			t = DefaultTimeout
		}
		deadline = time.Now().Add(t)
	}
	d := net.Dialer{Deadline: deadline}
	conn, err := d.DialContext(ctx, c.network, c.address)
	if err != nil {
		return nil, nil, fmt.Errorf("clamd at %s: connecting: %w", c, err)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("clamd at %s: setting deadline: %w", c, err)
	}
	// A cancelled context interrupts a blocked read or write at once.
	unwatch := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return conn, func() { unwatch(); conn.Close() }, nil
}

// fail wraps err from step, preferring the context's error when the context
// is what cut the exchange short.
func (c *Client) fail(ctx context.Context, step string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("clamd at %s: %s: %w", c, step, ctxErr)
	}
	// The connection's deadline is the context's, and may fire a moment
	// before the context notices.
	if d, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		return fmt.Errorf("clamd at %s: %s: %w", c, step, context.DeadlineExceeded)
	}
	return fmt.Errorf("clamd at %s: %s: %w", c, step, err)
}

// writeFailed handles a failed write of the stream. clamd answers "INSTREAM
// size limit exceeded" and closes the connection as soon as the stream
// passes StreamMaxLength, so the write fails with a broken pipe while the
// answer may still be waiting to be read.
func (c *Client) writeFailed(ctx context.Context, conn net.Conn, werr error) error {
	if ctx.Err() == nil {
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		if reply, err := readReply(conn); err == nil {
			if _, perr := parseScanReply(reply); errors.Is(perr, ErrTooLarge) {
				return fmt.Errorf("clamd at %s: %w", c, ErrTooLarge)
			}
		}
	}
	return c.fail(ctx, "sending the message", werr)
}

// readReply reads one null-terminated answer (at most maxReply bytes). An
// answer cut off by the end of the connection counts when it is not empty,
// since some clamd versions close right after writing.
func readReply(r io.Reader) (string, error) {
	var buf bytes.Buffer
	b := make([]byte, 512)
	for buf.Len() < maxReply {
		n, err := r.Read(b)
		buf.Write(b[:n])
		if i := bytes.IndexByte(buf.Bytes(), 0); i >= 0 {
			return strings.TrimSpace(string(buf.Bytes()[:i])), nil
		}
		if errors.Is(err, io.EOF) && buf.Len() > 0 {
			return strings.TrimSpace(buf.String()), nil
		}
		if errors.Is(err, io.EOF) {
			return "", io.ErrUnexpectedEOF
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("answer longer than %d bytes", maxReply)
}

// parseScanReply reads clamd's answer to INSTREAM: "stream: OK",
// "stream: NAME FOUND", "INSTREAM size limit exceeded. ERROR" or
// "stream: REASON ERROR".
func parseScanReply(reply string) (Result, error) {
	if strings.Contains(reply, "size limit exceeded") {
		return Result{}, ErrTooLarge
	}
	if strings.HasSuffix(reply, " ERROR") {
		return Result{}, fmt.Errorf("scan failed: %q", reply)
	}
	rest, ok := strings.CutPrefix(reply, "stream: ")
	if !ok {
		return Result{}, fmt.Errorf("unexpected answer %q, want \"stream: …\"", reply)
	}
	if rest == "OK" {
		return Result{}, nil
	}
	if sig, ok := strings.CutSuffix(rest, " FOUND"); ok && strings.TrimSpace(sig) != "" {
		return Result{Infected: true, Signature: strings.TrimSpace(sig)}, nil
	}
	return Result{}, fmt.Errorf("unexpected answer %q, want \"stream: OK\" or \"stream: NAME FOUND\"", reply)
}
