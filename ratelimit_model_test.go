package openrouter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Issue 25 item 4: which 429s concern only the request's model. Payloads
// of today's shape: a provider's 429 names it in metadata; the platform's
// carry X-RateLimit-* headers or an OpenRouter limit_source.
func TestModelScoped(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rlHeader := http.Header{"X-Ratelimit-Limit": {"20"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1800000060000"}}
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   bool
	}{
		{"a provider's 429", 429, nil,
			`{"error":{"code":429,"message":"Provider returned error","metadata":{"provider_name":"DeepInfra","raw":"rate limited upstream"}}}`, true},
		{"the platform's 429 (X-RateLimit headers)", 429, rlHeader,
			`{"error":{"code":429,"message":"Rate limit exceeded: free-models-per-min."}}`, false},
		{"the platform's limits in metadata.headers", 429, nil,
			`{"error":{"code":429,"message":"Rate limit exceeded","metadata":{"headers":{"X-RateLimit-Limit":"20","X-RateLimit-Remaining":"0","X-RateLimit-Reset":"1800000060000"},"provider_name":null}}}`, false},
		{"an OpenRouter limit", 429, nil,
			`{"error":{"code":429,"message":"Too many requests in flight","metadata":{"limit_source":"openrouter_in_flight_budget","provider_name":"OpenAI"}}}`, false},
		{"a 429 naming nothing", 429, nil, `{"error":{"code":429,"message":"Too Many Requests"}}`, false},
		{"capacity_exhausted (the docs' payload)", 429, http.Header{"Retry-After": {"40"}},
			`{"error":{"message":"All providers for anthropic/claude-sonnet-4.5 are at capacity. Retry after 40 seconds.","error_type":"rate_limit_exceeded","http_status":429,"availability":{"code":"capacity_exhausted","retryable":true,"retry_after":40,"requested_models":["anthropic/claude-sonnet-4.5"],"affected_providers":["anthropic","amazon-bedrock","google-vertex"],"fallback_models":["anthropic/claude-haiku-4.5"]},"metadata":{"previous_errors":[{"provider":"anthropic","code":"capacity_exhausted","status":429}]}}}`, true},
		{"a provider's 503", 503, nil,
			`{"error":{"code":503,"message":"Provider returned error","metadata":{"provider_name":"DeepInfra"}}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := parseError(tc.status, tc.header, []byte(tc.body), now)
			if got := modelScoped(e); got != tc.want {
				t.Errorf("modelScoped = %v, want %v (metadata %+v, rate limit %+v)", got, tc.want, e.Metadata, e.RateLimit)
			}
		})
	}
	if modelScoped(nil) {
		t.Error("modelScoped(nil) = true")
	}
}

// recordingLimiter keeps what the client reported.
type recordingLimiter struct {
	mu       sync.Mutex
	models   []string
	outcomes []Outcome
}

func (r *recordingLimiter) Acquire(ctx context.Context) (func(Outcome), error) {
	r.mu.Lock()
	r.models = append(r.models, ModelFromContext(ctx))
	r.mu.Unlock()
	return func(o Outcome) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.outcomes = append(r.outcomes, o)
	}, nil
}

// The client tells the limiter the request's model at Acquire, and marks a
// provider's 429 scoped to it in the Outcome.
func TestClientReportsModelScoped429(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":429,"message":"Provider returned error","metadata":{"provider_name":"DeepInfra"}}}`))
	}))
	defer srv.Close()
	rec := &recordingLimiter{}
	c := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(rec))
	// The call's own model wins over one the caller's context names.
	ctx := ContextWithModel(context.Background(), "other/model")
	_, err := c.Chat(ctx, &ChatRequest{Model: "a/busy", Messages: []Message{UserMessage("hi")}})
	if err == nil {
		t.Fatal("no error from a 429")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.models) != 1 || rec.models[0] != "a/busy" {
		t.Errorf("Acquire saw models %q, want [a/busy]", rec.models)
	}
	if len(rec.outcomes) != 1 {
		t.Fatalf("%d outcomes, want 1", len(rec.outcomes))
	}
	if o := rec.outcomes[0]; o.StatusCode != 429 || !o.ModelScoped || o.Model != "a/busy" {
		t.Errorf("outcome %+v, want a 429 scoped to a/busy", o)
	}
}

// stepClock's Sleep moves Now forward at once; set moves it anywhere.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *stepClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// Issue 25 item 4: a 429 scoped to model A (its providers full, with a
// long Retry-After) slows and gates A's requests only: B's go at once, the
// account's learned rate stays unset. A 429 that is the account's still
// slows every model.
func TestModelScoped429SlowsOnlyItsModel(t *testing.T) {
	clk := &stepClock{now: time.Unix(1_800_000_000, 0)}
	l := NewAdaptiveLimiter(LimitInFlight(0))
	l.clock = clk
	a, b := ContextWithModel(context.Background(), "a/busy"), ContextWithModel(context.Background(), "b/free")
	send := func(ctx context.Context, o Outcome) time.Duration {
		t.Helper()
		start := clk.Now()
		rel, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waited := clk.Now().Sub(start)
		clk.advance(10 * time.Millisecond)
		rel(o)
		return waited
	}
	ok := Outcome{StatusCode: 200, RateLimit: RateLimitInfo{Remaining: -1}}
	busy := Outcome{StatusCode: 429, RetryAfter: time.Second, ModelScoped: true, RateLimit: RateLimitInfo{Remaining: -1}}
	for range 20 {
		send(a, ok)
		send(b, ok)
	}
	send(a, busy)
	send(a, busy)
	if got := l.ModelRate("a/busy"); got == 0 {
		t.Fatal("A's rate was not learned from its 429s")
	}
	if got := l.LearnedRate(); got != 0 {
		t.Errorf("the account's rate is %v/s after 429s scoped to model A, want none", got)
	}
	var waitA, waitB time.Duration
	for range 10 {
		waitA += send(a, ok)
		waitB += send(b, ok)
	}
	if waitB != 0 {
		t.Errorf("B's requests waited %v behind A's 429s", waitB)
	}
	if waitA == 0 {
		t.Error("A's requests were not slowed by A's 429s")
	}
	// A long Retry-After scoped to A gates A, not B.
	send(a, Outcome{StatusCode: 429, RetryAfter: 5 * time.Second, ModelScoped: true, RateLimit: RateLimitInfo{Remaining: -1}})
	if w := send(b, ok); w != 0 {
		t.Errorf("B waited %v behind A's gate", w)
	}
	if w := send(a, ok); w < 4*time.Second {
		t.Errorf("A waited %v after a Retry-After of 5s scoped to it, want the gate", w)
	}
	// The account's 429 slows every model.
	send(b, Outcome{StatusCode: 429, RetryAfter: time.Second, RateLimit: RateLimitInfo{Remaining: -1}})
	if l.LearnedRate() == 0 {
		t.Error("the account's 429 did not set the account's rate")
	}
}

// A 429 marked scoped for a request that names no model slows every
// request, as the account's does: it is not lost.
func TestModelScoped429WithoutModelSlowsAll(t *testing.T) {
	clk := &stepClock{now: time.Unix(1_800_000_000, 0)}
	l := NewAdaptiveLimiter(LimitInFlight(0))
	l.clock = clk
	rel, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(10 * time.Millisecond)
	rel(Outcome{StatusCode: 429, RetryAfter: time.Second, ModelScoped: true, RateLimit: RateLimitInfo{Remaining: -1}})
	if l.LearnedRate() == 0 {
		t.Error("a scoped 429 without a model was lost: nothing slows")
	}
}
