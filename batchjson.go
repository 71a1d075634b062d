package openrouter

import "context"

// ChatJSON and Rewrite in batch mode: JSONRequest and RewriteChat give
// the request to put in a batch; ChatJSONFrom and RewriteFrom validate
// the answer it got, exactly as ChatJSON and Rewrite validate theirs, and
// send the repairs and fallbacks through Chat.

// JSONRequest returns the request ChatJSON(ctx, c, req, opts...) sends
// first, asking for JSON matching T: to put in a batch. Pass the answer
// it gets to ChatJSONFrom with the same req and opts. Unlike ChatJSON's,
// it sets no provider preferences when req has none (a batch routes
// providers as a whole, so require_parameters cannot go on one of its
// requests): CheckBatchable accepts it.
func JSONRequest[T any](c *Client, req *ChatRequest, opts ...JSONOption) (*ChatRequest, error) {
	cfg, err := newJSONConfig(opts)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, invalid("nil *Client")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	models, name, sch, err := jsonPlan[T](c, req, cfg)
	if err != nil {
		return nil, err
	}
	out := c.jsonRequest(req, models[0], name, sch, cfg)
	if req.Provider == nil {
		// A batch routes providers as a whole: require_parameters cannot
		// go on one of its requests.
		out.Provider = nil
	}
	return out, nil
}

// ChatJSONFrom does what ChatJSON does, from ans, the answer that the
// request of JSONRequest(c, req, opts...) got elsewhere (a batch): it
// decodes and validates ans, and when ans is not valid sends the repairs
// (JSONRepair) and fallbacks that ChatJSON would, through Chat. The
// JSONResult counts ans among its attempts, and its cost.
func ChatJSONFrom[T any](ctx context.Context, c *Client, req *ChatRequest, ans *ChatResponse, opts ...JSONOption) (T, *JSONResult, error) {
	if ans == nil {
		var zero T
		return zero, nil, invalid("ChatJSONFrom needs the answer (nil *ChatResponse)")
	}
	return chatJSON[T](ctx, c, req, ans, opts)
}

// RewriteChat returns the one request Rewrite(ctx, req, opts...) sends
// for an article it rewrites in one piece: to put in a batch; pass the
// answer it gets to RewriteFrom. ok is false for an article too long for
// the model, which Rewrite cuts into sections: rewrite it with Rewrite.
func (c *Client) RewriteChat(req RewriteRequest, opts ...JSONOption) (chat *ChatRequest, ok bool, err error) {
	plan, err := c.planRewrite(req)
	if err != nil || plan.sections != nil {
		return nil, false, err
	}
	chat, err = JSONRequest[rewriteAnswer](c, plan.chat, opts...)
	return chat, err == nil, err
}

// RewriteFrom does what Rewrite does for an article RewriteChat could
// build a request for, from ans, the answer that request got elsewhere (a
// batch): it validates ans, and sends the repairs and fallbacks through
// Chat. An article RewriteChat refuses is refused here too
// ([ErrInvalidRequest]).
func (c *Client) RewriteFrom(ctx context.Context, req RewriteRequest, ans *ChatResponse, opts ...JSONOption) (*RewriteResult, error) {
	if ans == nil {
		return nil, invalid("RewriteFrom needs the answer (nil *ChatResponse)")
	}
	ctx, cancel, opts, plan, err := c.startRewrite(ctx, req, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if plan.sections != nil {
		return nil, invalid("the article is rewritten in %d sections, not in one request: rewrite it with Rewrite", len(plan.sections))
	}
	return c.rewriteWhole(ctx, plan.req, plan.chat, ans, opts)
}
