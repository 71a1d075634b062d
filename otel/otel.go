// Package orotel reports an OpenRouter client's calls to OpenTelemetry:
// a span per call following the GenAI semantic conventions, with
// OpenRouter's own attributes (cost, provider, generation ID, attempts,
// maybe-billed attempts); each attempt as a child span (its status,
// number, whether it was written, maybe-billed attempts), with the
// limiter's wait as an event saying what held it; each retry wait as an
// event of the call's span; metrics (requests, tokens, cost, 429s, calls
// in flight, limiter waits by cause, the learned rate); and a bulk run's
// items and batches (see BatchEvent).
//
// A chat request that sets no trace IDs of its own carries the caller's
// span in its "trace" object (trace_id, parent_span_id), where
// OpenRouter's Broadcast reads them to nest the generation under that
// span (guides/features/broadcast, "Linking to External Traces").
//
// It is a module of its own, so that the SDK does not depend on
// OpenTelemetry:
//
//	o, err := orotel.New(tracerProvider, meterProvider)
//	c := openrouter.NewClient(key, openrouter.WithObserver(o))
//
// No prompt or completion is recorded unless the caller opts in with
// [WithContent]; an error is recorded by its name and HTTP status
// (error.type), not its message, which may quote the answer it could not
// read; [WithErrorMessages] opts in to messages.
package orotel

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// scope is the instrumentation scope's name.
const scope = "github.com/routerkit/openrouter/otel"

// Observer is an [openrouter.Observer] that reports to OpenTelemetry.
// It is safe for concurrent use.
type Observer struct {
	tracer      trace.Tracer
	requests    metric.Int64Counter
	attempts    metric.Int64Counter
	rateLimited metric.Int64Counter
	maybeBilled metric.Int64Counter
	tokens      metric.Int64Counter
	cost        metric.Float64Counter
	inFlight    metric.Int64UpDownCounter
	limitWait   metric.Float64Histogram
	rate        metric.Float64Gauge
	firstChunk  metric.Float64Histogram
	recoveries  metric.Int64Counter
	items       metric.Int64Counter
	itemStarts  metric.Int64Counter
	batchReqs   metric.Int64Counter
	batches     metric.Int64Counter
	batchDone   metric.Float64Gauge
	held        metric.Float64Counter
	messages    bool // WithErrorMessages
	content     bool // WithContent (content.go)
}

// Option configures an Observer.
type Option func(*Observer)

// WithErrorMessages records each error's message (its Error()) in the
// spans: a failed span's status, a retry wait's reason, a limiter's or a
// batch's error. Off by default, as a message may quote what the SDK
// could not read (an answer cut in its body, with its completion) or a
// provider's message echoing the prompt; without it an error is
// recorded by its name ([openrouter.ErrorName]) and HTTP status.
func WithErrorMessages() Option { return func(o *Observer) { o.messages = true } }

// errText is what a span records of err: its name and HTTP status, or
// its message with WithErrorMessages.
func (o *Observer) errText(err error) string {
	if o.messages {
		return err.Error()
	}
	name := openrouter.ErrorName(err)
	if e := (*openrouter.APIError)(nil); errors.As(err, &e) && e.StatusCode != 0 {
		return name + " (HTTP " + strconv.Itoa(e.StatusCode) + ")"
	}
	return name
}

// setError marks span as failed with err, by its name (error.type).
func (o *Observer) setError(span trace.Span, err error) {
	span.SetAttributes(attribute.String("error.type", openrouter.ErrorName(err)))
	span.SetStatus(codes.Error, o.errText(err))
}

var (
	_ openrouter.Observer         = (*Observer)(nil)
	_ openrouter.LimiterObserver  = (*Observer)(nil)
	_ openrouter.StreamObserver   = (*Observer)(nil)
	_ openrouter.RecoveryObserver = (*Observer)(nil)
	_ openrouter.TraceObserver    = (*Observer)(nil)
	_ bulk.Observer               = (*Observer)(nil)
	_ bulk.BatchObserver          = (*Observer)(nil)
	_ bulk.HoldObserver           = (*Observer)(nil)
)

