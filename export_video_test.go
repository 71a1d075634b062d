package openrouter

import (
	"context"
	"time"
)

// WithVideoSleep replaces the waits of VideosService.Wait, so that a test
// observes them instead of sleeping.
func WithVideoSleep(w VideoWait, f func(ctx context.Context, d time.Duration, notify <-chan struct{}) (bool, error)) VideoWait {
	w.sleep = f
	return w
}
