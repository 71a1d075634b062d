package redislimiter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

// Two limiters stand for two processes: they share one Redis. Their Redis
// timeouts never fire: a slow answer on a loaded machine must not send
// them to the fallback, which does not share the cap.
func TestSharedInFlightCap(t *testing.T) {
	s := startRedis(t)
	a := newLimiter(t, client(t, s.addr()), "cap", LimitInFlight(3))
	b := newLimiter(t, client(t, s.addr()), "cap", LimitInFlight(3))
	a.withTimeout, b.withTimeout = newTestTimeouts(nil).withTimeout, newTestTimeouts(nil).withTimeout
	var releases []func(openrouter.Outcome)
	for _, l := range []*Limiter{a, a, b} {
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	if !toldToWait(b) {
		t.Fatal("a fourth slot across two processes")
	}
	releases[0](openrouter.Outcome{StatusCode: 200})
	r, err := b.Acquire(context.Background())
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	r(openrouter.Outcome{StatusCode: 200})
}

// A process that dies holding a slot gives it back when its lease
// expires, not before. The two processes share a fake clock (the
// scripts' time), their Redis timeouts never fire and no renewal ticks:
// the clock alone says when the lease ends.
func TestLeaseOfCrashedProcessExpires(t *testing.T) {
	const ttl = 300 * time.Millisecond
	s := startRedis(t)
	clk := &fakeClock{now: time.UnixMilli(1_800_000_000_000)}
	never := make(chan time.Time)
	crashed := newLimiter(t, client(t, s.addr()), "lease", LimitInFlight(1), WithLeaseTTL(ttl), withTicks(never))
	b := newLimiter(t, client(t, s.addr()), "lease", LimitInFlight(1), WithLeaseTTL(ttl), withTicks(never))
	onClock(crashed, clk)
	onClock(b, clk)
	if _, err := crashed.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	crashed.Close() // it stops renewing and never releases: as if killed
	clk.set(clk.Now().Add(ttl - time.Millisecond))
	if !toldToWait(b) {
		t.Fatal("a slot before the crashed process's lease expired: the cap was not held")
	}
	clk.set(clk.Now().Add(time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.waitHook = func(string) {
		t.Error("told to wait once the crashed process's lease expired: its slot never came back")
		cancel()
	}
	r, err := b.Acquire(ctx)
	if err != nil {
		t.Fatalf("the crashed process's slot never came back: %v", err)
	}
	r(openrouter.Outcome{StatusCode: 200})
}

// A held lease outlives its TTL while its process renews it. The two
// processes share a fake clock (the scripts' time); a's renewal runs when
// the test sends it a tick, every two thirds of the TTL, four TTLs long.
func TestHeldLeaseIsRenewed(t *testing.T) {
	const ttl = 300 * time.Millisecond
	s := startRedis(t)
	clk := &fakeClock{now: time.UnixMilli(1_800_000_000_000)}
	ticks := make(chan time.Time)
	a := newLimiter(t, client(t, s.addr()), "renew", LimitInFlight(1), WithLeaseTTL(ttl), withTicks(ticks))
	b := newLimiter(t, client(t, s.addr()), "renew", LimitInFlight(1), WithLeaseTTL(ttl), withTicks(make(chan time.Time)))
	onClock(a, clk)
	onClock(b, clk)
	r, err := a.Acquire(context.Background()) // a long stream holds it
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		clk.set(clk.Now().Add(2 * ttl / 3))
		ticks <- time.Time{} // a renews
		ticks <- time.Time{} // a's renewal loop took the next tick: the renewal before it is done
	}
	if !toldToWait(b) {
		t.Fatal("a held slot expired while its process renewed it")
	}
	r(openrouter.Outcome{StatusCode: 200})
}

func TestGateIsShared(t *testing.T) {
	s := startRedis(t)
	a := newLimiter(t, client(t, s.addr()), "gate")
	b := newLimiter(t, client(t, s.addr()), "gate")
	b.withTimeout = newTestTimeouts(nil).withTimeout // no fallback, which does not share the gate
	r, _ := a.Acquire(context.Background())
	r(openrouter.Outcome{StatusCode: 429, RetryAfter: 50 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The gate is 50s away and the deadline 10s: the wait fails at once.
	_, err := b.Acquire(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "would pass the context deadline") {
		t.Errorf("another process's Retry-After: 50 did not hold this one: %v", err)
	}
}

func TestRateIsShared(t *testing.T) {
	s := startRedis(t)
	rdb := client(t, s.addr())
	a := newLimiter(t, rdb, "rate", LimitRate(10, 1), LimitInFlight(0))
	b := newLimiter(t, client(t, s.addr()), "rate", LimitRate(10, 1), LimitInFlight(0))
	// Five places at 10/s reserved from two processes at one instant:
	// each waits 100 ms more than the one before.
	inst, now := "", time.Now().UnixMilli()
	for i, l := range []*Limiter{a, b, a, b, a} {
		for { // the first call learns the state's token
			res, err := acquireScript.Run(context.Background(), rdb, l.keys, fmt.Sprint("r", i), 0, 1000, 10, 1, now, inst, "tok", 2000, 1000, "1").Slice()
			if err != nil {
				t.Fatal(err)
			}
			if toInt(res, 0) == 2 {
				inst = toStr(res, 3)
				continue
			}
			if got, want := toInt(res, 1), int64(100*i); got < want-1 || got > want {
				t.Errorf("place %d waits %d ms, want %d", i, got, want)
			}
			break
		}
	}
}

func TestLearnedRateIsShared(t *testing.T) {
	s := startRedis(t)
	a := newLimiter(t, client(t, s.addr()), "learn")
	b := newLimiter(t, client(t, s.addr()), "learn")
	for i := 0; i < 30; i++ {
		r, _ := a.Acquire(context.Background())
		r(openrouter.Outcome{StatusCode: 200})
	}
	r, _ := a.Acquire(context.Background())
	r(openrouter.Outcome{StatusCode: 429, RetryAfter: time.Second})
	if a.LearnedRate() <= 0 {
		t.Fatal("no rate learned from a 429")
	}
	r, _ = b.Acquire(context.Background())
	r(openrouter.Outcome{StatusCode: 200})
	if b.LearnedRate() < a.LearnedRate()*0.99 {
		t.Errorf("the other process sees %v/s, the first learned %v/s", b.LearnedRate(), a.LearnedRate())
	}
}

func TestFallbackWhileRedisIsDown(t *testing.T) {
	s := startRedis(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(syncWriter{&mu, &logs}, nil))
	l := newLimiter(t, client(t, s.addr()), "down", WithLogger(logger))
	l.cfg.retryRedis = 0 // try Redis again on every call
	s.stop()
	for i := 0; i < 3; i++ { // no request is lost while Redis is away
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatalf("with Redis down: %v", err)
		}
		r(openrouter.Outcome{StatusCode: 200})
	}
	mu.Lock()
	if n := bytes.Count(logs.Bytes(), []byte("Redis is unreachable")); n != 1 {
		t.Errorf("%d warnings for one outage:\n%s", n, logs.String())
	}
	mu.Unlock()
	s.start() // Redis comes back
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	n, err := client(t, s.addr()).HGet(context.Background(), l.keys[3], "accepted").Int()
	if err != nil || n != 1 {
		t.Errorf("after Redis returned, the request was not paced through it (accepted %d, %v)", n, err)
	}
}

func TestFailClosed(t *testing.T) {
	s := startRedis(t)
	l := newLimiter(t, client(t, s.addr()), "closed", FailClosed(), WithLogger(slog.New(slog.NewTextHandler(new(bytes.Buffer), nil))))
	s.stop()
	if _, err := l.Acquire(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	s := startRedis(t)
	rdb := client(t, s.addr())
	l := newLimiter(t, rdb, "close", WithLeaseTTL(30*time.Millisecond))
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	l.Close()
	l.Close() // twice is fine
	// An ended goroutine may still be on its way out: look again for up
	// to 10 s (a loaded machine; a pass ends at once).
	var stacks string
	for range 1000 {
		buf := make([]byte, 1<<20)
		if stacks = string(buf[:runtime.Stack(buf, true)]); !strings.Contains(stacks, "redislimiter.(*Limiter).renew") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("the renewal goroutine outlived Close:\n%s", stacks)
}
