package orotel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// metricSums returns, by metric name, the sum of its data points (int
// and float sums alike).
func metricSums(t *testing.T, reader *sdkmetric.ManualReader) map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[m.Name] += float64(p.Value)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					out[m.Name] += p.Value
				}
			}
		}
	}
	return out
}

// allEnded fails unless every span started was ended and no call is
// counted in flight.
func allEnded(t *testing.T, sr *tracetest.SpanRecorder, reader *sdkmetric.ManualReader) {
	t.Helper()
	if s, e := len(sr.Started()), len(sr.Ended()); s != e {
		t.Errorf("%d spans started, %d ended", s, e)
	}
	if f := metricSums(t, reader)["openrouter.in_flight"]; f != 0 {
		t.Errorf("in flight = %v after every call returned", f)
	}
}

// Every call that reports a cost to the client's spending reports it to
// the cost metric too: embeddings, rerank, a transcription and the
// Responses API (a stream too) as well as chat. The metric's total is the client's Spent.
func TestCostMetricCoversEveryEndpoint(t *testing.T) {
	srv, c, sr, reader, _ := setup(t)
	ctx := context.Background()
	srv.Enqueue(openroutertest.Reply{Content: "Hi", Cost: 0.001}, openroutertest.Reply{Content: "Hello", Cost: 0.002})
	if _, err := c.Chat(ctx, hello()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: "openai/text-embedding-3-small", Input: []string{"one text", "two texts"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Rerank(ctx, &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "q", Documents: openrouter.RerankTexts("a b", "c d")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Responses.Create(ctx, &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hi")}); err != nil {
		t.Fatal(err)
	}
	var audio bytes.Buffer
	if _, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Link related articles", Format: openrouter.SpeechMP3}, &audio); err != nil {
		t.Fatal(err)
	}
	before := c.Spent()
	if _, err := c.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{Model: "openai/whisper-large-v3", Reader: &audio}); err != nil {
		t.Fatal(err)
	}
	if c.Spent() == before {
		t.Error("the transcription cost nothing: the check below would not see it")
	}
	for _, err := range c.Responses.Stream(ctx, &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hi")}).Events() {
		if err != nil {
			t.Fatal(err)
		}
	}
	spent := c.Spent()
	got := metricSums(t, reader)["openrouter.cost"]
	if spent <= 0.003 || math.Abs(got-spent) > 1e-9 {
		t.Errorf("cost metric = %v, the client spent %v", got, spent)
	}
	calls, _ := split(sr.Ended())
	for _, s := range calls {
		if _, ok := attrs(s.Attributes())["openrouter.cost_usd"]; !ok && !strings.Contains(s.Name(), "speech") {
			t.Errorf("call span %q has no cost", s.Name())
		}
	}
	allEnded(t, sr, reader)
}

// The API key never reaches a span: not in an error answer that echoes
// it (its status, the retry wait's reason, the attempt's status), nor in
// a model name.
func TestKeyInNoSpan(t *testing.T) {
	srv, c, sr, reader, _ := setup(t)
	key := srv.Key
	echo := &openroutertest.ErrorBody{Code: 503, Message: "no such key " + key}
	srv.Enqueue(openroutertest.Reply{Status: 503, Error: echo}, openroutertest.Reply{Status: 401, Error: &openroutertest.ErrorBody{Code: 401, Message: "bad key " + key}})
	req := hello()
	if _, err := c.Chat(context.Background(), req); err == nil {
		t.Fatal("want an error")
	}
	allEnded(t, sr, reader)
	for _, s := range sr.Ended() {
		check := func(where string, kv []attribute.KeyValue) {
			for _, a := range kv {
				if strings.Contains(a.Value.Emit(), key) {
					t.Errorf("span %q %s %s holds the key: %s", s.Name(), where, a.Key, a.Value.Emit())
				}
			}
		}
		check("attribute", s.Attributes())
		for _, ev := range s.Events() {
			check("event "+ev.Name, ev.Attributes)
		}
		if strings.Contains(s.Status().Description, key) {
			t.Errorf("span %q status holds the key: %s", s.Name(), s.Status().Description)
		}
	}
}

// Every call ends its spans and leaves the in-flight count at 0 whatever
// ends it: a cut, a cancelled context, a stream cut mid-way, a stream
// its reader leaves early, a Responses stream left early.
func TestSpansEndUnderFaults(t *testing.T) {
	srv, c, sr, reader, _ := setup(t)
	ctx := context.Background()
	srv.Enqueue(openroutertest.Reply{Disconnect: true, Times: 4})
	if _, err := c.Chat(ctx, hello()); err == nil {
		t.Error("a cut chat: want an error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Chat(cctx, hello()); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled chat: %v", err)
	}
	srv.Enqueue(openroutertest.Reply{Content: "one two three four five six", Stream: openroutertest.StreamScript{After: 2, Cut: true}})
	for _, err := range c.ChatStream(ctx, hello()).Chunks() {
		if err != nil {
			break
		}
	}
	srv.Enqueue(openroutertest.Reply{Content: "one two three four five six"})
	for range c.ChatStream(ctx, hello()).Chunks() {
		break // left after the first chunk
	}
	for range c.Responses.Stream(ctx, &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hi")}).Events() {
		break
	}
	allEnded(t, sr, reader)
	calls, attempts := split(sr.Ended())
	if len(calls) != 5 {
		t.Errorf("%d call spans for 5 calls", len(calls))
	}
	if len(attempts) == 0 {
		t.Error("no attempt spans")
	}
	_ = sdktrace.ReadOnlySpan(nil)
}

// spanTexts returns every string a span recorded: attribute values,
// event attributes, status descriptions, names.
func spanTexts(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name(), s.Status().Description)
		for _, a := range s.Attributes() {
			out = append(out, a.Value.Emit())
		}
		for _, ev := range s.Events() {
			for _, a := range ev.Attributes {
				out = append(out, a.Value.Emit())
			}
		}
	}
	return out
}

