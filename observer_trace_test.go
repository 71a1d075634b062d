package openrouter_test

import (
	"context"
	"testing"

	"github.com/routerkit/openrouter"
)

// traceRecorder is an obsRecorder that gives the Broadcast trace of the
// call's context: the span a test put there.
type traceRecorder struct{ obsRecorder }

type spanKey struct{}

func (r *traceRecorder) BroadcastTrace(ctx context.Context) *openrouter.Trace {
	if id, ok := ctx.Value(spanKey{}).(string); ok {
		return &openrouter.Trace{TraceID: "trace-" + id, ParentSpanID: id}
	}
	return nil
}

// A chat's body carries the observer's trace IDs in "trace", merged with
// the caller's other keys; the caller's own IDs, by Trace or Extra, win,
// and the caller's request is not changed.
func TestObserverTraceInBody(t *testing.T) {
	srv, c, _ := setup(t, nil, openrouter.WithObserver(&traceRecorder{}))
	ctx := context.WithValue(context.Background(), spanKey{}, "span1")
	named := hello()
	named.Trace = &openrouter.Trace{TraceName: "job"}
	own := hello()
	own.Trace = &openrouter.Trace{TraceID: "mine"}
	extra := hello()
	extra.Extra = map[string]any{"/trace/parent_span_id": "theirs"}
	custom := hello() // a custom key of the trace object, as Trace's doc says
	custom.Extra = map[string]any{"/trace/custom_key": "x"}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		req  *openrouter.ChatRequest
		want map[string]any // the body's trace; nil: none
	}{
		{"span", ctx, hello(), map[string]any{"trace_id": "trace-span1", "parent_span_id": "span1"}},
		{"merged", ctx, named, map[string]any{"trace_id": "trace-span1", "parent_span_id": "span1", "trace_name": "job"}},
		{"caller's trace", ctx, own, map[string]any{"trace_id": "mine"}},
		{"caller's extra", ctx, extra, map[string]any{"parent_span_id": "theirs"}},
		{"no span", context.Background(), hello(), nil},
		{"caller's custom key", ctx, custom, map[string]any{"trace_id": "trace-span1", "parent_span_id": "span1", "custom_key": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.req.Trace
			if _, err := c.Chat(tc.ctx, tc.req); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			got, _ := reqs[len(reqs)-1].Body["trace"].(map[string]any)
			if len(got) != len(tc.want) {
				t.Fatalf("trace = %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("trace[%s] = %v, want %v", k, got[k], v)
				}
			}
			if tc.req.Trace != before || before != nil && before.ParentSpanID != "" && tc.name == "merged" {
				t.Errorf("the caller's request was changed: %+v", tc.req.Trace)
			}
		})
	}
}

// A Responses request carries the caller's span in its trace object as a
// chat request does (the API's ResponsesRequest has the same "trace"); a
// request with trace IDs of its own keeps them.
func TestObserverTraceInResponsesBody(t *testing.T) {
	srv, c, _ := setup(t, nil, openrouter.WithObserver(&traceRecorder{}))
	ctx := context.WithValue(context.Background(), spanKey{}, "span1")
	req := &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hi")}
	for _, tc := range []struct {
		name  string
		trace *openrouter.Trace
		want  map[string]any
	}{
		{"span", nil, map[string]any{"trace_id": "trace-span1", "parent_span_id": "span1"}},
		{"merged", &openrouter.Trace{TraceName: "job"}, map[string]any{"trace_id": "trace-span1", "parent_span_id": "span1", "trace_name": "job"}},
		{"caller's trace", &openrouter.Trace{TraceID: "mine"}, map[string]any{"trace_id": "mine"}},
	} {
		req.Trace = tc.trace
		if _, err := c.Responses.Create(ctx, req); err != nil {
			t.Fatal(err)
		}
		for range c.Responses.Stream(ctx, req).Events() {
		}
		reqs := srv.Requests()
		for _, r := range reqs[len(reqs)-2:] {
			got, _ := r.Body["trace"].(map[string]any)
			if len(got) != len(tc.want) {
				t.Fatalf("%s: trace = %v, want %v", tc.name, got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: trace[%s] = %v, want %v", tc.name, k, got[k], v)
				}
			}
		}
		if req.Trace != tc.trace {
			t.Errorf("%s: the caller's request was changed", tc.name)
		}
	}
}
