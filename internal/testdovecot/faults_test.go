package testdovecot

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echoServer answers each line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestFaultProxy(t *testing.T) {
	p, err := NewFaultProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	echo := func(c net.Conn, r *bufio.Reader, line string, wait time.Duration) (string, error) {
		c.Write([]byte(line))
		c.SetReadDeadline(time.Now().Add(wait))
		return r.ReadString('\n')
	}

	p.CutNext(2, false)
	c, r := dial()
	if got, err := echo(c, r, "a1 NOOP\n", time.Second); err != nil || got != "a1 NOOP\n" {
		t.Fatalf("first line: %q %v", got, err)
	}
	if got, err := echo(c, r, "a2 NOOP\n", time.Second); err == nil {
		t.Fatalf("second line echoed (%q) through an armed cut", got)
	}
	if p.Cuts() != 1 || p.Accepted() != 1 {
		t.Errorf("%d cuts, %d accepted", p.Cuts(), p.Accepted())
	}

	c, r = dial()
	p.Blackhole()
	if _, err := echo(c, r, "b1 NOOP\n", 100*time.Millisecond); err == nil {
		t.Fatal("echo through a blackhole")
	}
	p.Heal()
	c.SetReadDeadline(time.Now().Add(time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "b1 NOOP\n" {
		t.Fatalf("after healing: %q %v", got, err)
	}
	p.CutAll()
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("connection alive after CutAll")
	}
}
