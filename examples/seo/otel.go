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

// withOTel returns the job's observers with -otel-stdout, the client's
// and the runner's (each event goes to live, then to the OpenTelemetry
// module's observer, exporting to out), ctx with the job's span (every
// call's span is its child, and each chat carries it to OpenRouter's
// Broadcast), and the function that ends the span and flushes the spans
// and metrics.
func withOTel(ctx context.Context, out io.Writer, l *live) (openrouter.Observer, bulk.Observer, context.Context, func(), error) {
	o, tracer, shutdown, err := otelStdout(out)
	if err != nil {
		return nil, nil, ctx, nil, err
	}
	ctx, span := tracer.Start(ctx, "seo job")
	end := func() {
		span.End()
		_ = shutdown(context.WithoutCancel(ctx))
	}
	return openrouter.JoinObservers(l, o), bulk.JoinObservers(l, o), ctx, end, nil
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
