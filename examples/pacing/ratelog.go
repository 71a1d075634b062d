package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
)

// rateLog wraps the limiter for -rate-log: it writes a line for every
// answer that is not a 200 and for every change of the learned rate, with
// the time since the run began, the time Acquire waited, the time the
// attempt took, and the requests in flight after it.
type rateLog struct {
	*openrouter.AdaptiveLimiter
	start time.Time
	mu    sync.Mutex // orders the lines
	out   io.Writer
}

func (l *rateLog) Acquire(ctx context.Context) (func(openrouter.Outcome), error) {
	t0 := time.Now()
	release, err := l.AdaptiveLimiter.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	return func(o openrouter.Outcome) {
		l.mu.Lock()
		defer l.mu.Unlock()
		before := l.LearnedRate()
		release(o)
		after := l.LearnedRate()
		if o.StatusCode == 200 && before == after {
			return
		}
		t2 := time.Now()
		fmt.Fprintf(l.out, "%8.3fs status %d waited %6.1fms took %6.1fms rate %.1f/s -> %.1f/s in flight %d\n",
			t2.Sub(l.start).Seconds(), o.StatusCode, ms(t1.Sub(t0)), ms(t2.Sub(t1)), before, after, l.InFlight())
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
