package redislimiter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

// acquireResult is what an Acquire run in a goroutine returned.
type acquireResult struct {
	r   func(openrouter.Outcome)
	err error
}

func acquireAsync(l *Limiter) <-chan acquireResult {
	got := make(chan acquireResult, 1)
	go func() {
		r, err := l.Acquire(context.Background())
		got <- acquireResult{r, err}
	}()
	return got
}

// lostAsk is a limiter, behind a proxy, whose Acquire ran its script in
// Redis but lost the reply: one Acquire was answered first, then the
// proxy went mute, and the Redis timeout of the next Acquire fired once
// the proxy had thrown its reply away. res is what that Acquire returned.
type lostAsk struct {
	l      *Limiter
	p      *proxy
	direct *redis.Client // Redis, not through the proxy
	res    acquireResult
}

// loseAnAsk returns a lostAsk of a limiter named name, with opts (besides
// quiet and ticks of its own).
func loseAnAsk(t *testing.T, name string, opts ...Option) lostAsk {
	t.Helper()
	s := startRedis(t)
	p := newProxy(t, s.addr())
	direct := client(t, s.addr())
	l := newLimiter(t, client(t, p.addr()), name, append([]Option{quiet(), withTicks(make(chan time.Time))}, opts...)...)
	timeouts := newTestTimeouts(nil)
	l.withTimeout = timeouts.withTimeout
	l.cfg.retryRedis = time.Hour
	r, err := l.Acquire(context.Background()) // Redis answers
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	p.muted.Store(true)
	got := acquireAsync(l) // the script runs; its reply is lost
	<-p.lost               // Redis ran the script
	if timeouts.fire() == 0 {
		t.Fatal("no Redis timeout under way while the reply was lost")
	}
	return lostAsk{l: l, p: p, direct: direct, res: <-got}
}

// redisBack ends the lost ask's call and lets Redis answer again, tried
// at the next Acquire.
func (a lostAsk) redisBack() {
	a.p.cut() // the abandoned call ends
	a.l.calls.Wait()
	a.p.muted.Store(false)
	a.l.mu.Lock()
	a.l.downUntil = time.Time{}
	a.l.mu.Unlock()
}

// fellBack waits for an Acquire under way after its Redis timeout fired:
// it must come back at once, with a slot from the fallback. The minute is
// a bound on a failure (an Acquire still waiting on Redis), never reached
// by a pass.
func fellBack(t *testing.T, got <-chan acquireResult) {
	t.Helper()
	select {
	case res := <-got:
		if res.err != nil {
			t.Fatalf("a hung Redis: %v, want the fallback", res.err)
		}
		res.r(openrouter.Outcome{StatusCode: 200})
	case <-time.After(time.Minute):
		t.Fatal("Acquire still waits on a hung Redis after its Redis timeout fired")
	}
}

// Item 1: a Redis that does not answer (here: a proxy that swallows the
// replies) costs the limiter's Redis timeout, then the fallback paces, as
// with a refused connection. The Redis client alone would wait an hour;
// the Redis timeout fires once Redis has run the command.
func TestHungRedisFallsBack(t *testing.T) {
	s := startRedis(t)
	p := newProxy(t, s.addr())
	rdb := client(t, p.addr())
	rdb.Options().ReadTimeout = time.Hour // only the limiter's timeout ends the wait
	l := newLimiter(t, rdb, "hung", quiet(), withTicks(make(chan time.Time)))
	timeouts := newTestTimeouts(nil)
	l.withTimeout = timeouts.withTimeout
	p.muted.Store(true)
	got := acquireAsync(l)
	<-p.lost // Redis ran the command; its answer is gone
	if timeouts.fire() == 0 {
		t.Fatal("no Redis timeout under way")
	}
	fellBack(t, got)
	if !l.redisDown() {
		t.Error("a hung Redis is not marked down")
	}
	p.close() // the abandoned call ends now, not in an hour
}

// writeSignal signals on written each time a connection of the client it
// hooks has written something: a command is on its way to Redis.
type writeSignal struct{ written chan struct{} }

func (h writeSignal) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return signalConn{c, h.written}, nil
	}
}

func (h writeSignal) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h writeSignal) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

type signalConn struct {
	net.Conn
	written chan struct{}
}

func (c signalConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	select {
	case c.written <- struct{}{}:
	default: // one signal pending is enough
	}
	return n, err
}

