package redislimiter

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/limiterclock"
)

// fakeClock moves forward only when told, or by the sleeps it is asked
// for, which it adds up.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d < 0 {
		return errPastDeadline{-d}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept += d
	return ctx.Err()
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// took returns the time slept since the last call.
func (c *fakeClock) took() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.slept
	c.slept = 0
	return d
}

// step is one request: the time before it, and what it got.
type step struct {
	idle       time.Duration
	status     int
	retryAfter time.Duration
	remaining  int
	resetIn    time.Duration // X-RateLimit-Reset, from the answer
	quota      bool          // the client marked the 429 a quota (Outcome.Quota)
	model      string        // the request's model ("" when none)
	scoped     bool          // a 429 scoped to the model (Outcome.ModelScoped)
}

// alternate returns n successes, idle apart, for each of models in turn.
func alternate(n int, idle time.Duration, models ...string) []step {
	var out []step
	for range n {
		for _, m := range models {
			out = append(out, step{idle: idle, status: 200, remaining: -1, model: m})
		}
	}
	return out
}

// full is a 429 scoped to model: its providers are at capacity.
func full(model string, retryAfter time.Duration) step {
	return step{status: 429, retryAfter: retryAfter, remaining: -1, model: model, scoped: true}
}

// as gives steps the model m.
func as(m string, s []step) []step {
	out := append([]step(nil), s...)
	for i := range out {
		out[i].model = m
	}
	return out
}

func oks(n int, idle time.Duration) []step {
	s := make([]step, n)
	for i := range s {
		s[i] = step{idle: idle, status: 200, remaining: -1}
	}
	return s
}

func tooMany(retryAfter time.Duration) step {
	return step{status: 429, retryAfter: retryAfter, remaining: -1}
}

func seq(parts ...any) []step {
	var out []step
	for _, p := range parts {
		switch p := p.(type) {
		case step:
			out = append(out, p)
		case []step:
			out = append(out, p...)
		}
	}
	return out
}

// learnedAt is the rate the AdaptiveLimiter had learned after a request's
// answer, and when.
type learnedAt struct {
	at        time.Time
	rate      float64
	model     string
	modelRate float64       // the model's rate, after the answer
	wait      time.Duration // how long the request waited
}

// climbs returns the times at which the learned rate rose.
func climbs(r []learnedAt) []time.Time {
	var out []time.Time
	for i := 1; i < len(r); i++ {
		if r[i].rate > r[i-1].rate && r[i-1].rate > 0 {
			out = append(out, r[i].at)
		}
	}
	return out
}

