package openrouter_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// simBucket is a server's token bucket on the fake clock.
type simBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *simBucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// TestLearnsRateUnderServer drives the limiter against a simulated token
// bucket (50/s, burst 10) on a fake clock: after the first 429s it must
// pace under the server's rate, close to it, with few 429s.
func TestLearnsRateUnderServer(t *testing.T) {
	t.Parallel()
	clk := openrouter.NewFakeClock()
	l := openrouter.NewAdaptiveLimiter()
	openrouter.SetClock(l, clk)
	srv := &simBucket{rate: 50, burst: 10, tokens: 10}
	ctx := context.Background()
	n429, n429Late := 0, 0
	const requests = 3000
	for i := 0; i < requests; i++ {
		release, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		status := http.StatusOK
		if !srv.take(clk.Now()) {
			status = http.StatusTooManyRequests
			n429++
			if i > requests/2 {
				n429Late++
			}
		}
		clk.Advance(time.Millisecond) // the request's latency
		release(openrouter.Outcome{StatusCode: status, RetryAfter: time.Second})
	}
	got := l.LearnedRate()
	if got >= 50 || got < 45 {
		t.Errorf("learned rate = %.2f/s, want just under the server's 50/s", got)
	}
	if n429 > requests/100 {
		t.Errorf("%d 429s in %d requests, want under 1 %%", n429, requests)
	}
	if n429Late > 2 {
		t.Errorf("%d 429s in the second half: the rate see-saws", n429Late)
	}
}

func TestConcurrencyCapNeverExceeded(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithLatency(2*time.Millisecond), ort.WithoutRecording())
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithLimiter(openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(3))))
	chatConcurrently(t, []*openrouter.Client{c}, 20, 5)
	st := srv.Stats()
	if st.PeakConcurrent > 3 || st.PeakConcurrent < 2 {
		t.Errorf("server peak concurrency = %d, want 2..3 under a cap of 3", st.PeakConcurrent)
	}
	if st.Completions != 100 {
		t.Errorf("%d completions, want 100", st.Completions)
	}
}

func TestDailyQuotaIsNotRetried(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithFreeModelLimits(0, 2))
	t.Cleanup(srv.Close)
	c := srv.Client()
	req := hello()
	req.Model = "meta-llama/llama-3.3-70b-instruct:free"
	for i := 0; i < 2; i++ {
		if _, err := c.Chat(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Chat(context.Background(), req)
	assertSentinels(t, err, "ErrQuotaExhausted", "ErrRateLimited")
	var e *openrouter.APIError
	if !errors.As(err, &e) || e.Attempts != 1 || e.RateLimit.Limit != 2 || e.RateLimit.Remaining != 0 || e.RateLimit.Reset.IsZero() {
		t.Errorf("err = %#v", err)
	}
	if n := srv.Stats().Requests; n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
}

func TestCancelReleasesEverySlot(t *testing.T) {
	t.Parallel()
	arrived, unblock := make(chan struct{}, 2), make(chan struct{})
	srv := ort.NewServer(ort.WithResponder(func(ort.Request) ort.Reply {
		arrived <- struct{}{}
		<-unblock
		return ort.TextReply("late")
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(unblock) })
	lim := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(2))
	c := srv.Client(openrouter.WithLimiter(lim))
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() { _, err := c.Chat(ctx, hello()); errs <- err }()
	}
	<-arrived
	<-arrived // both slots are held by requests the server is answering
	cancel()
	for i := 0; i < 2; i++ {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	}
	// Both slots are free again: two acquisitions succeed without waiting.
	bounded, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	for i := 0; i < 2; i++ {
		release, err := lim.Acquire(bounded)
		if err != nil {
			t.Fatalf("slot %d still held after cancellation: %v", i, err)
		}
		defer release(openrouter.Outcome{})
	}
}