// New returns an Observer that records spans with tp and metrics with mp.
func New(tp trace.TracerProvider, mp metric.MeterProvider, opts ...Option) (*Observer, error) {
	m := mp.Meter(scope)
	o := &Observer{tracer: tp.Tracer(scope)}
	for _, opt := range opts {
		opt(o)
	}
	var errs [17]error
	o.requests, errs[0] = m.Int64Counter("openrouter.requests", metric.WithDescription("API calls ended"))
	o.attempts, errs[1] = m.Int64Counter("openrouter.attempts", metric.WithDescription("HTTP attempts sent"))
	o.rateLimited, errs[2] = m.Int64Counter("openrouter.rate_limited", metric.WithDescription("attempts answered 429"))
	o.maybeBilled, errs[3] = m.Int64Counter("openrouter.maybe_billed", metric.WithDescription("attempts whose answer was lost after they were sent"))
	o.tokens, errs[4] = m.Int64Counter("gen_ai.client.token.usage", metric.WithUnit("{token}"), metric.WithDescription("tokens used, by gen_ai.token.type"))
	o.cost, errs[5] = m.Float64Counter("openrouter.cost", metric.WithUnit("USD"), metric.WithDescription("what the answers cost"))
	o.inFlight, errs[6] = m.Int64UpDownCounter("openrouter.in_flight", metric.WithDescription("calls running"))
	o.limitWait, errs[7] = m.Float64Histogram("openrouter.limiter.wait", metric.WithUnit("s"), metric.WithDescription("attempts' waits for the limiter"))
	o.rate, errs[8] = m.Float64Gauge("openrouter.limiter.learned_rate", metric.WithUnit("{request}/s"), metric.WithDescription("the limiter's learned rate, the account's or a model's (by gen_ai.request.model); 0 is none"))
	o.firstChunk, errs[9] = m.Float64Histogram("gen_ai.client.time_to_first_chunk", metric.WithUnit("s"), metric.WithDescription("a stream's time to its first chunk"))
	o.recoveries, errs[10] = m.Int64Counter("openrouter.recoveries", metric.WithDescription("lost answers looked up, by openrouter.recovered"))
	o.items, errs[11] = m.Int64Counter("openrouter.bulk.items", metric.WithDescription("bulk items ended, by openrouter.bulk.status (done, failed, not_attempted, again) and openrouter.maybe_billed"))
	o.itemStarts, errs[12] = m.Int64Counter("openrouter.bulk.items_started", metric.WithDescription("bulk item runs started"))
	o.batchReqs, errs[13] = m.Int64Counter("openrouter.bulk.batch.requests", metric.WithDescription("a bulk run's batch requests, by openrouter.bulk.request_kind (submit, lookup, poll, result_page): they add up to the Report's"))
	o.batches, errs[14] = m.Int64Counter("openrouter.bulk.batches", metric.WithDescription("batches whose wait ended, by openrouter.batch.status"))
	o.batchDone, errs[15] = m.Float64Gauge("openrouter.bulk.batch.progress", metric.WithUnit("1"), metric.WithDescription("a batch's finished requests (completed or failed) over its total, by openrouter.batch.id, at each poll"))
	o.held, errs[16] = m.Float64Counter("openrouter.bulk.held", metric.WithUnit("s"), metric.WithDescription("a bulk run's waits between passes, by openrouter.bulk.held_cause (budget, retry_pass)"))
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

// operation is the GenAI operation name of an API path (its query left
// out): its route, with IDs as {id} (see route).
func operation(path string) string {
	switch {
	case strings.HasPrefix(path, "/chat/completions"):
		return "chat"
	case strings.HasPrefix(path, "/embeddings"):
		return "embeddings"
	case strings.HasPrefix(path, "/completions"):
		return "text_completion"
	}
	return strings.TrimPrefix(route(path), "/")
}

// routeWords are the words of the API's routes (OpenRouter's OpenAPI
// document's paths, and the batches'); any other segment of a path is an
// ID.
var routeWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`activity analytics app-rankings assignments audio auth benchmarks budgets byok
		chat classifications code coinbase completions content count credits datasets destinations embeddings endpoints
		feedback files generation group-mappings groups guardrails images key keys members messages meta model models
		observability organization presets providers query rankings-daily remove rerank responses scim session-cost speech
		task transcriptions user versions videos workspaces zdr batches beta cancel results`) {
		routeWords[w] = true
	}
}

