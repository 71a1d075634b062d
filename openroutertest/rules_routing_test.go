package openroutertest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/openroutertest"
)

// TestRequireParameters: with provider.require_parameters true, a
// parameter the model's supported_parameters lacks (top_k on a model
// without it; a json_schema response_format on a model without
// structured_outputs) is 404 constraint_filtered with excluded_by
// require_parameters and a constraint naming the parameter, nothing
// billed; without require_parameters, or with only supported
// parameters, the request is answered (RULES.md R1, with
// WithRequireParameters(true)).
func TestRequireParameters(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithRequireParameters(true))
	t.Cleanup(srv.Close)
	schema := `"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}}`
	nemo := func(extra string) string {
		return `{"model":"mistralai/mistral-nemo","messages":` + hello + `,` + extra + `}`
	}
	for extra, param := range map[string]string{
		`"provider":{"require_parameters":true},"top_k":3`: "top_k",
		`"provider":{"require_parameters":true},` + schema: "structured_outputs",
	} {
		st, body := send(t, srv, "POST", "/chat/completions", nemo(extra), srv.Key, nil)
		var e struct {
			Error struct {
				Code         int
				Availability struct {
					Code       string
					ExcludedBy []string `json:"excluded_by"`
					Constraint struct{ Field, Detail string }
				}
			}
		}
		_ = json.Unmarshal([]byte(body), &e)
		a := e.Error.Availability
		if st != 404 || e.Error.Code != 404 || a.Code != "constraint_filtered" || len(a.ExcludedBy) != 1 || a.ExcludedBy[0] != "require_parameters" ||
			a.Constraint.Field != "require_parameters" || !strings.Contains(a.Constraint.Detail, param) {
			t.Errorf("%.60s: %d %.300s; want 404 constraint_filtered naming %s", extra, st, body, param)
		}
	}
	if srv.Spent() != 0 {
		t.Errorf("refused requests were billed: $%g", srv.Spent())
	}
	for _, body := range []string{nemo(`"top_k":3`), nemo(`"provider":{"require_parameters":true},"temperature":0.5`),
		chatBody(hello, `"provider":{"require_parameters":true},"temperature":0.5,`+schema)} {
		if st, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil); st != 200 {
			t.Errorf("%.120s: %d %.200s, want 200", body, st, ans)
		}
	}
}

// TestRequireParametersOnByDefault: the default server refuses what
// require_parameters filters out, as OpenRouter does (RULES.md R1);
// WithRequireParameters(false) answers whatever the parameters.
func TestRequireParametersOnByDefault(t *testing.T) {
	t.Parallel()
	body := `{"model":"mistralai/mistral-nemo","messages":` + hello + `,"provider":{"require_parameters":true},"top_k":3}`
	for on, want := range map[bool]int{true: 404, false: 200} {
		opts := []openroutertest.Option{}
		if !on {
			opts = append(opts, openroutertest.WithRequireParameters(false))
		}
		srv := openroutertest.NewServer(opts...)
		t.Cleanup(srv.Close)
		if st, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil); st != want {
			t.Errorf("honoured %v: %d %.200s, want %d", on, st, ans, want)
		}
	}
}

