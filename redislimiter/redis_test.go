package redislimiter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// The tests run against redis-server when it is installed (the
// reference; CI installs it) and against miniredis, an in-process Redis
// that runs Lua, when it is not, or when REDISLIMITER_TEST_REDIS is
// "miniredis". Without redis-server they fail when CI is "true". The
// faults run on both: a killed Redis (stop, start), one that restarts
// empty (stop, start) and one that hangs (pause, resume); each test logs
// which backend and which stand-in for the fault it used.
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
	t     *testing.T
	real  *redisServer // nil with miniredis
	mini  *miniredis.Miniredis
	front *proxy // in front of Redis, to hang it, when the process cannot be stopped
}

func startRedis(t *testing.T) *testRedis {
	t.Helper()
	t.Logf("Redis backend: %s", backend)
	if backend == "redis-server" {
		return &testRedis{t: t, real: startRedisServer(t)}
	}
	return &testRedis{t: t, mini: miniredis.RunT(t)}
}

// startHangableRedis is startRedis for a test that hangs Redis (pause):
// redis-server gets SIGSTOP where there is one (Unix); elsewhere, and for
// miniredis, the clients talk to Redis through a proxy that can freeze.
func startHangableRedis(t *testing.T) *testRedis {
	t.Helper()
	r := startRedis(t)
	if r.real != nil && canStopProcess {
		t.Log("hung Redis: redis-server stopped with SIGSTOP")
		return r
	}
	r.front = newProxy(t, r.serverAddr())
	t.Logf("hung Redis: a proxy in front of %s that accepts and reads but forwards nothing", backend)
	return r
}

// addr is where the clients reach Redis.
func (r *testRedis) addr() string {
	if r.front != nil {
		return r.front.addr()
	}
	return r.serverAddr()
}

func (r *testRedis) serverAddr() string {
	if r.real != nil {
		return r.real.addr()
	}
	return r.mini.Addr()
}

// stop kills Redis: its connections drop and new ones are refused. start
// brings back an empty Redis on the same address: its data and its
// scripts are lost (the test servers keep nothing on disk).
func (r *testRedis) stop() {
	r.t.Helper()
	if r.real != nil {
		r.t.Log("Redis down: redis-server killed")
		r.real.stop()
		return
	}
	r.t.Log("Redis down: miniredis closed (connections dropped, new ones refused)")
	r.mini.Close()
}

func (r *testRedis) start() {
	r.t.Helper()
	if r.real != nil {
		r.t.Log("Redis back: a new redis-server, empty")
		r.real.start()
		return
	}
	r.t.Log("Redis back: miniredis restarted on the same address, its data and scripts flushed")
	r.mini.FlushAll()
	if err := r.mini.Restart(); err != nil {
		r.t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.mini.Addr()})
	defer rdb.Close()
	if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
		r.t.Fatal(err)
	}
}

// pause hangs Redis until resume or the test's end: the clients'
// connections stay open and nothing answers.
func (r *testRedis) pause() {
	r.t.Helper()
	if r.front != nil {
		r.front.freeze()
		r.t.Cleanup(r.front.thaw)
		return
	}
	if r.real == nil || !canStopProcess {
		r.t.Fatal("pause needs startHangableRedis")
	}
	r.real.pause()
}

func (r *testRedis) resume() {
	if r.front != nil {
		r.front.thaw()
		return
	}
	r.real.resume()
}

// redisServer is a redis-server the tests start on a free loopback port.
type redisServer struct {
	t      *testing.T
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// startRedisServer starts a redis-server on a port found free. The port
// is free when found and taken by redis-server later: another process
// can take it in between, and then redis-server exits (or answers as a
// Redis of another process): then the server is started again, on
// another port.
func startRedisServer(t *testing.T) *redisServer {
	t.Helper()
	s := &redisServer{t: t}
	t.Cleanup(s.stop)
	var err error
	for try := 0; try < 5; try++ {
		if try > 0 {
			t.Logf("redis-server, try %d: %v", try, err)
		}
		ln, lerr := net.Listen("tcp", "127.0.0.1:0")
		if lerr != nil {
			t.Fatal(lerr)
		}
		s.port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if err = s.launch(); err == nil {
			return s
		}
	}
	t.Fatalf("redis-server did not start: %v", err)
	return nil
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start starts the server again on its port.
func (s *redisServer) start() {
	s.t.Helper()
	if err := s.launch(); err != nil {
		s.t.Fatal(err)
	}
}

// launch starts redis-server on s.port and waits until it answers: an
// error when it exits first, or when what answers on the port is not it.
func (s *redisServer) launch() error {
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	var out bytes.Buffer // read once the process has exited
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	rdb := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
	defer rdb.Close()
	for i := 0; i < 1000; i++ { // a new process takes a moment to listen: up to 10 s on a loaded machine
		select {
		case <-exited:
			s.cmd = nil
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, strings.Join(lines[max(0, len(lines)-2):], " / "))
		default:
		}
		info, err := rdb.Info(context.Background(), "server").Result()
		if err == nil && strings.Contains(info, "\nprocess_id:"+strconv.Itoa(cmd.Process.Pid)+"\r") {
			return nil
		}
		// Not listening yet, or another Redis on the port (this one then exits).
		time.Sleep(10 * time.Millisecond)
	}
	s.stop()
	return fmt.Errorf("redis-server on port %d did not answer", s.port)
}

func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.resume() // a stopped process dies only once resumed
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	// A dial on a loaded machine (8 CPU burners, -race) can take longer
	// than the 200 ms this once was: a refused connection fails at once
	// whatever the bound.
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 5 * time.Second})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// newLimiter makes a limiter for a test. Its Redis timeout is 10 s unless
// opts say otherwise: on a loaded machine a Redis call can pass the
// default 500 ms, and the limiter then falls back where the test expects
// Redis's answer. The tests of the timeout itself fire it on events
// (testTimeouts) or set their own.
func newLimiter(t *testing.T, rdb redis.UniversalClient, name string, opts ...Option) *Limiter {
	t.Helper()
	l, err := New(rdb, name, append([]Option{WithRedisTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