// route is path without its query, each segment that is not a word of
// the API's routes (an ID: a batch's, a video job's, a key's hash, a
// model's author and slug) replaced by {id}: a span's name and operation
// stay few (OpenTelemetry: a span name is a class of spans, not one).
func route(path string) string {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if !routeWords[s] {
			segs[i] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// urlPath is path without its query (url.path holds none).
func urlPath(path string) string {
	path, _, _ = strings.Cut(path, "?")
	return path
}

// callKey finds a call's record in the context CallStart returned.
type callKey struct{}

// call is what the observer keeps of a call while it runs: the span of
// its attempt in flight.
type call struct {
	mu      sync.Mutex
	attempt trace.Span // nil between attempts
}

// CallStart starts the call's span, a child of ctx's.
func (o *Observer) CallStart(ctx context.Context, e openrouter.CallStart) context.Context {
	op := operation(e.Path)
	name := op
	if e.Model != "" {
		name += " " + e.Model
	}
	ctx, _ = o.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", op),
		attribute.String("gen_ai.provider.name", "openrouter"),
		attribute.String("gen_ai.request.model", e.Model),
		attribute.String("http.request.method", e.Method),
		attribute.String("url.path", urlPath(e.Path)),
		attribute.Bool("openrouter.stream", e.Stream),
	))
	o.inFlight.Add(ctx, 1)
	return context.WithValue(ctx, callKey{}, &call{})
}

// AttemptStart starts the attempt's span, a child of the call's.
func (o *Observer) AttemptStart(ctx context.Context, e openrouter.AttemptStart) {
	o.attempts.Add(ctx, 1)
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return
	}
	_, span := o.tracer.Start(ctx, "attempt", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.Int("openrouter.attempt", e.Attempt)))
	c.mu.Lock()
	if c.attempt != nil {
		c.attempt.End() // not ended by an AttemptEnd: an attempt that never got one
	}
	c.attempt = span
	c.mu.Unlock()
}

// noSpan records nothing.
var noSpan = trace.SpanFromContext(context.Background())

// attemptSpan is the span of ctx's call's attempt in flight; a span that
// records nothing when there is none.
func attemptSpan(ctx context.Context) trace.Span {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return noSpan
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.attempt == nil {
		return noSpan
	}
	return c.attempt
}

// AttemptEnd sets the attempt's status, number, whether it was written
// and the call's maybe-billed attempts on its span, ends it, and counts
// 429s.
func (o *Observer) AttemptEnd(ctx context.Context, e openrouter.AttemptEnd) {
	if e.Status == 429 {
		o.rateLimited.Add(ctx, 1)
	}
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return
	}
	c.mu.Lock()
	span := c.attempt
	c.attempt = nil
	c.mu.Unlock()
	if span == nil {
		return
	}
	span.SetAttributes(
		attribute.Int("openrouter.attempt", e.Attempt),
		attribute.Int("http.response.status_code", e.Status),
		attribute.Bool("openrouter.written", e.Written),
		attribute.Int("openrouter.maybe_billed", e.MaybeBilled),
		attribute.Bool("openrouter.retry", e.Retry),
	)
	if e.Err != nil {
		o.setError(span, e.Err)
	}
	span.End()
}

// RetryWait adds the wait before a retry to the call's span as an event.
func (o *Observer) RetryWait(ctx context.Context, e openrouter.RetryWait) {
	attrs := []attribute.KeyValue{
		attribute.Int("openrouter.attempt", e.Attempt),
		attribute.Float64("openrouter.wait_seconds", e.Wait.Seconds()),
	}
	if e.Reason != nil {
		attrs = append(attrs, attribute.String("openrouter.reason", o.errText(e.Reason)))
	}
	trace.SpanFromContext(ctx).AddEvent("openrouter.retry_wait", trace.WithAttributes(attrs...))
}