// TestAffordabilityCheck: by default (WithAffordabilityCheck), a request
// whose largest output (max_tokens, else the model's max completion
// tokens) the credits or the key's limit cannot pay is 402 "requires
// more credits, or fewer max_tokens" with the limit_source of the
// smaller of the two, nothing billed; a small max_tokens passes
// (RULES.md B7).
func TestAffordabilityCheck(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opts   []openroutertest.Option
		source string
	}{
		"credits":   {[]openroutertest.Option{openroutertest.WithCredits(0.001)}, "openrouter_credits"},
		"key limit": {[]openroutertest.Option{openroutertest.WithCredits(10), openroutertest.WithKeyLimit(0.001)}, openroutertest.KeyLimit},
	} {
		srv := openroutertest.NewServer(tc.opts...) // the check is on by default
		t.Cleanup(srv.Close)
		st, body := send(t, srv, "POST", "/chat/completions", chatBody(hello, ""), srv.Key, nil)
		var e struct {
			Error struct {
				Message  string
				Metadata map[string]any
			}
		}
		_ = json.Unmarshal([]byte(body), &e)
		// gpt-4o-mini: 16384 output tokens at $0.0000006 cost more than $0.001.
		if st != 402 || !strings.Contains(e.Error.Message, "requires more credits, or fewer max_tokens. You requested up to 16384 tokens, but can only afford 1666") ||
			e.Error.Metadata["limit_source"] != tc.source {
			t.Errorf("%s: %d %s; want 402 naming 16384 and 1666 tokens, limit_source %s", name, st, body, tc.source)
		}
		if srv.Spent() != 0 {
			t.Errorf("%s: the refused request was billed: $%g", name, srv.Spent())
		}
		if st, ans := send(t, srv, "POST", "/chat/completions", chatBody(hello, `"max_tokens":100`), srv.Key, nil); st != 200 {
			t.Errorf("%s: max_tokens 100: %d %.200s, want 200", name, st, ans)
		}
	}
	srv := openroutertest.NewServer(openroutertest.WithCredits(0.001), openroutertest.WithAffordabilityCheck(false))
	t.Cleanup(srv.Close)
	if st, _ := send(t, srv, "POST", "/chat/completions", chatBody(hello, ""), srv.Key, nil); st != 200 {
		t.Errorf("WithAffordabilityCheck(false): %d, want 200", st)
	}
}

// TestModelsFallbackList: without model, the first entry of models
// serves and is billed; an unknown model or one whose context the
// request exceeds falls back to the next entry; the answer names the
// model used; when none serves, the first candidate's error comes back
// (RULES.md R2).
func TestModelsFallbackList(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	answer := func(body string) (int, string, float64) {
		st, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil)
		var r struct {
			Model string
			Usage struct{ Cost float64 }
		}
		_ = json.Unmarshal([]byte(ans), &r)
		return st, r.Model, r.Usage.Cost
	}
	_, _, haikuCost := answer(`{"model":"anthropic/claude-haiku-4.5","messages":` + hello + `}`)
	for body, want := range map[string]string{
		`{"models":["anthropic/claude-haiku-4.5","openai/gpt-4o-mini"],"messages":` + hello + `}`:                              "anthropic/claude-haiku-4.5",
		`{"model":"acme/none","models":["openai/gpt-4o-mini"],"messages":` + hello + `}`:                                       "openai/gpt-4o-mini",
		`{"model":"openai/gpt-4o-mini","models":["anthropic/claude-sonnet-4.5"],"max_tokens":500000,"messages":` + hello + `}`: "anthropic/claude-sonnet-4.5",
	} {
		if st, model, _ := answer(body); st != 200 || model != want {
			t.Errorf("%s: %d, model %q; want 200 from %s", body, st, model, want)
		}
	}
	if _, _, cost := answer(`{"models":["anthropic/claude-haiku-4.5"],"messages":` + hello + `}`); cost != haikuCost || cost == 0 {
		t.Errorf("billed $%g through models, $%g with model: the model used sets the price", cost, haikuCost)
	}
	st, body := send(t, srv, "POST", "/chat/completions", `{"model":"acme/one","models":["acme/two"],"messages":`+hello+`}`, srv.Key, nil)
	if e := availabilityOf(t, body); st != 400 || e.Availability == nil || e.Availability.Code != "model_not_found" ||
		strings.Join(e.Availability.RequestedModels, ",") != "acme/one,acme/two" {
		t.Errorf("no candidate: %d %s; want model_not_found requesting acme/one and acme/two", st, body)
	}
}

// TestFreeModelMinuteLimitCarriesRateLimitHeaders: the 429 of the
// free-model per-minute limit, one of OpenRouter's own platform limits,
// carries X-RateLimit-Limit, -Remaining and -Reset without any option
// (RULES.md A6). Three requests at one a minute hold a 429 even if a
// minute turns between two of them.
func TestFreeModelMinuteLimitCarriesRateLimitHeaders(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithFreeModelLimits(1, 0))
	t.Cleanup(srv.Close)
	body := `{"model":"meta-llama/llama-3.3-70b-instruct:free","messages":` + hello + `}`
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			continue
		}
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("the free-model minute 429 lacks %s", h)
			}
		}
		return
	}
	t.Fatal("three requests at one a minute got no 429")
}
