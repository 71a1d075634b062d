package openroutertest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WithRateLimit makes the server enforce a token bucket on chat
// completions: perSecond requests a second, bursts of burst. A request
// over it gets 429 "Rate limit exceeded" with Retry-After (see
// WithRetryAfter).
func WithRateLimit(perSecond float64, burst int) Option {
	return func(s *Server) {
		s.bucket = &bucket{rate: perSecond, burst: float64(max(burst, 1)), tokens: float64(max(burst, 1))}
	}
}

// WithMaxConcurrent makes the server answer 429 to a chat completion that
// arrives while n are in flight.
func WithMaxConcurrent(n int) Option { return func(s *Server) { s.maxConcurrent = n } }

// WithRetryAfter sets the Retry-After of the rate-limit 429s (default
// "1"); "" sends none.
func WithRetryAfter(v string) Option { return func(s *Server) { s.retryAfter = v } }

// WithRateLimitHeaders makes the rate-limit 429s carry X-RateLimit-Limit,
// -Remaining and -Reset (Unix milliseconds), as OpenRouter's own platform
// limits do (default off: upstream 429s carry none).
func WithRateLimitHeaders(on bool) Option { return func(s *Server) { s.rlHeaders = on } }

// WithFreeModelLimits makes ":free" models share OpenRouter's free-tier
// limits: perMinute requests in each clock minute and perDay in each UTC
// day (0 for no limit). The daily quota answers 429
// "free-models-per-day" with limit_source "openrouter_free_tier_daily";
// both limits' 429s carry the X-RateLimit-* headers, as OpenRouter's
// own platform limits do.
func WithFreeModelLimits(perMinute, perDay int) Option {
	return func(s *Server) { s.freePerMinute, s.freePerDay = perMinute, perDay }
}

// bucket is a token bucket on the wall clock.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// take spends a token if there is one, and otherwise says how long until
// there will be.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	if !b.last.IsZero() {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}

// rateLimited answers 429 when a limit is exceeded, and reports whether it
// did. It runs when the request arrives, under s.mu.
func (s *Server) rateLimited(w http.ResponseWriter, model string) bool {
	now := time.Now()
	if s.maxConcurrent > 0 && s.inFlight > s.maxConcurrent {
		s.write429(w, now, "Rate limit exceeded: too many concurrent requests", s.maxConcurrent, now.Add(time.Second), false)
		return true
	}
	if strings.HasSuffix(model, ":free") {
		day := now.UTC().Truncate(24 * time.Hour)
		if s.freeDay != day {
			s.freeDay, s.freeDayCount = day, 0
		}
		if s.freePerDay > 0 && s.freeDayCount >= s.freePerDay {
			reset := day.Add(24 * time.Hour)
			s.writeQuota(w, now, reset)
			return true
		}
		minute := now.Truncate(time.Minute)
		if s.freeMinute != minute {
			s.freeMinute, s.freeMinuteCount = minute, 0
		}
		if s.freePerMinute > 0 && s.freeMinuteCount >= s.freePerMinute {
			reset := minute.Add(time.Minute)
			msg := fmt.Sprintf("Rate limit exceeded: limit_rpm/%s. High demand for %s on OpenRouter - limited to %d requests per minute. Please retry shortly.", model, model, s.freePerMinute)
			// RULES.md A6: a platform limit's 429 always carries X-RateLimit-*.
			s.write429(w, now, msg, s.freePerMinute, reset, true, "Retry-After", strconv.Itoa(int(math.Ceil(reset.Sub(now).Seconds()))))
			return true
		}
		s.freeDayCount++
		s.freeMinuteCount++
	}
	if s.bucket != nil {
		if ok, wait := s.bucket.take(now); !ok {
			s.write429(w, now, "Rate limit exceeded", int(s.bucket.rate), now.Add(wait), false)
			return true
		}
	}
	return false
}

// write429 answers a rate-limit 429; extra are header pairs that override
// the defaults. platform says the limit is one of OpenRouter's own
// (free-model requests per minute), whose 429 always carries the
// X-RateLimit-* headers (RULES.md A6: docs api_reference/limits.mdx,
// "When OpenRouter itself returns a 429 error for a platform limit, the
// error response carries X-RateLimit-Limit, X-RateLimit-Remaining, and
// X-RateLimit-Reset"); otherwise WithRateLimitHeaders decides.
func (s *Server) write429(w http.ResponseWriter, now time.Time, msg string, limit int, reset time.Time, platform bool, extra ...string) {
	h := w.Header()
	if s.retryAfter != "" {
		h.Set("Retry-After", s.retryAfter)
	}
	md := map[string]any{"error_type": "rate_limit_exceeded"}
	if s.rlHeaders || platform {
		hs := map[string]string{"X-RateLimit-Limit": strconv.Itoa(limit), "X-RateLimit-Remaining": "0",
			"X-RateLimit-Reset": strconv.FormatInt(reset.UnixMilli(), 10)}
		for k, v := range hs {
			h.Set(k, v)
		}
		md["headers"] = hs
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	writeError(w, http.StatusTooManyRequests, ErrorBody{Code: 429, Message: msg, Metadata: md})
}

// writeQuota answers the free-tier daily quota, headers always included,
// as OpenRouter does.
func (s *Server) writeQuota(w http.ResponseWriter, now, reset time.Time) {
	hs := map[string]string{"X-RateLimit-Limit": strconv.Itoa(s.freePerDay), "X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset": strconv.FormatInt(reset.UnixMilli(), 10)}
	for k, v := range hs {
		w.Header().Set(k, v)
	}
	writeError(w, http.StatusTooManyRequests, ErrorBody{Code: 429,
		Message:  "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
		Metadata: map[string]any{"headers": hs, "limit_source": "openrouter_free_tier_daily"}})
}
