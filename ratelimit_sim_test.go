package openrouter

import (
	"container/heap"
	"context"
	"math"
	"net/http"
	"testing"
	"time"
)

// simClock gives the simulation's time; Sleep adds to slept and leaves
// Now where it is: the simulation moves Now to each event's time.
type simClock struct {
	now   time.Time
	slept time.Duration
}

func (c *simClock) Now() time.Time { return c.now }

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept += d
	return ctx.Err()
}

// simEvent is one step of a simulated worker: acquire, send (the server
// decides), or release (the answer is back).
type simEvent struct {
	at   time.Time
	seq  int
	kind int // 0 acquire, 1 send, 2 release
	w    *simWorker
}

type simEvents []simEvent

func (h simEvents) Len() int { return len(h) }
func (h simEvents) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h simEvents) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *simEvents) Push(x any)   { *h = append(*h, x.(simEvent)) }
func (h *simEvents) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type simWorker struct {
	model string
	rel   func(Outcome)
	out   Outcome
}

// simModel is a model's providers: a token bucket, as OpenRouter's
// capacity_exhausted 429s come when they are full.
type simModel struct {
	rate, burst, tokens float64
	last                time.Time
	ok                  int // successes within the measured span
}

func (m *simModel) take(now time.Time) bool {
	if !m.last.IsZero() {
		m.tokens = math.Min(m.burst, m.tokens+now.Sub(m.last).Seconds()*m.rate)
	}
	m.last = now
	if m.tokens >= 1 {
		m.tokens--
		return true
	}
	return false
}

// simulateModels runs workers per model (concurrently, on simulated time)
// through one AdaptiveLimiter for span, against providers per model and no
// account limit (a paid model's), and returns each model's successes per
// second after a warm-up. scoped says whether the providers' 429s reach
// the limiter as scoped to their model (as the client reports them) or as
// the account's (as before issue 25 item 4).
func simulateModels(workers map[string]int, providers map[string]*simModel, scoped bool, span time.Duration) map[string]float64 {
	const latency, fast = 200 * time.Millisecond, 20 * time.Millisecond
	warmup := span / 4
	start := time.Unix(1_800_000_000, 0)
	clk := &simClock{now: start}
	l := NewAdaptiveLimiter(LimitInFlight(0))
	l.clock = clk
	h := &simEvents{}
	seq := 0
	push := func(at time.Time, kind int, w *simWorker) {
		seq++
		heap.Push(h, simEvent{at: at, seq: seq, kind: kind, w: w})
	}
	for _, model := range []string{"a/busy", "b/rewrites"} {
		for range workers[model] {
			push(start, 0, &simWorker{model: model})
		}
	}
	end := start.Add(span)
	for h.Len() > 0 {
		ev := heap.Pop(h).(simEvent)
		if ev.at.After(end) {
			break
		}
		clk.now, clk.slept = ev.at, 0
		w := ev.w
		switch ev.kind {
		case 0:
			rel, err := l.Acquire(ContextWithModel(context.Background(), w.model))
			if err != nil {
				panic(err)
			}
			w.rel = rel
			push(ev.at.Add(clk.slept), 1, w)
		case 1:
			p := providers[w.model]
			if p.take(ev.at) {
				if ev.at.Sub(start) >= warmup {
					p.ok++
				}
				w.out = Outcome{StatusCode: http.StatusOK, RateLimit: RateLimitInfo{Remaining: -1}, Model: w.model}
				push(ev.at.Add(latency), 2, w)
			} else {
				w.out = Outcome{StatusCode: http.StatusTooManyRequests, RetryAfter: time.Second, RateLimit: RateLimitInfo{Remaining: -1},
					Model: w.model, ModelScoped: scoped}
				push(ev.at.Add(fast), 2, w)
			}
		case 2:
			w.rel(w.out)
			push(ev.at, 0, w)
		}
	}
	out := map[string]float64{}
	for m, p := range providers {
		out[m] = float64(p.ok) / (span - warmup).Seconds()
	}
	return out
}

// Issue 25 item 4, measured (BENCHMARKS.md): model A's providers are
// full (2 requests/s against 8 workers), model B's accept 20/s (against
// 12 workers, 60/s wanted). B's throughput with A exhausted stays within
// 5% of its throughput alone. Before, A's 429s cut the account's rate and
// B's with it (logged as "account-wide").
func TestModelBackoffKeepsOtherModelsRate(t *testing.T) {
	const span = 300 * time.Second
	providers := func() map[string]*simModel {
		return map[string]*simModel{
			"a/busy":     {rate: 2, burst: 2, tokens: 2},
			"b/rewrites": {rate: 20, burst: 5, tokens: 5},
		}
	}
	for _, scoped := range []bool{true, false} {
		alone := simulateModels(map[string]int{"b/rewrites": 12}, providers(), scoped, span)["b/rewrites"]
		both := simulateModels(map[string]int{"a/busy": 8, "b/rewrites": 12}, providers(), scoped, span)
		ratio := both["b/rewrites"] / alone
		mode := "scoped to the model"
		if !scoped {
			mode = "account-wide (before)"
		}
		t.Logf("429s %s: B alone %.2f/s; with A exhausted B %.2f/s (%.3fx), A %.2f/s", mode, alone, both["b/rewrites"], ratio, both["a/busy"])
		if scoped && math.Abs(ratio-1) > 0.05 {
			t.Errorf("with model A exhausted, B's throughput is %.3fx its rate alone, want within 5%%", ratio)
		}
		if scoped && alone < 18 {
			t.Errorf("B alone gets %.2f/s of its providers' 20/s: the comparison measures little", alone)
		}
	}
}
