package testdovecot

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Proxy is a TCP proxy in front of an IMAP server that counts the FETCH
// commands clients send (plain and UID FETCH), so a test can assert that a
// run fetched nothing. It reads only the plaintext protocol; put it in front
// of a plain or STARTTLS-less listener.
type Proxy struct {
	ln      net.Listener
	target  string
	fetches atomic.Int64
	wg      sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// NewProxy listens on 127.0.0.1:0 and forwards every connection to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listening: %w", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Fetches returns how many FETCH commands passed through so far.
func (p *Proxy) Fetches() int64 { return p.fetches.Load() }

// Close stops accepting connections, cuts the open ones and waits for their
// relays to end.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// track and untrack keep the set of open connections that Close cuts.
func (p *Proxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.relay(c)
	}
}

func (p *Proxy) relay(client net.Conn) {
	defer p.wg.Done()
	defer client.Close()
	p.track(client)
	defer p.untrack(client)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	p.track(server)
	defer p.untrack(server)
	done := make(chan struct{})
	go func() {
		io.Copy(client, server)
		client.Close()
		close(done)
	}()
	p.forward(client, server)
	server.Close()
	<-done
}

// forward copies the client's commands to the server, counting each FETCH
// before it is sent on, so that a client that has its answer sees it
// counted. Literal payloads (APPEND) could hold the word FETCH, but only
// the command word after the tag, at the start of a line, is looked at.
func (p *Proxy) forward(client io.Reader, server io.Writer) {
	br := bufio.NewReaderSize(client, 64*1024)
	midLine := false // the rest of an over-long line is not a command
	for {
		line, err := br.ReadSlice('\n')
		if !midLine {
			p.countFetch(line)
		}
		midLine = err == bufio.ErrBufferFull
		if len(line) > 0 {
			if _, werr := server.Write(line); werr != nil {
				return
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

func (p *Proxy) countFetch(line []byte) {
	fields := bytes.Fields(line)
	if len(fields) < 2 {
		return
	}
	cmd := fields[1]
	if bytes.EqualFold(cmd, []byte("UID")) && len(fields) >= 3 {
		cmd = fields[2]
	}
	if bytes.EqualFold(cmd, []byte("FETCH")) {
		p.fetches.Add(1)
	}
}
