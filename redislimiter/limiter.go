// Package redislimiter is an openrouter.Limiter shared by every process
// that uses one OpenRouter key: a bulk job split over several workers, or
// a web service with replicas. It keeps in Redis, under a name the caller
// picks (a hash of the key, say, never the key itself):
//
//   - the cap on requests in flight, as leases that expire (and are
//     renewed while held), so that a crashed process does not keep its
//     slots;
//   - the request rate, as GCRA reservations in an atomic script;
//   - the 429 gate: a long Retry-After seen by one process pauses all;
//   - the learned rate, measured between 429s as openrouter's
//     AdaptiveLimiter does.
//
// When Redis cannot be reached it falls back to in-process pacing, with a
// logged warning, and goes back to Redis when it answers again (or, with
// FailClosed, refuses requests instead).
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	lim := redislimiter.New(rdb, "openrouter:team-a")
//	defer lim.Close()
//	c := openrouter.NewClient(key, openrouter.WithLimiter(lim))
package redislimiter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
)

// Limiter is a Redis-backed openrouter.Limiter. It is safe for concurrent
// use; create it with New and Close it when done.
type Limiter struct {
	rdb      redis.UniversalClient
	keys     []string
	cfg      config
	fallback *openrouter.AdaptiveLimiter

	mu        sync.Mutex
	held      map[string]string // lease ID -> last cut seen at acquire
	downUntil time.Time         // Redis failed: use the fallback until then
	warned    bool
	learned   float64

	stop chan struct{}
	done chan struct{}
}

type config struct {
	maxInFlight   int
	rate          float64
	burst         int
	leaseTTL      time.Duration
	adaptive      bool
	maxGate       time.Duration
	gateThreshold time.Duration
	failClosed    bool
	retryRedis    time.Duration
	logger        *slog.Logger
}

// Option configures a Limiter.
type Option func(*config)

// WithMaxInFlight sets the cap on requests in flight across all processes
// (default 5); 0 removes it.
func WithMaxInFlight(n int) Option { return func(c *config) { c.maxInFlight = max(n, 0) } }

// WithRate sets a fixed request rate across all processes, per second,
// with a burst (default: none, the learned rate only).
func WithRate(perSecond float64, burst int) Option {
	return func(c *config) { c.rate, c.burst = max(perSecond, 0), max(burst, 1) }
}

// WithLeaseTTL sets how long a slot outlives a process that stops renewing
// it (default 30s); held slots are renewed every third of it.
func WithLeaseTTL(d time.Duration) Option { return func(c *config) { c.leaseTTL = d } }

// WithAdaptive turns the shared learned rate on or off (default on).
func WithAdaptive(on bool) Option { return func(c *config) { c.adaptive = on } }

// WithMaxGate sets the longest pause the shared 429 gate imposes (default
// 60s); a longer Retry-After is a quota, not a pause.
func WithMaxGate(d time.Duration) Option { return func(c *config) { c.maxGate = d } }

// FailClosed makes Acquire fail while Redis cannot be reached, instead of
// pacing in-process.
func FailClosed() Option { return func(c *config) { c.failClosed = true } }

// WithLogger sets where the fallback warnings go (default: slog's default
// logger).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// ErrUnavailable is returned by Acquire with FailClosed while Redis cannot
// be reached.
var ErrUnavailable = errors.New("redislimiter: Redis is unreachable")

