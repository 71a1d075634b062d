package redislimiter

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// The tests run against redis-server when it is installed (the
// reference; CI installs it) and against miniredis, an in-process Redis
// that runs Lua, when it is not, or when REDISLIMITER_TEST_REDIS is
// "miniredis". The fault tests that need a real process to kill, restart
// or hang (SIGSTOP) use redis-server whenever it is installed; without
// it they fail when CI is "true" and skip, saying so, elsewhere.
var backend string

func TestMain(m *testing.M) {
	_, err := exec.LookPath("redis-server")
	switch {
	case os.Getenv("REDISLIMITER_TEST_REDIS") == "miniredis":
		backend = "miniredis"
	case err == nil:
		backend = "redis-server"
	case os.Getenv("CI") == "true":
		fmt.Println("redislimiter tests: redis-server is required in CI (Debian package redis-server)")
		os.Exit(1)
	default:
		backend = "miniredis"
	}
	fmt.Printf("redislimiter tests: Redis backend: %s\n", backend)
	os.Exit(m.Run())
}

// testRedis is the Redis one test uses, on a free loopback port.
type testRedis struct {
	t    *testing.T
	real *redisServer // nil with miniredis
	mini *miniredis.Miniredis
}

func startRedis(t *testing.T) *testRedis {
	t.Helper()
	if backend == "redis-server" {
		return &testRedis{t: t, real: startRedisServer(t)}
	}
	return &testRedis{t: t, mini: miniredis.RunT(t)}
}

func (r *testRedis) addr() string {
	if r.real != nil {
		return r.real.addr()
	}
	return r.mini.Addr()
}

// stop makes Redis unreachable; start brings it back (redis-server loses
// its state, miniredis keeps it).
func (r *testRedis) stop() {
	if r.real != nil {
		r.real.stop()
		return
	}
	r.mini.Close()
}

func (r *testRedis) start() {
	if r.real != nil {
		r.real.start()
		return
	}
	if err := r.mini.Restart(); err != nil {
		r.t.Fatal(err)
	}
}

// needRedisServer returns a redis-server for the tests that kill, restart
// or hang it.
func needRedisServer(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("this fault test needs redis-server, which CI must install (Debian package redis-server)")
		}
		t.Skip("SKIPPED: this fault test needs redis-server (Debian package redis-server), which is not installed")
	}
	return startRedisServer(t)
}

// redisServer is a redis-server the tests start on a free loopback port.
type redisServer struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startRedisServer(t *testing.T) *redisServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{t: t, port: port}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.addr()})
	defer rdb.Close()
	for i := 0; i < 200; i++ { // a new process takes a moment to listen: up to 2s
		if rdb.Ping(context.Background()).Err() == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatal("redis-server did not start")
}

func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.resume() // a stopped process dies only once resumed
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func newLimiter(t *testing.T, rdb redis.UniversalClient, name string, opts ...Option) *Limiter {
	t.Helper()
	l, err := New(rdb, name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// proxy stands between a limiter and Redis; while muted it forwards the
// requests and throws the replies away: a reply lost, or, as seen from
// the client, a Redis that hangs.
type proxy struct {
	ln    net.Listener
	to    string
	muted atomic.Bool
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, to string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, to: to}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.to)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(s, c) }()
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 4096)
			for {
				n, err := s.Read(buf)
				if n > 0 && !p.muted.Load() {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
