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
func TestChoiceErrorLongWaitIsQuota(t *testing.T) {
	t.Parallel()
	body := docsError(t, docsCapacityExhausted) // retry_after 40
	srv, c, _ := setup(t, nil, openrouter.WithRetry(2, time.Millisecond, 10*time.Second))
	srv.Enqueue(ort.Reply{Content: "Partial", ChoiceError: body})
	_, err := c.Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrQuotaExhausted", "ErrRateLimited")

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
	assertSentinels(t, err, "ErrQuotaExhausted", "ErrRateLimited")
}

// TestReadBalanceManagementKeyRefused checks that when the management key
// is refused (revoked: 401; an ordinary key given as one: 403) ReadBalance
// fails with a hint about that key, not about the API key (which works)
// nor advice to get a management key the caller already gave.
func TestReadBalanceManagementKeyRefused(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithCredits(20))
	t.Cleanup(srv.Close)
	for name, mgmt := range map[string]string{"revoked": "sk-or-v1-revoked-management-key-000000000000000000000000000000", "ordinary": srv.Key} {
		c := srv.Client(openrouter.WithManagementKey(mgmt), openrouter.WithLimiter(nil), openrouter.WithRetry(0, time.Millisecond, time.Minute))
		_, src, err := c.ReadBalance(context.Background())
		if err == nil || src != openrouter.BalanceUnknown {
			t.Fatalf("%s: %v %v, want an error", name, src, err)
		}
		if h := openrouter.Hint(err); !strings.Contains(h, "WithManagementKey") || strings.Contains(h, "API key is missing") {
			t.Errorf("%s: Hint = %q, want one about the management key", name, h)
		}
	}
}

// TestReadBalanceRemainingWithoutLimit checks that a /key answer with a
// limit_remaining but no limit (a hostile or future answer) is not taken
// as the alert's balance while ReadBalance says none can be read: the
// two agree.
func TestReadBalanceRemainingWithoutLimit(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":{"label":"sk-or-v1-abc...xyz","limit":null,"limit_remaining":0.5,"usage":1}}`)
	}))
	t.Cleanup(hs.Close)
	fired := 0
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil),
		openrouter.WithLowBalanceAlert(1, func(float64) { fired++ }))
	_, src, err := c.ReadBalance(context.Background())
	if err != nil || src != openrouter.BalanceUnknown {
		t.Fatalf("ReadBalance: %v %v, want BalanceUnknown", src, err)
	}
	if b, known := c.Balance(); known || fired != 0 {
		t.Errorf("Balance() = %v, %v and the alert fired %d times, though ReadBalance says no balance can be read", b, known, fired)
	}
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

// TestLowBalanceKeyLimitNotReplacedByCredits checks that once the key's
// own limit is read (a key with $0.50 left), reading the account's ample
// credits through the management key does not replace it as the alert's
// balance: the key stops at its limit whatever the account holds.
func TestLowBalanceKeyLimitNotReplacedByCredits(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithCredits(100), ort.WithKeyLimit(0.5))
	t.Cleanup(srv.Close)
	fired := 0
	c := srv.Client(openrouter.WithManagementKey(srv.ManagementKey), openrouter.WithLimiter(nil),
		openrouter.WithLowBalanceAlert(1, func(float64) { fired++ }))
	if usd, src, err := c.ReadBalance(context.Background()); err != nil || src != openrouter.BalanceKeyLimit || usd != 0.5 {
		t.Fatalf("ReadBalance: %v %v %v, want $0.50 from the key's limit", usd, src, err)
	}
	if _, err := c.Credits(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, known := c.Balance(); !known || b != 0.5 || fired != 1 {
		t.Errorf("after Credits: Balance() = %v, %v (alert fired %d times), want the key's $0.50 kept and one alert", b, known, fired)
	}
}

// TestReadBalanceWithManagementKeyAsAPIKey checks that a client created
// with a management key as its only key (for account work) reads the
// account's credits, which that key may read, rather than saying no
// balance can be read.
func TestReadBalanceWithManagementKeyAsAPIKey(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithCredits(20))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	usd, src, err := c.ReadBalance(context.Background())
	if err != nil || src != openrouter.BalanceCredits || usd != 20 {
		t.Errorf("ReadBalance with a management key: %v %v %v, want $20 from the credits", usd, src, err)
	}
}

// TestCheckKeyLabelRedacted checks that a /key answer whose label echoes
// the whole key (a hostile or broken server; OpenRouter masks it) does
// not bring the key into KeyInfo, which programs print (examples/doctor).
func TestCheckKeyLabelRedacted(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"label":%q,"limit":null,"usage":1}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil))
	k, err := c.CheckKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	secret := ort.DefaultKey[len("sk-or-v1-"):]
	if s := fmt.Sprintf("%v %+v", k, k); strings.Contains(s, secret[:16]) {
		t.Errorf("the key shows in %s", s)
	}
}
