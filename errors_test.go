package openrouter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestErrorMatrix sends each failure OpenRouter (or a proxy in front of
// it) really answers through the client and checks the sentinels matched,
// the retries made and what the error says.
func TestErrorMatrix(t *testing.T) {
	t.Parallel()
	raw := ort.RawReply
	providerErr := func(status int, rawVal any) ort.Reply {
		return ort.ErrorReply(status, "Provider returned error").WithMetadata("raw", rawVal).WithMetadata("provider_name", "OpenAI")
	}
	cases := []struct {
		name     string
		reply    ort.Reply
		want     []string
		attempts int      // HTTP attempts the client must make (retries allowed: 3)
		says     []string // substrings of err.Error()
	}{
		{"401 no credentials", ort.ErrorReply(401, "No auth credentials found"), []string{"ErrUnauthorized"}, 1, []string{"401", "No auth credentials found"}},
		{"401 no cookie credentials", ort.ErrorReply(401, "No cookie auth credentials found"), []string{"ErrUnauthorized"}, 1, nil},
		{"401 user not found", ort.ErrorReply(401, "User not found."), []string{"ErrUnauthorized"}, 1, []string{"User not found."}},
		{"402 credits", ort.ErrorReply(402, "Insufficient credits. Add more using https://openrouter.ai/settings/credits").WithMetadata("limit_source", "openrouter_credits"),
			[]string{"ErrInsufficientCredits"}, 1, []string{"402", "Insufficient credits"}},
		{"402 max_tokens", ort.ErrorReply(402, "This request requires more credits, or fewer max_tokens. You requested up to 65536 tokens, but can only afford 10114."),
			[]string{"ErrInsufficientCredits"}, 1, nil},
		{"402 in-flight budget with Retry-After is retried", ort.ErrorReply(402, "This request would exceed your available credits given your current in-flight requests. Retry after in-flight requests settle, or add credits.").
			WithMetadata("limit_source", "openrouter_in_flight_budget").WithMetadata("reason", "in_flight_budget_exhausted").WithRetryAfter("1"),
			[]string{"ErrInsufficientCredits"}, 4, []string{"after 4 attempts"}},
		{"402 weight exceeds budget is not retried", ort.ErrorReply(402, "This request would exceed your available credits").
			WithMetadata("limit_source", "openrouter_in_flight_budget").WithMetadata("reason", "weight_exceeds_budget").WithRetryAfter("1"),
			[]string{"ErrInsufficientCredits"}, 1, nil},
		{"400 invalid model id", ort.ErrorReply(400, "claude-sonnet-4-6 is not a valid model ID"), []string{"ErrModelNotFound", "ErrBadRequest"}, 1,
			[]string{"claude-sonnet-4-6 is not a valid model ID"}},
		{"400 invalid model id, other case and punctuation", ort.ErrorReply(400, "minimax-m2.5:free IS NOT A VALID MODEL-ID!"), []string{"ErrModelNotFound", "ErrBadRequest"}, 1, nil},
		{"400 invalid model specified", ort.ErrorReply(400, "Invalid model specified"), []string{"ErrModelNotFound", "ErrBadRequest"}, 1, nil},
		{"400 provider error, raw JSON string", providerErr(400, `{"error":{"message":"Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'.","type":"invalid_request_error"}}`),
			[]string{"ErrBadRequest"}, 1, []string{"openrouter: 400 bad request: Provider returned error (OpenAI: Response input messages must contain the word 'json'"}},
		{"400 provider error, pretty-printed raw", providerErr(400, "{\n  \"error\": {\n    \"message\": \"Invalid schema for response_format\"\n  }\n}"),
			[]string{"ErrBadRequest"}, 1, []string{"(OpenAI: Invalid schema for response_format)"}},
		{"400 provider error, raw object", providerErr(400, map[string]any{"error": map[string]any{"message": "tools are not supported"}}),
			[]string{"ErrBadRequest"}, 1, []string{"(OpenAI: tools are not supported)"}},
		{"400 context length", ort.ErrorReply(400, "This endpoint's maximum context length is 8192 tokens. However, you requested about 9100 tokens.").WithMetadata("error_type", "context_length_exceeded"),
			[]string{"ErrContextLength", "ErrBadRequest"}, 1, nil},
		{"400 context length in the provider's raw text", providerErr(400, "This model's maximum context length is 128000 tokens"),
			[]string{"ErrContextLength", "ErrBadRequest"}, 1, nil},
		{"413 payload too large", ort.ErrorReply(413, "Request payload too large"), []string{"ErrBadRequest"}, 1, nil},
		{"422 invalid argument", ort.ErrorReply(422, "Invalid argument"), []string{"ErrBadRequest"}, 1, nil},
		{"403 moderation", ort.ErrorReply(403, "Input flagged").WithMetadata("reasons", []string{"violence"}).WithMetadata("flagged_input", "how to...hurt").WithMetadata("provider_name", "OpenAI"),
			[]string{"ErrModerated"}, 1, []string{"violence"}},
		{"403 guardrail", ort.ErrorReply(403, "Request blocked: prompt injection patterns detected").WithMetadata("patterns", []string{"ignore all previous instructions"}),
			[]string{"ErrForbidden"}, 1, nil},
		{"403 management key", ort.ErrorReply(403, "Only management keys can perform this operation"), []string{"ErrForbidden"}, 1, nil},
		{"404 data policy", ort.ErrorReply(404, "No endpoints found matching your data policy"), []string{"ErrNoEndpoints", "ErrModelNotFound"}, 1, nil},
		{"404 tool use", ort.ErrorReply(404, "No endpoints found that support tool use. To learn more about provider routing, visit: https://openrouter.ai/docs/guides/routing/provider-selection"),
			[]string{"ErrNoEndpoints", "ErrModelNotFound"}, 1, nil},
		{"404 no allowed providers", ort.ErrorReply(404, "No allowed providers are available for the selected model."), []string{"ErrNoEndpoints", "ErrModelNotFound"}, 1, nil},
		{"404 other", ort.ErrorReply(404, "Not Found"), []string{"ErrNotFound"}, 1, nil},
		{"408 timeout", ort.ErrorReply(408, "Operation timed out. Please try again later."), []string{"ErrTimeout"}, 4, nil},
		{"429 rate limit", ort.ErrorReply(429, "Rate limit exceeded").WithMetadata("error_type", "rate_limit_exceeded").WithRetryAfter("2"),
			[]string{"ErrRateLimited"}, 4, []string{"429", "Rate limit exceeded"}},
		{"429 upstream plain-text raw", providerErr(429, "z-ai/glm-5.3-flash is temporarily rate-limited upstream. Please retry shortly.").WithMetadata("limit_source", "upstream_provider_shared_pool"),
			[]string{"ErrRateLimited"}, 4, []string{"temporarily rate-limited upstream"}},
		{"429 free models per day", ort.ErrorReply(429, "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day").
			WithMetadata("limit_source", "openrouter_free_tier_daily").WithHeader("X-RateLimit-Limit", "50").WithHeader("X-RateLimit-Remaining", "0").WithHeader("X-RateLimit-Reset", "1788825600000"),
			[]string{"ErrQuotaExhausted", "ErrRateLimited"}, 1, []string{"free-models-per-day"}},
		{"429 Retry-After beyond the maximum wait", ort.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("86400"),
			[]string{"ErrQuotaExhausted", "ErrRateLimited"}, 1, nil},
		{"500", ort.ErrorReply(500, "Internal Server Error"), []string{"ErrServer"}, 4, nil},
		{"502 provider returned error", providerErr(502, "upstream connect error"), []string{"ErrServer"}, 4, []string{"(OpenAI: upstream connect error)"}},
		{"503", ort.ErrorReply(503, "Service temporarily unavailable"), []string{"ErrServer"}, 4, nil},
		{"504", ort.ErrorReply(504, "Gateway Timeout"), []string{"ErrServer"}, 4, nil},
		{"524 HTML from Cloudflare", raw(524, "<!DOCTYPE html><html><head><title>openrouter.ai | 524: A timeout occurred</title></head><body>...</body></html>"),
			[]string{"ErrServer"}, 4, []string{"524", "A timeout occurred"}},
		{"529 overloaded", ort.ErrorReply(529, "Provider returned error"), []string{"ErrServer"}, 4, nil},
		{"502 HTML with no title", raw(502, "<html><body><h1>Bad   Gateway</h1></body></html>"), []string{"ErrServer"}, 4, []string{"Bad Gateway"}},
		{"503 empty body", raw(503, ""), []string{"ErrServer"}, 4, []string{"empty body"}},
		{"500 truncated JSON", raw(500, `{"error":{"code":500,"message":"Inter`), []string{"ErrServer"}, 4, nil},
		{"400 code as string", raw(400, `{"error":{"code":"400","message":"Bad thing"}}`), []string{"ErrBadRequest"}, 1, []string{"Bad thing"}},
		{"200 top-level error with word code", raw(200, `{"error":{"code":"server_error","message":"Upstream failed"}}`), []string{"ErrServer", "ErrMaybeBilled"}, 1, []string{"Upstream failed", "may have been billed"}},
		{"200 top-level rate limit", raw(200, `{"error":{"code":429,"message":"Rate limit exceeded","metadata":{"error_type":"rate_limit_exceeded"}}}`), []string{"ErrRateLimited", "ErrMaybeBilled"}, 1, nil},
		{"200 choice finished with error", ort.Reply{Content: "partial output...", ChoiceError: &ort.ErrorBody{Code: 502, Message: "Provider disconnected mid-stream",
			Metadata: map[string]any{"error_type": "provider_unavailable"}}}, []string{"ErrServer", "ErrMaybeBilled"}, 1, []string{"Provider disconnected mid-stream"}},
		{"200 HTML", raw(200, "<html><title>Maintenance</title></html>"), []string{"ErrServer", "ErrMaybeBilled"}, 1, []string{"not the JSON expected", "Maintenance", "1 may have been billed"}},
		{"200 truncated", raw(200, `{"id":"gen-1","choices":[{"message":{"content":"Hel`), []string{"ErrServer", "ErrMaybeBilled"}, 1, nil},
		{"200 empty content, content_filter", ort.EmptyReply("content_filter"), []string{"ErrEmptyContent"}, 1, []string{"moderation"}},
		{"200 empty content, length", ort.EmptyReply("length"), []string{"ErrEmptyContent"}, 1, []string{"context window"}},
		{"200 white space only", ort.TextReply(" \n "), []string{"ErrEmptyContent"}, 1, nil},
		{"200 no choices", raw(200, `{"id":"gen-1","model":"m","choices":[]}`), []string{"ErrEmptyContent"}, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _ := setup(t, nil)
			srv.Enqueue(tc.reply.Repeat(tc.attempts))
			res, err := c.Chat(context.Background(), hello())
			if err == nil {
				t.Fatalf("Chat = %+v, want an error", res)
			}
			assertSentinels(t, err, tc.want...)
			if got := srv.Stats().Requests; got != tc.attempts {
				t.Errorf("server saw %d requests, want %d", got, tc.attempts)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), srv.Key) {
				t.Errorf("error %q contains the API key", err)
			}
			if openrouter.Hint(err) == "" {
				t.Errorf("no hint for %v", err)
			}
			var apiErr *openrouter.APIError
			if errors.As(err, &apiErr) {
				if apiErr.Attempts != tc.attempts {
					t.Errorf("APIError.Attempts = %d, want %d", apiErr.Attempts, tc.attempts)
				}
				if apiErr.Model != "openai/gpt-4o-mini" {
					t.Errorf("APIError.Model = %q", apiErr.Model)
				}
			} else if !errors.Is(err, openrouter.ErrEmptyContent) {
				t.Errorf("%T is neither an *APIError nor an empty-content error", err)
			}
		})
	}
}

