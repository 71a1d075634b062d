// Package limiterclock lets the redislimiter tests run an
// openrouter.AdaptiveLimiter on their own clock, so that the two limiters'
// decisions can be compared on one sequence of outcomes. Package
// openrouter sets Set when it loads; nothing else uses it.
package limiterclock

import (
	"context"
	"time"
)

// Clock is a limiter's view of time.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// Set gives l, an *openrouter.AdaptiveLimiter, the clock c.
var Set func(l any, c Clock)
