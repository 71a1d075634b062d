package openrouter

import (
	"math"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// pacer is what the AdaptiveLimiter learns for one scope: the account
// (every request), or one model (its requests, from the 429s scoped to
// it). Its fields are guarded by the limiter's mutex. redislimiter's
// scripts keep the same fields in Redis, one hash per scope.
type pacer struct {
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
	refs      int       // requests waiting or in flight (a model's pacer is kept while any)
	lastPaced time.Time // when the last request the learned rate held back was let go
	epoch     uint64    // rate cuts so far: a request sent under an older epoch says nothing of the current rate
}

func newPacer() *pacer { return &pacer{pace: rate.NewLimiter(rate.Inf, 1)} }

// start notes the first request.
func (p *pacer) start(now time.Time) {
	if p.startAt.IsZero() {
		p.startAt = now
	}
}

// paced notes when a request went, if the learned rate held it back.
func (p *pacer) paced(sent time.Time, held bool) {
	if held && sent.After(p.lastPaced) {
		p.lastPaced = sent
	}
}

// learn learns from an answer to a request sent under epoch.
func (p *pacer) learn(now time.Time, o Outcome, epoch uint64, maxGate time.Duration, adaptive bool) {
	stale := epoch != p.epoch // sent before the last rate cut
	if o.StatusCode != http.StatusTooManyRequests {
		p.accepted++
		if !stale {
			p.winN++
		}
		p.maybeProbe(now)
		return
	}
	if o.RetryAfter >= gateThreshold && o.RetryAfter <= maxGate {
		p.gateUntil = later(p.gateUntil, now.Add(o.RetryAfter))
	}
	if o.RetryAfter > maxGate {
		return // a quota (a wait past the longest gate): it says nothing of the rate
	}
	if !adaptive || stale {
		return // sent before the last cut: it says nothing about the new rate
	}
	p.lastProbe = now
	switch n := p.winN; {
	case p.learned == 0:
		// The first 429: all there is to go by is what was accepted since
		// the start, inflated by any burst; halve it. The requests still
		// in flight count as accepted: a 429 comes back at once, a
		// success after the model's answer, so the first 429 often comes
		// before any success (and counting none would guess 1/s).
		elapsed := math.Max(now.Sub(p.startAt).Seconds(), 0.05)
		p.cut(now, math.Max(float64(p.accepted+int64(p.inFlight))/elapsed*0.5, 1), 0)
	case n >= minAccepted:
		// At each 429 the server's bucket is empty, so what it accepted
		// since the window's 429 is its refill rate, less any tokens its
		// full bucket threw away while we sent slower: a lower bound.
		// The rate this 429 was met at bounds it from above, about.
		est := float64(n-1) / now.Sub(p.winStart).Seconds() // the bucket may have held a token at the start
		est = math.Max(est, p.learned*0.95)
		p.cut(now, est*paceMargin, est)
	default:
		// Too few requests since the last 429 to measure: step down.
		p.cut(now, p.learned*stepDown, 0)
	}
}

// maybeProbe steps the rate up after a success, when it is due.
func (p *pacer) maybeProbe(now time.Time) {
	// A guess (the first 429's is made from what the client managed to
	// send, which is little when the machine is busy) climbs in small
	// steps, often, once guessSettle has passed without a 429: it finds
	// the server's rate in seconds, overshooting it by a step at most,
	// and the window before the next 429 is long enough to measure.
	every := probeEvery
	if p.measured == 0 && now.Sub(p.last429) >= guessSettle {
		every = probeGuessing
	}
	// The rate steps up only while it holds requests back, once one was
	// since the last step: a client that could not use it (a busy
	// machine) has not shown the server accepts more. (Since the last
	// step, not within the last interval: below one request an interval
	// every wait is longer than it, and the rate could never climb back.)
	if p.learned > 0 && now.Sub(p.lastProbe) >= every && p.lastPaced.After(p.lastProbe) {
		p.lastProbe = now
		p.setRate(now, p.probe(now))
	}
}

// probe returns the next rate while requests succeed: a guess climbs
// quickly; a measured rate climbs back to what was measured, and past it
// (to twice it at most) only after measureReset without a 429, in case the
// server's limit has risen.
func (p *pacer) probe(now time.Time) float64 {
	if p.measured == 0 {
		return p.learned * probeGuessed
	}
	ceiling := p.measured
	if now.Sub(p.last429) > measureReset {
		ceiling = 2 * p.measured
	}
	return math.Max(p.learned, math.Min(p.learned*probeMeasured, ceiling))
}

// cut sets a new rate after a 429, starts a new measurement window, and
// starts a new epoch: the requests in flight were sent under the old rate.
func (p *pacer) cut(now time.Time, perSec, measured float64) {
	p.winStart, p.winN, p.last429 = now, 0, now
	p.measured = measured
	p.setRate(now, math.Max(perSec, 0.1))
	p.epoch++
}

// gateByHeaders holds every request until X-RateLimit-Reset when the
// server says nothing remains, and paces to what remains otherwise.
func (p *pacer) gateByHeaders(now time.Time, rl RateLimitInfo, maxGate time.Duration, adaptive bool) {
	if rl.Reset.IsZero() || rl.Remaining < 0 {
		return
	}
	until := rl.Reset.Sub(now)
	if until <= 0 || until > maxGate {
		return
	}
	if rl.Remaining == 0 {
		p.gateUntil = later(p.gateUntil, rl.Reset)
		return
	}
	if perSec := float64(rl.Remaining) / until.Seconds(); adaptive && (p.learned == 0 || perSec < p.learned) {
		p.setRate(now, perSec)
		p.lastProbe = now
	}
}

func (p *pacer) setRate(now time.Time, perSec float64) {
	p.learned = perSec
	p.pace.SetLimitAt(now, rate.Limit(perSec))
}
