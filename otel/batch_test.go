package orotel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// collect reads the metrics: each int sum by metric and the value of
// attribute key, and each gauge's points.
func collect(t *testing.T, reader *sdkmetric.ManualReader, key attribute.Key) (sums map[string]map[string]int64, gauges map[string][]float64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums, gauges = map[string]map[string]int64{}, map[string][]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if sums[m.Name] == nil {
					sums[m.Name] = map[string]int64{}
				}
				for _, p := range d.DataPoints {
					k := ""
					if v, ok := p.Attributes.Value(key); ok {
						k = v.Emit()
					}
					sums[m.Name][k] += p.Value
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					gauges[m.Name] = append(gauges[m.Name], p.Value)
				}
			}
		}
	}
	return sums, gauges
}

// A batch run, one submission of which was lost: the batch request
// metrics add up to the Report's requests by kind, the items to its
// counts, each batch's progress ends at 1, and the batches' steps are
// events of the caller's span.
func TestBatchMetricsAddUpToReport(t *testing.T) {
	o, sr, reader, tp := newObserver(t)
	clock := openroutertest.NewClock(time.Now().UTC().Truncate(time.Second))
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now))
	t.Cleanup(srv.Close)
	srv.LoseBatchSubmits(1)
	c := srv.Client(openrouter.WithObserver(o), openrouter.WithRetry(0, 0, 0), openrouter.WithLimiter(nil))
	in := make([]string, 25)
	for i := range in {
		in[i] = fmt.Sprint("item ", i)
	}
	m := bulk.BatchMode[string, string]{
		Client: c,
		Request: func(s string) (*openrouter.ChatRequest, error) {
			return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 50, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
		},
		Result: func(_ context.Context, _ string, ans *openrouter.ChatResponse) (string, error) {
			return ans.Content(), nil
		},
		ChunkSize: 10,
		Wait: openrouter.BatchWait{MinInterval: time.Nanosecond, MaxInterval: time.Nanosecond,
			OnPoll: func(*openrouter.Batch) { clock.Advance(time.Minute) }},
	}
	ctx, job := tp.Tracer("test").Start(context.Background(), "job")
	rep, err := bulk.Runner[string, string]{Observer: o}.RunBatch(ctx, in, m)
	job.End()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != len(in) || len(rep.Batches) != 3 || rep.Requests.Lookups == 0 {
		t.Fatalf("done %d, batches %v, requests %+v", rep.Done, rep.Batches, rep.Requests)
	}
	kinds, gauges := collect(t, reader, "openrouter.bulk.request_kind")
	r := rep.Requests
	want := map[string]int64{"submit": int64(r.Submits), "lookup": int64(r.Lookups), "poll": int64(r.Polls), "result_page": int64(r.ResultPages)}
	for k, v := range want {
		if kinds["openrouter.bulk.batch.requests"][k] != v {
			t.Errorf("batch requests %v, report %+v", kinds["openrouter.bulk.batch.requests"], r)
			break
		}
	}
	statuses, _ := collect(t, reader, "openrouter.bulk.status")
	if statuses["openrouter.bulk.items"]["done"] != int64(rep.Done) || statuses["openrouter.bulk.items_started"][""] != int64(rep.InBatch) {
		t.Errorf("items %v, started %v; report %d done, %d in batch", statuses["openrouter.bulk.items"], statuses["openrouter.bulk.items_started"], rep.Done, rep.InBatch)
	}
	byStatus, _ := collect(t, reader, "openrouter.batch.status")
	if byStatus["openrouter.bulk.batches"]["completed"] != 3 {
		t.Errorf("batches ended %v", byStatus["openrouter.bulk.batches"])
	}
	if p := gauges["openrouter.bulk.batch.progress"]; len(p) != 3 || p[0] != 1 || p[1] != 1 || p[2] != 1 {
		t.Errorf("batch progress %v, want 3 batches at 1", p)
	}
	var steps []string
	for _, s := range sr.Ended() {
		if s.Name() == "job" {
			for _, ev := range s.Events() {
				if len(steps) == 0 || steps[len(steps)-1] != ev.Name {
					steps = append(steps, ev.Name)
				}
			}
		}
	}
	if len(steps) == 0 || steps[0] != "openrouter.batch.submitted" || steps[len(steps)-1] != "openrouter.bulk.run_ended" {
		t.Errorf("job span events %v", steps)
	}
}

// A 429 is counted, and the rate the limiter learned from it is the
// learned-rate gauge's; the limiter's waits are recorded by cause.
func TestRateLimitMetrics(t *testing.T) {
	lim := openrouter.NewAdaptiveLimiter()
	srv, c, _, reader, _ := setupWith(t, openrouter.WithLimiter(lim), openrouter.WithRetry(0, 0, 0))
	srv.Enqueue(openroutertest.Reply{Status: 429, Error: &openroutertest.ErrorBody{Code: 429, Message: "slow down"}})
	if _, err := c.Chat(context.Background(), hello()); err == nil {
		t.Fatal("want the 429")
	}
	sums, gauges := collect(t, reader, "openrouter.outcome")
	if sums["openrouter.rate_limited"][""] != 1 || sums["openrouter.requests"]["error"] != 1 || sums["openrouter.in_flight"][""] != 0 {
		t.Errorf("metrics %v", sums)
	}
	if g := gauges["openrouter.limiter.learned_rate"]; lim.LearnedRate() <= 0 || len(g) != 1 || g[0] != lim.LearnedRate() {
		t.Errorf("learned rate gauge %v, limiter's %v", g, lim.LearnedRate())
	}
}
