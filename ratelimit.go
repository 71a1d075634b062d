package openrouter

import (
	"context"
	"fmt"
	"math"
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
// request may go, and fails when ctx ends first. Implementations must be
// safe for concurrent use; release is called exactly once.
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

	mu        sync.Mutex
	pace      *rate.Limiter // the learned rate; Inf until the first 429
	learned   float64       // requests per second; 0 until the first 429
	measured  float64       // the last rate measured between 429s; 0 while guessing
	gateUntil time.Time
	accepted  int64     // answers other than 429: requests the server let through
	startAt   time.Time // first request
	winStart  time.Time // start of the current measurement window (a 429)
	winN      int64     // accepted in the window, from requests sent after it began
	last429   time.Time
	lastProbe time.Time
	inFlight  int       // requests sent and not yet released
	lastPaced time.Time // when the last request the learned rate held back was let go
	epoch     uint64    // rate cuts so far: a request sent under an older epoch says nothing of the current rate
	n429      int64
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
		pace:     rate.NewLimiter(rate.Inf, 1),
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
	return l.inFlight
}

// LearnedRate returns the rate adaptive pacing has settled on, in requests
// per second; 0 before any 429.
func (l *AdaptiveLimiter) LearnedRate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.learned
}

// Acquire waits for a slot, the gate, the fixed rate and the learned rate,
// in that order, and returns the function to call when the attempt is
// over.
func (l *AdaptiveLimiter) Acquire(ctx context.Context) (func(Outcome), error) {
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	epoch, err := l.wait(ctx)
	if err != nil {
		if l.slots != nil {
			<-l.slots
		}
		return nil, err
	}
	return func(o Outcome) { l.done(o, epoch) }, nil
}

// wait waits for the gate and the rates, and returns the epoch the
// request is sent under.
func (l *AdaptiveLimiter) wait(ctx context.Context) (uint64, error) {
	now := l.clock.Now()
	l.mu.Lock()
	if l.startAt.IsZero() {
		l.startAt = now
	}
	gate := l.gateUntil
	pace := l.pace
	l.mu.Unlock()
	if d := gate.Sub(now); d > 0 {
		if err := l.sleep(ctx, d); err != nil {
			return 0, err
		}
		now = l.clock.Now()
	}
	var err error
	if now, err = l.reserve(ctx, l.fixed, now); err != nil {
		return 0, err
	}
	var sent time.Time
	if l.adaptive {
		if sent, err = l.reserve(ctx, pace, now); err != nil {
			return 0, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight++
	if sent.After(now) && sent.After(l.lastPaced) {
		l.lastPaced = sent
	}
	return l.epoch, nil
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
// epoch.
func (l *AdaptiveLimiter) done(o Outcome, epoch uint64) {
	if l.slots != nil {
		<-l.slots
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	stale := epoch != l.epoch // sent before the last rate cut
	if o.StatusCode == 0 || o.Quota {
		return
	}
	l.gateByHeaders(now, o.RateLimit)
	if o.StatusCode != http.StatusTooManyRequests {
		l.accepted++
		if !stale {
			l.winN++
		}
		// A guess (the first 429's is made from what the client
		// managed to send, which is little when the machine is busy)
		// climbs in small steps, often, once guessSettle has passed
		// without a 429: it finds the server's rate in seconds,
		// overshooting it by a step at most, and the window before
		// the next 429 is long enough to measure.
		every := probeEvery
		if l.measured == 0 && now.Sub(l.last429) >= guessSettle {
			every = probeGuessing
		}
		// The rate steps up only while it holds requests back, once
		// one was since the last step: a client that could not use it
		// (a busy machine) has not shown the server accepts more.
		// (Since the last step, not within the last interval: below
		// one request an interval every wait is longer than it, and
		// the rate could never climb back.)
		if l.learned > 0 && now.Sub(l.lastProbe) >= every && l.lastPaced.After(l.lastProbe) {
			l.lastProbe = now
			l.setRate(now, l.probe(now))
		}
		return
	}
	l.n429++
	if o.RetryAfter >= gateThreshold && o.RetryAfter <= l.maxGate {
		l.gateUntil = later(l.gateUntil, now.Add(o.RetryAfter))
	}
	if o.RetryAfter > l.maxGate {
		return // a quota (a wait past the longest gate): it says nothing of the rate
	}
	if !l.adaptive || stale {
		return // sent before the last cut: it says nothing about the new rate
	}
	l.lastProbe = now
	switch n := l.winN; {
	case l.learned == 0:
		// The first 429: all there is to go by is what was accepted since
		// the start, inflated by any burst; halve it. The requests still
		// in flight count as accepted: a 429 comes back at once, a
		// success after the model's answer, so the first 429 often comes
		// before any success (and counting none would guess 1/s).
		elapsed := math.Max(now.Sub(l.startAt).Seconds(), 0.05)
		l.cut(now, math.Max(float64(l.accepted+int64(l.inFlight))/elapsed*0.5, 1), 0)
	case n >= minAccepted:
		// At each 429 the server's bucket is empty, so what it accepted
		// since the window's 429 is its refill rate, less any tokens its
		// full bucket threw away while we sent slower: a lower bound.
		// The rate this 429 was met at bounds it from above, about.
		est := float64(n-1) / now.Sub(l.winStart).Seconds() // the bucket may have held a token at the start
		est = math.Max(est, l.learned*0.95)
		l.cut(now, est*paceMargin, est)
	default:
		// Too few requests since the last 429 to measure: step down.
		l.cut(now, l.learned*stepDown, 0)
	}
}

// probe returns the next rate while requests succeed: a guess climbs
// quickly; a measured rate climbs back to what was measured, and past it
// (to twice it at most) only after measureReset without a 429, in case the
// server's limit has risen.
func (l *AdaptiveLimiter) probe(now time.Time) float64 {
	if l.measured == 0 {
		return l.learned * probeGuessed
	}
	ceiling := l.measured
	if now.Sub(l.last429) > measureReset {
		ceiling = 2 * l.measured
	}
	return math.Max(l.learned, math.Min(l.learned*probeMeasured, ceiling))
}

// cut sets a new rate after a 429, starts a new measurement window, and
// starts a new epoch: the requests in flight were sent under the old rate.
func (l *AdaptiveLimiter) cut(now time.Time, perSec, measured float64) {
	l.winStart, l.winN, l.last429 = now, 0, now
	l.measured = measured
	l.setRate(now, math.Max(perSec, 0.1))
	l.epoch++
}

// gateByHeaders holds every request until X-RateLimit-Reset when the
// server says nothing remains, and paces to what remains otherwise.
func (l *AdaptiveLimiter) gateByHeaders(now time.Time, rl RateLimitInfo) {
	if rl.Reset.IsZero() || rl.Remaining < 0 {
		return
	}
	until := rl.Reset.Sub(now)
	if until <= 0 || until > l.maxGate {
		return
	}
	if rl.Remaining == 0 {
		l.gateUntil = later(l.gateUntil, rl.Reset)
		return
	}
	if perSec := float64(rl.Remaining) / until.Seconds(); l.adaptive && (l.learned == 0 || perSec < l.learned) {
		l.setRate(now, perSec)
		l.lastProbe = now
	}
}

func (l *AdaptiveLimiter) setRate(now time.Time, perSec float64) {
	l.learned = perSec
	l.pace.SetLimitAt(now, rate.Limit(perSec))
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
