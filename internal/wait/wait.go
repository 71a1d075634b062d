// Package wait holds the one context-aware sleep of the module, used by
// the retry loop, the limiters (in-process and Redis) and the bulk runner.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx ends, whichever comes first, and
// returns nil or ctx's error. A d of zero or less does not wait: it
// returns ctx's error, nil while ctx lasts. Callers that must refuse a
// wait past ctx's deadline check it before calling.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