func TestAcquireCancelledWhileWaitingForSlot(t *testing.T) {
	t.Parallel()
	l := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(1))
	release, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	release(openrouter.Outcome{StatusCode: 200})
	if r2, err := l.Acquire(context.Background()); err != nil {
		t.Error(err)
	} else {
		r2(openrouter.Outcome{})
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	clk := openrouter.NewFakeClock()
	l := openrouter.NewAdaptiveLimiter(openrouter.LimitAdaptive(false))
	openrouter.SetClock(l, clk)
	ctx := context.Background()
	acquire := func() {
		t.Helper()
		r, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r(openrouter.Outcome{StatusCode: 200, RateLimit: openrouter.RateLimitInfo{Remaining: -1}})
	}
	r, _ := l.Acquire(ctx)
	r(openrouter.Outcome{StatusCode: 429, RetryAfter: 5 * time.Second})
	acquire()
	if len(clk.Sleeps) != 1 || clk.Sleeps[0] != 5*time.Second {
		t.Errorf("after Retry-After: 5 the next request waited %v, want 5s", clk.Sleeps)
	}
	r, _ = l.Acquire(ctx)
	r(openrouter.Outcome{StatusCode: 429, RetryAfter: time.Second}) // short: pacing's job, no gate
	acquire()
	if len(clk.Sleeps) != 1 {
		t.Errorf("a 1s Retry-After closed the gate: waits %v", clk.Sleeps)
	}
	r, _ = l.Acquire(ctx)
	r(openrouter.Outcome{StatusCode: 429, RateLimit: openrouter.RateLimitInfo{Limit: 20, Remaining: 0, Reset: clk.Now().Add(10 * time.Second)}})
	acquire()
	if len(clk.Sleeps) != 2 || clk.Sleeps[1] != 10*time.Second {
		t.Errorf("X-RateLimit-Remaining: 0 did not hold requests until the reset: waits %v", clk.Sleeps)
	}
	r, _ = l.Acquire(ctx)
	r(openrouter.Outcome{StatusCode: 429, RetryAfter: 2 * time.Hour}) // a quota: longer than the maximum gate
	acquire()
	if len(clk.Sleeps) != 2 {
		t.Errorf("a 2h Retry-After held every request: waits %v", clk.Sleeps)
	}
}

func TestGatePastDeadlineFailsAtOnce(t *testing.T) {
	t.Parallel()
	clk := openrouter.NewFakeClock()
	l := openrouter.NewAdaptiveLimiter()
	openrouter.SetClock(l, clk)
	r, _ := l.Acquire(context.Background())
	r(openrouter.Outcome{StatusCode: 429, RetryAfter: 30 * time.Second})
	ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(time.Second))
	defer cancel()
	_, err := l.Acquire(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if len(clk.Sleeps) != 0 {
		t.Errorf("waited %v before failing", clk.Sleeps)
	}
	if r, err := l.Acquire(context.Background()); err == nil { // the slot was given back
		r(openrouter.Outcome{})
	} else {
		t.Error(err)
	}
}

func TestRateLimitHeadersPace(t *testing.T) {
	t.Parallel()
	clk := openrouter.NewFakeClock()
	l := openrouter.NewAdaptiveLimiter()
	openrouter.SetClock(l, clk)
	r, _ := l.Acquire(context.Background())
	r(openrouter.Outcome{StatusCode: 200, RateLimit: openrouter.RateLimitInfo{Limit: 100, Remaining: 50, Reset: clk.Now().Add(10 * time.Second)}})
	if got := l.LearnedRate(); got != 5 {
		t.Errorf("50 remaining for 10s: learned %v/s, want 5/s", got)
	}
}

func TestFixedRate(t *testing.T) {
	t.Parallel()
	clk := openrouter.NewFakeClock()
	l := openrouter.NewAdaptiveLimiter(openrouter.LimitRate(10, 1), openrouter.LimitInFlight(0))
	openrouter.SetClock(l, clk)
	start := clk.Now()
	for i := 0; i < 11; i++ {
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r(openrouter.Outcome{StatusCode: 200})
	}
	if got := clk.Now().Sub(start); got < 990*time.Millisecond || got > 1010*time.Millisecond {
		t.Errorf("11 requests at 10/s burst 1 took %v, want 1s", got)
	}
	if l.MaxConcurrent() != 0 || l.LearnedRate() != 0 {
		t.Errorf("MaxConcurrent %d, LearnedRate %v", l.MaxConcurrent(), l.LearnedRate())
	}
}