// CallEnd sets the answer's attributes on the call's span, ends it, and
// adds the call to the metrics.
func (o *Observer) CallEnd(ctx context.Context, e openrouter.CallEnd) {
	span := trace.SpanFromContext(ctx)
	model := attribute.String("gen_ai.request.model", e.Model)
	attrs := []attribute.KeyValue{
		attribute.Int("openrouter.attempts", e.Attempts),
		attribute.Int("openrouter.maybe_billed", e.MaybeBilled),
		attribute.Int("http.response.status_code", e.Status),
	}
	if e.ResponseModel != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.model", e.ResponseModel))
	}
	if e.GenerationID != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.id", e.GenerationID), attribute.String("openrouter.generation_id", e.GenerationID))
	}
	if e.Provider != "" {
		attrs = append(attrs, attribute.String("openrouter.provider", e.Provider))
	}
	if u := e.Usage; u != nil {
		attrs = append(attrs,
			attribute.Int("gen_ai.usage.input_tokens", u.PromptTokens),
			attribute.Int("gen_ai.usage.output_tokens", u.CompletionTokens),
			attribute.Float64("openrouter.cost_usd", u.TotalCost()))
		o.tokens.Add(ctx, int64(u.PromptTokens), metric.WithAttributes(model, attribute.String("gen_ai.token.type", "input")))
		o.tokens.Add(ctx, int64(u.CompletionTokens), metric.WithAttributes(model, attribute.String("gen_ai.token.type", "output")))
		o.cost.Add(ctx, u.TotalCost(), metric.WithAttributes(model))
	}
	span.SetAttributes(attrs...)
	outcome := "ok"
	if e.Err != nil {
		outcome = "error"
		o.setError(span, e.Err)
	}
	o.requests.Add(ctx, 1, metric.WithAttributes(model, attribute.String("openrouter.outcome", outcome)))
	if e.MaybeBilled > 0 {
		o.maybeBilled.Add(ctx, int64(e.MaybeBilled), metric.WithAttributes(model))
	}
	o.inFlight.Add(ctx, -1)
	if c, _ := ctx.Value(callKey{}).(*call); c != nil {
		c.mu.Lock()
		if c.attempt != nil { // an attempt without its AttemptEnd
			c.attempt.End()
			c.attempt = nil
		}
		c.mu.Unlock()
	}
	span.End()
}

// LimiterWait records an attempt's wait for the limiter, by its cause
// (openrouter.limiter.cause: slot, gate, pace, model_gate, model_pace; ""
// for a limiter that does not say), and adds an event to the attempt's
// span when it waited, with the length of each part.
func (o *Observer) LimiterWait(ctx context.Context, e openrouter.LimiterWait) {
	cause := attribute.String("openrouter.limiter.cause", e.Cause())
	o.limitWait.Record(ctx, e.Wait.Seconds(), metric.WithAttributes(cause))
	if e.Wait <= 0 && e.Err == nil {
		return
	}
	attrs := []attribute.KeyValue{attribute.Float64("openrouter.wait_seconds", e.Wait.Seconds()), cause}
	for _, p := range [...]struct {
		key string
		d   time.Duration
	}{{"openrouter.limiter.slot_seconds", e.Slot}, {"openrouter.limiter.gate_seconds", e.Gate}, {"openrouter.limiter.pace_seconds", e.Pace},
		{"openrouter.limiter.model_gate_seconds", e.ModelGate}, {"openrouter.limiter.model_pace_seconds", e.ModelPace}} {
		if p.d > 0 {
			attrs = append(attrs, attribute.Float64(p.key, p.d.Seconds()))
		}
	}
	if e.Err != nil {
		attrs = append(attrs, attribute.String("error.message", o.errText(e.Err)))
	}
	attemptSpan(ctx).AddEvent("openrouter.limiter_wait", trace.WithAttributes(attrs...))
}

