package openrouter

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/routerkit/openrouter/internal/wait"
)

// Limiter paces a client's requests. The client calls Acquire before every
// HTTP attempt (retries included) and the release function it returns
// once the attempt is over (its body closed, so a stream holds its slot
// until it ends), with what the server answered. Acquire blocks until the
// request may go, and fails when ctx ends first. ModelFromContext(ctx)
// names the request's model, for a limiter that paces models apart.
// Implementations must be safe for concurrent use; release is called
// exactly once.
type Limiter interface {
	Acquire(ctx context.Context) (release func(Outcome), err error)
}

// Outcome is what one HTTP attempt got, as the limiter sees it.
type Outcome struct {
	// StatusCode is the answer's status; 0 when no answer came (a
	// connection error, a cancelled context).
	StatusCode int
	// RetryAfter is the answer's Retry-After; zero when absent.
	RetryAfter time.Duration
	// RateLimit holds the answer's X-RateLimit-* headers.
	RateLimit RateLimitInfo
	// Quota reports a 429 the client returns at once as
	// [ErrQuotaExhausted] (a daily quota, or a wait past the client's
	// maximum wait): it says nothing about the rate the server accepts,
	// and must neither slow nor hold the other requests.
	Quota bool
	// Model is the model the request asked for ("" when none); the
	// same as ModelFromContext gave Acquire.
	Model string
	// ModelScoped reports a 429 that concerns only the request's model
	// (its providers are at capacity), not the account: it must slow
	// only that model's requests.
	ModelScoped bool
}

// AdaptiveLimiter is the default Limiter. It combines four parts, each set
// or disabled by a LimiterOption:
//
//   - a cap on requests in flight (default 5, OpenRouter's advice);
//   - an optional fixed request rate with a burst (LimitRate);
//   - adaptive pacing (on by default): it sends freely until the first
//     429, then paces every request to the rate the server was accepting,
//     measured between 429s, just under it, and probes upward slowly while
//     requests succeed, so a long job settles under the server's limit
//     instead of see-sawing;
//   - a shared gate: a 429 whose Retry-After is long (over 2s), or an
//     answer saying X-RateLimit-Remaining: 0 until X-RateLimit-Reset, holds
//     every request until then, instead of letting each collect its own
//     429. A quota 429 (Outcome.Quota: a wait past the client's maximum
//     wait) neither gates nor slows anything: the client returns it at
//     once as ErrQuotaExhausted. A gate longer than the maximum
//     (LimitMaxGate) is not kept either.
//
// A 429 scoped to one model (Outcome.ModelScoped: its providers are full)
// slows and gates only that model's requests: the pacing and the gate are
// learned per model too, by the same algorithm, from that model's answers.
// Requests of other models keep their rate. The model comes from the
// request's context (ModelFromContext).
//
// Its zero value is not usable; create one with NewAdaptiveLimiter. It is
// safe for concurrent use, starts no goroutine, and its waits end as soon
// as the caller's context does: a wait that cannot end before the
// context's deadline fails at once.
type AdaptiveLimiter struct {
	slots    chan struct{} // nil: no cap
	fixed    *rate.Limiter // nil: no fixed rate
	adaptive bool
	maxGate  time.Duration
	clock    clock

	mu     sync.Mutex
	all    *pacer            // what every request goes through: the account's rate
	models map[string]*pacer // one model's rate, learned from 429s scoped to it
}

// LimiterOption configures an AdaptiveLimiter. Their names start with
// Limit, apart from the client's With... Options; redislimiter uses the
// same names for the same settings.
type LimiterOption func(*AdaptiveLimiter)

// LimitInFlight sets how many requests may be in flight at once (default
// 5); 0 or less removes the cap.
func LimitInFlight(n int) LimiterOption {
	return func(l *AdaptiveLimiter) {
		l.slots = nil
		if n > 0 {
			l.slots = make(chan struct{}, n)
		}
	}
}

// LimitRate sets a fixed rate, in requests per second, with a burst
// (default: none). perSecond <= 0 removes it.
func LimitRate(perSecond float64, burst int) LimiterOption {
	return func(l *AdaptiveLimiter) {
		l.fixed = nil
		if perSecond > 0 {
			l.fixed = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
		}
	}
}

