package openrouter_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestQuota429DoesNotSlowTheClient: a 429 that is a quota (a Retry-After
// past the client's maximum wait, or a daily quota) is returned at once
// as ErrQuotaExhausted, and the limiter learns nothing from it: the next
// 50 calls run unpaced and ungated, on the client's own limiter and on a
// limiter it was given.
func TestQuota429DoesNotSlowTheClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		reply  ort.Reply
		shared bool
	}{
		{"retry-after 3600", ort.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("3600"), false},
		{"retry-after 3600, shared limiter", ort.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("3600"), true},
		{"daily quota", ort.ErrorReply(429, "Rate limit exceeded: free-models-per-day. Add credits to unlock 1000 free model requests per day"), true},
		// An http.Client with a Timeout wraps each answer's body.
		{"daily quota, client timeout", ort.ErrorReply(429, "Rate limit exceeded: free-models-per-day. Add credits to unlock 1000 free model requests per day"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := openrouter.NewFakeClock()
			var opts []openrouter.Option
			if tc.shared {
				opts = append(opts, openrouter.WithLimiter(openrouter.NewAdaptiveLimiter()))
			}
			if strings.HasSuffix(tc.name, "client timeout") {
				opts = append(opts, openrouter.WithHTTPClient(&http.Client{Timeout: time.Hour}))
			}
			srv := ort.NewServer()
			t.Cleanup(srv.Close)
			c := srv.Client(opts...)
			lim := c.Limiter().(*openrouter.AdaptiveLimiter)
			openrouter.SetClock(lim, clk)
			srv.Enqueue(tc.reply)
			_, err := c.Chat(context.Background(), hello())
			assertSentinels(t, err, "ErrQuotaExhausted", "ErrRateLimited")
			var e *openrouter.APIError
			if !errors.As(err, &e) || e.Attempts != 1 {
				t.Errorf("err = %#v, want one attempt", err)
			}
			for i := 0; i < 50; i++ {
				if _, err := c.Chat(context.Background(), hello()); err != nil {
					t.Fatal(err)
				}
			}
			if r := lim.LearnedRate(); r != 0 {
				t.Errorf("the limiter learned %.2f requests/s from a quota", r)
			}
			if len(clk.Sleeps) != 0 {
				t.Errorf("the 50 calls after the quota waited %v", clk.Sleeps)
			}
		})
	}
}

// TestRetryAfterWithinMaxWaitGates: the client's maximum wait is the one
// threshold. A 429 whose Retry-After is within it (here 120s, under a
// maximum wait of 5 minutes) is no quota: it is retried, and the client's
// limiter holds every request until then.
func TestRetryAfterWithinMaxWaitGates(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithRetry(3, time.Millisecond, 5*time.Minute))
	clk := openrouter.NewFakeClock()
	openrouter.SetClock(c.Limiter().(*openrouter.AdaptiveLimiter), clk)
	w := &waits{}
	openrouter.SetWaitHook(c, w.hook)
	srv.Enqueue(ort.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("120"))
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	if got := w.all(); len(got) != 1 || got[0] != 120*time.Second {
		t.Errorf("retry waits = %v, want [2m0s]", got)
	}
	if len(clk.Sleeps) != 1 || clk.Sleeps[0] < 119*time.Second {
		t.Errorf("the limiter's waits = %v, want the 2-minute gate", clk.Sleeps)
	}
}
