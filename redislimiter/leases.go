package redislimiter

import (
	"context"
	"time"

	"github.com/routerkit/openrouter"
)

// The leases this process holds: those Redis granted and those of the
// in-process fallback, their registering in Redis, and the IDs to remove
// there once it answers.

// lease is one request this process has in flight.
type lease struct {
	model      string // the request's model ("" when none)
	cut        string // the learned rate's last cut when it was acquired
	mcut       string // the model's learned rate's last cut then
	sent       string // when the learned rate let it go (ms, as the acquire script said)
	msent      string // when the model's learned rate let it go
	fallback   bool   // acquired from the in-process fallback
	registered bool   // a fallback lease Redis was told of: remove it there at release
}

// maxOrphans bounds the IDs kept for removal while Redis cannot be
// reached. Past it an ID is left to its TTL (a lease) or to the queue's
// expiry (a waiter). Only leases Redis knew become orphans (a fallback
// lease released before Redis answered again never does), so the bound is
// reached only after many outages in a row.
const maxOrphans = 1024

// acquireFallback paces in-process while Redis cannot be reached. The cap
// counts every lease this process holds, those Redis granted before it
// stopped answering too. Its leases are held under id, to be counted in
// Redis if it answers again while they are in flight.
func (l *Limiter) acquireFallback(ctx context.Context, id string) (func(openrouter.Outcome), error) {
	if l.cfg.failClosed {
		return nil, ErrUnavailable
	}
	if err := l.holdLocal(ctx, id); err != nil {
		return nil, err
	}
	rel, err := l.fallback.Acquire(ctx)
	if err != nil {
		l.forget(id)
		return nil, err
	}
	return func(o openrouter.Outcome) {
		rel(o)
		l.release(id, o)
	}, nil
}

// holdLocal waits until this process holds fewer leases than the
// fallback's cap (WithFallbackInFlight), and holds one under id.
func (l *Limiter) holdLocal(ctx context.Context, id string) error {
	for {
		l.mu.Lock()
		if n := l.cfg.fallbackInFlight(); n == 0 || len(l.held) < n {
			l.held[id] = lease{fallback: true}
			l.resync = true
			l.mu.Unlock()
			return nil
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// forget removes a held lease and wakes the fallback's waiters. It
// returns the lease.
func (l *Limiter) forget(id string) lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls := l.held[id]
	delete(l.held, id)
	close(l.freed)
	l.freed = make(chan struct{})
	return ls
}

// orphan keeps id for removal from Redis when it answers again, up to
// maxOrphans.
func (l *Limiter) orphan(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.orphans) < maxOrphans {
		l.orphans[id] = true
	}
}

// drop removes id from Redis (a lease, a place in the queue), best
// effort and without waiting: while Redis cannot be reached it is kept for
// later.
func (l *Limiter) drop(id string) {
	l.calls.Add(1)
	go func() {
		defer l.calls.Done()
		if !l.redisDown() {
			if _, err := l.run(context.Background(), dropScript, l.keys, id); err == nil {
				return
			}
		}
		l.orphan(id)
	}()
}

// sync registers the leases this process holds (those of the fallback
// too) when Redis may not count them, and removes the orphans, before
// Acquire asks Redis for a slot.
func (l *Limiter) sync(ctx context.Context) error {
	l.mu.Lock()
	need := l.resync || len(l.orphans) > 0
	l.mu.Unlock()
	if !need {
		return nil
	}
	return l.register(ctx)
}

// register puts every held lease in Redis with a fresh TTL and removes
// the orphans. A lease released while the call ran may have been put
// back after its release removed it: it is removed again.
func (l *Limiter) register(ctx context.Context) error {
	l.mu.Lock()
	args := []any{l.cfg.leaseTTL.Milliseconds(), l.scriptNow(), len(l.held)}
	sent := make([]string, 0, len(l.held))
	for id := range l.held {
		args = append(args, id)
		sent = append(sent, id)
	}
	var orphans []string
	for id := range l.orphans {
		args = append(args, id)
		orphans = append(orphans, id)
	}
	l.mu.Unlock()
	if _, err := l.run(ctx, registerScript, l.keys, args...); err != nil {
		return err
	}
	var gone []string
	l.mu.Lock()
	for _, id := range orphans {
		delete(l.orphans, id)
	}
	for _, id := range sent {
		ls, ok := l.held[id]
		if !ok {
			gone = append(gone, id)
			continue
		}
		ls.registered = true
		l.held[id] = ls
	}
	// A lease taken while the call ran is not in Redis yet.
	l.resync = len(l.held) > len(sent)-len(gone)
	l.mu.Unlock()
	for _, id := range gone {
		l.drop(id)
	}
	return nil
}

// renew registers the leases this process holds, every renewal period,
// so that they outlive neither the process nor a loss of Redis's state.
func (l *Limiter) renew(every time.Duration) {
	defer close(l.done)
	ticks := l.cfg.ticks
	if ticks == nil {
		t := time.NewTicker(every)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-l.stop:
			return
		case <-ticks:
		}
		l.mu.Lock()
		idle := len(l.held) == 0 && len(l.orphans) == 0
		l.mu.Unlock()
		if idle || l.redisDown() {
			continue
		}
		if err := l.register(context.Background()); err != nil {
			l.markDown(err)
		}
	}
}
