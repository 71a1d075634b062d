// Package redislimiter is an openrouter.Limiter shared by every process
// that uses one OpenRouter key: a bulk job split over several workers, or
// a web service with replicas. It keeps in Redis, under a name the caller
// picks (a hash of the key, say, never the key itself):
//
//   - the cap on requests in flight, as leases that expire (and are
//     renewed while held), so that a crashed process does not keep its
//     slots; waiters are served in the order they came, across processes;
//   - the request rate, as GCRA reservations in an atomic script;
//   - the 429 gate: a long Retry-After seen by one process pauses all;
//   - the learned rate, measured between 429s by the same algorithm as
//     openrouter's AdaptiveLimiter.
//
// Its settings have the names of the AdaptiveLimiter's (LimitInFlight,
// LimitRate, LimitAdaptive, LimitMaxGate) and mean the same, across all
// processes.
//
// A 429 scoped to one model (openrouter.Outcome.ModelScoped: its
// providers are full) slows and gates that model's requests only, in
// every process: each model's learned rate and gate are kept in Redis
// too, by the same algorithm.
//
// Every Redis call is bounded by the caller's context, and the calls one
// Acquire makes before Redis grants a slot or says to wait (registering
// the leases held, asking again after Redis lost its state) share one
// short timeout (WithRedisTimeout). When Redis cannot be reached, or does
// not answer in time, it falls back to in-process pacing, with a logged
// warning, and goes back to Redis when it answers again (or, with
// FailClosed, refuses requests instead). The fallback's cap on requests in
// flight (WithFallbackInFlight: each process's share of the shared cap,
// LimitInFlight's by default) counts the slots the process still holds
// from Redis. The requests the fallback let through and still in flight
// are counted in Redis before Redis grants a slot again; those it served
// meanwhile leave nothing there. After Redis loses its state (a restart,
// a flush) every process registers the requests it has in flight before
// new ones are let through: the first process that knew the old state and
// asks again closes the gate for a grace of one renewal period (at most
// 500ms) plus the Redis timeout. A process started after the loss that
// asks before any of them is not held by it.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	lim, err := redislimiter.New(rdb, "openrouter:team-a")
//	if err != nil { ... }
//	defer lim.Close()
//	c := openrouter.NewClient(key, openrouter.WithLimiter(lim))
//
// It also keeps a bulk job's journal (OpenJournal, a bulk.Journal), so
// that a job outlives the machine that ran it.
package redislimiter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/wait"
)

// Limiter is a Redis-backed openrouter.Limiter. It is safe for concurrent
// use; create it with New and Close it when done.
type Limiter struct {
	rdb      redis.UniversalClient
	prefix   string   // "{name}:"
	keys     []string // see scripts.go; a model's two keys follow (modelKeys)
	cfg      config
	fallback *openrouter.AdaptiveLimiter

	// Test seams: the time given to the scripts and the fallback's
	// timing (nil: Redis's TIME, and time.Now), the pacing sleep, the
	// Redis timeout's context, and a hook called each time Acquire is told
	// to wait. The renewal's ticks are config.ticks.
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	withTimeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	waitHook    func(id string)

	mu        sync.Mutex
	held      map[string]lease // lease ID -> lease, from Redis or the fallback
	freed     chan struct{}    // closed, and replaced, when a held lease goes
	orphans   map[string]bool  // IDs to remove from Redis when it answers (at most maxOrphans)
	resync    bool             // register the held leases before acquiring
	inst      string           // the token of Redis's state as last seen
	downUntil time.Time        // Redis failed: use the fallback until then
	warned    bool
	learned   float64
	modelRate map[string]float64 // each model's learned rate as last seen (at most maxModels)

	calls sync.WaitGroup // Redis calls, including those a timeout gave up on
	stop  chan struct{}
	done  chan struct{}
}

// ErrUnavailable is returned by Acquire with FailClosed while Redis cannot
// be reached.
var ErrUnavailable = errors.New("redislimiter: Redis is unreachable")

// New returns a Limiter keeping its state in rdb under name. It fails,
// with an error wrapping openrouter.ErrInvalidRequest, when rdb is nil,
// name is empty, or an option's value cannot be honoured.
func New(rdb redis.UniversalClient, name string, opts ...Option) (*Limiter, error) {
	if rdb == nil {
		return nil, fmt.Errorf("redislimiter: New: nil Redis client: %w", openrouter.ErrInvalidRequest)
	}
	if name == "" {
		return nil, fmt.Errorf("redislimiter: New: empty name: %w", openrouter.ErrInvalidRequest)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("redislimiter: %w: %w", err, openrouter.ErrInvalidRequest)
		}
	}
	p := "{" + name + "}:" // one hash slot, for Redis Cluster
	l := &Limiter{
		rdb: rdb, cfg: cfg, prefix: p, held: map[string]lease{}, orphans: map[string]bool{}, freed: make(chan struct{}),
		modelRate: map[string]float64{},
		keys:      []string{p + "leases", p + "fixed", p + "gate", p + "learn", p + "queue", p + "qalive", p + "qseq", p + "inst"},
		// The fallback paces; the cap is counted here, over the leases held
		// from Redis too.
		fallback: openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(0),
			openrouter.LimitRate(cfg.rate, cfg.burst), openrouter.LimitAdaptive(cfg.adaptive), openrouter.LimitMaxGate(cfg.maxGate)),
		sleep: sleepReal, withTimeout: context.WithTimeout,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go l.renew(cfg.renewEvery())
	return l, nil
}