func TestSharedLimiterPacesClientsTogether(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithLatency(2*time.Millisecond), ort.WithoutRecording())
	t.Cleanup(srv.Close)
	lim := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(2))
	a, b := srv.Client(openrouter.WithLimiter(lim)), srv.Client(openrouter.WithLimiter(lim))
	chatConcurrently(t, []*openrouter.Client{a, b}, 6, 5)
	if p := srv.Stats().PeakConcurrent; p > 2 {
		t.Errorf("two clients sharing a limiter of 2 reached %d in flight", p)
	}
}

// epochScenario sets a limiter on a fake clock up to its first rate cut
// while request old, sent before the cut, is still out (a long stream),
// then sends okAfter requests that succeed after the cut.
func epochScenario(t *testing.T, okAfter int) (l *openrouter.AdaptiveLimiter, clk *openrouter.FakeClock, old func(openrouter.Outcome)) {
	t.Helper()
	l = openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(0))
	clk = openrouter.NewFakeClock()
	openrouter.SetClock(l, clk)
	ctx := context.Background()
	send := func(status int) {
		t.Helper()
		rel, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(10 * time.Millisecond)
		rel(openrouter.Outcome{StatusCode: status})
	}
	old, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		send(http.StatusOK)
	}
	send(http.StatusTooManyRequests) // the first cut
	if l.LearnedRate() == 0 {
		t.Fatal("the first 429 set no rate")
	}
	for range okAfter {
		send(http.StatusOK)
	}
	return l, clk, old
}

// TestFresh429CutsWhileOldRequestOut is issue 19's reproduction: a 429 to
// a request sent after the last cut cuts the rate, even while a request
// sent before it is still out.
func TestFresh429CutsWhileOldRequestOut(t *testing.T) {
	t.Parallel()
	for _, okAfter := range []int{0, 5} {
		l, clk, old := epochScenario(t, okAfter)
		before := l.LearnedRate()
		rel, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(10 * time.Millisecond)
		rel(openrouter.Outcome{StatusCode: http.StatusTooManyRequests})
		cut := l.LearnedRate()
		if cut >= before {
			t.Errorf("%d successes after the cut: a fresh 429 left the rate at %.2f/s (was %.2f/s)", okAfter, cut, before)
		}
		// The old request's outcome, when it comes, is not fresh: it
		// neither cuts nor counts in the new measurement window.
		clk.Advance(10 * time.Millisecond)
		old(openrouter.Outcome{StatusCode: http.StatusTooManyRequests})
		if after := l.LearnedRate(); after != cut {
			t.Errorf("%d successes after the cut: the old request's 429 moved the rate from %.2f/s to %.2f/s", okAfter, cut, after)
		}
	}
}

// TestStale429DoesNotCut: the outcome of a request sent before the last
// cut says nothing about the new rate: its 429 does not cut again.
func TestStale429DoesNotCut(t *testing.T) {
	t.Parallel()
	l, clk, old := epochScenario(t, 5)
	before := l.LearnedRate()
	clk.Advance(10 * time.Millisecond)
	old(openrouter.Outcome{StatusCode: http.StatusTooManyRequests})
	if after := l.LearnedRate(); after != before {
		t.Errorf("a stale 429 moved the rate from %.2f/s to %.2f/s", before, after)
	}
	// Once a fresh 429 has come and gone, an even older outcome is still stale.
	l2, clk2, old2 := epochScenario(t, 5)
	rel, err := l2.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clk2.Advance(10 * time.Millisecond)
	rel(openrouter.Outcome{StatusCode: http.StatusTooManyRequests})
	cut := l2.LearnedRate()
	clk2.Advance(10 * time.Millisecond)
	old2(openrouter.Outcome{StatusCode: http.StatusTooManyRequests})
	if after := l2.LearnedRate(); after != cut {
		t.Errorf("after a fresh cut, a stale 429 moved the rate from %.2f/s to %.2f/s", cut, after)
	}
}

