package openrouter_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// slotCounter is a Limiter that counts the slots it gave and not yet
// got back, and reports a learned rate that changes with each attempt.
type slotCounter struct {
	held atomic.Int64
	rate atomic.Int64
}

func (l *slotCounter) Acquire(context.Context) (func(openrouter.Outcome), error) {
	l.held.Add(1)
	return func(openrouter.Outcome) { l.held.Add(-1); l.rate.Add(1) }, nil
}

func (l *slotCounter) LearnedRate() float64 { return float64(l.rate.Load()) }

// panicker is an Observer (with the limiter's and the stream's
// extensions) that panics in the hook named at.
type panicker struct{ at string }

func (p *panicker) hit(name string) {
	if p.at == name {
		panic("observer panics in " + name)
	}
}
func (p *panicker) CallStart(ctx context.Context, _ openrouter.CallStart) context.Context {
	p.hit("CallStart")
	return ctx
}
func (p *panicker) AttemptStart(context.Context, openrouter.AttemptStart) { p.hit("AttemptStart") }
func (p *panicker) AttemptEnd(context.Context, openrouter.AttemptEnd)     { p.hit("AttemptEnd") }
func (p *panicker) RetryWait(context.Context, openrouter.RetryWait)       { p.hit("RetryWait") }
func (p *panicker) CallEnd(context.Context, openrouter.CallEnd)           { p.hit("CallEnd") }
func (p *panicker) LimiterWait(context.Context, openrouter.LimiterWait)   { p.hit("LimiterWait") }
func (p *panicker) RateChange(context.Context, openrouter.RateChange)     { p.hit("RateChange") }
func (p *panicker) FirstChunk(context.Context, openrouter.FirstChunk)     { p.hit("FirstChunk") }

// A panic in an Observer is not recovered by the client: it reaches the
// caller, as a panic of the caller's own code would. But the client
// gives back what the call held (its limiter slot, its answer's body),
// whichever hook panicked, and stays usable: a later call neither finds
// the limiter's slots taken nor waits forever on a catalogue fetch the
// panic left unfinished.
func TestObserverPanicReleasesTheCall(t *testing.T) {
	hooks := []string{"CallStart", "AttemptStart", "LimiterWait", "AttemptEnd", "RetryWait", "CallEnd", "RateChange", "FirstChunk"}
	calls := map[string]func(context.Context, *openrouter.Client) error{
		"chat": func(ctx context.Context, c *openrouter.Client) error { _, err := c.Chat(ctx, hello()); return err },
		"get": func(ctx context.Context, c *openrouter.Client) error {
			_, err := c.Models(ctx, openrouter.ModelFilter{})
			return err
		},
		"stream": func(ctx context.Context, c *openrouter.Client) error {
			for _, err := range c.ChatStream(ctx, hello()).Chunks() {
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
	for _, hook := range hooks {
		for name, call := range calls {
			t.Run(hook+"/"+name, func(t *testing.T) {
				lim := &slotCounter{}
				p := &panicker{at: hook}
				srv, c, _ := setup(t, nil, openrouter.WithLimiter(lim), openrouter.WithObserver(p))
				srv.Enqueue(openroutertest.Reply{Status: 503, Error: &openroutertest.ErrorBody{Code: 503, Message: "overloaded"}})
				func() {
					defer func() { recover() }()
					call(context.Background(), c)
				}()
				if n := lim.held.Load(); n != 0 {
					t.Errorf("%d limiter slots held after the observer's panic in %s", n, hook)
				}
				p.at = ""
				srv.Enqueue(openroutertest.Reply{Content: "Hi", Times: 10})
				// A bound, not a wait: a call left waiting forever (on a
				// catalogue fetch that never ended) fails here.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := call(ctx, c); err != nil {
					t.Errorf("the next call: %v", err)
				}
				if n := lim.held.Load(); n != 0 {
					t.Errorf("%d limiter slots held after a call without a panic", n)
				}
			})
		}
	}
}
