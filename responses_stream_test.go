package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// collectEvents ranges over a stream's events and returns their types, the
// text of the output_text deltas, and the error that ended them.
func collectEvents(s *openrouter.ResponseStream) (types []string, text string, err error) {
	for ev, e := range s.Events() {
		if e != nil {
			return types, text, e
		}
		types = append(types, ev.Type)
		if ev.Type == openrouter.EventOutputTextDelta {
			text += ev.Delta
		}
	}
	return types, text, nil
}

func TestResponsesStream(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(openroutertest.Reply{Content: "Checking the weather.",
		ToolCalls: []openroutertest.ToolCall{{ID: "call_7", Name: "get_weather", Arguments: `{"city":"Paris"}`}}})
	s := c.Responses.Stream(context.Background(), helloResponse())
	types, text, err := collectEvents(s)
	if err != nil {
		t.Fatal(err)
	}
	if types[0] != openrouter.EventResponseCreated || types[len(types)-1] != openrouter.EventResponseCompleted {
		t.Errorf("events %v", types)
	}
	res := s.Response()
	if text != "Checking the weather." || res.OutputText() != text {
		t.Errorf("deltas %q, response text %q", text, res.OutputText())
	}
	calls := res.FunctionCalls()
	if len(calls) != 1 || calls[0].CallID != "call_7" || calls[0].Arguments != `{"city":"Paris"}` {
		t.Errorf("function calls %+v", calls)
	}
	if res.Usage == nil || res.Cost() <= 0 || c.Spent() != res.Cost() {
		t.Errorf("usage %+v, spent %v", res.Usage, c.Spent())
	}
	// Events is ranged over once.
	if _, _, err := collectEvents(s); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("second range: %v", err)
	}
}

// TestResponsesStreamAssembles checks the accumulator alone: a stream
// whose final event carries no output has its items built from the
// deltas.
func TestResponsesStreamAssembles(t *testing.T) {
	t.Parallel()
	body := strings.Join([]string{
		`data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}`,
		`data: {"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"type":"message","id":"m1","role":"assistant","content":[]}}`,
		`data: {"type":"response.output_text.delta","sequence_number":2,"output_index":0,"content_index":0,"item_id":"m1","delta":"Hel"}`,
		`data: {"type":"response.output_text.delta","sequence_number":3,"output_index":0,"content_index":0,"item_id":"m1","delta":"lo"}`,
		`data: {"type":"response.output_item.added","sequence_number":4,"output_index":1,"item":{"type":"function_call","id":"f1","call_id":"c1","name":"f","arguments":""}}`,
		`data: {"type":"response.function_call_arguments.delta","sequence_number":5,"output_index":1,"item_id":"f1","delta":"{\"a\":"}`,
		`data: {"type":"response.function_call_arguments.delta","sequence_number":6,"output_index":1,"item_id":"f1","delta":"1}"}`,
		`data: {"type":"response.output_text.delta","sequence_number":7,"output_index":99999999,"content_index":0,"item_id":"x","delta":"ignored"}`,
		`data: {"type":"response.completed","sequence_number":8,"response":{"id":"resp_1","status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3,"cost":0.5}}}`,
		`data: [DONE]`, ``}, "\n\n")
	s := sseClient(t, body).Responses.Stream(context.Background(), helloResponse())
	if _, _, err := collectEvents(s); err != nil {
		t.Fatal(err)
	}
	res := s.Response()
	calls := res.FunctionCalls()
	if res.OutputText() != "Hello" || len(calls) != 1 || calls[0].Arguments != `{"a":1}` || res.Cost() != 0.5 {
		t.Errorf("assembled %+v", res)
	}
}

// sseClient returns a client of a server that answers every request
// with body as an event stream.
func sseClient(t *testing.T, body string) *openrouter.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil))
}

// TestResponsesStreamFailures checks how a stream ends when it breaks:
// typed, with what came kept, and maybe billed when it began.
func TestResponsesStreamFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		reply       openroutertest.Reply
		want        error
		maybeBilled bool
	}{
		{"cut", openroutertest.Reply{Content: "a long answer in pieces", Stream: openroutertest.StreamScript{After: 2, Cut: true}}, openrouter.ErrServer, true},
		{"lost", openroutertest.TextReply("a long answer in pieces").CutAfter(1), openrouter.ErrServer, true},
		{"no completed event", openroutertest.Reply{Content: "hi there", Stream: openroutertest.StreamScript{NoFinish: true}}, openrouter.ErrServer, true},
		{"error event", openroutertest.Reply{Content: "hi there", Error: &openroutertest.ErrorBody{Code: 429, Message: "Provider rate limited"},
			Stream: openroutertest.StreamScript{After: 1}}, openrouter.ErrRateLimited, true}, // inside a 200: after the model began
		{"402 before", openroutertest.ErrorReply(402, "Insufficient credits"), openrouter.ErrInsufficientCredits, false},
		{"html", openroutertest.RawReply(200, "<html>bad gateway</html>"), openrouter.ErrServer, true}, // a 200 that cannot be used
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _ := setup(t, nil)
			srv.Enqueue(tc.reply)
			s := c.Responses.Stream(context.Background(), helloResponse())
			types, _, err := collectEvents(s)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v (after %v); want %v", err, types, tc.want)
			}
			if errors.Is(err, openrouter.ErrMaybeBilled) != tc.maybeBilled {
				t.Errorf("err = %v; maybe billed: want %v", err, tc.maybeBilled)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests; a stream that began is never resent", n)
			}
			if tc.maybeBilled && tc.name != "html" { // a raw reply has no X-Generation-Id
				var se *openrouter.StreamError
				var ae *openrouter.APIError
				if !(errors.As(err, &se) && strings.HasPrefix(se.GenerationID, "resp-gen-") ||
					errors.As(err, &ae) && strings.HasPrefix(ae.RequestID, "resp-gen-")) {
					t.Errorf("err %#v: want the generation ID", err)
				}
			}
		})
	}
}

