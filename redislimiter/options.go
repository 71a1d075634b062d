package redislimiter

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

type config struct {
	maxInFlight   int
	fallbackCap   int // the fallback's cap on requests in flight in this process; -1: maxInFlight
	rate          float64
	burst         int
	leaseTTL      time.Duration
	adaptive      bool
	maxGate       time.Duration
	gateThreshold time.Duration
	failClosed    bool
	retryRedis    time.Duration
	callTimeout   time.Duration
	queueAlive    time.Duration
	logger        *slog.Logger
	ticks         <-chan time.Time // the renewal's ticks, a test seam (nil: a ticker every renewEvery)
}

func defaultConfig() config {
	return config{maxInFlight: 5, leaseTTL: 30 * time.Second, adaptive: true, maxGate: 60 * time.Second,
		gateThreshold: 2 * time.Second, retryRedis: 2 * time.Second, callTimeout: 500 * time.Millisecond,
		queueAlive: 2 * time.Second, burst: 1, logger: slog.Default(), fallbackCap: -1}
}

// renewEvery is how often held leases are registered again: a third of
// their TTL, and at most half a second, so that after Redis loses its
// state the leases come back within a short grace.
func (c config) renewEvery() time.Duration { return min(c.leaseTTL/3, 500*time.Millisecond) }

// Option configures a Limiter. The settings it shares with
// openrouter.AdaptiveLimiter have the same names (Limit...).
type Option func(*config) error

// minLeaseTTL is the shortest lease: Redis counts in milliseconds, and a
// lease is renewed several times in its life.
const minLeaseTTL = 30 * time.Millisecond

// LimitInFlight sets the cap on requests in flight across all processes
// (default 5); 0 removes it. A negative n is an error from New.
func LimitInFlight(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("LimitInFlight(%d): the cap cannot be negative", n)
		}
		c.maxInFlight = n
		return nil
	}
}

// LimitRate sets a fixed request rate across all processes, per second,
// with a burst (default: none, the learned rate only); 0 removes it. A
// negative or infinite rate, or a burst under 1 with a rate, is an error
// from New.
func LimitRate(perSecond float64, burst int) Option {
	return func(c *config) error {
		if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
			return fmt.Errorf("LimitRate(%v, %d): the rate must be a finite number >= 0", perSecond, burst)
		}
		if perSecond > 0 && burst < 1 {
			return fmt.Errorf("LimitRate(%v, %d): the burst must be at least 1", perSecond, burst)
		}
		c.rate, c.burst = perSecond, max(burst, 1)
		return nil
	}
}

// LimitAdaptive turns the shared learned rate on or off (default on).
func LimitAdaptive(on bool) Option {
	return func(c *config) error { c.adaptive = on; return nil }
}

// LimitMaxGate sets the longest pause the shared 429 gate imposes
// (default 60s); a longer Retry-After is a quota, not a pause. A negative
// d is an error from New.
func LimitMaxGate(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("LimitMaxGate(%v): the gate cannot be negative", d)
		}
		c.maxGate = d
		return nil
	}
}

// WithLeaseTTL sets how long a slot outlives a process that stops renewing
// it (default 30s). A TTL under 30ms is an error from New.
func WithLeaseTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < minLeaseTTL {
			return fmt.Errorf("WithLeaseTTL(%v): a lease lives at least %v", d, minLeaseTTL)
		}
		c.leaseTTL = d
		return nil
	}
}

// WithRedisTimeout sets how long one Redis call may take (default
// 500ms), within the caller's deadline; a call that takes longer counts
// as Redis being unreachable. A d of 0 or less is an error from New.
func WithRedisTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("WithRedisTimeout(%v): the timeout must be positive", d)
		}
		c.callTimeout = d
		return nil
	}
}

// WithFallbackInFlight sets the cap on requests in flight in this process
// while Redis cannot be reached (default: LimitInFlight's cap). Each
// process's fallback counts only its own requests, those Redis granted
// before it stopped answering included: give each of N processes the
// shared cap divided by N to keep the shared cap during an outage. 0
// removes the cap; a negative n is an error from New.
func WithFallbackInFlight(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("WithFallbackInFlight(%d): the cap cannot be negative", n)
		}
		c.fallbackCap = n
		return nil
	}
}

// fallbackInFlight is the fallback's cap; 0: none.
func (c config) fallbackInFlight() int {
	if c.fallbackCap < 0 {
		return c.maxInFlight
	}
	return c.fallbackCap
}

// FailClosed makes Acquire fail while Redis cannot be reached, instead of
// pacing in-process.
func FailClosed() Option { return func(c *config) error { c.failClosed = true; return nil } }

// WithLogger sets where the fallback warnings go (default: slog's default
// logger). A nil logger is an error from New.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("WithLogger(nil): a logger is required")
		}
		c.logger = l
		return nil
	}
}
