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
	winStart  time.Time // start of the current measurement window: when the request its 429 answered was sent
	winN      int64     // accepted in the window, from requests sent after it began (or as it began: a tie)
	spanStart time.Time // start of the span: when the request the first 429 answered was sent
	spanN     int64     // accepted in the span, from requests sent after it began
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
func (p *pacer) learn(now time.Time, o Outcome, epoch uint64, sent time.Time, maxGate time.Duration, adaptive bool) {
	stale := epoch != p.epoch // sent before the last rate cut
	if o.StatusCode != http.StatusTooManyRequests {
		p.accepted++
		if !p.winStart.IsZero() && !sent.Before(p.winStart) {
			p.winN++
		}
		if !p.spanStart.IsZero() && !sent.Before(p.spanStart) {
			p.spanN++
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
	switch {
	case p.learned == 0:
		// The first 429: all there is to go by is what was accepted since
		// the start, inflated by any burst; halve it. The requests still
		// in flight count as accepted: a 429 comes back at once, a
		// success after the model's answer, so the first 429 often comes
		// before any success (and counting none would guess 1/s).
		elapsed := math.Max(now.Sub(p.startAt).Seconds(), 0.05)
		p.cut(now, sent, math.Max(float64(p.accepted+int64(p.inFlight))/elapsed*0.5, 1), 0)
	case p.winN >= minAccepted:
		// A 429 lowers the rate, by a bounded step, to just under the
		// server's rate as measured.
		est := math.Max(p.measure(now), p.learned*cutMeasured)
		p.cut(now, sent, math.Min(est*paceMargin, p.learned), est)
	default:
		// Too few requests since the last 429 to measure: step down, not
		// under what the span measures.
		p.cut(now, sent, math.Min(math.Max(p.learned*stepDown, p.measure(now)), p.learned), p.measured)
	}
	if p.spanStart.IsZero() { // the first 429 (the headers may have set a rate before it)
		p.spanStart, p.spanN = sent, 0
	}
}

// measure returns the server's rate as measured at a 429, from the window
// that this 429 ends and from the span since the first 429; 0 when
// neither has minAccepted requests. Both begin when the request a 429
// answered was sent, before the server saw it, when its bucket held less
// than one token; they count the requests sent since then and accepted.
//
// The window counts the answers back: in a window of n, the server
// accepted at most one token more than it refilled, so (n-1)/window is a
// true lower bound of its rate, whatever the client's delays (a late
// answer only lengthens the window). It is short: the requests accepted
// and not yet answered (up to the cap in flight) are missing from it.
//
// The span runs from the first 429 on, over every window since, so its
// errors do not add up: n/span, with the requests still in flight counted
// as accepted, is off by a token and those few requests at most, either
// way, and closes in on the server's rate as the span grows. Tokens the
// server's full bucket threw away while the client sent slower lower
// both. A span that measures over the server's rate paces over it until
// the next 429, which measures again over a longer span.
//
// The 429s are the evidence there is: OpenRouter sends no X-RateLimit-*
// headers on a success, and sends them on its own platform limits' 429s
// only (docs api_reference/limits.mdx, "Handling 429 errors"), for a
// per-minute or per-day count, which gateByHeaders turns into a gate.
func (p *pacer) measure(now time.Time) float64 {
	est := 0.0
	for _, w := range [...]struct {
		n     int64
		less  float64
		start time.Time
	}{{p.winN, 1, p.winStart}, {p.spanN + int64(p.inFlight), 0, p.spanStart}} {
		if sec := now.Sub(w.start).Seconds(); !w.start.IsZero() && w.n >= minAccepted && sec > 0 {
			est = math.Max(est, (float64(w.n)-w.less)/sec)
		}
	}
	return est
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
func (p *pacer) cut(now, start time.Time, perSec, measured float64) {
	p.winStart, p.winN, p.last429 = start, 0, now
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