// No completion reaches a span (the module records none unless opted
// in): not through the error of an answer cut in its body, or of a
// Responses output item out of shape, whose messages quote it. The
// spans name the error (error.type) instead; WithErrorMessages opts in.
func TestCompletionInNoSpan(t *testing.T) {
	srv, c, sr, reader, _ := setup(t)
	const secret = "SECRET-COMPLETION-TEXT"
	srv.Enqueue(openroutertest.Reply{Body: `{"id":"gen-1","model":"openai/gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"` + secret + ` and more`})
	_, err := c.Chat(context.Background(), hello())
	if err == nil {
		t.Fatal("want an error")
	}
	t.Logf("the call's error: %v", err)
	srv.Enqueue(openroutertest.Reply{Body: `{"id":"resp-1","object":"response","status":"completed","model":"openai/gpt-4o-mini","output":[{"role":"assistant","content":[{"type":"output_text","text":"` + secret + `"}]}]}`})
	_, err = c.Responses.Create(context.Background(), &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hi")})
	if err == nil {
		t.Fatal("want an error")
	}
	t.Logf("the call's error: %v", err)
	allEnded(t, sr, reader)
	for _, s := range spanTexts(sr.Ended()) {
		if strings.Contains(s, secret) {
			t.Errorf("a span holds the completion: %s", s)
		}
	}
	calls, _ := split(sr.Ended())
	for _, s := range calls {
		if d := s.Status().Description; d != "ErrServer (HTTP 200)" || attrs(s.Attributes())["error.type"].AsString() != "ErrServer" {
			t.Errorf("call span %q: status %q, error.type %v", s.Name(), d, attrs(s.Attributes())["error.type"])
		}
	}

	// Opted in, the message is recorded.
	o, sr2, _, _ := newObserver(t, orotel.WithErrorMessages())
	srv.Enqueue(openroutertest.Reply{Body: `{"id":"gen-1","choices":[{"message":{"content":"` + secret})
	if _, err := srv.Client(openrouter.WithObserver(o), openrouter.WithLimiter(nil)).Chat(context.Background(), hello()); err == nil {
		t.Fatal("want an error")
	}
	if calls, _ := split(sr2.Ended()); len(calls) != 1 || !strings.Contains(calls[0].Status().Description, secret) {
		t.Errorf("WithErrorMessages: call spans %v", spanTexts(calls))
	}
}

// Under 429s, 5xx and cuts, with 8 workers at once, the spans and the
// metrics still add up: an attempt span and an attempt counted per
// request the server saw, a 429 counted per 429 answered, the bulk item
// counts equal to the Report's, every span ended, none in flight.
func TestMetricsAddUpUnderFaults(t *testing.T) {
	o, sr, reader, _ := newObserver(t)
	var n, limited atomic.Int64
	srv := openroutertest.NewServer(openroutertest.WithResponder(func(r openroutertest.Request) openroutertest.Reply {
		switch n.Add(1) % 5 {
		case 1:
			limited.Add(1)
			return openroutertest.Reply{Status: 429, Error: &openroutertest.ErrorBody{Code: 429, Message: "slow down"}}
		case 2:
			return openroutertest.Reply{Status: 502, Error: &openroutertest.ErrorBody{Code: 502, Message: "bad gateway"}}
		case 3:
			return openroutertest.Reply{Disconnect: true}
		}
		rep := r.DefaultReply()
		rep.Cost = 0.001
		return rep
	}))
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithObserver(o), openrouter.WithRetry(2, 0, 0), openrouter.WithLimiter(nil))
	rep := runChats(t, c, o, 60, 8)
	if rep.Failed == 0 || rep.Done == 0 {
		t.Fatalf("report: %d done, %d failed: want both", rep.Done, rep.Failed)
	}
	allEnded(t, sr, reader)
	seen := len(srv.Requests())
	calls, attempts := split(sr.Ended())
	sums := metricSums(t, reader)
	if len(attempts) != seen || int(sums["openrouter.attempts"]) != seen {
		t.Errorf("%d attempt spans, %v attempts counted, %d requests seen by the server", len(attempts), sums["openrouter.attempts"], seen)
	}
	if rep.Requests.Sync != seen || int(sums["openrouter.requests"]) != len(calls) {
		t.Errorf("%d call spans, %v calls counted; report's requests %d, the server's %d", len(calls), sums["openrouter.requests"], rep.Requests.Sync, seen)
	}
	if int64(sums["openrouter.rate_limited"]) != limited.Load() {
		t.Errorf("429s counted %v, answered %d", sums["openrouter.rate_limited"], limited.Load())
	}
	if math.Abs(sums["openrouter.cost"]-rep.Cost) > 1e-9 {
		t.Errorf("cost metric %v, report %v", sums["openrouter.cost"], rep.Cost)
	}
	items, _ := collect(t, reader, "openrouter.bulk.status")
	got := items["openrouter.bulk.items"]
	if got["done"] != int64(rep.Done) || got["failed"] != int64(rep.Failed) || got["not_attempted"] != int64(rep.NotAttempted) {
		t.Errorf("bulk items counted %v, report %d done %d failed %d not attempted", got, rep.Done, rep.Failed, rep.NotAttempted)
	}
}