// LimitAdaptive turns adaptive pacing on or off (default on).
func LimitAdaptive(on bool) LimiterOption { return func(l *AdaptiveLimiter) { l.adaptive = on } }

// LimitMaxGate sets the longest pause the shared gate imposes on every
// request (default 60s). A client's own default limiter gates up to the
// client's maximum wait (WithRetry) instead, the one threshold past which
// a 429 is a quota; give a shared limiter the same value as its clients.
func LimitMaxGate(d time.Duration) LimiterOption { return func(l *AdaptiveLimiter) { l.maxGate = d } }

// Pacing constants. A long Retry-After means a window is exhausted; a
// short one is a token bucket's, for which pacing is the better answer.
const (
	gateThreshold = 2 * time.Second
	paceMargin    = 0.98             // pace this far under the measured rate
	probeEvery    = time.Second      // how often pacing may step up from a measured rate,
	probeMeasured = 1.01             // by this factor,
	probeGuessed  = 1.05             // and by this one from a guess,
	probeGuessing = time.Second / 4  // as often as this
	guessSettle   = 2 * time.Second  // once this long has passed without a 429
	measureReset  = 30 * time.Second // after this long without a 429, probe past the measured rate
	cutMeasured   = 0.95             // the least a measured 429 keeps of the rate
	minAccepted   = 20               // requests a measurement window needs
	stepDown      = 0.85             // the cut when a window is too short to measure
)

// NewAdaptiveLimiter returns a limiter with at most 5 requests in flight
// and adaptive pacing, changed by opts.
func NewAdaptiveLimiter(opts ...LimiterOption) *AdaptiveLimiter {
	l := &AdaptiveLimiter{
		slots:    make(chan struct{}, 5),
		adaptive: true,
		maxGate:  60 * time.Second,
		clock:    realClock{},
		all:      newPacer(),
		models:   map[string]*pacer{},
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// MaxConcurrent returns the cap on requests in flight; 0 means none.
func (l *AdaptiveLimiter) MaxConcurrent() int { return cap(l.slots) }

// InFlight returns how many requests hold a slot now: sent, and their
// answer not yet closed (a stream holds its slot until it ends).
func (l *AdaptiveLimiter) InFlight() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.inFlight
}

// LearnedRate returns the rate adaptive pacing has settled on, in requests
// per second; 0 before any 429.
func (l *AdaptiveLimiter) LearnedRate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.learned
}

// ModelRate returns the rate adaptive pacing has settled on for model's
// requests, from 429s scoped to it, in requests per second; 0 before any.
func (l *AdaptiveLimiter) ModelRate(model string) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.models[model]; p != nil {
		return p.learned
	}
	return 0
}

// Acquire waits for a slot, the gate, the fixed rate and the learned
// rate, the model's gate and rate after the account's, in that order, and
// returns the function to call when the attempt is over.
func (l *AdaptiveLimiter) Acquire(ctx context.Context) (func(Outcome), error) {
	parts := waitParts(ctx)
	if l.slots != nil {
		var start time.Time
		if parts != nil {
			start = l.clock.Now()
		}
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if parts != nil {
			parts.Slot = l.clock.Now().Sub(start)
		}
	}
	model := ModelFromContext(ctx)
	ep, err := l.wait(ctx, model, parts)
	if err != nil {
		if l.slots != nil {
			<-l.slots
		}
		return nil, err
	}
	return func(o Outcome) { l.done(o, ep) }, nil
}

// epochs is what a request was sent under: the pacers it went through
// and their counts of rate cuts then.
type epochs struct {
	model      *pacer // nil: no model, or more models than tracked
	all, mine  uint64
	sent, msnt time.Time // when the account's rate let the request go, and the model's
}

