package bulk_test

import (
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// setup starts a fake server and a client of it whose retries wait a
// millisecond at most and which has no limiter of its own.
func setup(t *testing.T, srvOpts []ort.Option, opts ...openrouter.Option) (*ort.Server, *openrouter.Client) {
	t.Helper()
	srv := ort.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	c := srv.Client(append([]openrouter.Option{openrouter.WithRetry(3, time.Millisecond, time.Millisecond), openrouter.WithLimiter(nil)}, opts...)...)
	return srv, c
}
