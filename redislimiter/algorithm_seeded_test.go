package redislimiter

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/limiterclock"
)

// Issue 26 item 5: the same estimator in both, step by step, on seeded
// random runs with several requests in flight at once (the span counts
// them): random gaps, a 429 now and then, some requests for a model whose
// 429s are scoped to it. After each answer both have learned the same
// rates; before each request both wait as long.
func TestSameDecisionsSeeded(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			s := startRedis(t)
			start := time.UnixMilli(1_800_000_000_000)
			cc, rc := &fakeClock{now: start}, &fakeClock{now: start}
			core := openrouter.NewAdaptiveLimiter()
			limiterclock.Set(core, cc)
			rl := newLimiter(t, client(t, s.addr()), "seeded", WithRedisTimeout(10*time.Second), withTicks(make(chan time.Time))) // no renewal: the fake clocks alone move the scripts' time
			rl.now, rl.sleep = rc.Now, rc.Sleep
			rng := rand.New(rand.NewSource(seed))
			type held struct {
				model      string
				core, rdis func(openrouter.Outcome)
			}
			var out []held
			// sync puts both clocks at the same whole millisecond, d on.
			sync := func(d time.Duration) {
				at := cc.Now()
				if r := rc.Now(); r.After(at) {
					at = r
				}
				at = at.Add(d).Truncate(time.Millisecond).Add(time.Millisecond)
				cc.set(at)
				rc.set(at)
			}
			cuts := 0
			for i := range 600 {
				sync(time.Duration(rng.Intn(8)) * time.Millisecond)
				if len(out) < 4 && (len(out) == 0 || rng.Intn(2) == 0) {
					ctx := context.Background()
					model := ""
					if rng.Intn(10) < 3 {
						model = "a/m"
						ctx = openrouter.ContextWithModel(ctx, model)
					}
					rc1, err := core.Acquire(ctx)
					if err != nil {
						t.Fatal(err)
					}
					rr1, err := rl.Acquire(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if wc, wr := cc.took(), rc.took(); (wc - wr).Abs() > 2*time.Millisecond {
						t.Fatalf("step %d: AdaptiveLimiter waited %v, redislimiter %v", i, wc, wr)
					}
					out = append(out, held{model, rc1, rr1})
					continue
				}
				k := rng.Intn(len(out))
				h := out[k]
				out = append(out[:k], out[k+1:]...)
				o := openrouter.Outcome{StatusCode: 200, RateLimit: openrouter.RateLimitInfo{Remaining: -1}, Model: h.model}
				if rng.Intn(100) < 8 {
					o.StatusCode, o.RetryAfter, o.ModelScoped = 429, time.Second, h.model != "" && rng.Intn(2) == 0
				}
				before := core.LearnedRate()
				h.core(o)
				h.rdis(o)
				if a, b := core.LearnedRate(), rl.LearnedRate(); !sameRate(a, b) {
					t.Fatalf("step %d (status %d): AdaptiveLimiter learned %v/s, redislimiter %v/s", i, o.StatusCode, a, b)
				}
				if a, b := core.ModelRate(h.model), rl.ModelRate(h.model); !sameRate(a, b) {
					t.Fatalf("step %d: for model %q AdaptiveLimiter learned %v/s, redislimiter %v/s", i, h.model, a, b)
				}
				if core.LearnedRate() != before && o.StatusCode == 429 {
					cuts++
				}
			}
			for _, h := range out {
				h.core(openrouter.Outcome{})
				h.rdis(openrouter.Outcome{})
			}
			if cuts < 3 {
				t.Errorf("%d cuts of the account's rate: the run compared little", cuts)
			}
			t.Logf("%d cuts; learned %.2f/s", cuts, core.LearnedRate())
		})
	}
}