func TestAPIErrorDetails(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ErrorReply(403, "Input flagged").WithMetadata("reasons", []string{"violence", "harassment"}).
		WithMetadata("flagged_input", "first words...last words").WithMetadata("provider_name", "OpenAI").
		WithMetadata("model_slug", "openai/gpt-4o"))
	_, err := c.Chat(context.Background(), hello())
	var e *openrouter.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if e.StatusCode != 403 || e.Code != "403" || e.Message != "Input flagged" {
		t.Errorf("status/code/message = %d/%q/%q", e.StatusCode, e.Code, e.Message)
	}
	if len(e.Metadata.Reasons) != 2 || e.Metadata.FlaggedInput != "first words...last words" || e.Metadata.ProviderName != "OpenAI" {
		t.Errorf("metadata = %+v", e.Metadata)
	}
	if string(e.Metadata.Extra["model_slug"]) != `"openai/gpt-4o"` {
		t.Errorf("extra metadata = %s", e.Metadata.Extra)
	}
}

func TestEmptyContentKeepsResponse(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{FinishReason: "length", NativeFinishReason: "MAX_TOKENS", Cost: 0.25})
	_, err := c.Chat(context.Background(), hello())
	var e *openrouter.EmptyContentError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *EmptyContentError", err)
	}
	if e.FinishReason != "length" || e.NativeFinishReason != "MAX_TOKENS" || e.Response == nil || e.Response.Cost() != 0.25 {
		t.Errorf("EmptyContentError = %+v", e)
	}
}

func TestChoiceErrorKeepsPartialAnswer(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: "partial output", ChoiceError: &ort.ErrorBody{Code: 502, Message: "Provider disconnected"}})
	_, err := c.Chat(context.Background(), hello())
	var e *openrouter.APIError
	if !errors.As(err, &e) || !e.InStream || e.Response.Content() != "partial output" {
		t.Fatalf("err = %#v, want an in-stream *APIError keeping the partial answer", err)
	}
}

func TestHintCoversEverySentinel(t *testing.T) {
	t.Parallel()
	for name, s := range sentinels {
		if openrouter.Hint(s) == "" {
			t.Errorf("Hint(%s) is empty", name)
		}
	}
	if openrouter.Hint(nil) != "" || openrouter.Hint(errors.New("other")) != "" {
		t.Error("Hint of nil or a foreign error is not empty")
	}
}
