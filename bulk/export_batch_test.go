package bulk

import "time"

// WithBatchClock gives a batch mode the clock of its resubmission window.
func WithBatchClock[T, R any](m BatchMode[T, R], now func() time.Time) BatchMode[T, R] {
	m.now = now
	return m
}

// WithBatchNonce gives a batch mode a fixed submission nonce, so a test
// can script the fake's answer to a custom ID ("key#nonce"); "" draws
// one for each submission, as by default.
func WithBatchNonce[T, R any](m BatchMode[T, R], nonce string) BatchMode[T, R] {
	m.nonce = func() string { return nonce }
	if nonce == "" {
		m.nonce = nil
	}
	return m
}
