package orotel_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// events returns the names of a span's events.
func events(s sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, ev := range s.Events() {
		out = append(out, ev.Name)
	}
	return out
}

// A retried call's attempts are child spans of its span, each with its
// status, number and whether it was written; the wait between them is
// an event of the call's span.
func TestAttemptSpans(t *testing.T) {
	srv, c, sr, _, _ := setup(t)
	srv.Enqueue(openroutertest.Reply{Status: http.StatusServiceUnavailable, Error: &openroutertest.ErrorBody{Code: 503, Message: "overloaded"}},
		openroutertest.Reply{Content: "Hi", Cost: 0.002})
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	calls, attempts := split(sr.Ended())
	if len(calls) != 1 || len(attempts) != 2 {
		t.Fatalf("%d call spans, %d attempt spans", len(calls), len(attempts))
	}
	call := calls[0]
	for k, a := range attempts {
		at := attrs(a.Attributes())
		wantStatus := []int64{503, 200}[k]
		if a.Parent().SpanID() != call.SpanContext().SpanID() || a.SpanContext().TraceID() != call.SpanContext().TraceID() ||
			at["openrouter.attempt"].AsInt64() != int64(k+1) || at["http.response.status_code"].AsInt64() != wantStatus ||
			!at["openrouter.written"].AsBool() || at["openrouter.retry"].AsBool() != (k == 0) {
			t.Errorf("attempt %d: parent %v, attributes %v", k+1, a.Parent().SpanID(), a.Attributes())
		}
		if (k == 0) != (a.Status().Code.String() == "Error") {
			t.Errorf("attempt %d: status %v", k+1, a.Status())
		}
	}
	evs := events(call)
	if len(evs) != 1 || evs[0] != "openrouter.retry_wait" {
		t.Errorf("call span events = %v, want the retry wait", evs)
	}
	if ca := attrs(call.Attributes()); ca["openrouter.attempts"].AsInt64() != 2 || ca["openrouter.cost_usd"].AsFloat64() != 0.002 {
		t.Errorf("call span attributes = %v", call.Attributes())
	}
}

// A limiter's wait is an event of the attempt it held, saying which part
// held it (the client's side of this, LimiterWait's parts, is tested in
// the SDK's module on a fake clock).
func TestLimiterWaitEvents(t *testing.T) {
	o, sr, _, _ := newObserver(t)
	ctx := o.CallStart(context.Background(), openrouter.CallStart{Method: "POST", Path: "/chat/completions", Model: "m"})
	o.AttemptStart(ctx, openrouter.AttemptStart{Attempt: 1})
	o.LimiterWait(ctx, openrouter.LimiterWait{Model: "m", Wait: 5 * time.Second, Gate: 4 * time.Second, Slot: time.Second})
	o.LimiterWait(ctx, openrouter.LimiterWait{Model: "m"}) // no wait: no event
	o.AttemptEnd(ctx, openrouter.AttemptEnd{Attempt: 1, Status: 200, Written: true})
	o.CallEnd(ctx, openrouter.CallEnd{Method: "POST", Path: "/chat/completions", Model: "m", Status: 200, Attempts: 1})
	calls, attempts := split(sr.Ended())
	if len(calls) != 1 || len(attempts) != 1 || len(calls[0].Events()) != 0 || len(attempts[0].Events()) != 1 {
		t.Fatalf("%d calls, %d attempts; events %v", len(calls), len(attempts), sr.Ended())
	}
	ev := attempts[0].Events()[0]
	a := attrs(ev.Attributes)
	if ev.Name != "openrouter.limiter_wait" || a["openrouter.limiter.cause"].AsString() != "gate" ||
		a["openrouter.limiter.gate_seconds"].AsFloat64() != 4 || a["openrouter.limiter.slot_seconds"].AsFloat64() != 1 {
		t.Errorf("event %s %v", ev.Name, ev.Attributes)
	}
	if _, ok := a[attribute.Key("openrouter.limiter.pace_seconds")]; ok {
		t.Errorf("a pacing wait in a gate's event: %v", ev.Attributes)
	}
}

// A stream is one call span with its attempt's child span, its first
// chunk an event, its usage and cost set when it ends, and its body
// carries the caller's span for Broadcast as a chat's does.
func TestStreamSpans(t *testing.T) {
	srv, c, sr, _, tp := setup(t)
	srv.Enqueue(openroutertest.Reply{Content: "Hello there", Cost: 0.003})
	ctx, parent := tp.Tracer("test").Start(context.Background(), "job")
	for _, err := range c.ChatStream(ctx, hello()).Chunks() {
		if err != nil {
			t.Fatal(err)
		}
	}
	parent.End()
	calls, attempts := split(sr.Ended())
	if len(calls) != 2 || len(attempts) != 1 || attempts[0].Parent().SpanID() != calls[0].SpanContext().SpanID() {
		t.Fatalf("%d call spans, %d attempt spans", len(calls), len(attempts))
	}
	a := attrs(calls[0].Attributes())
	if !a["openrouter.stream"].AsBool() || a["openrouter.cost_usd"].AsFloat64() != 0.003 || a["gen_ai.usage.output_tokens"].AsInt64() <= 0 {
		t.Errorf("stream span attributes %v", calls[0].Attributes())
	}
	if evs := events(calls[0]); len(evs) != 1 || evs[0] != "gen_ai.first_chunk" {
		t.Errorf("stream span events %v", evs)
	}
	reqs := srv.Requests()
	if tr, _ := reqs[len(reqs)-1].Body["trace"].(map[string]any); tr["parent_span_id"] != parent.SpanContext().SpanID().String() {
		t.Errorf("stream body's trace = %v", tr)
	}
}

// A bulk run's wait between passes is counted by cause and is an event
// of the run's span.
func TestRunHeld(t *testing.T) {
	o, sr, reader, tp := newObserver(t)
	ctx, span := tp.Tracer("test").Start(context.Background(), "job")
	o.RunHeld(ctx, bulk.RunHeld{Cause: bulk.HeldForBudget, Wait: time.Hour, Until: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)})
	o.RunHeld(ctx, bulk.RunHeld{Cause: bulk.HeldForRetry, Wait: 5 * time.Second})
	span.End()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[float64]); ok && m.Name == "openrouter.bulk.held" {
				for _, p := range d.DataPoints {
					v, _ := p.Attributes.Value("openrouter.bulk.held_cause")
					got[v.AsString()] += p.Value
				}
			}
		}
	}
	if got["budget"] != 3600 || got["retry_pass"] != 5 {
		t.Errorf("held seconds %v", got)
	}
	if evs := events(sr.Ended()[0]); len(evs) != 2 || evs[0] != "openrouter.bulk.held" {
		t.Errorf("events %v", evs)
	}
}
