package bulk

import (
	"context"
	"time"
)

// NoPassWait makes a run start its later passes at once.
func NoPassWait[T, R any](b Runner[T, R]) Runner[T, R] {
	b.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return b
}

// WithClock gives a run a clock for Elapsed and Progress.
func WithClock[T, R any](b Runner[T, R], now func() time.Time) Runner[T, R] {
	b.now = now
	return b
}

// SetJournalWrite replaces how a journal appends to its file (a disk
// that fills up writes part of a record, then fails).
func SetJournalWrite(j *JSONLJournal, write func(f func([]byte) (int, error), b []byte) (int, error)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	orig := j.write
	j.write = func(b []byte) (int, error) { return write(orig, b) }
}
