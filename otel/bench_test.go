package orotel_test

import (
	"context"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkChatOTel measures a chat call on the fake without an observer
// and with this module's, recording spans in memory and metrics to a
// manual reader.
func BenchmarkChatOTel(b *testing.B) {
	srv := openroutertest.NewServer()
	b.Cleanup(srv.Close)
	ctx := context.Background()
	run := func(b *testing.B, c *openrouter.Client) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.Chat(ctx, hello()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("without", func(b *testing.B) { run(b, srv.Client(openrouter.WithLimiter(nil))) })
	b.Run("with", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		o, err := orotel.New(tp, mp)
		if err != nil {
			b.Fatal(err)
		}
		run(b, srv.Client(openrouter.WithLimiter(nil), openrouter.WithObserver(o)))
	})
}