// RateChange records the limiter's learned rate: the account's, or a
// model's (with gen_ai.request.model).
func (o *Observer) RateChange(ctx context.Context, e openrouter.RateChange) {
	attrs := []attribute.KeyValue{attribute.Float64("openrouter.rate", e.Rate), attribute.Float64("openrouter.previous_rate", e.Previous)}
	if e.Model != "" {
		model := attribute.String("gen_ai.request.model", e.Model)
		o.rate.Record(ctx, e.Rate, metric.WithAttributes(model))
		attrs = append(attrs, model)
	} else {
		o.rate.Record(ctx, e.Rate)
	}
	trace.SpanFromContext(ctx).AddEvent("openrouter.rate_change", trace.WithAttributes(attrs...))
}

// FirstChunk records a stream's time to its first chunk.
func (o *Observer) FirstChunk(ctx context.Context, e openrouter.FirstChunk) {
	o.firstChunk.Record(ctx, e.Latency.Seconds(), metric.WithAttributes(attribute.String("gen_ai.request.model", e.Model)))
	trace.SpanFromContext(ctx).AddEvent("gen_ai.first_chunk")
}

// Recovery counts a lookup of a lost answer and adds a span event, with
// the reason it failed; a reason that quotes a lookup's error (which may
// quote the stored prompt or completion) records that error by its name
// instead, unless WithErrorMessages.
func (o *Observer) Recovery(ctx context.Context, e openrouter.Recovery) {
	o.recoveries.Add(ctx, 1, metric.WithAttributes(attribute.Bool("openrouter.recovered", e.Recovered)))
	attrs := []attribute.KeyValue{attribute.String("openrouter.generation_id", e.GenerationID), attribute.Bool("openrouter.recovered", e.Recovered)}
	why := e.Why
	if e.Err != nil && !o.messages {
		step, _, _ := strings.Cut(why, ": ")
		why = step + ": " + o.errText(e.Err)
	}
	if why != "" {
		attrs = append(attrs, attribute.String("openrouter.reason", why))
	}
	trace.SpanFromContext(ctx).AddEvent("openrouter.recovery", trace.WithAttributes(attrs...))
}

// ItemStarted counts a bulk item's run.
func (o *Observer) ItemStarted(ctx context.Context, _ bulk.ItemStarted) {
	o.itemStarts.Add(ctx, 1)
}

// ItemEnded counts a bulk item's end by its status ("again" for an item
// put back in the queue) and whether it may have been billed (an item
// failed or not attempted with an error matching
// openrouter.ErrMaybeBilled): the counts of done, failed and
// not_attempted add up to the Report's, and those with
// openrouter.maybe_billed true to its MaybeBilled.
func (o *Observer) ItemEnded(ctx context.Context, e bulk.ItemEnded) {
	status := "again"
	if !e.Again {
		switch e.Status {
		case bulk.Done:
			status = "done"
		case bulk.Failed:
			status = "failed"
		default:
			status = "not_attempted"
		}
	}
	billed := !e.Again && e.Status != bulk.Done && errors.Is(e.Err, openrouter.ErrMaybeBilled)
	o.items.Add(ctx, 1, metric.WithAttributes(attribute.String("openrouter.bulk.status", status), attribute.Bool("openrouter.maybe_billed", billed)))
}

// RunEnded adds the run's end, with the Report's counts and cost, to the
// span of ctx as an event (the items that did not run are counted by
// their ItemEnded, which the runner sends before it).
func (o *Observer) RunEnded(ctx context.Context, e bulk.RunEnded) {
	trace.SpanFromContext(ctx).AddEvent("openrouter.bulk.run_ended", trace.WithAttributes(
		attribute.Int("openrouter.bulk.done", e.Done), attribute.Int("openrouter.bulk.failed", e.Failed),
		attribute.Int("openrouter.bulk.not_attempted", e.NotAttempted), attribute.Float64("openrouter.cost_usd", e.Cost)))
}

// BroadcastTrace is [Trace]: the client puts it in each chat request
// that sets no trace IDs of its own (see [openrouter.TraceObserver]).
func (o *Observer) BroadcastTrace(ctx context.Context) *openrouter.Trace { return Trace(ctx) }

