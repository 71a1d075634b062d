package orotel_test

import (
	"context"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func setup(t *testing.T) (*openroutertest.Server, *openrouter.Client, *tracetest.SpanRecorder, *sdkmetric.ManualReader, *sdktrace.TracerProvider) {
	t.Helper()
	return setupWith(t, openrouter.WithLimiter(nil))
}

// setupWith is setup with the client's options opts added (after a retry
// of 3 without waits).
func setupWith(t *testing.T, opts ...openrouter.Option) (*openroutertest.Server, *openrouter.Client, *tracetest.SpanRecorder, *sdkmetric.ManualReader, *sdktrace.TracerProvider) {
	t.Helper()
	o, sr, reader, tp := newObserver(t)
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(append([]openrouter.Option{openrouter.WithObserver(o), openrouter.WithRetry(3, 0, 0)}, opts...)...)
	return srv, c, sr, reader, tp
}

// newObserver returns an observer (with opts) that records its spans in
// sr and its metrics for reader, and its tracer provider, for a test to
// start spans of its own.
func newObserver(t *testing.T, opts ...orotel.Option) (o *orotel.Observer, sr *tracetest.SpanRecorder, reader *sdkmetric.ManualReader, tp *sdktrace.TracerProvider) {
	t.Helper()
	sr = tracetest.NewSpanRecorder()
	tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	reader = sdkmetric.NewManualReader()
	o, err := orotel.New(tp, sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return o, sr, reader, tp
}

func hello() *openrouter.ChatRequest {
	return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Hello")}}
}

func attrs(kv []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, a := range kv {
		m[a.Key] = a.Value
	}
	return m
}

// split returns the call spans and the attempt spans, in the order they
// ended.
func split(spans []sdktrace.ReadOnlySpan) (calls, attempts []sdktrace.ReadOnlySpan) {
	for _, s := range spans {
		if s.Name() == "attempt" {
			attempts = append(attempts, s)
		} else {
			calls = append(calls, s)
		}
	}
	return calls, attempts
}

// N calls give N call spans with the GenAI attributes and the cost; the
// retried one shows its wait as an event; the metrics add up.
func TestSpansAndMetrics(t *testing.T) {
	srv, c, sr, reader, _ := setup(t)
	const n = 4
	srv.Enqueue(openroutertest.Reply{Status: 503, Error: &openroutertest.ErrorBody{Code: 503, Message: "overloaded"}})
	for i := 0; i < n; i++ {
		srv.Enqueue(openroutertest.Reply{Content: "Hi", Cost: 0.001})
	}
	ctx := context.Background()
	var inTokens int
	for i := 0; i < n; i++ {
		r, err := c.Chat(ctx, hello())
		if err != nil {
			t.Fatal(err)
		}
		inTokens += r.Usage.PromptTokens
	}
	spans, attempts := split(sr.Ended())
	if len(spans) != n || len(attempts) != n+1 {
		t.Fatalf("%d call spans, %d attempt spans, want %d and %d", len(spans), len(attempts), n, n+1)
	}
	for i, s := range spans {
		a := attrs(s.Attributes())
		if a["gen_ai.operation.name"].AsString() != "chat" || a["gen_ai.request.model"].AsString() != "openai/gpt-4o-mini" ||
			a["gen_ai.response.model"].AsString() == "" || a["gen_ai.usage.output_tokens"].AsInt64() <= 0 ||
			a["openrouter.cost_usd"].AsFloat64() != 0.001 || a["openrouter.generation_id"].AsString() == "" {
			t.Errorf("span %d: %v", i, s.Attributes())
		}
	}
	waits := 0
	for _, ev := range spans[0].Events() {
		if ev.Name == "openrouter.retry_wait" {
			waits++
		}
	}
	if waits != 1 || attrs(spans[0].Attributes())["openrouter.attempts"].AsInt64() != 2 {
		t.Errorf("first call: %d wait events, attributes %v", waits, spans[0].Attributes())
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if m.Name == "gen_ai.client.token.usage" {
						if v, _ := p.Attributes.Value("gen_ai.token.type"); v.AsString() != "input" {
							continue
						}
					}
					got[m.Name] += float64(p.Value)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					got[m.Name] += p.Value
				}
			}
		}
	}
	want := map[string]float64{"openrouter.requests": n, "openrouter.attempts": n + 1, "openrouter.in_flight": 0, "gen_ai.client.token.usage": float64(inTokens)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if d := got["openrouter.cost"] - n*0.001; d > 1e-9 || d < -1e-9 {
		t.Errorf("cost = %v", got["openrouter.cost"])
	}
}

// A failed call's span is an error; Trace carries the caller's span.
func TestErrorSpanAndTrace(t *testing.T) {
	srv, c, sr, _, tp := setup(t)
	srv.Enqueue(openroutertest.Reply{Status: 400, Error: &openroutertest.ErrorBody{Code: 400, Message: "bad"}})
	ctx, parent := tp.Tracer("test").Start(context.Background(), "job")
	req := hello()
	req.Trace = orotel.Trace(ctx)
	if req.Trace == nil || req.Trace.TraceID != parent.SpanContext().TraceID().String() || req.Trace.ParentSpanID != parent.SpanContext().SpanID().String() {
		t.Fatalf("Trace = %+v", req.Trace)
	}
	if _, err := c.Chat(ctx, req); err == nil {
		t.Fatal("want an error")
	}
	spans, _ := split(sr.Ended())
	if len(spans) != 1 || spans[0].Status().Code.String() != "Error" || spans[0].Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Fatalf("spans = %+v", spans)
	}
	if orotel.Trace(context.Background()) != nil {
		t.Error("Trace without a span is not nil")
	}
}

// A chat under the caller's span carries that span's trace and span IDs
// in its body's "trace", for OpenRouter's Broadcast; the call's span is
// the caller's child in the same trace.
func TestBroadcastTraceInBody(t *testing.T) {
	srv, c, sr, _, tp := setup(t)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "job")
	req := hello()
	req.Trace = &openrouter.Trace{TraceName: "nightly"}
	if _, err := c.Chat(ctx, req); err != nil {
		t.Fatal(err)
	}
	parent.End()
	reqs := srv.Requests()
	got, _ := reqs[len(reqs)-1].Body["trace"].(map[string]any)
	sc := parent.SpanContext()
	if got["trace_id"] != sc.TraceID().String() || got["parent_span_id"] != sc.SpanID().String() || got["trace_name"] != "nightly" {
		t.Errorf("body's trace = %v, want the span's IDs %s %s and the caller's name", got, sc.TraceID(), sc.SpanID())
	}
	if req.Trace.TraceID != "" {
		t.Errorf("the caller's request was changed: %+v", req.Trace)
	}
	calls, _ := split(sr.Ended())
	if len(calls) != 2 || calls[0].Parent().SpanID() != sc.SpanID() || calls[0].SpanContext().TraceID() != sc.TraceID() {
		t.Errorf("call span not the caller's child: %+v", calls)
	}
}
