package main

import (
	"context"
	"errors"
	"io"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	orotel "github.com/routerkit/openrouter/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// withOTel returns the job's observer with -otel-stdout (live, and the
// OpenTelemetry module's, exporting to out), ctx with the job's span
// (every call's span is its child, and each chat carries it to
// OpenRouter's Broadcast), and the function that ends the span and
// flushes the spans and metrics.
func withOTel(ctx context.Context, out io.Writer, l *live) (observer, context.Context, func(), error) {
	o, tracer, shutdown, err := otelStdout(out)
	if err != nil {
		return nil, ctx, nil, err
	}
	ctx, span := tracer.Start(ctx, "seo job")
	end := func() {
		span.End()
		_ = shutdown(context.WithoutCancel(ctx))
	}
	return tee{live: l, o: o}, ctx, end, nil
}

// otelStdout returns the OpenTelemetry module's observer, exporting its
// spans and metrics to w as JSON (-otel-stdout), the tracer of the job's
// own span, and the function that flushes them (spans as they end,
// metrics once, at the end).
func otelStdout(w io.Writer) (*orotel.Observer, trace.Tracer, func(context.Context) error, error) {
	te, err := stdouttrace.New(stdouttrace.WithWriter(w))
	if err != nil {
		return nil, nil, nil, err
	}
	me, err := stdoutmetric.New(stdoutmetric.WithWriter(w))
	if err != nil {
		return nil, nil, nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(te))
	reader := sdkmetric.NewPeriodicReader(me)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	o, err := orotel.New(tp, mp)
	if err != nil {
		return nil, nil, nil, err
	}
	shutdown := func(ctx context.Context) error { return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx)) }
	return o, tp.Tracer("seo"), shutdown, nil
}

// observer is what the job observes with: the client's observer and the
// runner's.
type observer interface {
	openrouter.Observer
	bulk.Observer
}

// tee is the job's observer with -otel-stdout: every event goes to live
// (the progress line, -events) and to OpenTelemetry.
type tee struct {
	*live
	o *orotel.Observer
}

var (
	_ openrouter.LimiterObserver  = tee{}
	_ openrouter.StreamObserver   = tee{}
	_ openrouter.RecoveryObserver = tee{}
	_ openrouter.TraceObserver    = tee{}
	_ bulk.BatchObserver          = tee{}
	_ bulk.HoldObserver           = tee{}
)

func (t tee) CallStart(ctx context.Context, e openrouter.CallStart) context.Context {
	return t.o.CallStart(t.live.CallStart(ctx, e), e)
}
func (t tee) AttemptStart(ctx context.Context, e openrouter.AttemptStart) {
	t.live.AttemptStart(ctx, e)
	t.o.AttemptStart(ctx, e)
}
func (t tee) AttemptEnd(ctx context.Context, e openrouter.AttemptEnd) {
	t.live.AttemptEnd(ctx, e)
	t.o.AttemptEnd(ctx, e)
}
func (t tee) RetryWait(ctx context.Context, e openrouter.RetryWait) {
	t.live.RetryWait(ctx, e)
	t.o.RetryWait(ctx, e)
}
func (t tee) CallEnd(ctx context.Context, e openrouter.CallEnd) {
	t.live.CallEnd(ctx, e)
	t.o.CallEnd(ctx, e)
}
func (t tee) LimiterWait(ctx context.Context, e openrouter.LimiterWait) {
	t.live.LimiterWait(ctx, e)
	t.o.LimiterWait(ctx, e)
}
func (t tee) RateChange(ctx context.Context, e openrouter.RateChange) {
	t.live.RateChange(ctx, e)
	t.o.RateChange(ctx, e)
}
func (t tee) FirstChunk(ctx context.Context, e openrouter.FirstChunk) { t.o.FirstChunk(ctx, e) }
func (t tee) Recovery(ctx context.Context, e openrouter.Recovery)     { t.o.Recovery(ctx, e) }
func (t tee) BroadcastTrace(ctx context.Context) *openrouter.Trace {
	return t.o.BroadcastTrace(ctx)
}
func (t tee) ItemStarted(ctx context.Context, e bulk.ItemStarted) {
	t.live.ItemStarted(ctx, e)
	t.o.ItemStarted(ctx, e)
}
func (t tee) ItemEnded(ctx context.Context, e bulk.ItemEnded) {
	t.live.ItemEnded(ctx, e)
	t.o.ItemEnded(ctx, e)
}
func (t tee) RunEnded(ctx context.Context, e bulk.RunEnded) {
	t.live.RunEnded(ctx, e)
	t.o.RunEnded(ctx, e)
}
func (t tee) BatchEvent(ctx context.Context, e bulk.BatchEvent) {
	t.live.BatchEvent(ctx, e)
	t.o.BatchEvent(ctx, e)
}
func (t tee) RunHeld(ctx context.Context, e bulk.RunHeld) {
	t.live.RunHeld(ctx, e)
	t.o.RunHeld(ctx, e)
}
