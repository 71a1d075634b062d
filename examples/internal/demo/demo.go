// Package demo starts the examples' client: the real OpenRouter API when
// OPENROUTER_API_KEY is set, otherwise the embedded openroutertest server,
// so that every example runs offline with no key.
//
//	srv := demo.Server(out, key) // nil with a key
//	if srv != nil {
//		defer srv.Close()
//	}
//	c := demo.Client(key, srv)
package demo

import (
	"fmt"
	"io"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// Server says on out which API the example uses, and starts the fake
// server (with opts) when key is empty; with a key it returns nil.
func Server(out io.Writer, key string, opts ...openroutertest.Option) *openroutertest.Server {
	if key != "" {
		fmt.Fprintln(out, "Using the OpenRouter API (OPENROUTER_API_KEY is set).")
		return nil
	}
	fmt.Fprintln(out, "No OPENROUTER_API_KEY: running offline against the embedded openroutertest server.")
	return openroutertest.NewServer(opts...)
}

// Client returns a client for srv, or for the real API with key when srv
// is nil.
func Client(key string, srv *openroutertest.Server, opts ...openrouter.Option) *openrouter.Client {
	opts = append([]openrouter.Option{openrouter.WithAppInfo("https://github.com/routerkit/openrouter", "routerkit examples")}, opts...)
	if srv != nil {
		return srv.Client(opts...)
	}
	return openrouter.NewClient(key, opts...)
}