// Item 7: one algorithm. The same requests, with the same outcomes at the
// same times, go through openrouter's AdaptiveLimiter and through this
// limiter (its scripts given the time): before each request both wait as
// long, and after each answer both have learned the same rate.
//
// What the AdaptiveLimiter keeps in its one process, the Redis limiter
// keeps in Redis, shared by every process using the name: the learned
// rate and its token bucket, the measurement window, the count of cuts
// (epoch), the last 429, the last probe, and when the last request the
// learned rate held back was let go (lastPaced: the rate binds, so it may
// step up; in any process, since the rate is theirs together). Per request,
// as in the core: the epoch a request was sent under, which the process
// keeps with its lease and gives back at release (a 429 sent before a
// later cut is stale). Per process: nothing of the algorithm, only the
// rate last seen (LearnedRate) and the in-process fallback used while
// Redis cannot be reached.
func TestSameDecisionsAsAdaptiveLimiter(t *testing.T) {
	const latency = 5 * time.Millisecond
	ms := 10 * time.Millisecond
	for _, tc := range []struct {
		name  string
		opts  []Option
		steps []step
		// check, when set, says what the AdaptiveLimiter must have done,
		// so that a case tests the behaviour it names.
		check func(t *testing.T, r []learnedAt)
	}{
		{"the first 429 halves what was accepted, then paces", nil,
			seq(oks(30, ms), tooMany(time.Second), oks(10, 0)), nil},
		{"a measured window sets the rate just under it", nil,
			seq(oks(30, ms), tooMany(time.Second), oks(25, 0), tooMany(time.Second), oks(20, 0)), nil},
		{"too short a window steps down", nil,
			seq(oks(30, ms), tooMany(time.Second), oks(5, 0), tooMany(time.Second), oks(3, 0)), nil},
		{"probing climbs to the measured rate, past it after 30s without a 429", nil,
			seq(oks(30, ms), tooMany(time.Second), oks(25, 0), tooMany(time.Second), oks(80, 0),
				step{idle: 31 * time.Second, status: 200, remaining: -1}, oks(80, 0)),
			func(t *testing.T, r []learnedAt) {
				// once a second while measured; past the measured rate after 30s
				c := climbs(r)
				if len(c) < 4 {
					t.Errorf("the rate rose %d times, want at least 4", len(c))
				}
				for i := 1; i < len(c); i++ {
					if d := c[i].Sub(c[i-1]); d < time.Second {
						t.Errorf("a measured rate rose %v after the previous step, want 1s apart at least", d)
					}
				}
				last := r[len(r)-1].rate
				if peak := r[56].rate / 0.98; last <= peak { // the second 429 paced at 0.98 of what it measured
					t.Errorf("after 30s without a 429 the rate is %v/s, want past the measured %v/s", last, peak)
				}
			}},
		{"a guess climbs every 250ms once 2s passed without a 429", nil,
			seq(oks(30, ms), tooMany(time.Second), oks(150, 0)),
			func(t *testing.T, r []learnedAt) {
				at429 := r[30].at
				var settled []time.Time
				for _, c := range climbs(r) {
					switch d := c.Sub(at429); {
					case d < time.Second:
						t.Errorf("the guess rose %v after the 429, want none before 1s", d)
					case d >= 2*time.Second:
						settled = append(settled, c)
					}
				}
				if len(settled) < 5 {
					t.Fatalf("the guess rose %d times once 2s had passed, want at least 5", len(settled))
				}
				for i := 1; i < len(settled); i++ {
					if d := settled[i].Sub(settled[i-1]); d < 250*time.Millisecond || d > 400*time.Millisecond {
						t.Errorf("the guess rose %v after its previous step, want every 250ms (a request's time more at most)", d)
					}
				}
			}},
		{"no climb while the rate does not bind", nil,
			seq(oks(30, ms), tooMany(time.Second), oks(40, 100*time.Millisecond), oks(40, 0)),
			func(t *testing.T, r []learnedAt) {
				// 100ms apart, under the ~30/s guessed: nothing held back
				for _, c := range climbs(r) {
					if c.Before(r[70].at) {
						t.Errorf("the rate rose at %v after the 429 while no request was held back", c.Sub(r[30].at))
					}
				}
				// then back to back: held back, it climbs again
				if n := len(climbs(r[70:])); n == 0 {
					t.Error("the rate did not rise once requests were held back again")
				}
			}},
		{"a low rate climbs though each wait is longer than a step's interval", nil,
			seq(tooMany(time.Second), oks(12, 0)),
			func(t *testing.T, r []learnedAt) {
				// nothing accepted before the 429: 1/s; each request then waits a second
				if r[0].rate != 1 {
					t.Fatalf("first guess %v/s, want 1/s", r[0].rate)
				}
				if n := len(climbs(r)); n < 5 {
					t.Errorf("the rate rose %d times in 12 requests held back, want at least 5", n)
				}
			}},
		{"X-RateLimit-Remaining paces to what remains", nil,
			seq(oks(3, ms), step{status: 200, remaining: 10, resetIn: 2 * time.Second}, oks(4, 0)), nil},
		{"a rate the headers set, then 429s: the span begins at the first", nil,
			seq(oks(3, ms), step{status: 200, remaining: 40, resetIn: 2 * time.Second}, oks(30, 0), tooMany(time.Second),
				oks(30, 0), tooMany(time.Second), oks(30, 0), tooMany(time.Second), oks(10, 0)), nil},
		{"X-RateLimit-Remaining: 0 gates until the reset", nil,
			seq(oks(3, ms), step{status: 200, remaining: 0, resetIn: 3 * time.Second}, oks(2, 0)), nil},
		{"a long Retry-After gates every request", nil,
			seq(oks(5, ms), tooMany(5*time.Second), oks(3, 0)), nil},
		{"a quota's 429 says nothing of the rate", nil,
			seq(oks(5, ms), tooMany(2*time.Hour), oks(3, 0)), nil},
		{"a 429 the client marked a quota teaches nothing", nil,
			seq(oks(5, ms), step{status: 429, retryAfter: time.Second, remaining: -1, quota: true}, oks(3, 0)), nil},
		{"no answer teaches nothing", nil,
			seq(oks(5, ms), step{status: 0, remaining: -1}, tooMany(time.Second), step{status: 0, remaining: -1}, oks(3, 0)), nil},
		{"adaptive off", []Option{LimitAdaptive(false)},
			seq(oks(5, ms), tooMany(time.Second), oks(3, 0), tooMany(3*time.Second), oks(2, 0)), nil},
		{"a fixed rate with a burst, and a learned rate under it", []Option{LimitRate(20, 3)},
			seq(oks(30, 0), tooMany(time.Second), oks(25, 0), tooMany(time.Second), oks(10, 0)), nil},
		// Issue 25 item 4: the learned rate per model.
		{"a 429 scoped to a model slows that model only", nil,
			seq(alternate(15, ms, "a/busy", "b/free"), full("a/busy", time.Second), alternate(25, 0, "a/busy", "b/free"),
				full("a/busy", time.Second), alternate(10, 0, "a/busy", "b/free")),
			func(t *testing.T, r []learnedAt) {
				var waitA, waitB time.Duration
				for _, x := range r {
					if x.rate != 0 {
						t.Fatalf("the account's rate is %v/s after 429s scoped to a model, want none", x.rate)
					}
					if x.model == "b/free" {
						waitB += x.wait
					} else {
						waitA += x.wait
					}
				}
				if last := r[len(r)-2]; last.model != "a/busy" || last.modelRate == 0 {
					t.Errorf("model A learned nothing: %+v", last)
				}
				if waitB != 0 || waitA == 0 {
					t.Errorf("A's requests waited %v, B's %v: want A's only paced", waitA, waitB)
				}
			}},
		{"a model's rate is measured and probed as the account's", nil,
			seq(as("a/busy", oks(30, ms)), full("a/busy", time.Second), as("a/busy", oks(25, 0)), full("a/busy", time.Second),
				as("a/busy", oks(80, 0)), step{idle: 31 * time.Second, status: 200, remaining: -1, model: "a/busy"}, as("a/busy", oks(40, 0))), nil},
		{"a long Retry-After scoped to a model gates that model only", nil,
			seq(alternate(5, ms, "a/busy", "b/free"), full("a/busy", 5*time.Second), as("b/free", oks(3, 0)), as("a/busy", oks(2, 0))),
			func(t *testing.T, r []learnedAt) {
				if r[11].wait != 0 || r[14].wait < 4*time.Second {
					t.Errorf("B waited %v, then A %v: want B at once, A gated", r[11].wait, r[14].wait)
				}
			}},
		{"the account's 429 slows every model, a model's 429 its own", nil,
			seq(alternate(15, ms, "a/busy", "b/free"), tooMany(time.Second), full("a/busy", time.Second),
				alternate(25, 0, "a/busy", "b/free"), step{status: 429, retryAfter: time.Second, remaining: -1, model: "b/free"},
				full("a/busy", time.Second), alternate(5, 0, "a/busy", "b/free"), oks(3, 0)), nil},
		{"a 429 scoped to no model slows every request", nil,
			seq(oks(30, ms), step{status: 429, retryAfter: time.Second, remaining: -1, scoped: true}, oks(10, 0)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startRedis(t)
			start := time.UnixMilli(1_800_000_000_000)
			cc, rc := &fakeClock{now: start}, &fakeClock{now: start}
			// The same settings, by the same names, for the AdaptiveLimiter.
			cfg := defaultConfig()
			for _, o := range tc.opts {
				_ = o(&cfg)
			}
			core := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(cfg.maxInFlight), openrouter.LimitRate(cfg.rate, cfg.burst),
				openrouter.LimitAdaptive(cfg.adaptive), openrouter.LimitMaxGate(cfg.maxGate))
			limiterclock.Set(core, cc)
			// A Redis call may take long on a loaded machine: this test is
			// about the algorithm, not the fallback a slow call would bring.
			// No renewal ticks: a renewal at real time would move the
			// scripts' state between the steps.
			rl := newLimiter(t, client(t, s.addr()), "algo", append(tc.opts, WithRedisTimeout(10*time.Second), withTicks(make(chan time.Time)))...)
			rl.now, rl.sleep = rc.Now, rc.Sleep
			ctx := context.Background()
			var learned []learnedAt
			for i, st := range tc.steps {
				at := cc.Now().Add(st.idle)
				cc.set(at)
				rc.set(at)
				sctx := ctx
				if st.model != "" {
					sctx = openrouter.ContextWithModel(ctx, st.model)
				}
				relCore, err := core.Acquire(sctx)
				if err != nil {
					t.Fatal(err)
				}
				relRedis, err := rl.Acquire(sctx)
				if err != nil {
					t.Fatal(err)
				}
				wc, wr := cc.took(), rc.took()
				if d := wc - wr; d > 2*time.Millisecond || d < -2*time.Millisecond {
					t.Fatalf("request %d: AdaptiveLimiter waited %v, redislimiter %v", i, wc, wr)
				}
				// Both answers come at the same whole millisecond (Redis
				// counts in ms).
				done := cc.Now().Add(latency).Truncate(time.Millisecond).Add(time.Millisecond)
				cc.set(done)
				rc.set(done)
				o := openrouter.Outcome{StatusCode: st.status, RetryAfter: st.retryAfter, Quota: st.quota,
					RateLimit: openrouter.RateLimitInfo{Remaining: st.remaining}, Model: st.model, ModelScoped: st.scoped}
				if st.resetIn > 0 {
					o.RateLimit.Reset = done.Add(st.resetIn)
				}
				relCore(o)
				relRedis(o)
				if a, b := core.LearnedRate(), rl.LearnedRate(); !sameRate(a, b) {
					t.Fatalf("after request %d (%s): AdaptiveLimiter learned %v/s, redislimiter %v/s", i, describe(st), a, b)
				}
				if a, b := core.ModelRate(st.model), rl.ModelRate(st.model); !sameRate(a, b) {
					t.Fatalf("after request %d (%s): for model %q AdaptiveLimiter learned %v/s, redislimiter %v/s", i, describe(st), st.model, a, b)
				}
				learned = append(learned, learnedAt{done, core.LearnedRate(), st.model, core.ModelRate(st.model), wc})
			}
			if tc.check != nil {
				tc.check(t, learned)
			}
			if tc.name == "a measured window sets the rate just under it" && core.LearnedRate() == 0 {
				t.Error("nothing learned: the comparison compared nothing")
			}
		})
	}
}