// RunHeld adds a bulk run's wait between passes to the metrics, by its
// cause, and to the run's span as an event.
func (o *Observer) RunHeld(ctx context.Context, e bulk.RunHeld) {
	cause := attribute.String("openrouter.bulk.held_cause", e.Cause)
	o.held.Add(ctx, e.Wait.Seconds(), metric.WithAttributes(cause))
	attrs := []attribute.KeyValue{cause, attribute.Float64("openrouter.wait_seconds", e.Wait.Seconds())}
	if !e.Until.IsZero() {
		attrs = append(attrs, attribute.String("openrouter.bulk.held_until", e.Until.UTC().Format(time.RFC3339)))
	}
	trace.SpanFromContext(ctx).AddEvent("openrouter.bulk.held", trace.WithAttributes(attrs...))
}

// batchKinds is the Report.Requests kind of each batch phase's requests.
var batchKinds = map[bulk.BatchPhase]string{
	bulk.BatchSubmitted: "submit",
	bulk.BatchLookedUp:  "lookup",
	bulk.BatchEnded:     "poll",
	bulk.BatchCollected: "result_page",
}

// BatchEvent adds a step of a batch's life to the span of ctx (the run's
// caller's) as an event, counts its requests by kind, the batches ended
// by status, a collected batch's cost and tokens (with openrouter.batch
// true: the cost metric adds up to Report.Cost), and records a polled
// batch's progress.
func (o *Observer) BatchEvent(ctx context.Context, e bulk.BatchEvent) {
	id := attribute.String("openrouter.batch.id", e.Batch)
	if kind, ok := batchKinds[e.Phase]; ok && e.Requests > 0 {
		o.batchReqs.Add(ctx, int64(e.Requests), metric.WithAttributes(attribute.String("openrouter.bulk.request_kind", kind)))
	}
	if e.Status != "" && e.Counts.Total > 0 {
		o.batchDone.Record(ctx, float64(e.Counts.Completed+e.Counts.Failed)/float64(e.Counts.Total), metric.WithAttributes(id))
	}
	if e.Phase == bulk.BatchEnded {
		o.batches.Add(ctx, 1, metric.WithAttributes(attribute.String("openrouter.batch.status", string(e.Status))))
	}
	if e.Phase == bulk.BatchCollected {
		// The batch's results: no call's answer carries their usage.
		batch := attribute.Bool("openrouter.batch", true)
		if e.Cost != 0 {
			o.cost.Add(ctx, e.Cost, metric.WithAttributes(batch))
		}
		if e.InputTokens != 0 || e.OutputTokens != 0 {
			o.tokens.Add(ctx, int64(e.InputTokens), metric.WithAttributes(batch, attribute.String("gen_ai.token.type", "input")))
			o.tokens.Add(ctx, int64(e.OutputTokens), metric.WithAttributes(batch, attribute.String("gen_ai.token.type", "output")))
		}
	}
	attrs := []attribute.KeyValue{id, attribute.String("openrouter.batch.token", e.Token), attribute.Int("openrouter.bulk.items", e.Items)}
	if e.Status != "" {
		attrs = append(attrs, attribute.String("openrouter.batch.status", string(e.Status)),
			attribute.Int("openrouter.batch.completed", e.Counts.Completed), attribute.Int("openrouter.batch.failed", e.Counts.Failed),
			attribute.Int("openrouter.batch.total", e.Counts.Total))
	}
	if e.Requests > 0 {
		attrs = append(attrs, attribute.Int("openrouter.requests", e.Requests))
	}
	if e.Phase == bulk.BatchCollected {
		attrs = append(attrs, attribute.Int("openrouter.batch.results", e.Results), attribute.Float64("openrouter.cost_usd", e.Cost))
	}
	if e.Err != nil {
		attrs = append(attrs, attribute.String("error.message", o.errText(e.Err)))
	}
	trace.SpanFromContext(ctx).AddEvent("openrouter.batch."+string(e.Phase), trace.WithAttributes(attrs...))
}

// Trace returns the trace metadata that joins a request's generation, in
// OpenRouter's Broadcast, to ctx's span: the trace ID and the span ID as
// its parent. It returns nil when ctx holds no valid span.
//
//	req.Trace = orotel.Trace(ctx)
func Trace(ctx context.Context) *openrouter.Trace {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	return &openrouter.Trace{TraceID: sc.TraceID().String(), ParentSpanID: sc.SpanID().String()}
}
