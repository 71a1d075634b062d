package redislimiter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

func quiet() Option { return WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))) }

// Item 3: an option that cannot be honoured is an error from New, never
// a panic later.
func TestNewRejectsBadOptions(t *testing.T) {
	rdb := client(t, "127.0.0.1:1") // never dialled
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"zero lease TTL", WithLeaseTTL(0)},
		{"1ns lease TTL", WithLeaseTTL(1)},
		{"negative cap", LimitInFlight(-1)},
		{"negative rate", LimitRate(-1, 1)},
		{"no burst", LimitRate(10, 0)},
		{"negative gate", LimitMaxGate(-time.Second)},
		{"negative fallback cap", WithFallbackInFlight(-1)},
		{"zero Redis timeout", WithRedisTimeout(0)},
		{"nil logger", WithLogger(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := New(rdb, "bad", tc.opt)
			if err == nil {
				l.Close()
				t.Fatal("New accepted it")
			}
			if !errors.Is(err, openrouter.ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if _, err := New(nil, "x"); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("nil client: err = %v", err)
	}
	if _, err := New(rdb, ""); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty name: err = %v", err)
	}
}

// Item 1: a Redis that does not answer (here: a proxy that swallows the
// replies) costs one short timeout, then the fallback paces, as with a
// refused connection; the caller's deadline is never passed.
func TestHungRedisFallsBack(t *testing.T) {
	s := startRedis(t)
	p := newProxy(t, s.addr())
	l := newLimiter(t, client(t, p.addr()), "hung", quiet(), WithRedisTimeout(100*time.Millisecond))
	p.muted.Store(true)
	// The Redis client's own read timeout is 3s; the caller allows 1s.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r, err := l.Acquire(ctx)
	if err != nil {
		t.Fatalf("a hung Redis: %v, want the fallback", err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	if !l.redisDown() {
		t.Error("a hung Redis is not marked down")
	}
	p.close() // the abandoned call ends now, not at the client's read timeout
}

// Item 1 with a hung process (SIGSTOP on redis-server, a frozen proxy
// elsewhere): the connection stays open and nothing answers; a 1s
// deadline.
func TestStoppedRedisFallsBack(t *testing.T) {
	s := startHangableRedis(t)
	l := newLimiter(t, client(t, s.addr()), "stopped", quiet())
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	s.pause()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r, err = l.Acquire(ctx)
	if err != nil {
		t.Fatalf("with Redis hung: %v, want the fallback", err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	if !l.redisDown() {
		t.Error("a hung Redis is not marked down")
	}
	s.resume() // what it held is answered now
	l.mu.Lock()
	l.downUntil = time.Time{} // Redis is tried again
	l.mu.Unlock()
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err = l.Acquire(ctx)
	if err != nil {
		t.Fatalf("after Redis resumed: %v", err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	if l.redisDown() {
		t.Error("Redis answers again but is still marked down")
	}
}

// Item 2: the acquire script ran but its reply was lost: the lease is
// given back when Redis answers again, instead of blocking its slot for
// the lease's TTL. With FailClosed no fallback lease comes in between.
func TestLostReplyGivesTheLeaseBack(t *testing.T) {
	for _, failClosed := range []bool{false, true} {
		t.Run(fmt.Sprint("FailClosed=", failClosed), func(t *testing.T) {
			s := startRedis(t)
			p := newProxy(t, s.addr())
			direct := client(t, s.addr())
			opts := []Option{quiet(), LimitInFlight(1), WithRedisTimeout(100 * time.Millisecond)}
			if failClosed {
				opts = append(opts, FailClosed())
			}
			rdb := client(t, p.addr())
			rdb.Options().ReadTimeout = 300 * time.Millisecond // the abandoned call ends sooner
			l := newLimiter(t, rdb, "lost", opts...)
			l.cfg.retryRedis = time.Hour
			r, err := l.Acquire(context.Background()) // Redis answers
			if err != nil {
				t.Fatal(err)
			}
			r(openrouter.Outcome{StatusCode: 200})
			p.muted.Store(true)
			r, err = l.Acquire(context.Background()) // the script runs; its reply is lost
			switch {
			case failClosed && !errors.Is(err, ErrUnavailable):
				t.Fatalf("err = %v, want ErrUnavailable", err)
			case !failClosed && err != nil:
				t.Fatal(err)
			case !failClosed:
				r(openrouter.Outcome{StatusCode: 200})
			}
			if n := direct.ZCard(context.Background(), l.keys[0]).Val(); n != 1 {
				t.Fatalf("%d leases in Redis, want the one whose reply was lost", n)
			}
			l.calls.Wait()
			p.muted.Store(false)
			l.mu.Lock()
			l.downUntil = time.Time{} // Redis is tried again
			l.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			r, err = l.Acquire(ctx)
			if err != nil {
				t.Fatalf("the lost reply's lease still holds the only slot: %v", err)
			}
			r(openrouter.Outcome{StatusCode: 200})
		})
	}
}

// Item 2: a caller that gives up while queued leaves the queue at once.
func TestCancelledWaiterLeavesTheQueue(t *testing.T) {
	s := startRedis(t)
	direct := client(t, s.addr())
	l := newLimiter(t, client(t, s.addr()), "leave", LimitInFlight(1))
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r(openrouter.Outcome{StatusCode: 200})
	ctx, cancel := context.WithCancel(context.Background())
	l.waitHook = func(string) { cancel() }
	if _, err := l.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	l.calls.Wait()
	if n := direct.ZCard(context.Background(), l.keys[4]).Val(); n != 0 {
		t.Errorf("%d waiters left in the queue, want 0", n)
	}
}

// Item 4: the learned rate's expiry slides with every write.
func TestLearnedRateExpirySlides(t *testing.T) {
	s := startRedis(t)
	direct := client(t, s.addr())
	l := newLimiter(t, client(t, s.addr()), "expiry")
	for _, status := range []int{200, 429, 200} {
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		direct.PExpire(context.Background(), l.keys[3], time.Second) // a day has nearly passed
		r(openrouter.Outcome{StatusCode: status, RetryAfter: time.Second})
		if ttl := direct.PTTL(context.Background(), l.keys[3]).Val(); ttl < time.Hour {
			t.Fatalf("after a %d, the learned rate expires in %v", status, ttl)
		}
	}
}

// Item 6: Redis loses its state (a flush here, a restart below) while a
// process holds every slot: it registers them again before anyone gets a
// new one.
func TestCapHeldAfterStateLoss(t *testing.T) {
	s := startRedis(t)
	direct := client(t, s.addr())
	testCapHeldAfterLoss(t, s.addr(), func() {
		t.Log("state lost: FLUSHALL")
		direct.FlushAll(context.Background())
	})
}

// Item 6 with a restart: the connections drop, the data and the scripts
// are lost.
func TestCapHeldAfterRedisRestart(t *testing.T) {
	s := startRedis(t)
	testCapHeldAfterLoss(t, s.addr(), func() { s.stop(); s.start() })
}

func testCapHeldAfterLoss(t *testing.T, addr string, lose func()) {
	t.Helper()
	rdbA := client(t, addr)
	rdbA.Options().MaxRetries = 3 // the pooled connections die with the server
	a := newLimiter(t, rdbA, "loss", quiet(), LimitInFlight(2), WithLeaseTTL(300*time.Millisecond))
	var held []func(openrouter.Outcome)
	for i := 0; i < 2; i++ {
		r, err := a.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	// Another process, idle, that knew the state before the loss.
	rdbB := client(t, addr)
	rdbB.Options().MaxRetries = 3
	b := newLimiter(t, rdbB, "loss", quiet(), LimitInFlight(2))
	before, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(before); !errors.Is(err, context.DeadlineExceeded) { // a holds both slots
		t.Fatalf("a third slot: err = %v", err)
	}
	lose()
	// b asks first, before a has registered its two requests: it must
	// not get a slot (the grace), nor a afterwards (the cap).
	for _, l := range []*Limiter{b, a} {
		short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err := l.Acquire(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a third slot after the loss: err = %v, want a wait past the deadline", err)
		}
	}
	direct := client(t, addr)
	if n := direct.ZCard(context.Background(), a.keys[0]).Val(); n != 2 {
		t.Errorf("%d leases in Redis after the loss, want the 2 held", n)
	}
	held[0](openrouter.Outcome{StatusCode: 200})
	r, err := b.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	held[1](openrouter.Outcome{StatusCode: 200})
}

// Item 6: the requests the fallback let through are counted in Redis
// before Redis grants a slot again.
func TestFallbackSlotsCountedWhenRedisReturns(t *testing.T) {
	s := startRedis(t)
	l := newLimiter(t, client(t, s.addr()), "back", quiet(), LimitInFlight(2))
	l.mu.Lock()
	l.downUntil = time.Now().Add(time.Hour) // Redis is away
	l.mu.Unlock()
	var held []func(openrouter.Outcome)
	for i := 0; i < 2; i++ {
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	l.mu.Lock()
	l.downUntil = time.Time{} // Redis is back
	l.mu.Unlock()
	for _, lim := range []*Limiter{l, newLimiter(t, client(t, s.addr()), "back", LimitInFlight(2))} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err := lim.Acquire(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a third slot while the fallback's two are in flight: err = %v", err)
		}
	}
	for _, r := range held {
		r(openrouter.Outcome{StatusCode: 200})
	}
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
}