// Item 1 with a hung process (SIGSTOP on redis-server, a frozen proxy
// elsewhere): the connection stays open and nothing answers. The Redis
// timeout fires once the command is written; once Redis resumes, it is
// used again.
func TestStoppedRedisFallsBack(t *testing.T) {
	s := startHangableRedis(t)
	rdb := client(t, s.addr())
	rdb.Options().ReadTimeout = time.Hour // only the limiter's timeout ends the wait
	sent := writeSignal{make(chan struct{}, 1)}
	rdb.AddHook(sent)
	l := newLimiter(t, rdb, "stopped", quiet(), withTicks(make(chan time.Time)))
	timeouts := newTestTimeouts(nil)
	l.withTimeout = timeouts.withTimeout
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	s.pause()
	select {
	case <-sent.written: // what was written before the pause
	default:
	}
	got := acquireAsync(l)
	<-sent.written // the command is on its way to the stopped Redis
	if timeouts.fire() == 0 {
		t.Fatal("no Redis timeout under way")
	}
	fellBack(t, got)
	if !l.redisDown() {
		t.Error("a hung Redis is not marked down")
	}
	s.resume() // what it held is answered now
	l.mu.Lock()
	l.downUntil = time.Time{} // Redis is tried again
	l.mu.Unlock()
	r, err = l.Acquire(context.Background())
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
// The Redis timeout fires when the proxy has thrown the reply away (Redis
// ran the script), and the Acquire once Redis answers again must not be
// told to wait: events decide, never a duration.
func TestLostReplyGivesTheLeaseBack(t *testing.T) {
	for _, failClosed := range []bool{false, true} {
		t.Run(fmt.Sprint("FailClosed=", failClosed), func(t *testing.T) {
			opts := []Option{LimitInFlight(1)}
			if failClosed {
				opts = append(opts, FailClosed())
			}
			a := loseAnAsk(t, "lost", opts...)
			l, res := a.l, a.res
			switch {
			case failClosed && !errors.Is(res.err, ErrUnavailable):
				t.Fatalf("err = %v, want ErrUnavailable", res.err)
			case !failClosed && res.err != nil:
				t.Fatal(res.err)
			case !failClosed:
				res.r(openrouter.Outcome{StatusCode: 200})
			}
			if n := a.direct.ZCard(context.Background(), l.keys[0]).Val(); n != 1 {
				t.Fatalf("%d leases in Redis, want the one whose reply was lost", n)
			}
			a.redisBack()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			l.waitHook = func(string) {
				t.Error("told to wait: the lost reply's lease still holds the only slot")
				cancel()
			}
			r, err := l.Acquire(ctx)
			if err != nil {
				t.Fatalf("after Redis answered again: %v", err)
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

// testCapHeldAfterLoss runs on events: the two processes share a clock
// (the scripts' time) that only their pacing sleeps move, their Redis
// timeouts never fire, and their leases are registered only when an
// Acquire needs it (no renewal ticks). "Not given a slot" is an Acquire
// told to wait, which the wait hook then cancels. The grace (renewal
// period plus Redis timeout) is an hour, so that the gate's key, which
// Redis expires on its own clock, outlives the test on any machine.
func testCapHeldAfterLoss(t *testing.T, addr string, lose func()) {
	t.Helper()
	clk := &fakeClock{now: time.UnixMilli(1_800_000_000_000)}
	never := make(chan time.Time)
	process := func() *Limiter {
		rdb := client(t, addr)
		rdb.Options().MaxRetries = 3 // the pooled connections die with the server
		l := newLimiter(t, rdb, "loss", quiet(), LimitInFlight(2), WithLeaseTTL(2*time.Hour), WithRedisTimeout(time.Hour), withTicks(never))
		onClock(l, clk)
		return l
	}
	a := process()
	var held []func(openrouter.Outcome)
	for i := 0; i < 2; i++ {
		r, err := a.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	// Another process, idle, that knew the state before the loss.
	b := process()
	if !toldToWait(b) {
		t.Fatal("a third slot before the loss")
	}
	lose()
	direct := client(t, addr)
	// b asks first, before a has registered its two requests: it must
	// not get a slot (the grace), nor a afterwards (its two are back).
	if !toldToWait(b) {
		t.Fatal("a slot after the loss, before the process holding both registered them: the grace did not hold")
	}
	if n := direct.ZCard(context.Background(), a.keys[0]).Val(); n != 0 {
		t.Fatalf("%d leases in Redis before a asked again, want 0: the loss did not happen as planned", n)
	}
	if !toldToWait(a) {
		t.Fatal("a third slot after the loss")
	}
	if n := direct.ZCard(context.Background(), a.keys[0]).Val(); n != 2 {
		t.Errorf("%d leases in Redis after the loss, want the 2 held", n)
	}
	held[0](openrouter.Outcome{StatusCode: 200})
	// b waits out the grace, then gets the slot freed: told to wait once
	// (the grace), not twice.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waits := 0
	b.waitHook = func(string) {
		if waits++; waits > 1 {
			t.Error("told to wait past the grace: the released slot is not free")
			cancel()
		}
	}
	r, err := b.Acquire(ctx)
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
	other := newLimiter(t, client(t, s.addr()), "back", LimitInFlight(2))
	for _, lim := range []*Limiter{l, other} {
		lim.withTimeout = newTestTimeouts(nil).withTimeout // no fallback from a slow answer
		if !toldToWait(lim) {
			t.Fatal("a third slot while the fallback's two are in flight")
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