// sameRate reports whether two learned rates agree. The windows begin at
// send times, which the AdaptiveLimiter has from golang.org/x/time/rate
// in nanoseconds (rounded at each reservation) and the scripts in
// fractional milliseconds: they agree to some nanoseconds, the rates
// measured over them to about 1e-8 of themselves. A difference in the
// algorithm shows in the second digit.
func sameRate(a, b float64) bool { return math.Abs(a-b) <= 1e-7*math.Max(1, a) }

func describe(s step) string {
	return fmt.Sprintf("status %d, Retry-After %v, remaining %d, reset in %v, model %q, scoped %v", s.status, s.retryAfter, s.remaining, s.resetIn, s.model, s.scoped)
}

// The first 429 often comes before any success (a 429 comes back at once,
// a success after the model's answer): both limiters count the requests
// still in flight as accepted, this one those of every process.
func TestFirstGuessCountsInFlightAsAdaptiveLimiter(t *testing.T) {
	s := startRedis(t)
	start := time.UnixMilli(1_800_000_000_000)
	cc, rc := &fakeClock{now: start}, &fakeClock{now: start}
	core := openrouter.NewAdaptiveLimiter()
	limiterclock.Set(core, cc)
	never := make(chan time.Time) // no renewal at real time between the steps
	rl := newLimiter(t, client(t, s.addr()), "first", withTicks(never))
	rl.now, rl.sleep = rc.Now, rc.Sleep
	other := newLimiter(t, client(t, s.addr()), "first", withTicks(never)) // another process
	other.now, other.sleep = rc.Now, rc.Sleep
	ctx := context.Background()
	var relCore, relRedis []func(openrouter.Outcome)
	for i := range 5 {
		rel, err := core.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		relCore = append(relCore, rel)
		lim := rl
		if i >= 3 {
			lim = other
		}
		if rel, err = lim.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
		relRedis = append(relRedis, rel)
	}
	at := start.Add(100 * time.Millisecond)
	cc.set(at)
	rc.set(at)
	o := openrouter.Outcome{StatusCode: 429, RetryAfter: time.Second, RateLimit: openrouter.RateLimitInfo{Remaining: -1}}
	relCore[0](o)
	relRedis[0](o)
	if a, b := core.LearnedRate(), rl.LearnedRate(); a != 20 || math.Abs(a-b) > 1e-9 {
		t.Errorf("first guess: AdaptiveLimiter %v/s, redislimiter %v/s, want 20/s (4 in flight in 0.1 s, halved)", a, b)
	}
	ok := openrouter.Outcome{StatusCode: 200, RateLimit: openrouter.RateLimitInfo{Remaining: -1}}
	for i := 1; i < 5; i++ {
		relCore[i](ok)
		relRedis[i](ok)
	}
}
