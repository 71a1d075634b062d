package openrouter

import "github.com/routerkit/openrouter/internal/limiterclock"

// The redislimiter tests drive an AdaptiveLimiter on their fake clock.
func init() {
	limiterclock.Set = func(l any, c limiterclock.Clock) { l.(*AdaptiveLimiter).clock = c }
}
