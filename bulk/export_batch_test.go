package bulk

import "time"

// WithBatchClock gives a batch mode the clock of its resubmission window.
func WithBatchClock[T, R any](m BatchMode[T, R], now func() time.Time) BatchMode[T, R] {
	m.now = now
	return m
}
