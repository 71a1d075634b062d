package openrouter

import "time"

// SetWaitHook lets tests observe each retry wait and replace it (usually
// by zero), so that retry tests never sleep.
func SetWaitHook(c *Client, f func(time.Duration) time.Duration) { c.waitHook = f }
