package openrouter

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// outcomeLimiter records the Outcome its one slot is released with.
type outcomeLimiter struct{ got []Outcome }

func (l *outcomeLimiter) Acquire(context.Context) (func(Outcome), error) {
	return func(o Outcome) { l.got = append(l.got, o) }, nil
}

// answerRT answers every request with a 200 carrying header.
type answerRT struct{ header http.Header }

func (t answerRT) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: t.header, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

// TestLimitTransportReadsRateLimitHeaders: the rate-limit and
// Retry-After headers of a 200, sent in any spelling, reach the limiter
// (the transport reads them by the name http.Header stores).
func TestLimitTransportReadsRateLimitHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("x-ratelimit-remaining", "5")
	h.Set("X-RATELIMIT-LIMIT", "20")
	h.Set("retry-after", "3")
	lim := &outcomeLimiter{}
	tr := &limitTransport{base: answerRT{h}, lim: lim}
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/x", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(lim.got) != 1 {
		t.Fatalf("released %d times, want 1", len(lim.got))
	}
	o := lim.got[0]
	if o.RateLimit.Remaining != 5 || o.RateLimit.Limit != 20 {
		t.Errorf("RateLimit = %+v, want Remaining 5, Limit 20", o.RateLimit)
	}
	if o.RetryAfter.Seconds() != 3 {
		t.Errorf("RetryAfter = %v, want 3s", o.RetryAfter)
	}
}