// wait waits for the gates and the rates, and returns the epochs the
// request is sent under; parts (nil: not asked) gets the waits' parts.
func (l *AdaptiveLimiter) wait(ctx context.Context, model string, parts *LimiterWait) (epochs, error) {
	now := l.clock.Now()
	l.mu.Lock()
	mp := l.pacerFor(model)
	l.all.start(now)
	gate, pace := l.all.gateUntil, l.all.pace
	var mpace *rate.Limiter
	modelGate := false
	if mp != nil {
		mp.start(now)
		modelGate = mp.gateUntil.After(gate)
		gate, mpace = later(gate, mp.gateUntil), mp.pace
		mp.refs++ // a model's pacer is not dropped while a request uses it
	}
	l.mu.Unlock()
	sent, msent, err := l.waitFor(ctx, now, gate, pace, mpace, parts)
	if parts != nil && modelGate {
		parts.Gate, parts.ModelGate = 0, parts.Gate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if mp != nil {
			mp.refs--
		}
		return epochs{}, err
	}
	l.all.inFlight++
	l.all.paced(sent.at, sent.held)
	ep := epochs{all: l.all.epoch, sent: later(now, sent.at)}
	if mp != nil {
		mp.inFlight++
		mp.paced(msent.at, msent.held)
		ep.model, ep.mine, ep.msnt = mp, mp.epoch, later(ep.sent, msent.at)
	}
	return ep, nil
}

// pacedAt is when a rate let a request go, and whether it held it back.
type pacedAt struct {
	at   time.Time
	held bool
}

// waitFor sleeps until gate, then reserves the fixed rate, the account's
// learned rate, and the model's (nil: none), each after the other; parts
// (nil: not asked) gets the length of each wait.
func (l *AdaptiveLimiter) waitFor(ctx context.Context, now, gate time.Time, pace, mpace *rate.Limiter, parts *LimiterWait) (sent, msent pacedAt, err error) {
	if parts == nil {
		parts = &LimiterWait{} // not escaping: a value on the stack
	}
	if d := gate.Sub(now); d > 0 {
		if err := l.sleep(ctx, d); err != nil {
			return sent, msent, err
		}
		parts.Gate = d
		now = l.clock.Now()
	}
	start := now
	if now, err = l.reserve(ctx, l.fixed, now); err != nil || !l.adaptive {
		parts.Pace = now.Sub(start)
		return sent, msent, err
	}
	at, err := l.reserve(ctx, pace, now)
	parts.Pace = at.Sub(start)
	if err != nil {
		return sent, msent, err
	}
	sent = pacedAt{at, at.After(now)}
	if mpace != nil {
		mat, err := l.reserve(ctx, mpace, at)
		parts.ModelPace = mat.Sub(at)
		if err != nil {
			return sent, msent, err
		}
		msent = pacedAt{mat, mat.After(at)}
	}
	return sent, msent, nil
}

// reserve waits for one token of lim (nil or unlimited: no wait) and
// returns the time after the wait.
func (l *AdaptiveLimiter) reserve(ctx context.Context, lim *rate.Limiter, now time.Time) (time.Time, error) {
	if lim == nil || lim.Limit() == rate.Inf {
		return now, nil
	}
	r := lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if err := l.sleep(ctx, d); err != nil {
		r.CancelAt(now)
		return now, err
	}
	return now.Add(d), nil
}

// sleep waits d, or fails at once when ctx ends first or its deadline
// comes before d is over.
func (l *AdaptiveLimiter) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok && dl.Sub(l.clock.Now()) < d {
		return fmt.Errorf("openrouter: pacing wait of %v would pass the context deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	return l.clock.Sleep(ctx, d)
}

// done frees the slot and learns from the outcome of a request sent under
// ep: the account's pacer from every answer but a 429 scoped to the
// model, the model's from every answer but a 429 that is not.
func (l *AdaptiveLimiter) done(o Outcome, ep epochs) {
	if l.slots != nil {
		<-l.slots
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.inFlight--
	if ep.model != nil {
		ep.model.inFlight--
		ep.model.refs--
	}
	if o.StatusCode == 0 || o.Quota {
		return
	}
	// A 429 scoped to a model the limiter keeps no rate for (none named,
	// or past maxModels) slows every request, as the account's does.
	scoped429 := o.StatusCode == http.StatusTooManyRequests && o.ModelScoped && ep.model != nil
	if !scoped429 {
		l.all.gateByHeaders(now, o.RateLimit, l.maxGate, l.adaptive)
		l.all.learn(now, o, ep.all, ep.sent, l.maxGate, l.adaptive)
	}
	if ep.model != nil && (o.StatusCode != http.StatusTooManyRequests || scoped429) {
		ep.model.learn(now, o, ep.mine, ep.msnt, l.maxGate, l.adaptive)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// clock is the limiter's view of time; tests give it one whose Sleep
// moves Now forward at once.
type clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return wait.Sleep(ctx, d) }
