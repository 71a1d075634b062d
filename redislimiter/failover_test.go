package redislimiter

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
)

// Issue 22 item 11: the fallback's cap counts the slots this process
// still holds from Redis. Two held from Redis against a cap of 2: the
// fallback grants none until one is released (it granted two more, 4 in
// flight against 2).
func TestFallbackCapCountsSlotsHeldFromRedis(t *testing.T) {
	s := startRedis(t)
	l := newLimiter(t, client(t, s.addr()), "failcap", quiet(), LimitInFlight(2))
	var held []func(openrouter.Outcome)
	for range 2 {
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	l.mu.Lock()
	l.downUntil = time.Now().Add(time.Hour) // Redis stops answering
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if r, err := l.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			r(openrouter.Outcome{})
		}
		t.Fatalf("a third slot from the fallback while two are held from Redis: err = %v, want a wait past the deadline", err)
	}
	// A waiter of the fallback gets the slot a Redis lease frees.
	got := make(chan error, 1)
	go func() {
		r, err := l.Acquire(context.Background())
		if err == nil {
			r(openrouter.Outcome{StatusCode: 200})
		}
		got <- err
	}()
	held[0](openrouter.Outcome{StatusCode: 200}) // its release script fails: Redis is down
	if err := <-got; err != nil {
		t.Fatalf("after a Redis lease was released: %v", err)
	}
	held[1](openrouter.Outcome{StatusCode: 200})
	if n := len(l.held); n != 0 {
		t.Errorf("%d leases held after all were released", n)
	}
}

// Issue 22 item 11: the requests the fallback serves leave nothing to
// clean up in Redis (each left an ID for removal: 905k of them kept the
// process off Redis for 6s once it answered), and a fallback lease still
// in flight when Redis answers again is counted there, then removed at
// its release.
func TestFallbackLeasesBoundedAndReturned(t *testing.T) {
	s := startRedis(t)
	direct := client(t, s.addr())
	l := newLimiter(t, client(t, s.addr()), "failbound", quiet(), LimitInFlight(2), LimitAdaptive(false))
	l.mu.Lock()
	l.downUntil = time.Now().Add(time.Hour)
	l.mu.Unlock()
	for range 1000 {
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r(openrouter.Outcome{StatusCode: 200})
	}
	inFlight, err := l.Acquire(context.Background()) // held across Redis's return
	if err != nil {
		t.Fatal(err)
	}
	l.calls.Wait()
	l.mu.Lock()
	orphans := len(l.orphans)
	l.downUntil = time.Time{} // Redis answers again
	l.mu.Unlock()
	if orphans != 0 {
		t.Fatalf("%d IDs kept for Redis after 1000 fallback requests that Redis never knew of, want 0", orphans)
	}
	r, err := l.Acquire(context.Background()) // registers the fallback's lease first
	if err != nil {
		t.Fatal(err)
	}
	if n := direct.ZCard(context.Background(), l.keys[0]).Val(); n != 2 {
		t.Fatalf("%d leases in Redis, want 2: the fallback's still in flight, and the new one", n)
	}
	inFlight(openrouter.Outcome{StatusCode: 200})
	r(openrouter.Outcome{StatusCode: 200})
	l.calls.Wait()
	if n := direct.ZCard(context.Background(), l.keys[0]).Val(); n != 0 {
		t.Errorf("%d leases left in Redis after both were released, want 0", n)
	}
}

// maxOrphans bounds what is kept for Redis while it cannot be reached.
func TestOrphansBounded(t *testing.T) {
	l := newLimiter(t, client(t, "127.0.0.1:1"), "orph", quiet())
	for i := range maxOrphans + 10 {
		l.orphan(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if n := len(l.orphans); n != maxOrphans {
		t.Errorf("%d orphans kept, want %d", n, maxOrphans)
	}
}

// slowScripts makes each script call take a while on a fake clock, once
// armed: the clock moves on before the call is sent, and the Redis
// timeouts it reaches fire; a call whose timeout fired is not sent.
type slowScripts struct {
	armed    atomic.Bool
	each     time.Duration
	timeouts *testTimeouts
}

func (h *slowScripts) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *slowScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *slowScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); h.armed.Load() && (name == "evalsha" || name == "eval") {
			h.timeouts.advance(h.each)
			if err := ctx.Err(); err != nil {
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmd)
	}
}

