package clamd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		addr, network, address, err string
	}{
		{addr: "tcp://127.0.0.1:3310", network: "tcp", address: "127.0.0.1:3310"},
		{addr: "tcp://[::1]:3310", network: "tcp", address: "[::1]:3310"},
		{addr: "tcp://clamav.example:3310", network: "tcp", address: "clamav.example:3310"},
		{addr: "unix:/run/clamav/clamd.ctl", network: "unix", address: "/run/clamav/clamd.ctl"},
		{addr: "unix:///run/clamav/clamd.ctl", network: "unix", address: "/run/clamav/clamd.ctl"},
		{addr: "127.0.0.1:3310", err: "want tcp://HOST:PORT or unix:/PATH"},
		{addr: "", err: "want tcp://HOST:PORT or unix:/PATH"},
		{addr: "tcp://127.0.0.1", err: "missing port"},
		{addr: "tcp://:3310", err: "no host"},
		{addr: "tcp://127.0.0.1:0", err: "must be a number from 1 to 65535"},
		{addr: "tcp://127.0.0.1:clamd", err: "must be a number from 1 to 65535"},
		{addr: "tcp://127.0.0.1:70000", err: "must be a number from 1 to 65535"},
		{addr: "unix:clamd.ctl", err: "is not absolute"},
		{addr: "unix:", err: "is not absolute"},
	} {
		c, err := New(tc.addr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%q) error %v, want one containing %q", tc.addr, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.addr, err)
			continue
		}
		if c.network != tc.network || c.address != tc.address {
			t.Errorf("New(%q) = %s %s, want %s %s", tc.addr, c.network, c.address, tc.network, tc.address)
		}
	}
}

func TestParseScanReply(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  Result
		err   string
	}{
		{reply: "stream: OK", want: Result{}},
		{reply: "stream: Win.Test.EICAR_HDB-1 FOUND", want: Result{Infected: true, Signature: "Win.Test.EICAR_HDB-1"}},
		{reply: "stream: BG.Marker.UNOFFICIAL FOUND", want: Result{Infected: true, Signature: "BG.Marker.UNOFFICIAL"}},
		{reply: "INSTREAM size limit exceeded. ERROR", err: ErrTooLarge.Error()},
		{reply: "stream: Can't allocate memory ERROR", err: "scan failed"},
		{reply: "stream:  FOUND", err: "unexpected answer"},
		{reply: "PONG", err: "unexpected answer"},
		{reply: "", err: "unexpected answer"},
	} {
		got, err := parseScanReply(tc.reply)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseScanReply(%q) error %v, want one containing %q", tc.reply, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseScanReply(%q) = %+v, %v; want %+v", tc.reply, got, err, tc.want)
		}
	}
}

// fakeClamd is a clamd stand-in on 127.0.0.1 that serves each connection
// with handle.
type fakeClamd struct {
	ln     net.Listener
	handle func(conn net.Conn)
	wg     sync.WaitGroup
}

func startFake(t *testing.T, handle func(conn net.Conn)) *Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeClamd{ln: ln, handle: handle}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				f.handle(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
	})
	c, err := New("tcp://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readCommand reads a null-terminated command.
func readCommand(r io.Reader) (string, error) {
	var cmd []byte
	b := make([]byte, 1)
	for len(cmd) < 64 {
		if _, err := io.ReadFull(r, b); err != nil {
			return string(cmd), err
		}
		if b[0] == 0 {
			return string(cmd), nil
		}
		cmd = append(cmd, b[0])
	}
	return string(cmd), errors.New("command too long")
}

// readStream reads INSTREAM chunks until the zero-length one, at most limit
// bytes of data; over the limit it returns what it read and ok=false.
func readStream(r io.Reader, limit int) (data []byte, chunks []int, ok bool, err error) {
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return data, chunks, false, err
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n == 0 {
			return data, chunks, true, nil
		}
		if len(data)+n > limit {
			return data, chunks, false, nil
		}
		chunks = append(chunks, n)
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return data, chunks, false, err
		}
		data = append(data, buf...)
	}
}

// scanner answers like clamd: FOUND when the data holds "MARKER".
func scanner(limit int, received chan<- []byte, chunkSizes chan<- []int) func(net.Conn) {
	return func(conn net.Conn) {
		cmd, err := readCommand(conn)
		if err != nil {
			return
		}
		switch cmd {
		case "zPING":
			conn.Write([]byte("PONG\x00"))
		case "zINSTREAM":
			data, chunks, ok, err := readStream(conn, limit)
			if err != nil {
				return
			}
			if !ok {
				conn.Write([]byte("INSTREAM size limit exceeded. ERROR\x00"))
				// Like clamd: stop reading and close at once.
				return
			}
			if received != nil {
				received <- data
				chunkSizes <- chunks
			}
			if bytes.Contains(data, []byte("MARKER")) {
				conn.Write([]byte("stream: Test.Marker FOUND\x00"))
			} else {
				conn.Write([]byte("stream: OK\x00"))
			}
		default:
			conn.Write([]byte("UNKNOWN COMMAND\x00"))
		}
	}
}

func TestPing(t *testing.T) {
	c := startFake(t, scanner(1<<20, nil, nil))
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	bad := startFake(t, func(conn net.Conn) {
		readCommand(conn)
		conn.Write([]byte("PANG\x00"))
	})
	if err := bad.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), `"PANG"`) {
		t.Errorf("Ping to a wrong answer: %v", err)
	}
}

