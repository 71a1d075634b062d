package redislimiter

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a loopback TCP proxy between a limiter and Redis that can
// stand in for two faults:
//   - muted: it forwards the requests and throws the replies away (a
//     reply lost; seen from the client, a Redis that hangs after running
//     the command);
//   - frozen: it accepts connections and reads what comes, but forwards
//     nothing either way until thawed, when what it held goes through in
//     order: a Redis process stopped with SIGSTOP, then resumed (the
//     kernel still accepts and buffers; the server runs nothing).
//
// Each reply it throws away is signalled on lost: Redis ran the command.
type proxy struct {
	ln    net.Listener
	to    string
	muted atomic.Bool
	lost  chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	thawed *sync.Cond // signalled when frozen turns false or closed true
	frozen bool
	closed bool
	conns  []net.Conn
}

func newProxy(t *testing.T, to string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, to: to, lost: make(chan struct{}, 1)}
	p.thawed = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// freeze stops all forwarding until thaw.
func (p *proxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

func (p *proxy) thaw() {
	p.mu.Lock()
	p.frozen = false
	p.thawed.Broadcast()
	p.mu.Unlock()
}

// hold blocks while the proxy is frozen; it reports false once the proxy
// is closed.
func (p *proxy) hold() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.frozen && !p.closed {
		p.thawed.Wait()
	}
	return !p.closed
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.to)
		if err != nil { // Redis is down: the client sees its connection dropped
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(s, c, nil)
		go p.pump(c, s, &p.muted)
	}
}

// pump copies from src to dst, holding while frozen and dropping what it
// reads while drop is set. Either side closing ends both.
func (p *proxy) pump(dst, src net.Conn, drop *atomic.Bool) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.hold() {
				return
			}
			if drop == nil || !drop.Load() {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			} else {
				select {
				case p.lost <- struct{}{}:
				default: // one signal pending is enough
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes the connections open now, as a Redis that drops them: a
// call waiting for a reply the proxy threw away ends at once. New
// connections are accepted.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	p.thawed.Broadcast()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
