package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// live is the job's observer: the client's (openrouter.Observer, with the
// limiter's waits and rate) and the runner's (bulk.Observer). It keeps
// the counts the progress line shows and, with -events, writes each
// event to events as a JSON line. With -otel-stdout, the OpenTelemetry
// module's observer sees the same events (withOTel, otel.go).
type live struct {
	mu     sync.Mutex
	events io.Writer // nil: no event lines
	start  time.Time
	now    func() time.Time

	requests, tokens, rateLimited, retries, maybeBilled int
	done, failed                                        int
	cost, rate                                          float64
}

func newLive(events io.Writer, now func() time.Time) *live {
	return &live{events: events, now: now, start: now()}
}

// emit writes one event line; called under l.mu.
func (l *live) emit(kind string, v any) {
	if l.events == nil {
		return
	}
	b, err := json.Marshal(struct {
		Kind string  `json:"event"`
		At   float64 `json:"t"`
		V    any     `json:"data"`
	}{kind, l.now().Sub(l.start).Seconds(), v})
	if err == nil {
		fmt.Fprintf(l.events, "%s\n", b)
	}
}

func (l *live) CallStart(ctx context.Context, e openrouter.CallStart) context.Context { return ctx }

func (l *live) AttemptStart(context.Context, openrouter.AttemptStart) {}

func (l *live) AttemptEnd(_ context.Context, e openrouter.AttemptEnd) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests++
	if e.Status == 429 {
		l.rateLimited++
	}
	l.emit("attempt", map[string]any{"attempt": e.Attempt, "status": e.Status, "written": e.Written, "retry": e.Retry})
}

func (l *live) RetryWait(_ context.Context, e openrouter.RetryWait) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.retries++
	l.emit("retry_wait", map[string]any{"attempt": e.Attempt, "wait_s": e.Wait.Seconds()})
}

func (l *live) CallEnd(_ context.Context, e openrouter.CallEnd) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeBilled += e.MaybeBilled
	ev := map[string]any{"path": e.Path, "model": e.Model, "status": e.Status, "attempts": e.Attempts, "maybe_billed": e.MaybeBilled}
	if u := e.Usage; u != nil {
		l.tokens += u.TotalTokens
		l.cost += u.TotalCost()
		ev["tokens"], ev["cost"] = u.TotalTokens, u.TotalCost()
	}
	if e.Err != nil {
		ev["error"] = e.Err.Error()
	}
	l.emit("call", ev)
}

func (l *live) LimiterWait(_ context.Context, e openrouter.LimiterWait) {
	if e.Wait <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emit("limiter_wait", map[string]any{"model": e.Model, "wait_s": e.Wait.Seconds()})
}

func (l *live) RateChange(_ context.Context, e openrouter.RateChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.Model == "" { // the account's: the progress line's
		l.rate = e.Rate
	}
	l.emit("rate", map[string]any{"model": e.Model, "rate": e.Rate, "previous": e.Previous})
}

func (l *live) ItemStarted(context.Context, bulk.ItemStarted) {}

func (l *live) ItemEnded(_ context.Context, e bulk.ItemEnded) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case e.Again:
	case e.Status == bulk.Done:
		l.done++
	case e.Status == bulk.Failed:
		l.failed++
	}
	l.emit("item", map[string]any{"key": e.Key, "status": e.Status.String(), "again": e.Again})
}

func (l *live) BatchEvent(_ context.Context, e bulk.BatchEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev := map[string]any{"phase": e.Phase, "batch": e.Batch, "items": e.Items, "requests": e.Requests}
	if e.Status != "" {
		ev["status"], ev["completed"], ev["failed"], ev["total"] = e.Status, e.Counts.Completed, e.Counts.Failed, e.Counts.Total
	}
	if e.Phase == bulk.BatchCollected { // the results' usage: no call's answer carries it
		l.tokens += e.InputTokens + e.OutputTokens
		l.cost += e.Cost
		ev["tokens"], ev["cost"] = e.InputTokens+e.OutputTokens, e.Cost
	}
	if e.Err != nil {
		ev["error"] = e.Err.Error()
	}
	l.emit("batch", ev)
}

func (l *live) RunHeld(_ context.Context, e bulk.RunHeld) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emit("held", map[string]any{"cause": e.Cause, "wait_s": e.Wait.Seconds()})
}

func (l *live) RunEnded(_ context.Context, e bulk.RunEnded) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emit("run", e)
}

// line is the progress line: the runner's counts, then the observer's
// rates per minute, 429s, the learned rate, retries and maybe-billed
// attempts.
func (l *live) line(p bulk.Progress) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	min := l.now().Sub(l.start).Minutes()
	if min <= 0 {
		min = 1.0 / 60
	}
	s := fmt.Sprintf("%d/%d done, %d failed | %.0f req/min, %.0f tok/min, $%.4f/min | 429s %d, retries %d, maybe billed %d",
		p.Done, p.Total, p.Failed, float64(l.requests)/min, float64(l.tokens)/min, l.cost/min, l.rateLimited, l.retries, l.maybeBilled)
	if l.rate > 0 {
		s += fmt.Sprintf(", learned %.1f/s", l.rate)
	}
	return s
}
