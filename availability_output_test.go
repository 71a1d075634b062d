package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestAvailabilityAfterOutputIsMaybeBilled checks that a retryable
// availability error that follows some of the model's output (a 200 body
// with content, a stream after chunks) matches ErrMaybeBilled and is not
// sent again: OpenRouter answers 200 only once the model started, and
// output shows that it ran. The same error before any output (the
// stream's first event) is not maybe billed, and retryable as
// error.availability says (a stream is not retried once its 200 came:
// the caller, or the bulk runner, may send it again).
func TestAvailabilityAfterOutputIsMaybeBilled(t *testing.T) {
	t.Parallel()
	retryable := func() *ort.ErrorBody {
		e := ort.AvailabilityError("temporarily_unavailable", "openai/gpt-4o-mini")
		e.Availability.Retryable = true
		return e
	}
	for _, tc := range []struct {
		name  string
		reply ort.Reply
		send  func(c *openrouter.Client) error
	}{
		{"200 body", ort.Reply{Content: "Partial", ChoiceError: retryable()}, func(c *openrouter.Client) error {
			_, err := c.Chat(context.Background(), hello())
			return err
		}},
		{"stream", ort.Reply{Error: retryable()}.MidStream(), func(c *openrouter.Client) error {
			_, err := drain(c.ChatStream(context.Background(), hello()))
			return err
		}},
	} {
		srv, c, _ := setup(t, nil, openrouter.WithRetry(3, time.Millisecond, time.Minute))
		srv.Enqueue(tc.reply, ort.TextReply("ok"))
		err := tc.send(c)
		if !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.Is(err, openrouter.ErrServer) {
			t.Errorf("%s: err = %v, want ErrMaybeBilled and ErrServer", tc.name, err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("%s: %d requests, want 1: an answer that began is not bought again", tc.name, n)
		}
	}

	srv, c, _ := setup(t, nil, openrouter.WithRetry(3, time.Millisecond, time.Minute))
	srv.Enqueue(ort.Reply{Status: 200, Error: retryable()})
	_, err := drain(c.ChatStream(context.Background(), hello()))
	var e *openrouter.APIError
	if !errors.As(err, &e) || errors.Is(err, openrouter.ErrMaybeBilled) || !e.Retryable() {
		t.Errorf("error as the stream's first event: %v; want a retryable *APIError, not maybe billed", err)
	}
}

// TestResponsesAvailabilityAfterOutputIsMaybeBilled: a Responses stream
// whose response.failed carries an availability error matches
// ErrMaybeBilled once an output delta came, and not before.
func TestResponsesAvailabilityAfterOutputIsMaybeBilled(t *testing.T) {
	t.Parallel()
	const failed = `{"type":"response.failed","response":{"id":"resp_1","object":"response","status":"failed","output":[],` +
		`"error":{"code":"server_error","message":"unavailable","error_type":"provider_unavailable","http_status":503,` +
		`"availability":{"code":"temporarily_unavailable","retryable":true}}}}`
	for _, tc := range []struct {
		name   string
		events []string
		billed bool
	}{
		{"before output", []string{`{"type":"response.created","response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}}`, failed}, false},
		{"after output", []string{`{"type":"response.created","response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}}`,
			`{"type":"response.output_text.delta","output_index":0,"content_index":0,"item_id":"msg_1","delta":"Part"}`, failed}, true},
	} {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, ev := range tc.events {
				fmt.Fprintf(w, "data: %s\n\n", ev)
			}
		}))
		c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil), openrouter.WithRetry(0, time.Millisecond, time.Minute))
		_, _, err := collectEvents(c.Responses.Stream(context.Background(), helloResponse()))
		hs.Close()
		var e *openrouter.APIError
		if !errors.As(err, &e) || e.Availability == nil {
			t.Fatalf("%s: err = %v, want an availability *APIError", tc.name, err)
		}
		if got := errors.Is(err, openrouter.ErrMaybeBilled); got != tc.billed {
			t.Errorf("%s: ErrMaybeBilled = %v, want %v (%v)", tc.name, got, tc.billed, err)
		}
	}
}