// Issue 22 item 11: one Acquire waits on Redis no longer than its
// timeout, all its calls together (registering the leases, asking again
// after Redis lost its state). Redis here answers every call, each 400ms
// late on a fake clock, with a timeout of 500ms: before, each call was
// bounded alone and an Acquire took three calls and more (1.2s and a
// grace); now it falls back at the timeout.
func TestOneAcquireWaitsOnRedisAtMostItsTimeout(t *testing.T) {
	const delay, timeout = 400 * time.Millisecond, 500 * time.Millisecond
	s := startRedis(t)
	direct := client(t, s.addr())
	clk := &fakeClock{now: time.UnixMilli(1_800_000_000_000)}
	slow := &slowScripts{each: delay, timeouts: newTestTimeouts(clk)}
	rdb := client(t, s.addr())
	rdb.AddHook(slow)
	l := newLimiter(t, rdb, "budget", quiet(), WithRedisTimeout(timeout), withTicks(make(chan time.Time)))
	l.withTimeout = slow.timeouts.withTimeout
	l.cfg.retryRedis = time.Hour // the fallback stays once chosen
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	if err := direct.FlushAll(context.Background()).Err(); err != nil { // Redis loses its state
		t.Fatal(err)
	}
	slow.armed.Store(true)
	start := clk.Now()
	r, err = l.Acquire(context.Background())
	took := clk.Now().Sub(start)
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	t.Logf("one Acquire took %v (Redis timeout %v, each call %v late)", took, timeout, delay)
	// Each late call takes 400ms: three of them take 1.2s.
	if took >= 3*delay {
		t.Errorf("one Acquire took %v against a Redis timeout of %v", took, timeout)
	}
	if !l.redisDown() {
		t.Error("Redis did not answer in time, and is not marked down")
	}
	slow.armed.Store(false)
	l.calls.Wait()
}

// Issue 22 item 11, across processes: each process's fallback counts only
// its own requests. WithFallbackInFlight gives each its share of the
// shared cap for an outage: here 1 of 2, taken by the slot it still holds
// from Redis.
func TestFallbackInFlightShare(t *testing.T) {
	s := startRedis(t)
	l := newLimiter(t, client(t, s.addr()), "share", quiet(), LimitInFlight(2), WithFallbackInFlight(1))
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	l.downUntil = time.Now().Add(time.Hour)
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if r2, err := l.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			r2(openrouter.Outcome{})
		}
		t.Fatalf("a second slot from the fallback, its share 1 held from Redis: err = %v", err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	r, err = l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 200})
}

// releaseDuringRegister releases a lease when the register script is
// about to run, once armed: the release's removal reaches Redis before
// the register puts the lease back.
type releaseDuringRegister struct {
	armed   atomic.Bool
	release func()
}

func (h *releaseDuringRegister) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *releaseDuringRegister) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *releaseDuringRegister) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); len(args) > 1 && fmt.Sprint(args[1]) == registerScript.Hash() && h.armed.CompareAndSwap(true, false) {
			h.release()
		}
		return next(ctx, cmd)
	}
}

// Registering the held leases no longer waits for the releases under way
// (an Acquire waited behind them, past its timeout): a lease released
// while the register call runs, and put back by it, is removed again.
func TestLeaseReleasedDuringRegisterIsRemoved(t *testing.T) {
	s := startRedis(t)
	direct := client(t, s.addr())
	rdb := client(t, s.addr())
	hook := &releaseDuringRegister{}
	rdb.AddHook(hook)
	l := newLimiter(t, rdb, "race", quiet(), LimitInFlight(2))
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hook.release = func() { r(openrouter.Outcome{StatusCode: 200}) }
	hook.armed.Store(true)
	if err := l.register(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hook.armed.Load() {
		t.Fatal("the register script did not run")
	}
	l.calls.Wait()
	if n := direct.ZCard(context.Background(), l.keys[0]).Val(); n != 0 {
		t.Errorf("%d leases in Redis after the only one was released, want 0", n)
	}
}

// A request whose ask Redis did not answer goes through the fallback
// under the same ID, which is also kept for removal (the script may have
// run). When Redis answers again, that request, still in flight, is
// counted there: the removal of the lost lease must not remove it.
func TestFallbackLeaseOfALostAskCountedWhenRedisReturns(t *testing.T) {
	a := loseAnAsk(t, "lostask", LimitInFlight(2))
	l, res, direct := a.l, a.res, a.direct
	if res.err != nil {
		t.Fatal(res.err)
	}
	a.redisBack()
	r, err := l.Acquire(context.Background()) // registers the fallback's request first
	if err != nil {
		t.Fatal(err)
	}
	if n := direct.ZCard(context.Background(), l.keys[0]).Val(); n != 2 {
		t.Errorf("%d leases in Redis, want 2: the fallback's still in flight, and the new one", n)
	}
	res.r(openrouter.Outcome{StatusCode: 200})
	r(openrouter.Outcome{StatusCode: 200})
	l.calls.Wait()
	if n := direct.ZCard(context.Background(), l.keys[0]).Val(); n != 0 {
		t.Errorf("%d leases left in Redis after both were released, want 0", n)
	}
}
