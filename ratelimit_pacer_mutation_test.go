package openrouter

import (
	"math"
	"net/http"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Tests of the pacer's arithmetic at its edges, written for what mutation
// testing of ratelimit_pacer.go found unchecked. They drive a pacer
// directly on a fixed clock.

var pacerT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestPacerRetryAfterAtTheLongestGate checks that a 429 whose Retry-After
// is exactly the longest gate gates, and is still read for the rate; one
// a nanosecond past it is a quota and does neither.
func TestPacerRetryAfterAtTheLongestGate(t *testing.T) {
	const maxGate = time.Minute
	p := newPacer()
	p.start(pacerT0)
	now := pacerT0.Add(time.Second)
	p.learn(now, Outcome{StatusCode: http.StatusTooManyRequests, RetryAfter: maxGate}, 0, now, maxGate, true)
	if !p.gateUntil.Equal(now.Add(maxGate)) {
		t.Errorf("gate until %v, want %v", p.gateUntil, now.Add(maxGate))
	}
	if p.learned == 0 || p.epoch != 1 {
		t.Errorf("a Retry-After of the longest gate was not read for the rate: learned %v, epoch %d", p.learned, p.epoch)
	}
	q := newPacer()
	q.start(pacerT0)
	q.learn(now, Outcome{StatusCode: http.StatusTooManyRequests, RetryAfter: maxGate + 1}, 0, now, maxGate, true)
	if !q.gateUntil.IsZero() || q.learned != 0 {
		t.Errorf("a quota gated (%v) or set a rate (%v)", q.gateUntil, q.learned)
	}
}

// TestPacerFirstGuess checks the first 429's guess: half of what was
// accepted and is in flight per second since the start, at least 1/s,
// over at least 50 ms.
func TestPacerFirstGuess(t *testing.T) {
	for _, c := range []struct {
		accepted int64
		inFlight int
		elapsed  time.Duration
		want     float64
	}{
		{accepted: 30, inFlight: 10, elapsed: 2 * time.Second, want: 10},
		{accepted: 1, inFlight: 0, elapsed: 2 * time.Second, want: 1},
		{accepted: 4, inFlight: 1, elapsed: 0, want: 50}, // 5 / 0.05 s * 0.5
	} {
		p := newPacer()
		p.start(pacerT0)
		p.accepted, p.inFlight = c.accepted, c.inFlight
		now := pacerT0.Add(c.elapsed)
		p.learn(now, Outcome{StatusCode: http.StatusTooManyRequests}, 0, now, time.Minute, true)
		if !near(p.learned, c.want) {
			t.Errorf("%+v: first guess %v, want %v", c, p.learned, c.want)
		}
		if !p.spanStart.Equal(now) || p.spanN != 0 || !p.winStart.Equal(now) || p.winN != 0 {
			t.Errorf("%+v: span %v/%d, window %v/%d: both must start at the 429's request", c, p.spanStart, p.spanN, p.winStart, p.winN)
		}
	}
}

// TestPacerMeasure checks measure's windows: a window of n accepted
// measures (n-1)/seconds from minAccepted on, the span n/seconds with the
// requests in flight counted, and the larger wins.
func TestPacerMeasure(t *testing.T) {
	now := pacerT0.Add(10 * time.Second)
	p := newPacer()
	p.winStart, p.winN = now.Add(-time.Second), minAccepted
	if got := p.measure(now); !near(got, minAccepted-1) {
		t.Errorf("window of %d in 1 s measures %v, want %d", minAccepted, got, minAccepted-1)
	}
	p.winN = minAccepted - 1
	if got := p.measure(now); got != 0 {
		t.Errorf("window of %d measures %v, want 0 (too few)", minAccepted-1, got)
	}
	p.spanStart, p.spanN, p.inFlight = now.Add(-2*time.Second), minAccepted-2, 2
	if got := p.measure(now); !near(got, minAccepted/2.0) {
		t.Errorf("span of %d+2 in flight over 2 s measures %v, want %v", minAccepted-2, got, minAccepted/2.0)
	}
	p.spanStart = now
	if got := p.measure(now); got != 0 {
		t.Errorf("a span of no time measures %v, want 0", got)
	}
}

// TestPacerCutAfterMeasuredWindow checks a 429 after a window of
// minAccepted: the rate goes to just under the measure, bounded below
// by cutMeasured of the rate, and never up; with one fewer in the window it
// steps down by stepDown instead.
func TestPacerCutAfterMeasuredWindow(t *testing.T) {
	now := pacerT0.Add(10 * time.Second)
	setup := func(winN int64) *pacer {
		p := newPacer()
		p.start(pacerT0)
		p.setRate(pacerT0, 25)
		p.spanStart = pacerT0.Add(time.Second)
		p.winStart, p.winN = now.Add(-time.Second), winN
		return p
	}
	p := setup(minAccepted) // measures 19/s: under 25*0.95, so 25*0.95*0.98
	p.learn(now, Outcome{StatusCode: http.StatusTooManyRequests}, 0, now, time.Minute, true)
	if want := 25 * cutMeasured * paceMargin; !near(p.learned, want) || !near(p.measured, 25*cutMeasured) {
		t.Errorf("after a measured window: rate %v, measured %v; want %v, %v", p.learned, p.measured, want, 25*cutMeasured)
	}
	p = setup(minAccepted - 1)
	p.measured = 7
	p.learn(now, Outcome{StatusCode: http.StatusTooManyRequests}, 0, now, time.Minute, true)
	if want := 25 * stepDown; !near(p.learned, want) || p.measured != 7 {
		t.Errorf("after a short window: rate %v, measured %v; want %v, 7", p.learned, p.measured, want)
	}
	if !p.spanStart.Equal(pacerT0.Add(time.Second)) {
		t.Error("a later 429 moved the span's start")
	}
}

// TestPacerCountsAtTheWindowStart checks that a success sent as the
// window began counts in it (a tie), so does one sent after, and one
// sent before does not.
func TestPacerCountsAtTheWindowStart(t *testing.T) {
	p := newPacer()
	p.winStart, p.spanStart = pacerT0, pacerT0
	for _, sent := range []time.Time{pacerT0, pacerT0.Add(1), pacerT0.Add(-1)} {
		p.learn(pacerT0, Outcome{StatusCode: 200}, 0, sent, time.Minute, true)
	}
	if p.winN != 2 || p.spanN != 2 || p.accepted != 3 {
		t.Errorf("window %d, span %d, accepted %d; want 2, 2, 3", p.winN, p.spanN, p.accepted)
	}
}

// TestPacerProbe checks probe's steps: a guess climbs by probeGuessed; a
// measured rate climbs by probeMeasured up to the measure, and up to
// twice it only once measureReset has passed (strictly) since the 429.
func TestPacerProbe(t *testing.T) {
	p := newPacer()
	p.learned = 10
	if got := p.probe(pacerT0); !near(got, 10*probeGuessed) {
		t.Errorf("guess probes to %v, want %v", got, 10*probeGuessed)
	}
	p.measured, p.last429 = 10, pacerT0
	if got := p.probe(pacerT0.Add(measureReset)); got != 10 {
		t.Errorf("at the measure, measureReset after the 429, probes to %v, want 10", got)
	}
	if got := p.probe(pacerT0.Add(measureReset + 1)); !near(got, 10*probeMeasured) {
		t.Errorf("past measureReset probes to %v, want %v", got, 10*probeMeasured)
	}
	p.learned = 9.99
	if got := p.probe(pacerT0); !near(got, 10) {
		t.Errorf("just under the measure probes to %v, want 10", got)
	}
}

// TestPacerMaybeProbeTiming checks when a success steps the rate up: only
// once a request was held since the last step, every probeEvery (exactly
// reached counts), or every probeGuessing while guessing once guessSettle
// has passed since the 429.
func TestPacerMaybeProbeTiming(t *testing.T) {
	mk := func() *pacer {
		p := newPacer()
		p.learned, p.last429, p.lastProbe = 10, pacerT0, pacerT0
		p.lastPaced = pacerT0.Add(1)
		return p
	}
	for _, c := range []struct {
		at   time.Duration // since the 429
		want float64
	}{
		{guessSettle, 10 * probeGuessed}, // settled: probeGuessing since the last step is enough
		{guessSettle - 1, 10},            // not settled: probeEvery is needed
	} {
		p := mk()
		p.lastProbe = pacerT0.Add(c.at - probeGuessing)
		p.lastPaced = p.lastProbe.Add(1)
		p.maybeProbe(pacerT0.Add(c.at))
		if !near(p.learned, c.want) {
			t.Errorf("guessing, %v after the 429, probeGuessing after the last step: rate %v, want %v", c.at, p.learned, c.want)
		}
	}
	p := mk()
	p.measured = 10
	p.learned = 5
	p.maybeProbe(pacerT0.Add(probeEvery - 1))
	if p.learned != 5 {
		t.Errorf("measured, before probeEvery: rate %v, want 5", p.learned)
	}
	p.maybeProbe(pacerT0.Add(probeEvery))
	if !near(p.learned, 5*probeMeasured) || !p.lastProbe.Equal(pacerT0.Add(probeEvery)) {
		t.Errorf("measured, at probeEvery: rate %v, want %v", p.learned, 5*probeMeasured)
	}
	p = mk()
	p.lastPaced = pacerT0
	p.maybeProbe(pacerT0.Add(time.Minute))
	if p.learned != 10 {
		t.Errorf("nothing held since the last step: rate %v, want 10", p.learned)
	}
}

// TestPacerGateByHeaders checks the X-RateLimit-* edges: nothing left
// gates until the reset, a reset exactly the longest gate away counts,
// what is left paces only under the current rate, and unknown or past
// values do nothing.
func TestPacerGateByHeaders(t *testing.T) {
	const maxGate = time.Minute
	p := newPacer()
	p.gateByHeaders(pacerT0, RateLimitInfo{Remaining: 0, Reset: pacerT0.Add(maxGate)}, maxGate, true)
	if !p.gateUntil.Equal(pacerT0.Add(maxGate)) {
		t.Errorf("none left: gate %v, want the reset", p.gateUntil)
	}
	p = newPacer()
	p.gateByHeaders(pacerT0, RateLimitInfo{Remaining: 30, Reset: pacerT0.Add(10 * time.Second)}, maxGate, true)
	if p.learned != 3 || !p.lastProbe.Equal(pacerT0) {
		t.Errorf("30 left for 10 s: rate %v, want 3", p.learned)
	}
	p.gateByHeaders(pacerT0, RateLimitInfo{Remaining: 60, Reset: pacerT0.Add(10 * time.Second)}, maxGate, true)
	if p.learned != 3 {
		t.Errorf("more left than the rate: rate %v, want 3 kept", p.learned)
	}
	for _, rl := range []RateLimitInfo{
		{Remaining: -1, Reset: pacerT0.Add(time.Second)},
		{Remaining: 0, Reset: pacerT0},
		{Remaining: 0, Reset: pacerT0.Add(maxGate + 1)},
		{Remaining: 0},
	} {
		q := newPacer()
		q.gateByHeaders(pacerT0, rl, maxGate, true)
		if !q.gateUntil.IsZero() || q.learned != 0 {
			t.Errorf("%+v: gate %v, rate %v; want neither", rl, q.gateUntil, q.learned)
		}
	}
	q := newPacer()
	q.gateByHeaders(pacerT0, RateLimitInfo{Remaining: 5, Reset: pacerT0.Add(time.Second)}, maxGate, false)
	if q.learned != 0 {
		t.Errorf("not adaptive: rate %v set from the headers", q.learned)
	}
}

// TestPacerCutFloor checks that a cut never paces under 0.1/s and starts
// a new epoch.
func TestPacerCutFloor(t *testing.T) {
	p := newPacer()
	p.cut(pacerT0, pacerT0, 0.01, 0)
	if p.learned != 0.1 || p.epoch != 1 || !p.last429.Equal(pacerT0) {
		t.Errorf("rate %v, epoch %d; want 0.1, 1", p.learned, p.epoch)
	}
}

// TestPacerPacedKeepsTheLatest checks that paced keeps the latest send a
// held request made, and ignores one not held.
func TestPacerPacedKeepsTheLatest(t *testing.T) {
	p := newPacer()
	p.paced(pacerT0.Add(2), true)
	p.paced(pacerT0.Add(1), true)
	p.paced(pacerT0.Add(3), false)
	if !p.lastPaced.Equal(pacerT0.Add(2)) {
		t.Errorf("lastPaced %v, want t0+2ns", p.lastPaced)
	}
}

// TestPacerNoProbeBeforeARate checks that a success before any rate was
// learned leaves the pace unlimited, whatever lastPaced says.
func TestPacerNoProbeBeforeARate(t *testing.T) {
	p := newPacer()
	p.lastPaced = pacerT0.Add(time.Second)
	p.maybeProbe(pacerT0.Add(time.Minute))
	if p.pace.Limit() != rate.Inf || p.learned != 0 {
		t.Errorf("pace %v, learned %v before any 429; want unlimited", p.pace.Limit(), p.learned)
	}
}

// TestPacerHeadersAtTheRateDoNotDelayProbing checks that headers giving
// the current rate exactly change nothing: the last step stays where it
// was, so the next probe is not put off.
func TestPacerHeadersAtTheRateDoNotDelayProbing(t *testing.T) {
	p := newPacer()
	p.setRate(pacerT0, 3)
	p.lastProbe = pacerT0
	now := pacerT0.Add(5 * time.Second)
	p.gateByHeaders(now, RateLimitInfo{Remaining: 15, Reset: now.Add(5 * time.Second)}, time.Minute, true)
	if p.learned != 3 || !p.lastProbe.Equal(pacerT0) {
		t.Errorf("rate %v, last step %v; want 3 and the step kept at t0", p.learned, p.lastProbe)
	}
}
