package bulk

import (
	"context"

	"github.com/routerkit/openrouter"
)

// ChatJSONMode is a BatchMode whose items ask for JSON matching V, as
// openrouter.ChatJSON does: each item's request (request) is sent
// through openrouter.JSONRequest, and the answer it got is decoded and
// validated by openrouter.ChatJSONFrom, which sends the repairs and
// fallbacks (opts: JSONRepair, JSONFallbackModels, ...) sync. Items that
// cannot go in a batch run openrouter.ChatJSON.
func ChatJSONMode[T, V any](c *openrouter.Client, request func(T) (*openrouter.ChatRequest, error), opts ...openrouter.JSONOption) BatchMode[T, V] {
	return BatchMode[T, V]{
		Client: c,
		Request: func(item T) (*openrouter.ChatRequest, error) {
			req, err := request(item)
			if err != nil {
				return nil, err
			}
			return openrouter.JSONRequest[V](c, req, opts...)
		},
		Result: func(ctx context.Context, item T, ans *openrouter.ChatResponse) (V, error) {
			var zero V
			req, err := request(item)
			if err != nil {
				return zero, err
			}
			v, _, err := openrouter.ChatJSONFrom[V](ctx, c, req, ans, opts...)
			return v, err
		},
		Sync: func(ctx context.Context, item T) (V, error) {
			var zero V
			req, err := request(item)
			if err != nil {
				return zero, err
			}
			v, _, err := openrouter.ChatJSON[V](ctx, c, req, opts...)
			return v, err
		},
	}
}

// RewriteMode is a BatchMode that rewrites articles as
// openrouter.Client.Rewrite does: an article rewritten in one request
// (openrouter.Client.RewriteChat) goes in a batch, and its answer is
// validated by RewriteFrom, which sends the repairs sync; a long article,
// rewritten in sections, runs Rewrite sync.
func RewriteMode[T any](c *openrouter.Client, request func(T) openrouter.RewriteRequest, opts ...openrouter.JSONOption) BatchMode[T, *openrouter.RewriteResult] {
	return BatchMode[T, *openrouter.RewriteResult]{
		Client: c,
		Request: func(item T) (*openrouter.ChatRequest, error) {
			chat, ok, err := c.RewriteChat(request(item), opts...)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, ErrSync
			}
			return chat, nil
		},
		Result: func(ctx context.Context, item T, ans *openrouter.ChatResponse) (*openrouter.RewriteResult, error) {
			return c.RewriteFrom(ctx, request(item), ans, opts...)
		},
		Sync: func(ctx context.Context, item T) (*openrouter.RewriteResult, error) {
			return c.Rewrite(ctx, request(item), opts...)
		},
	}
}
