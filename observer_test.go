package openrouter_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// obsRecorder is an Observer that records every event, in order.
type obsRecorder struct {
	mu     sync.Mutex
	events []string
	starts []openrouter.AttemptStart
	ends   []openrouter.AttemptEnd
	waits  []openrouter.RetryWait
	calls  []openrouter.CallEnd
	ctxOK  bool // CallEnd got the context CallStart returned
}

type obsKey struct{}

func (r *obsRecorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }

func (r *obsRecorder) CallStart(ctx context.Context, e openrouter.CallStart) context.Context {
	r.add("call " + e.Method + " " + e.Path + " " + e.Model)
	return context.WithValue(ctx, obsKey{}, "span")
}
func (r *obsRecorder) AttemptStart(ctx context.Context, e openrouter.AttemptStart) {
	r.add("attempt")
	r.mu.Lock()
	r.starts = append(r.starts, e)
	r.ctxOK = ctx.Value(obsKey{}) == "span"
	r.mu.Unlock()
}
func (r *obsRecorder) AttemptEnd(_ context.Context, e openrouter.AttemptEnd) {
	r.add("attempt end")
	r.mu.Lock()
	r.ends = append(r.ends, e)
	r.mu.Unlock()
}
func (r *obsRecorder) RetryWait(_ context.Context, e openrouter.RetryWait) {
	r.add("wait")
	r.mu.Lock()
	r.waits = append(r.waits, e)
	r.mu.Unlock()
}
func (r *obsRecorder) CallEnd(ctx context.Context, e openrouter.CallEnd) {
	r.add("end")
	r.mu.Lock()
	r.calls = append(r.calls, e)
	r.ctxOK = r.ctxOK && ctx.Value(obsKey{}) == "span"
	r.mu.Unlock()
}

// A retried chat call is seen as one call of two attempts, with the wait
// between them, and its end carries the answer's usage, cost and ID.
func TestObserverSeesRetriedChat(t *testing.T) {
	rec := &obsRecorder{}
	srv, c, _ := setup(t, nil, openrouter.WithObserver(rec))
	srv.Enqueue(openroutertest.Reply{Status: 503, Error: &openroutertest.ErrorBody{Code: 503, Message: "overloaded"}},
		openroutertest.Reply{Content: "Hi", Cost: 0.001})
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"call POST /chat/completions openai/gpt-4o-mini", "attempt", "attempt end", "wait", "attempt", "attempt end", "end"}
	if len(rec.events) != len(want) {
		t.Fatalf("events %q, want %q", rec.events, want)
	}
	for i := range want {
		if rec.events[i] != want[i] {
			t.Fatalf("events %q, want %q", rec.events, want)
		}
	}
	if !rec.ctxOK {
		t.Error("the attempts and the end did not get the context CallStart returned")
	}
	if e := rec.ends[0]; e.Status != http.StatusServiceUnavailable || !e.Retry || e.Err == nil || !e.Written {
		t.Errorf("first attempt's end = %+v", e)
	}
	if e := rec.ends[1]; e.Status != 200 || e.Retry || e.Err != nil || e.Attempt != 2 {
		t.Errorf("second attempt's end = %+v", e)
	}
	if w := rec.waits[0]; w.Attempt != 1 || w.Reason == nil {
		t.Errorf("wait = %+v", w)
	}
	end := rec.calls[0]
	if end.Attempts != 2 || end.Err != nil || end.Usage == nil || end.Usage.TotalCost() != 0.001 || end.GenerationID != res.ID || end.ResponseModel == "" {
		t.Errorf("call end = %+v", end)
	}
}

// A failed call ends once, with its error; a stream ends once, with its
// usage.
func TestObserverEndsFailedCallAndStream(t *testing.T) {
	rec := &obsRecorder{}
	srv, c, _ := setup(t, nil, openrouter.WithObserver(rec), openrouter.WithRetry(0, 0, 0))
	srv.Enqueue(openroutertest.Reply{Status: 400, Error: &openroutertest.ErrorBody{Code: 400, Message: "bad"}})
	if _, err := c.Chat(context.Background(), hello()); err == nil {
		t.Fatal("want an error")
	}
	if len(rec.calls) != 1 || rec.calls[0].Err == nil || rec.calls[0].Status != 400 {
		t.Fatalf("call ends = %+v", rec.calls)
	}
	srv.Enqueue(openroutertest.Reply{Content: "Hi there", Cost: 0.002})
	for _, err := range c.ChatStream(context.Background(), hello()).Chunks() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.calls) != 2 {
		t.Fatalf("call ends = %+v", rec.calls)
	}
	if e := rec.calls[1]; e.Err != nil || e.Usage == nil || e.Usage.TotalCost() != 0.002 {
		t.Errorf("stream's end = %+v", e)
	}
}
