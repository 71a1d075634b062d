package openrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// capacityBody is the docs' capacity_exhausted envelope with its
// availability's retryable member replaced by retryable ("" leaves it
// out).
func capacityBody(retryable string) string {
	r := ""
	if retryable != "" {
		r = `"retryable":` + retryable + `,`
	}
	return `{"error":{"message":"All providers for openai/gpt-4o-mini are at capacity.","error_type":"rate_limit_exceeded","http_status":429,` +
		`"availability":{"code":"capacity_exhausted",` + r + `"requested_models":["openai/gpt-4o-mini"],"docs_url":"https://openrouter.ai/docs/errors#capacity_exhausted"}}}`
}

// TestAvailabilityRetryableAbsent checks that an availability object
// without a usable retryable (missing, null, a number) does not make a
// 429 or a 503 final: the status decides, as without the object; an
// explicit false still stops the retries.
func TestAvailabilityRetryableAbsent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status    int
		retryable string
		retried   bool
	}{
		{429, "", true}, {429, "null", true}, {503, "", true}, {503, "1", true},
		{429, "false", false}, {503, "false", false}, {429, "true", true},
	} {
		srv, c, _ := setup(t, nil)
		srv.Enqueue(ort.Reply{Status: tc.status, Body: capacityBody(tc.retryable)}, ort.TextReply("ok"))
		_, err := c.Chat(context.Background(), hello())
		if got := err == nil; got != tc.retried {
			t.Errorf("%d retryable %q: retried = %v (err %v), want %v", tc.status, tc.retryable, got, err, tc.retried)
		}
	}
	e := parseHTTP(t, 429, capacityBody(""))
	if !e.Retryable() {
		t.Error("Retryable() is false for a 429 whose availability has no retryable")
	}
}

// parseHTTP sends body with status to a client without retries and
// returns its *APIError.
func parseHTTP(t *testing.T, status int, body string) *openrouter.APIError {
	t.Helper()
	srv, c, _ := setup(t, nil, openrouter.WithRetry(0, time.Millisecond, time.Minute))
	srv.Enqueue(ort.Reply{Status: status, Body: body})
	_, err := c.Chat(context.Background(), hello())
	var e *openrouter.APIError
	if !errors.As(err, &e) {
		t.Fatalf("%T %v, want *APIError", err, err)
	}
	return e
}

// TestChoiceErrorLongWaitIsQuota checks that a capacity_exhausted whose
// retry_after passes the client's maximum wait is ErrQuotaExhausted when
// it comes in a choice's error (a 200 body, and a stream chunk without a
// top-level error), as it is over HTTP and as a top-level stream error.
// Both follow some output, so both match ErrMaybeBilled too.
func TestChoiceErrorLongWaitIsQuota(t *testing.T) {
	t.Parallel()
	body := docsError(t, docsCapacityExhausted) // retry_after 40
	srv, c, _ := setup(t, nil, openrouter.WithRetry(2, time.Millisecond, 10*time.Second))
	srv.Enqueue(ort.Reply{Content: "Partial", ChoiceError: body})
	_, err := c.Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrQuotaExhausted", "ErrRateLimited", "ErrMaybeBilled")

	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(docsCapacityExhausted)); err != nil {
		t.Fatal(err)
	}
	obj := strings.TrimSuffix(strings.TrimPrefix(buf.String(), `{"error":`), "}")
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, `data: {"id":"gen-1","choices":[{"index":0,"delta":{"content":"Part"}}]}`+"\n\n")
		fmt.Fprint(w, `data: {"id":"gen-1","choices":[{"index":0,"delta":{"content":""},"finish_reason":"error","error":`+obj+`}]}`+"\n\n")
	}))
	t.Cleanup(hs.Close)
	sc := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil), openrouter.WithRetry(2, time.Millisecond, 10*time.Second))
	_, err = drain(sc.ChatStream(context.Background(), hello()))
	assertSentinels(t, err, "ErrQuotaExhausted", "ErrRateLimited", "ErrMaybeBilled")
}

