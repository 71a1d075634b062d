// Package demo starts the examples' client: the real OpenRouter API when
// OPENROUTER_API_KEY is set, otherwise the embedded openroutertest server,
// so that every example runs offline with no key.
package demo

import (
	"fmt"
	"io"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// Client returns a client for the real API when key is not empty, or for
// a fake server started here (with srvOpts), saying so on out. The
// returned function releases what was started.
func Client(out io.Writer, key string, srvOpts []openroutertest.Option, opts ...openrouter.Option) (*openrouter.Client, func()) {
	opts = append([]openrouter.Option{openrouter.WithAppInfo("https://github.com/routerkit/openrouter", "routerkit examples")}, opts...)
	if key != "" {
		fmt.Fprintln(out, "Using the OpenRouter API (OPENROUTER_API_KEY is set).")
		return openrouter.NewClient(key, opts...), func() {}
	}
	fmt.Fprintln(out, "No OPENROUTER_API_KEY: running offline against the embedded openroutertest server.")
	srv := openroutertest.NewServer(srvOpts...)
	return srv.Client(opts...), srv.Close
}