// TestGuessClimbsQuickly: the first 429's guess is low when the client
// could send little (a busy machine); while requests succeed it climbs
// back within seconds, not tens of seconds.
func TestGuessClimbsQuickly(t *testing.T) {
	t.Parallel()
	l := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(0))
	clk := openrouter.NewFakeClock()
	openrouter.SetClock(l, clk)
	ctx := context.Background()
	send := func(status int) {
		t.Helper()
		rel, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(20 * time.Millisecond)
		rel(openrouter.Outcome{StatusCode: status})
	}
	for range 5 { // 5 accepted in 0.1s, then a 429: a guess of about 25/s
		send(http.StatusOK)
	}
	send(http.StatusTooManyRequests)
	guess := l.LearnedRate()
	if guess == 0 || guess > 30 {
		t.Fatalf("first guess %.1f/s", guess)
	}
	start := clk.Now()
	for clk.Now().Sub(start) < 6*time.Second {
		send(http.StatusOK)
	}
	if got := l.LearnedRate(); got < 2*guess {
		t.Errorf("6s of successes took the rate from %.1f/s to %.1f/s only", guess, got)
	}
}

// TestFirstGuessCountsInFlight: a 429 comes back at once and a success
// only after the model's answer, so the first 429 often comes before any
// success; the requests still in flight then count as accepted, instead
// of a guess of 1/s.
func TestFirstGuessCountsInFlight(t *testing.T) {
	t.Parallel()
	l := openrouter.NewAdaptiveLimiter()
	clk := openrouter.NewFakeClock()
	openrouter.SetClock(l, clk)
	var rels []func(openrouter.Outcome)
	for range 5 {
		rel, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, rel)
	}
	clk.Advance(100 * time.Millisecond)
	rels[0](openrouter.Outcome{StatusCode: http.StatusTooManyRequests})
	// 4 in flight in 0.1 s, halved
	if got := l.LearnedRate(); math.Abs(got-20) > 1e-9 {
		t.Errorf("first guess %.2f/s, want 20/s", got)
	}
	for _, rel := range rels[1:] {
		rel(openrouter.Outcome{StatusCode: http.StatusOK})
	}
}

// TestLowRateClimbs: a rate so low that every wait is longer than the
// interval between steps (a first 429 before any success guesses 1/s)
// binds all the same, and climbs while the server accepts.
func TestLowRateClimbs(t *testing.T) {
	t.Parallel()
	l := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(0))
	clk := openrouter.NewFakeClock()
	openrouter.SetClock(l, clk)
	ctx := context.Background()
	send := func(status int) {
		t.Helper()
		rel, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(20 * time.Millisecond)
		rel(openrouter.Outcome{StatusCode: status})
	}
	send(http.StatusTooManyRequests) // nothing accepted yet: the lowest guess
	guess := l.LearnedRate()
	if guess == 0 || guess > 1 {
		t.Fatalf("first guess %.2f/s, want 1/s", guess)
	}
	start := clk.Now()
	for clk.Now().Sub(start) < 10*time.Second {
		send(http.StatusOK) // each held back about a second
	}
	if got := l.LearnedRate(); got < 1.5*guess {
		t.Errorf("10 s of requests held back took the rate from %.2f/s to %.2f/s only", guess, got)
	}
}

// TestRateDoesNotClimbWhileUnused: a client sending slower than its
// learned rate (starved by a busy machine, or idle) has not shown that the
// server accepts more, so the rate does not step up.
func TestRateDoesNotClimbWhileUnused(t *testing.T) {
	t.Parallel()
	l, clk, old := epochScenario(t, 0)
	defer old(openrouter.Outcome{StatusCode: http.StatusOK})
	before := l.LearnedRate()
	for range 20 {
		clk.Advance(time.Second) // one request a second, at ~48/s allowed
		rel, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rel(openrouter.Outcome{StatusCode: http.StatusOK})
	}
	if after := l.LearnedRate(); after != before {
		t.Errorf("20 s of unused rate moved it from %.2f/s to %.2f/s", before, after)
	}
}