// TestAvailabilityEchoedKeysRedacted checks that neither key shows when
// a hostile answer echoes both in every availability member, over HTTP,
// in a 200 body and in a stream, whatever the formatting: Error, Hint,
// %v, %+v, %#v of the error and of its Availability, and slog.
func TestAvailabilityEchoedKeysRedacted(t *testing.T) {
	t.Parallel()
	const mgmt = "sk-or-v1-mgmtfedcba9876543210fedcba9876543210fedcba9876543210fedc"
	key := ort.DefaultKey
	echo := func() string {
		q := func(s string) string { return `"` + s + `"` }
		both := `[` + q(key) + `,` + q(mgmt) + `]`
		return `{"message":` + q("bad "+key) + `,"error_type":` + q(mgmt) + `,"http_status":404,"availability":{"code":` + q(mgmt) +
			`,"retryable":false,"requested_models":` + both + `,"affected_providers":` + both + `,"excluded_by":` + both +
			`,"fallback_models":` + both + `,"constraint":{"field":` + q(key) + `,"detail":` + q(mgmt) + `},"docs_url":` + q(key) + `}}`
	}()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", key+" "+mgmt)
		if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, `data: {"id":"g","choices":[{"delta":{"content":"a"}}]}`+"\n\n"+`data: {"id":"g","error":`+echo+`}`+"\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Status") == "200" {
			fmt.Fprint(w, `{"id":"g","error":`+echo+`}`)
			return
		}
		w.WriteHeader(404)
		fmt.Fprint(w, `{"error":`+echo+`}`)
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(key, openrouter.WithBaseURL(hs.URL), openrouter.WithManagementKey(mgmt), openrouter.WithLimiter(nil), openrouter.WithRetry(0, time.Millisecond, time.Minute))
	var errs []error
	_, err := c.Chat(context.Background(), hello())
	errs = append(errs, err)
	_, err = c.Chat(context.Background(), hello(), openrouter.CallHeader("X-Status", "200"))
	errs = append(errs, err)
	_, err = drain(c.ChatStream(context.Background(), hello()))
	errs = append(errs, err)
	for i, err := range errs {
		var e *openrouter.APIError
		if !errors.As(err, &e) || e.Availability == nil {
			t.Fatalf("answer %d: %T %v, want an *APIError with Availability", i, err, err)
		}
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Error("call failed", "err", err, "availability", e.Availability)
		for _, s := range []string{err.Error(), openrouter.Hint(err), fmt.Sprintf("%v %+v %#v", err, err, err),
			fmt.Sprintf("%v %+v %#v", e.Availability, e.Availability, e.Availability), logged.String()} {
			for _, k := range []string{key, mgmt} {
				secret := k[len("sk-or-v1-"):]
				if strings.Contains(s, secret[:16]) || strings.Contains(s, secret[len(secret)-16:]) {
					t.Errorf("answer %d: a key shows in %q", i, s)
				}
			}
		}
	}
}

// TestBudgetInAnswerResets checks that a budget block in OpenRouter's
// words (no limit_source, no resets_at) says when it resets inside a 200
// body and a stream as it does over HTTP.
func TestBudgetInAnswerResets(t *testing.T) {
	t.Parallel()
	body := &ort.ErrorBody{Code: 403, Message: "Workspace monthly budget of $500.00 exceeded. Contact your org admin."}
	srv, c, _ := setup(t, nil, openrouter.WithRetry(0, time.Millisecond, time.Minute))
	srv.Enqueue(ort.Reply{Status: 403, Error: body}, ort.Reply{Error: body}.MidStream(), ort.Reply{Error: body}.MidStream())
	var resets []time.Time
	for _, send := range []func() error{
		func() error { _, err := c.Chat(context.Background(), hello()); return err },
		func() error { _, err := c.Chat(context.Background(), hello()); return err },
		func() error { _, err := drain(c.ChatStream(context.Background(), hello())); return err },
	} {
		err := send()
		var e *openrouter.APIError
		if !errors.As(err, &e) || !errors.Is(err, openrouter.ErrBudgetExceeded) {
			t.Fatalf("%v, want ErrBudgetExceeded", err)
		}
		resets = append(resets, e.Metadata.ResetsAt)
	}
	if resets[0].IsZero() || !resets[1].Equal(resets[0]) || !resets[2].Equal(resets[0]) {
		t.Errorf("ResetsAt over HTTP, in a 200 body, in a stream = %v, want the same first of next month", resets)
	}
}