// TestResponsesStreamStall checks the stall watchdog on a response
// stream: a stream that stops sending after it began ends with
// ErrTimeout, maybe billed, and is not sent again. The timer is fired by
// hand: nothing waits.
func TestResponsesStreamStall(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithStreamTimeouts(0, time.Second))
	timers := openrouter.ManualTimers(c)
	srv.Enqueue(openroutertest.Reply{Content: "a long answer in pieces", Stream: openroutertest.StreamScript{After: 1, Stall: true}})
	var err error
	for ev, e := range c.Responses.Stream(context.Background(), helloResponse()).Events() {
		if e != nil {
			err = e
			break
		}
		if ev.Type == openrouter.EventOutputTextDelta {
			(<-timers)() // the idle wait ends: the server sends nothing more
		}
	}
	var se *openrouter.StreamError
	if !errors.As(err, &se) || !errors.Is(err, openrouter.ErrTimeout) || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Fatalf("err = %v; want a *StreamError matching ErrTimeout and ErrMaybeBilled", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

// TestResponsesStreamUnusableEnd checks that a stream whose final
// response is not usable (no output at all) ends with ErrServer rather
// than an empty success.
func TestResponsesStreamUnusableEnd(t *testing.T) {
	t.Parallel()
	body := `data: {"type":"response.completed","sequence_number":0,"response":{"id":"r","status":"completed","output":[]}}` + "\n\ndata: [DONE]\n\n"
	s := sseClient(t, body).Responses.Stream(context.Background(), helloResponse())
	if _, _, err := collectEvents(s); !errors.Is(err, openrouter.ErrServer) {
		t.Fatalf("err = %v; want ErrServer", err)
	}
}

// TestResponsesStreamUntypedErrors checks error events that do not fit
// the typed event: an OpenRouter error object, and an "error" event
// whose code is a number. Each is the *APIError it stands for.
func TestResponsesStreamUntypedErrors(t *testing.T) {
	t.Parallel()
	created := `data: {"type":"response.created","sequence_number":0,"response":{"id":"r","status":"in_progress","output":[]}}` + "\n\n"
	for name, ev := range map[string]string{
		"error object":   `data: {"error":{"code":429,"message":"Rate limit exceeded"}}`,
		"numeric code":   `data: {"type":"error","code":429,"message":"Rate limit exceeded","param":null,"sequence_number":1}`,
		"documented one": `data: {"type":"error","code":"rate_limit_exceeded","message":"Rate limit exceeded","param":null,"sequence_number":1}`,
	} {
		s := sseClient(t, created+ev+"\n\n").Responses.Stream(context.Background(), helloResponse())
		types, _, err := collectEvents(s)
		var apiErr *openrouter.APIError
		if !errors.Is(err, openrouter.ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RequestID != "r" {
			t.Errorf("%s: err = %v after %v; want an *APIError matching ErrRateLimited, for response r", name, err, types)
		}
	}
}

// TestResponsesStreamIncomplete checks that a stream ending with
// response.incomplete (max_output_tokens) is a finished answer, not an
// error: its status and reason say why it stopped.
func TestResponsesStreamIncomplete(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(openroutertest.Reply{Content: "Cut short", FinishReason: "length"})
	s := c.Responses.Stream(context.Background(), helloResponse())
	types, text, err := collectEvents(s)
	if err != nil {
		t.Fatal(err)
	}
	res := s.Response()
	if types[len(types)-1] != openrouter.EventResponseIncomplete || res.Status != "incomplete" || res.IncompleteDetails == nil ||
		res.IncompleteDetails.Reason != "max_output_tokens" || text != "Cut short" {
		t.Errorf("events %v, response %+v", types, res)
	}
}

// TestResponsesStreamRedactsKey checks that a key echoed in an error
// event never reaches the error.
func TestResponsesStreamRedactsKey(t *testing.T) {
	t.Parallel()
	key := openroutertest.DefaultKey
	body := `data: {"type":"error","code":"server_error","message":"bad key ` + key + `","param":null,"sequence_number":0}` + "\n\n"
	_, _, err := collectEvents(sseClient(t, body).Responses.Stream(context.Background(), helloResponse()))
	if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), key[10:40]) {
		t.Fatalf("err = %v; want an error without the key", err)
	}
}
