package openrouter

import (
	"context"
	"sync"
)

// CostMeter adds up what the requests made with a context cost, in USD:
// every request a Client makes with a context returned by TrackCost (or
// one derived from it) adds its cost to the meter once its answer is read.
// Meters nest: a request adds to every meter in its context, so a job's
// meter and each item's meter both see the item's requests. It is safe
// for concurrent use.
type CostMeter struct {
	mu          sync.Mutex
	usd         float64
	maybeBilled int
	requests    int
	parent      *CostMeter // the meter of the context TrackCost was given
}

type costMeterKey struct{}

// TrackCost returns a context derived from ctx that carries a new
// CostMeter, and the meter: pass the context to the calls whose cost to
// count, then read the meter.
//
//	ctx, meter := openrouter.TrackCost(ctx)
//	res, err := c.Chat(ctx, req)
//	fmt.Printf("$%.4f\n", meter.USD())
func TrackCost(ctx context.Context) (context.Context, *CostMeter) {
	m := &CostMeter{}
	m.parent, _ = ctx.Value(costMeterKey{}).(*CostMeter)
	return context.WithValue(ctx, costMeterKey{}, m), m
}

// USD returns the cost counted so far, in USD.
func (m *CostMeter) USD() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usd
}

// MaybeBilled returns how many attempts of the context's requests reached
// the server and lost their answer: each may have been billed, whether
// the call then failed (ErrMaybeBilled) or succeeded on a retry
// (ChatResponse.MaybeBilled). Their cost is not in USD.
func (m *CostMeter) MaybeBilled() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maybeBilled
}

// Requests returns how many HTTP requests were sent with the context,
// each attempt of a retried call counted: the calls' own requests
// (a batch's polls, its result pages) as well as those that cost money.
func (m *CostMeter) Requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests
}

// addRequest counts one HTTP request sent with ctx in every meter of ctx.
func addRequest(ctx context.Context) {
	if ctx == nil {
		return
	}
	m, _ := ctx.Value(costMeterKey{}).(*CostMeter)
	for ; m != nil; m = m.parent {
		m.mu.Lock()
		m.requests++
		m.mu.Unlock()
	}
}

// addMaybeBilled adds n attempts that may have been billed to every meter
// in ctx.
func addMaybeBilled(ctx context.Context, n int) { addToMeters(ctx, 0, n) }

// addCost adds usd to every meter in ctx.
func addCost(ctx context.Context, usd float64) { addToMeters(ctx, usd, 0) }

// addToMeters adds usd and maybeBilled to every meter in ctx, the innermost
// first.
func addToMeters(ctx context.Context, usd float64, maybeBilled int) {
	m, _ := ctx.Value(costMeterKey{}).(*CostMeter)
	for ; m != nil; m = m.parent {
		m.mu.Lock()
		m.usd += usd
		m.maybeBilled += maybeBilled
		m.mu.Unlock()
	}
}
