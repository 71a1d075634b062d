package orotel_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// A bulk run stopped part way by a 402: its call spans are its requests,
// and the bulk metrics add up to the Report's counts.
func TestBulkMetricsAddUpToReport(t *testing.T) {
	o, sr, reader, _ := newObserver(t)
	srv := openroutertest.NewServer(openroutertest.WithCredits(0.05), openroutertest.WithResponder(func(r openroutertest.Request) openroutertest.Reply {
		rep := r.DefaultReply()
		rep.Cost = 0.01
		return rep
	}))
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithObserver(o), openrouter.WithRetry(0, 0, 0), openrouter.WithLimiter(nil))
	rep := runChats(t, c, o, 30, 1)
	if rep.Done == 0 || rep.NotAttempted == 0 {
		t.Fatalf("report: %d done, %d not attempted: want a run stopped part way", rep.Done, rep.NotAttempted)
	}
	if calls, attempts := split(sr.Ended()); len(calls) != rep.Requests.Sync || len(attempts) != rep.Requests.Sync {
		t.Errorf("%d call spans, %d attempt spans for %d requests", len(calls), len(attempts), rep.Requests.Sync)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	var cost float64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Name != "openrouter.bulk.items" {
					continue
				}
				for _, p := range d.DataPoints {
					v, _ := p.Attributes.Value("openrouter.bulk.status")
					got[v.AsString()] += p.Value
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					cost += p.Value
				}
			}
		}
	}
	if got["done"] != int64(rep.Done) || got["failed"] != int64(rep.Failed) || got["not_attempted"] != int64(rep.NotAttempted) {
		t.Errorf("bulk items %v, report %d done, %d failed, %d not attempted", got, rep.Done, rep.Failed, rep.NotAttempted)
	}
	if d := cost - rep.Cost; d > 1e-9 || d < -1e-9 {
		t.Errorf("cost metric %v, report %v", cost, rep.Cost)
	}
}

// runChats runs a bulk job of n chat calls ("item 0", ...) on c with
// workers workers, observed by o, and returns its report.
func runChats(t *testing.T, c *openrouter.Client, o *orotel.Observer, n, workers int) *bulk.Report[string, string] {
	t.Helper()
	in := make([]string, n)
	for i := range in {
		in[i] = fmt.Sprint("item ", i)
	}
	rep, err := bulk.Runner[string, string]{Workers: workers, Observer: o}.Run(context.Background(), in, func(ctx context.Context, it string) (string, error) {
		res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		if err != nil {
			return "", err
		}
		return res.Content(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