// Close stops renewing leases (the slots this process still holds expire)
// and waits for the Redis calls under way, including those a timeout gave
// up on: they end at the Redis client's own read timeout.
func (l *Limiter) Close() error {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	l.calls.Wait()
	return nil
}

// LearnedRate returns the shared learned rate as last seen, in requests
// per second; 0 before any 429.
func (l *Limiter) LearnedRate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.learned
}

// ModelRate returns model's shared learned rate as last seen, from the
// 429s scoped to it, in requests per second; 0 before any.
func (l *Limiter) ModelRate(model string) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.modelRate[model]
}

// maxModels bounds the models whose rate ModelRate keeps in memory
// (Redis keeps every model's, for a day after its last request).
const maxModels = 256

// modelKeys returns the keys of a call for model: the name's keys, then
// the model's hash and lease set ("" names none: the scripts leave them
// alone).
func (l *Limiter) modelKeys(model string) []string {
	return append(l.keys[:len(l.keys):len(l.keys)], l.prefix+"model:"+model, l.prefix+"mleases:"+model)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// MaxConcurrent returns the cap on requests in flight; bulk.Runner takes
// it as its default number of workers.
func (l *Limiter) MaxConcurrent() int { return l.cfg.maxInFlight }

// Acquire waits until the shared state lets a request go, its turn among
// the waiters of every process come. Each time it asks Redis (registering
// the leases held first when needed, and again after Redis lost its
// state), the Redis calls share one timeout (WithRedisTimeout): past it,
// the request goes through the fallback.
func (l *Limiter) Acquire(ctx context.Context) (func(openrouter.Outcome), error) {
	id := newID() // one ID for the whole wait: it is the place in the queue, then the lease
	model := openrouter.ModelFromContext(ctx)
	for {
		if l.redisDown() {
			return l.acquireFallback(ctx, id)
		}
		rel, wait, err := l.ask(ctx, id, model)
		switch {
		case err != nil && ctx.Err() != nil:
			l.drop(id) // the script may have run: the lease or the place may be ours
			return nil, ctx.Err()
		case err != nil:
			// The script may have run and its reply been lost: the lease
			// or the place in the queue may be ours. Redis is marked down
			// first, so that it is kept for removal when Redis answers.
			l.markDown(err)
			l.drop(id)
			return l.acquireFallback(ctx, id)
		case rel != nil:
			return rel, nil
		}
		if l.waitHook != nil {
			l.waitHook(id)
		}
		if err := l.sleep(ctx, l.deadlineCheck(ctx, wait)); err != nil {
			l.drop(id) // leave the queue
			return nil, err
		}
	}
}

// ask asks Redis once for a slot, within one Redis timeout for all the
// calls it takes. It returns the release function when a slot was
// granted, or how long to wait before asking again; an error when Redis
// did not answer in time (or ctx ended), after which the caller gives id
// back (drop).
func (l *Limiter) ask(ctx context.Context, id, model string) (func(openrouter.Outcome), time.Duration, error) {
	rctx, cancel := l.withTimeout(ctx, l.cfg.callTimeout)
	defer cancel()
	for {
		if err := l.sync(rctx); err != nil {
			return nil, 0, err
		}
		l.mu.Lock()
		inst := l.inst
		l.mu.Unlock()
		res, err := l.run(rctx, acquireScript, l.modelKeys(model), id, l.cfg.maxInFlight, l.cfg.leaseTTL.Milliseconds(), l.cfg.rate, l.cfg.burst,
			l.scriptNow(), inst, newID(), l.cfg.queueAlive.Milliseconds(), l.grace().Milliseconds(), l.adaptiveArg(), flag(model != ""))
		if err != nil {
			return nil, 0, err
		}
		l.markUp()
		r, _ := res.([]any)
		status, wait, cut := toInt(r, 0), time.Duration(toInt(r, 1))*time.Millisecond, toStr(r, 2)
		switch status {
		case 2: // Redis's state is new (a restart, a flush): register ours first
			l.mu.Lock()
			l.inst, l.resync = toStr(r, 3), true
			l.mu.Unlock()
			continue
		case 1:
			l.mu.Lock()
			l.held[id] = lease{model: model, cut: cut, mcut: toStr(r, 4), sent: toStr(r, 5), msent: toStr(r, 6)}
			l.mu.Unlock()
			if err := l.sleep(ctx, l.deadlineCheck(ctx, wait)); err != nil {
				l.release(id, openrouter.Outcome{})
				return nil, 0, err
			}
			return func(o openrouter.Outcome) { l.release(id, o) }, 0, nil
		}
		return nil, wait, nil
	}
}

// release frees the lease and, for a lease Redis granted, tells Redis the
// outcome.
func (l *Limiter) release(id string, o openrouter.Outcome) {
	ls := l.forget(id)
	if ls.fallback {
		if ls.registered {
			l.drop(id) // Redis answered while it was in flight and counts it
		}
		return
	}
	var reset int64
	if !o.RateLimit.Reset.IsZero() {
		reset = o.RateLimit.Reset.UnixMilli()
	}
	status := o.StatusCode
	if o.Quota {
		status = 0 // a quota 429 teaches nothing, as in the core's limiter
	}
	res, err := l.run(context.Background(), releaseScript, l.modelKeys(ls.model), id, status, o.RetryAfter.Milliseconds(), l.cfg.gateThreshold.Milliseconds(),
		l.cfg.maxGate.Milliseconds(), o.RateLimit.Remaining, reset, l.adaptiveArg(), ls.cut, l.scriptNow(),
		flag(ls.model != ""), flag(o.ModelScoped), ls.mcut, ls.sent, ls.msent)
	if err != nil {
		l.orphan(id) // removed when Redis answers; else its TTL ends it
		l.markDown(err)
		return
	}
	l.noteRates(res, ls.model)
}

// noteRates keeps the learned rates a release returned: the account's,
// and the model's.
func (l *Limiter) noteRates(res any, model string) {
	r, _ := res.([]any)
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, err := strconv.ParseFloat(toStr(r, 0), 64); err == nil {
		l.learned = f
	}
	if model == "" {
		return
	}
	f, err := strconv.ParseFloat(toStr(r, 1), 64)
	if err != nil {
		return
	}
	if _, ok := l.modelRate[model]; !ok && len(l.modelRate) >= maxModels {
		for m := range l.modelRate { // forget one
			delete(l.modelRate, m)
			break
		}
	}
	l.modelRate[model] = f
}

// grace is how long Redis grants no slot after it lost its state, for
// every live process to register the requests it has in flight.
func (l *Limiter) grace() time.Duration { return l.cfg.renewEvery() + l.cfg.callTimeout }

// run runs a script, bounded by ctx and the call timeout. The Redis
// client may not heed the context while its connection hangs: a call
// still running at the timeout is left to finish (at the client's own
// read timeout) in its goroutine, which Close waits for.
func (l *Limiter) run(ctx context.Context, s *redis.Script, keys []string, args ...any) (any, error) {
	ctx, cancel := l.withTimeout(ctx, l.cfg.callTimeout)
	defer cancel()
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	l.calls.Add(1)
	go func() {
		defer l.calls.Done()
		v, err := s.Run(ctx, l.rdb, keys, args...).Result()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("redislimiter: Redis did not answer: %w", ctx.Err())
	}
}

func (l *Limiter) adaptiveArg() string {
	if l.cfg.adaptive {
		return "1"
	}
	return "0"
}

// scriptNow is the time the scripts use, in ms since the epoch; 0 makes
// them read Redis's clock, which every process shares.
func (l *Limiter) scriptNow() int64 {
	if l.now == nil {
		return 0
	}
	return l.now().UnixMilli()
}

func (l *Limiter) clock() time.Time {
	if l.now == nil {
		return time.Now()
	}
	return l.now()
}

func (l *Limiter) redisDown() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.clock().Before(l.downUntil)
}

// markDown switches to the fallback for a while, with one warning per
// outage. Redis may have lost the leases meanwhile: they are registered
// again before the next acquisition.
func (l *Limiter) markDown(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.downUntil = l.clock().Add(l.cfg.retryRedis)
	l.resync = true
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

// errPastDeadline marks a wait longer than the context's deadline allows.
type errPastDeadline struct{ d time.Duration }

func (e errPastDeadline) Error() string {
	return fmt.Sprintf("redislimiter: a wait of %v would pass the context deadline", e.d)
}

func (e errPastDeadline) Unwrap() error { return context.DeadlineExceeded }

// deadlineCheck returns d, or -1 when waiting d would pass ctx's deadline.
func (l *Limiter) deadlineCheck(ctx context.Context, d time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok && d > 0 && dl.Sub(l.clock()) < d {
		return -d
	}
	return d
}

// sleepReal waits d; a negative d is a wait the deadline does not allow.
func sleepReal(ctx context.Context, d time.Duration) error {
	if d < 0 {
		return errPastDeadline{-d}
	}
	return wait.Sleep(ctx, d)
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
