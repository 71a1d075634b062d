package openrouter

import (
	"context"
	"errors"
	"time"
)

// BatchWait configures Batches.Wait. The zero value polls after 5 s, then
// backs off to one poll a minute, with jitter.
type BatchWait struct {
	// MinInterval is the first wait between polls (default 5 s); each
	// wait doubles it, up to MaxInterval (default 1 min), jittered in its
	// upper half so that many waiters do not poll together.
	MinInterval, MaxInterval time.Duration
	// Notify, when set, makes Batches.Wait poll at once each time it
	// receives (from the callback_url webhook handler, say), between the
	// polls of the backoff, but not sooner than MinInterval after the
	// previous notified poll. A closed channel is ignored from then on.
	Notify <-chan struct{}
	// OnPoll, when set, sees each state the batch was polled in.
	OnPoll func(*Batch)
	// MaxPollErrors is how many polls in a row may fail with a retryable
	// error (5xx, 429, network) before Batches.Wait gives up (default 5).
	// Other errors end the wait at once.
	MaxPollErrors int

	sleep func(ctx context.Context, d time.Duration, notify <-chan struct{}) (notified bool, err error) // tests
}

// Wait polls a batch until it is terminal (completed, failed,
// expired or cancelled) and returns it; the batch's Err says whether it
// ended without completing. It returns early with ctx's error. Polls are
// reads, retried freely.
func (s *BatchesService) Wait(ctx context.Context, id string, w BatchWait, opts ...CallOption) (*Batch, error) {
	c := s.client()
	if w.MinInterval <= 0 {
		w.MinInterval = 5 * time.Second
	}
	if w.MaxInterval < w.MinInterval {
		w.MaxInterval = max(time.Minute, w.MinInterval)
	}
	if w.MaxPollErrors <= 0 {
		w.MaxPollErrors = 5
	}
	sleep := w.sleep
	if sleep == nil {
		sleep = sleepOrNotify
	}
	failures := 0
	notified := false // the last wait ended with a notification
	for attempt := 0; ; {
		b, err := c.Batches.Get(ctx, id, opts...)
		switch {
		case err == nil:
			failures = 0
			if w.OnPoll != nil {
				w.OnPoll(b)
			}
			if b.Status.Terminal() {
				return b, nil
			}
		case ctx != nil && ctx.Err() != nil:
			return nil, err
		case !retryablePoll(err):
			return nil, err
		default:
			failures++
			if failures >= w.MaxPollErrors {
				return nil, err
			}
		}
		if notified {
			// The webhook feeding Notify can be reached from outside: after a
			// notified poll, wait MinInterval deaf to notifications, so a
			// flood of them polls at most once per MinInterval.
			if _, serr := sleep(ctx, w.MinInterval, nil); serr != nil {
				return nil, serr
			}
		}
		var serr error
		notified, serr = sleep(ctx, expBackoff(w.MinInterval, w.MaxInterval, attempt), w.Notify)
		if serr != nil {
			return nil, serr
		}
		if !notified {
			attempt++ // a notification polls at once and keeps the backoff
		}
	}
}

// retryablePoll reports whether a failed poll may succeed later.
func retryablePoll(err error) bool {
	var e *APIError
	if errors.As(err, &e) {
		return e.Retryable()
	}
	return !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, ErrUnauthorized)
}

// sleepOrNotify waits d, or until notify receives or ctx is done.
func sleepOrNotify(ctx context.Context, d time.Duration, notify <-chan struct{}) (bool, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C:
		return false, nil
	case _, ok := <-notify:
		if ok {
			return true, nil
		}
	}
	select { // notify is closed: wait out d
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C:
		return false, nil
	}
}
