// Package demo starts the examples' client: the real OpenRouter API when
// OPENROUTER_API_KEY is set, otherwise the embedded openroutertest server,
// so that every example runs offline with no key. OPENROUTER_BASE_URL
// points the examples at another OpenAI-compatible server (a self-hosted
// one, say), whose keys need not start with "sk-or-".
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
	"net/url"
	"os"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// Server says on out which API the example uses, and starts the fake
// server (with opts) when key is empty; with a key it returns nil.
func Server(out io.Writer, key string, opts ...openroutertest.Option) *openroutertest.Server {
	if base := os.Getenv("OPENROUTER_BASE_URL"); base != "" {
		if u, err := url.Parse(base); err == nil {
			base = u.Redacted() // no password from the URL in the output
		}
		fmt.Fprintf(out, "Using the server at %s (OPENROUTER_BASE_URL is set).\n", base)
		return nil
	}
	if key != "" {
		fmt.Fprintln(out, "Using the OpenRouter API (OPENROUTER_API_KEY is set).")
		return nil
	}
	fmt.Fprintln(out, "No OPENROUTER_API_KEY: running offline against the embedded openroutertest server.")
	return openroutertest.NewServer(opts...)
}

// Client returns a client for srv, or for the real API with key when srv
// is nil: OpenRouter's, or the server at OPENROUTER_BASE_URL when it is
// set.
func Client(key string, srv *openroutertest.Server, opts ...openrouter.Option) *openrouter.Client {
	opts = append([]openrouter.Option{openrouter.WithAppInfo("https://github.com/routerkit/openrouter", "routerkit examples")}, opts...)
	if srv != nil {
		return srv.Client(opts...)
	}
	if base := os.Getenv("OPENROUTER_BASE_URL"); base != "" {
		opts = append(opts, openrouter.WithBaseURL(base), openrouter.WithKeyPrefix(""))
	}
	return openrouter.NewClient(key, opts...)
}