// New returns a Limiter keeping its state in rdb under name.
func New(rdb redis.UniversalClient, name string, opts ...Option) *Limiter {
	cfg := config{maxInFlight: 5, leaseTTL: 30 * time.Second, adaptive: true, maxGate: 60 * time.Second,
		gateThreshold: 2 * time.Second, retryRedis: 2 * time.Second, burst: 1, logger: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	p := "{" + name + "}:" // one hash slot, for Redis Cluster
	l := &Limiter{
		rdb: rdb, cfg: cfg, held: map[string]string{},
		keys: []string{p + "leases", p + "tat", p + "gate", p + "learn"},
		fallback: openrouter.NewAdaptiveLimiter(openrouter.WithMaxConcurrent(cfg.maxInFlight),
			openrouter.WithRequestRate(cfg.rate, cfg.burst), openrouter.WithAdaptive(cfg.adaptive), openrouter.WithMaxGate(cfg.maxGate)),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go l.renew()
	return l
}

// Close stops renewing leases; the slots this process still holds expire.
func (l *Limiter) Close() error {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	return nil
}

// LearnedRate returns the shared learned rate as last seen, in requests
// per second; 0 before any 429.
func (l *Limiter) LearnedRate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.learned
}

// MaxConcurrent returns the cap on requests in flight (for Bulk workers).
func (l *Limiter) MaxConcurrent() int { return l.cfg.maxInFlight }

// Acquire waits until the shared state lets a request go.
func (l *Limiter) Acquire(ctx context.Context) (func(openrouter.Outcome), error) {
	for {
		if l.redisDown() {
			if l.cfg.failClosed {
				return nil, ErrUnavailable
			}
			return l.fallback.Acquire(ctx)
		}
		id := newID()
		res, err := acquireScript.Run(ctx, l.rdb, l.keys, id, l.cfg.maxInFlight, l.cfg.leaseTTL.Milliseconds(), l.cfg.rate, l.cfg.burst).Slice()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			l.markDown(err)
			if l.cfg.failClosed {
				return nil, ErrUnavailable
			}
			return l.fallback.Acquire(ctx)
		}
		l.markUp()
		status, wait, cut := toInt(res, 0), time.Duration(toInt(res, 1))*time.Millisecond, toStr(res, 2)
		if status == 1 {
			l.mu.Lock()
			l.held[id] = cut
			l.mu.Unlock()
			if err := sleep(ctx, wait); err != nil {
				l.release(id, openrouter.Outcome{})
				return nil, err
			}
			return func(o openrouter.Outcome) { l.release(id, o) }, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// release frees the lease and tells Redis the outcome.
func (l *Limiter) release(id string, o openrouter.Outcome) {
	l.mu.Lock()
	cut := l.held[id]
	delete(l.held, id)
	l.mu.Unlock()
	var reset int64
	if !o.RateLimit.Reset.IsZero() {
		reset = o.RateLimit.Reset.UnixMilli()
	}
	adaptive := "0"
	if l.cfg.adaptive {
		adaptive = "1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rate, err := releaseScript.Run(ctx, l.rdb, l.keys, id, o.StatusCode, o.RetryAfter.Milliseconds(), l.cfg.gateThreshold.Milliseconds(),
		l.cfg.maxGate.Milliseconds(), o.RateLimit.Remaining, reset, adaptive, cut).Text()
	if err != nil {
		l.markDown(err) // the lease expires by itself
		return
	}
	if f, err := strconv.ParseFloat(rate, 64); err == nil {
		l.mu.Lock()
		l.learned = f
		l.mu.Unlock()
	}
}

// renew extends the leases this process holds, every third of their TTL.
func (l *Limiter) renew() {
	defer close(l.done)
	t := time.NewTicker(l.cfg.leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		args := []any{l.cfg.leaseTTL.Milliseconds()}
		for id := range l.held {
			args = append(args, id)
		}
		l.mu.Unlock()
		if len(args) == 1 || l.redisDown() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := renewScript.Run(ctx, l.rdb, l.keys[:1], args...).Err(); err != nil {
			l.markDown(err)
		}
		cancel()
	}
}

func (l *Limiter) redisDown() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Now().Before(l.downUntil)
}

// markDown switches to the fallback for a while, with one warning per
// outage.
func (l *Limiter) markDown(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.downUntil = time.Now().Add(l.cfg.retryRedis)
	if !l.warned {
		l.warned = true
		mode := "pacing in-process until it answers"
		if l.cfg.failClosed {
			mode = "refusing requests until it answers"
		}
		l.cfg.logger.Warn("redislimiter: Redis is unreachable; "+mode, "error", err)
	}
}

func (l *Limiter) markUp() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.warned {
		l.warned = false
		l.cfg.logger.Info("redislimiter: Redis answers again; pacing is shared again")
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return fmt.Errorf("redislimiter: a wait of %v would pass the context deadline: %w", d, context.DeadlineExceeded)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func toInt(res []any, i int) int64 {
	if i < len(res) {
		if n, ok := res[i].(int64); ok {
			return n
		}
	}
	return 0
}

func toStr(res []any, i int) string {
	if i < len(res) {
		switch v := res[i].(type) {
		case string:
			return v
		case int64:
			return strconv.FormatInt(v, 10)
		}
	}
	return "0"
}
