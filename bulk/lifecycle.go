package bulk

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/wait"
)

func (r *runner[T, R]) finish(i int, s Status, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishLocked(i, s, err)
}

// finishLocked ends item i with status s in the report (and, failed, in
// a shared journal); ended is false when the shared journal refused the
// end because another worker took the item over, which ends it.
func (r *runner[T, R]) finishLocked(i int, s Status, err error) (ended bool) {
	if s == Failed && r.shared != nil && r.endFailedLocked(i, err) {
		return false // lost to another worker, which ends it
	}
	res := &r.rep.Results[i]
	res.Status, res.Err = s, err
	switch s {
	case Done:
		r.rep.Done++
	case Failed:
		r.rep.Failed++
	case NotAttempted:
		r.rep.NotAttempted++
	}
	if s != Done && errors.Is(err, openrouter.ErrMaybeBilled) {
		r.rep.MaybeBilled++ // not attempted too: its batch's submission may be stored
	}
	r.finished++
	return true
}

// endNotRunLocked ends item i, not run (again) because the run stopped,
// as NotAttempted: with its own last error when that one may have been
// billed (an attempt put back by RequeueMaybeBilled), else with the
// error that stopped the run, which does not make it maybe billed:
// another item's maybe-billed error (credits spent mid-stream) says
// nothing of this one, never sent.
func (r *runner[T, R]) endNotRunLocked(i int) {
	err := r.stopErr
	if own := r.rep.Results[i].Err; errors.Is(own, openrouter.ErrMaybeBilled) {
		err = own
	} else if errors.Is(err, openrouter.ErrMaybeBilled) {
		err = &notRunError{err}
	}
	r.finishLocked(i, NotAttempted, err)
}

// notRunError is the error of an item not run because another item's
// maybe-billed error stopped the run: it quotes that error and matches
// what it matches (errors.Is, errors.As), but ErrMaybeBilled.
type notRunError struct{ err error }

func (e *notRunError) Error() string { return "not sent, the run stopped: " + e.err.Error() }

func (e *notRunError) Is(target error) bool {
	return target != openrouter.ErrMaybeBilled && errors.Is(e.err, target)
}

func (e *notRunError) As(target any) bool { return errors.As(e.err, target) }

func (r *runner[T, R]) stop(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(err)
}

// stopLocked records the first reason to stop, and stops the feeding of
// new items.
func (r *runner[T, R]) stopLocked(err error) {
	if r.stopErr == nil && err != nil {
		r.stopErr = err
		close(r.stopCh)
	}
}

func (r *runner[T, R]) stopped() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopErr
}

func (r *runner[T, R]) progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := Progress{Done: r.rep.Done, Failed: r.rep.Failed, NotAttempted: r.rep.NotAttempted, Total: len(r.rep.Results), Cost: r.rep.Cost}
	if el := r.b.now().Sub(r.start).Seconds(); el > 0 {
		p.Rate = float64(p.Done+p.Failed-r.resumed) / el // this run's work only
	}
	if p.Rate > 0 {
		p.ETA = time.Duration(float64(p.Total-r.finished) / p.Rate * float64(time.Second))
	}
	return p
}

// startDrain sets the base of the item contexts: ctx's values, and its
// deadline plus DrainFor, but not its cancellation. Once ctx ends or the
// run stops, it cancels them after DrainFor. Call the returned function
// at the end of the run.
func (r *runner[T, R]) startDrain(ctx context.Context) func() {
	base, cancelDeadline := context.WithoutCancel(ctx), context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		base, cancelDeadline = context.WithDeadline(base, dl.Add(r.b.DrainFor))
	}
	items, cancel := context.WithCancelCause(base)
	r.items = items
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			return
		case <-ctx.Done():
		case <-r.stopCh:
		}
		t := time.NewTimer(r.b.DrainFor)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			cancel(errDrained)
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		cancel(nil)
		cancelDeadline()
	}
}

// startProgress calls Progress every ProgressEvery until the returned
// function is called; it never reports the final state (Run does, once).
func (r *runner[T, R]) startProgress() func() {
	if r.b.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.b.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if p := r.progress(); p.Done+p.Failed+p.NotAttempted < p.Total {
					r.b.Progress(p)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error { return wait.Sleep(ctx, d) }