// Even with WithErrorMessages, neither the API key nor the management
// key reaches a span when every answer echoes the Authorization header
// (a proxy's error page), on a chat and on a keys call.
func TestKeysInNoSpanWithMessages(t *testing.T) {
	const key = "sk-or-v1-1111111111111111111111111111111111111111111111111111111111111111"
	const mgmt = "sk-or-v1-2222222222222222222222222222222222222222222222222222222222222222"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, `{"error":{"code":502,"message":"upstream refused %s","metadata":{"raw":"auth %s"}}}`, r.Header.Get("Authorization"), r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	o, sr, _, _ := newObserver(t, orotel.WithErrorMessages())
	c := openrouter.NewClient(key, openrouter.WithBaseURL(srv.URL), openrouter.WithManagementKey(mgmt), openrouter.WithObserver(o),
		openrouter.WithRetry(1, 0, 0), openrouter.WithLimiter(nil))
	if _, err := c.Chat(context.Background(), hello()); err == nil {
		t.Fatal("want an error")
	}
	if _, err := c.Keys.List(context.Background(), openrouter.KeyListOptions{}); err == nil {
		t.Fatal("want an error")
	}
	if len(sr.Ended()) < 4 {
		t.Fatalf("%d spans", len(sr.Ended()))
	}
	quoted := 0
	for _, s := range spanTexts(sr.Ended()) {
		if strings.Contains(s, key[10:]) || strings.Contains(s, mgmt[10:]) {
			t.Errorf("a span holds a key: %s", s)
		}
		if strings.Contains(s, "upstream refused") {
			quoted++
		}
	}
	if quoted == 0 {
		t.Error("no span recorded the answers' messages: the check above saw nothing")
	}
}

// Call kinds beyond one chat: a ChatJSON whose answer is cut JSON, a batch
// submitted, waited for and read, a lost batch submission (not resent):
// one call span per HTTP call the server saw, every span ended, none in
// flight.
func TestEveryCallKindEndsItsSpans(t *testing.T) {
	clock := openroutertest.NewClock(time.Now())
	o, sr, reader, _ := newObserver(t)
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now))
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithObserver(o), openrouter.WithRetry(2, 0, 0), openrouter.WithLimiter(nil))
	ctx := context.Background()

	type answer struct {
		Title string `json:"title"`
	}
	srv.Enqueue(openroutertest.Reply{Content: `{"title": `}, openroutertest.Reply{Content: `{"title":"ok"}`})
	_, _, _ = openrouter.ChatJSON[answer](ctx, c, hello()) // a cut JSON answer: an error or a repair, spans ended either way
	batch, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: []openrouter.BatchItem{
		{CustomID: "a", Body: hello()}, {CustomID: "b", Body: hello()}}})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	if _, err := c.Batches.Wait(ctx, batch.ID, openrouter.BatchWait{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Batches.ResultMap(ctx, batch.ID); err != nil {
		t.Fatal(err)
	}
	srv.LoseBatchSubmits(1)
	if _, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: []openrouter.BatchItem{{CustomID: "c", Body: hello()}}}); err == nil {
		t.Error("a lost submission: want an error")
	}
	allEnded(t, sr, reader)
	calls, attempts := split(sr.Ended())
	if len(calls) < 6 || len(attempts) < len(calls) {
		t.Errorf("%d attempt spans, %d calls", len(attempts), len(calls))
	}
	sums := metricSums(t, reader)
	if int(sums["openrouter.requests"]) != len(calls) || int(sums["openrouter.attempts"]) != len(attempts) {
		t.Errorf("calls counted %v of %d spans, attempts counted %v of %d spans", sums["openrouter.requests"], len(calls), sums["openrouter.attempts"], len(attempts))
	}
	t.Logf("%d call spans, %d attempt spans", len(calls), len(attempts))
}
