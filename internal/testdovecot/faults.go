package testdovecot

import (
	"bufio"
	"fmt"
	"net"
	"sync"
)

// FaultProxy is a TCP proxy in front of an IMAP server that breaks the
// network on request: it cuts a connection at a chosen client command,
// cuts every open connection, or blackholes all traffic (nothing forwarded,
// nothing closed, as a dead route or a sleeping NAT does) until healed. It
// reads only the plaintext protocol.
type FaultProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu        sync.Mutex
	conns     map[*faultConn]struct{}
	accepted  int
	cuts      int
	armed     *cutPlan
	blackhole bool
	healed    chan struct{} // closed while traffic flows
}

// cutPlan says where to cut one connection.
type cutPlan struct {
	command int  // the client's command line (counted from 1) to cut at
	forward bool // forward that line to the server first
}

type faultConn struct {
	client net.Conn
	closed chan struct{}

	mu       sync.Mutex
	server   net.Conn
	isClosed bool
}

func (c *faultConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		return
	}
	c.isClosed = true
	close(c.closed)
	c.client.Close()
	if c.server != nil {
		c.server.Close()
	}
}

// setServer attaches the server side, or closes it if the connection was
// cut meanwhile.
func (c *faultConn) setServer(server net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed {
		server.Close()
		return false
	}
	c.server = server
	return true
}

// NewFaultProxy listens on 127.0.0.1:0 and forwards every connection to
// target until told otherwise.
func NewFaultProxy(target string) (*FaultProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy listening: %w", err)
	}
	healed := make(chan struct{})
	close(healed)
	p := &FaultProxy{ln: ln, target: target, conns: map[*faultConn]struct{}{}, healed: healed}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// CutNext arms a cut of the next connection the proxy accepts: when its
// client sends its nth command line (IDLE's DONE counts), the proxy closes
// both sides, after forwarding that line to the server if forward is set
// (so the server may act on a command whose answer the client never sees).
func (p *FaultProxy) CutNext(n int, forward bool) {
	p.mu.Lock()
	p.armed = &cutPlan{command: n, forward: forward}
	p.mu.Unlock()
}

// Disarm cancels a cut armed by CutNext that has not yet been assigned to
// a connection.
func (p *FaultProxy) Disarm() {
	p.mu.Lock()
	p.armed = nil
	p.mu.Unlock()
}

// Accepted is how many connections the proxy has accepted.
func (p *FaultProxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Cuts is how many armed cuts have fired.
func (p *FaultProxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// CutAll closes every open connection, both sides.
func (p *FaultProxy) CutAll() {
	p.mu.Lock()
	conns := make([]*faultConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Blackhole stops forwarding anything, in either direction and on new
// connections too, without closing a thing.
func (p *FaultProxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.blackhole {
		p.blackhole = true
		p.healed = make(chan struct{})
	}
}

// Heal lets traffic flow again; what was held back is delivered.
func (p *FaultProxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blackhole {
		p.blackhole = false
		close(p.healed)
	}
}

// Close stops accepting, cuts every connection and waits for the relays.
func (p *FaultProxy) Close() error {
	err := p.ln.Close()
	p.Heal()
	p.CutAll()
	p.wg.Wait()
	return err
}

// gate waits while traffic is blackholed; false means c was closed.
func (p *FaultProxy) gate(c *faultConn) bool {
	p.mu.Lock()
	healed := p.healed
	p.mu.Unlock()
	select {
	case <-healed:
		return true
	case <-c.closed:
		return false
	}
}

func (p *FaultProxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		c := &faultConn{client: client, closed: make(chan struct{})}
		p.mu.Lock()
		p.accepted++
		plan := p.armed
		p.armed = nil
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.relay(c, plan)
	}
}

func (p *FaultProxy) relay(c *faultConn, plan *cutPlan) {
	defer p.wg.Done()
	defer func() {
		c.close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	if !p.gate(c) {
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !c.setServer(server) {
		return // cut while dialing
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 32*1024)
		for {
			n, err := server.Read(buf)
			if n > 0 {
				if !p.gate(c) {
					return
				}
				if _, werr := c.client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				c.close()
				return
			}
		}
	}()
	p.clientToServer(c, plan)
	c.close()
	<-done
}

// clientToServer forwards the client's lines, counting them for plan.
func (p *FaultProxy) clientToServer(c *faultConn, plan *cutPlan) {
	br := bufio.NewReaderSize(c.client, 64*1024)
	lines := 0
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			if complete {
				lines++
			}
			cut := complete && plan != nil && lines == plan.command
			if cut && !plan.forward {
				p.fired()
				return
			}
			if !p.gate(c) {
				return
			}
			if _, werr := c.server.Write(line); werr != nil {
				return
			}
			if cut {
				p.fired()
				return
			}
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
	}
}

func (p *FaultProxy) fired() {
	p.mu.Lock()
	p.cuts++
	p.mu.Unlock()
}