func TestScanFraming(t *testing.T) {
	received := make(chan []byte, 1)
	chunkSizes := make(chan []int, 1)
	c := startFake(t, scanner(1<<20, received, chunkSizes))
	for _, size := range []int{0, 1, chunkSize, chunkSize + 1, 3*chunkSize + 17} {
		data := bytes.Repeat([]byte("abcdefghij"), size/10+1)[:size]
		res, err := c.Scan(context.Background(), bytes.NewReader(data))
		if err != nil || res.Infected {
			t.Errorf("Scan(%d bytes) = %+v, %v; want clean", size, res, err)
			continue
		}
		got, chunks := <-received, <-chunkSizes
		if !bytes.Equal(got, data) {
			t.Errorf("Scan(%d bytes): clamd received %d bytes, not the data", size, len(got))
		}
		for _, n := range chunks {
			if n > chunkSize {
				t.Errorf("Scan(%d bytes): chunk of %d bytes, want at most %d", size, n, chunkSize)
			}
		}
	}
}

func TestScanFound(t *testing.T) {
	c := startFake(t, scanner(1<<20, nil, nil))
	res, err := c.Scan(context.Background(), strings.NewReader("Subject: x\r\n\r\nthe MARKER is here\r\n"))
	if err != nil || !res.Infected || res.Signature != "Test.Marker" {
		t.Errorf("Scan = %+v, %v; want infected with Test.Marker", res, err)
	}
}

func TestScanTooLarge(t *testing.T) {
	c := startFake(t, scanner(100<<10, nil, nil))
	// Large enough that the writes outlast the socket buffers, so the
	// client sees the connection close while it is still sending.
	data := bytes.Repeat([]byte("x"), 16<<20)
	_, err := c.Scan(context.Background(), bytes.NewReader(data))
	if err == nil {
		t.Fatal("Scan of an oversized stream succeeded")
	}
	// When the close resets the connection before the answer is read the
	// answer is lost; what matters then is an error, not a verdict.
	if !errors.Is(err, ErrTooLarge) {
		t.Logf("answer lost to a reset: %v", err)
	}

	// A stream that fits the socket buffers gets to the end and reads the answer.
	_, err = c.Scan(context.Background(), bytes.NewReader(data[:200<<10]))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Scan of 200 KiB over a 100 KiB limit: %v, want ErrTooLarge", err)
	}
}

func TestScanServerFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		handle func(net.Conn)
		want   string
	}{
		{"dies mid-stream", func(conn net.Conn) {
			readCommand(conn)
			io.ReadFull(conn, make([]byte, 1000))
			conn.(*net.TCPConn).SetLinger(0) // reset, as a killed process does
		}, "clamd at"},
		{"closes without answer", func(conn net.Conn) {
			readCommand(conn)
			readStream(conn, 1<<30)
		}, "reading the scan result"},
		{"scan error", func(conn net.Conn) {
			readCommand(conn)
			readStream(conn, 1<<30)
			conn.Write([]byte("stream: Can't allocate memory ERROR\x00"))
		}, "scan failed"},
		{"garbage", func(conn net.Conn) {
			readCommand(conn)
			readStream(conn, 1<<30)
			conn.Write(bytes.Repeat([]byte("z"), 2*maxReply))
		}, "answer longer than"},
	} {
		c := startFake(t, tc.handle)
		res, err := c.Scan(context.Background(), bytes.NewReader(bytes.Repeat([]byte("y"), 1<<20)))
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrTooLarge) || res.Infected {
			t.Errorf("%s: Scan = %+v, %v; want an error containing %q", tc.name, res, err, tc.want)
		}
	}
}

func TestScanTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := startFake(t, func(conn net.Conn) {
		readCommand(conn)
		readStream(conn, 1<<30)
		<-release // never answers while the client waits
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Scan(ctx, strings.NewReader("hello"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Scan against a silent clamd: %v, want context.DeadlineExceeded", err)
	}

	c.Timeout = 200 * time.Millisecond
	if _, err := c.Scan(context.Background(), strings.NewReader("hello")); err == nil {
		t.Error("Scan against a silent clamd without a context deadline succeeded")
	}
}

func TestScanCancel(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := startFake(t, func(conn net.Conn) {
		readCommand(conn)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	// The fake reads nothing, so the writes block until the cancel.
	_, err := c.Scan(ctx, bytes.NewReader(make([]byte, 64<<20)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Scan: %v, want context.Canceled", err)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New("tcp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "connecting") {
		t.Errorf("Ping to a closed port: %v", err)
	}
	if _, err := c.Scan(context.Background(), strings.NewReader("x")); err == nil {
		t.Error("Scan to a closed port succeeded")
	}
	u, err := New("unix:" + t.TempDir() + "/none.sock")
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Ping(context.Background()); err == nil {
		t.Error("Ping to a missing socket succeeded")
	}
}

func TestUnixSocket(t *testing.T) {
	path := t.TempDir() + "/clamd.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			scanner(1<<20, nil, nil)(conn)
			conn.Close()
		}
	}()
	c, err := New("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Errorf("Ping over a unix socket: %v", err)
	}
	res, err := c.Scan(context.Background(), strings.NewReader("MARKER"))
	if err != nil || !res.Infected {
		t.Errorf("Scan over a unix socket = %+v, %v", res, err)
	}
}

func FuzzReply(f *testing.F) {
	for _, s := range []string{"stream: OK\x00", "stream: X FOUND\x00", "INSTREAM size limit exceeded. ERROR\x00", "PONG", "\x00", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		reply, err := readReply(bytes.NewReader(b))
		if err != nil {
			return
		}
		res, err := parseScanReply(reply)
		if err == nil && res.Infected && res.Signature == "" {
			t.Errorf("infected without a signature from %q", b)
		}
	})
}
