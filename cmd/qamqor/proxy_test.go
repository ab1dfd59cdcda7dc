package main

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// tcpProxy forwards a local port to PostgreSQL so a test can cut the server
// off from its database (and restore it) without touching the shared
// cluster: Cut closes the listener and every connection; Restore listens on
// the same port again.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *tcpProxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// Cut refuses new connections and drops open ones, as a database that went
// away would.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// Restore accepts connections again on the same address.
func (p *tcpProxy) Restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("restore proxy on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// viaProxy rewrites the host:port of a DATABASE_URL=... entry to the proxy.
func viaProxy(t *testing.T, env []string, p *tcpProxy) []string {
	t.Helper()
	out := append([]string(nil), env...)
	for i, e := range out {
		v, ok := strings.CutPrefix(e, "DATABASE_URL=")
		if !ok {
			continue
		}
		u, err := url.Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = p.addr
		out[i] = "DATABASE_URL=" + u.String()
	}
	return out
}

// dbHostPort is the host:port of the test database.
func dbHostPort(t *testing.T, env []string) string {
	t.Helper()
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "DATABASE_URL="); ok {
			u, err := url.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			host := u.Host
			if !strings.Contains(host, ":") {
				host += ":5432"
			}
			return host
		}
	}
	t.Fatal("no DATABASE_URL in env")
	return ""
}
