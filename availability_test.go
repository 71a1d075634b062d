package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// The example payloads of OpenRouter's "Model availability errors"
// (api_reference/errors-and-debugging.mdx), verbatim.
const (
	docsCapacityExhausted = `{"error":{"message":"All providers for anthropic/claude-sonnet-4.5 are at capacity. Retry after 40 seconds.","error_type":"rate_limit_exceeded","http_status":429,
	  "availability":{"code":"capacity_exhausted","retryable":true,"retry_after":40,"requested_models":["anthropic/claude-sonnet-4.5"],
	    "affected_providers":["anthropic","amazon-bedrock","google-vertex"],"fallback_models":["anthropic/claude-haiku-4.5"],"docs_url":"https://openrouter.ai/docs/errors#capacity_exhausted"},
	  "metadata":{"previous_errors":[{"provider":"anthropic","code":"capacity_exhausted","status":429},{"provider":"amazon-bedrock","code":"capacity_exhausted","status":429}]}}}`
	docsModelDeprecated = `{"error":{"message":"Quasar Alpha was a stealth model, revealed on April 14th as an early testing version of GPT-4.1.","error_type":"not_found","http_status":404,
	  "availability":{"code":"model_deprecated","retryable":false,"requested_models":["openrouter/quasar-alpha"],"fallback_models":["openai/gpt-4.1"],"docs_url":"https://openrouter.ai/docs/errors#model_deprecated"}}}`
	docsPrivacyRestricted = `{"error":{"message":"No endpoints for openai/gpt-5.2 match your data policy (zero data retention). Adjust at https://openrouter.ai/settings/privacy.","error_type":"not_found","http_status":404,
	  "availability":{"code":"privacy_restricted","retryable":false,"requested_models":["openai/gpt-5.2"],"affected_providers":["openai","azure"],"excluded_by":["data_policy:zdr"],"docs_url":"https://openrouter.ai/docs/errors#privacy_restricted"}}}`
	docsModelNotFound = `{"error":{"message":"acme/fake-1.0 is not a valid model ID","error_type":"invalid_request","http_status":400,
	  "availability":{"code":"model_not_found","retryable":false,"requested_models":["acme/fake-1.0"],"docs_url":"https://openrouter.ai/docs/errors#model_not_found"}}}`
)

// docsError decodes one of the docs' payloads into the fake's error
// object, so that the fake can serve it over HTTP and in a stream.
func docsError(t *testing.T, payload string) *ort.ErrorBody {
	t.Helper()
	var env struct{ Error *ort.ErrorBody }
	if err := json.Unmarshal([]byte(payload), &env); err != nil || env.Error == nil {
		t.Fatalf("docs payload: %v", err)
	}
	return env.Error
}

// availabilityCase is one availability error and what it must give.
type availabilityCase struct {
	name      string
	body      func(t *testing.T) *ort.ErrorBody
	want      []string // the sentinels, exactly
	retryable bool
	suggests  []string // APIError.Suggestions
}

func availabilityCases() []availabilityCase {
	docs := func(p string) func(*testing.T) *ort.ErrorBody {
		return func(t *testing.T) *ort.ErrorBody { return docsError(t, p) }
	}
	fake := func(code string, fallback ...string) func(*testing.T) *ort.ErrorBody {
		return func(*testing.T) *ort.ErrorBody { return ort.AvailabilityError(code, "openai/gpt-4o-mini", fallback...) }
	}
	notFound, noEndpoints := []string{"ErrModelNotFound"}, []string{"ErrNoEndpoints", "ErrModelNotFound"}
	return []availabilityCase{
		{"docs capacity_exhausted", docs(docsCapacityExhausted), []string{"ErrRateLimited"}, true, []string{"anthropic/claude-haiku-4.5"}},
		{"docs model_deprecated", docs(docsModelDeprecated), []string{"ErrModelDeprecated", "ErrModelNotFound"}, false, []string{"openai/gpt-4.1"}},
		{"docs privacy_restricted", docs(docsPrivacyRestricted), noEndpoints, false, nil},
		{"docs model_not_found", docs(docsModelNotFound), []string{"ErrModelNotFound", "ErrBadRequest"}, false, nil},
		{"wrong_endpoint", fake("wrong_endpoint"), []string{"ErrBadRequest"}, false, nil},
		{"no_endpoints", fake("no_endpoints"), noEndpoints, false, nil},
		{"model_unavailable_upstream", fake("model_unavailable_upstream", "openai/gpt-4.1-mini"), notFound, false, []string{"openai/gpt-4.1-mini"}},
		{"temporarily_unavailable", fake("temporarily_unavailable"), []string{"ErrServer"}, true, nil},
		{"region_restricted", fake("region_restricted"), noEndpoints, false, nil},
		{"constraint_filtered", fake("constraint_filtered"), noEndpoints, false, nil},
		{"free_variant_ended", fake("free_variant_ended", "openai/gpt-4o-mini"), notFound, false, []string{"openai/gpt-4o-mini"}},
		{"no_endpoints marked retryable", func(t *testing.T) *ort.ErrorBody {
			e := ort.AvailabilityError("no_endpoints", "openai/gpt-4o-mini")
			e.Availability.Retryable = true
			return e
		}, noEndpoints, true, nil},
	}
}

// TestAvailabilitySentinels serves every availability code (the docs'
// example payloads verbatim, the other codes as the docs' table says)
// over HTTP (to a plain and a streaming request), inside a 200 body and
// inside a stream, and checks that each transport gives the same
// sentinels, retry verdict, status, Availability and Suggestions. The one
// difference: an availability error after the stream's output began
// also matches ErrMaybeBilled (the model ran; see markAnswered).
func TestAvailabilitySentinels(t *testing.T) {
	t.Parallel()
	for _, tc := range availabilityCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := tc.body(t)
			transports := []struct {
				name        string
				reply       ort.Reply
				send        func(c *openrouter.Client) error
				afterOutput bool
			}{
				{"http", ort.Reply{Status: body.HTTPStatus, Error: body}, func(c *openrouter.Client) error {
					_, err := c.Chat(context.Background(), hello())
					return err
				}, false},
				{"200 body", ort.Reply{Error: body}.MidStream(), func(c *openrouter.Client) error {
					_, err := c.Chat(context.Background(), hello())
					return err
				}, false},
				{"stream, before it starts", ort.Reply{Status: body.HTTPStatus, Error: body}, func(c *openrouter.Client) error {
					_, err := drain(c.ChatStream(context.Background(), hello()))
					return err
				}, false},
				{"stream, its first event", ort.Reply{Status: 200, Error: body}, func(c *openrouter.Client) error {
					_, err := drain(c.ChatStream(context.Background(), hello()))
					return err
				}, false},
				{"stream, after output", ort.Reply{Error: body}.MidStream(), func(c *openrouter.Client) error {
					_, err := drain(c.ChatStream(context.Background(), hello()))
					return err
				}, true},
			}
			for _, tr := range transports {
				srv, c, _ := setup(t, nil, openrouter.WithRetry(0, time.Millisecond, time.Minute))
				srv.Enqueue(tr.reply)
				err := tr.send(c)
				want := tc.want
				if tr.afterOutput {
					want = append(slices.Clone(want), "ErrMaybeBilled")
				}
				assertSentinels(t, err, want...)
				var e *openrouter.APIError
				if !errors.As(err, &e) {
					t.Fatalf("%s: %T %v, want *APIError", tr.name, err, err)
				}
				if e.Availability == nil || e.Availability.Code != body.Availability.Code {
					t.Errorf("%s: Availability = %+v, want code %s", tr.name, e.Availability, body.Availability.Code)
				}
				if e.Retryable() != tc.retryable {
					t.Errorf("%s: Retryable() = %v, want %v", tr.name, e.Retryable(), tc.retryable)
				}
				if !slices.Equal(e.Suggestions, tc.suggests) {
					t.Errorf("%s: Suggestions = %q, want %q", tr.name, e.Suggestions, tc.suggests)
				}
				if !strings.Contains(err.Error(), "["+body.Availability.Code+"]") {
					t.Errorf("%s: %q does not name the code", tr.name, err)
				}
				if e.StatusCode != body.HTTPStatus {
					t.Errorf("%s: StatusCode = %d, want the error's own http_status %d", tr.name, e.StatusCode, body.HTTPStatus)
				}
			}
		})
	}
}

// TestAvailabilityFields checks that every documented field of
// error.availability is decoded, and that retry_after and
// fallback_models reach RetryAfter, the hint and Error.
func TestAvailabilityFields(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithRetry(0, time.Millisecond, time.Minute))
	body := docsError(t, docsCapacityExhausted)
	srv.Enqueue(ort.Reply{Error: body}.MidStream())
	_, err := drain(c.ChatStream(context.Background(), hello()))
	var e *openrouter.APIError
	if !errors.As(err, &e) || e.Availability == nil {
		t.Fatalf("err = %v, want an *APIError with Availability", err)
	}
	a := e.Availability
	if a.RetryAfter != 40*time.Second || e.RetryAfter != 40*time.Second {
		t.Errorf("RetryAfter = %v / %v, want 40s from availability.retry_after", a.RetryAfter, e.RetryAfter)
	}
	if !slices.Equal(a.AffectedProviders, []string{"anthropic", "amazon-bedrock", "google-vertex"}) || !slices.Equal(a.RequestedModels, []string{"anthropic/claude-sonnet-4.5"}) ||
		a.DocsURL != "https://openrouter.ai/docs/errors#capacity_exhausted" || e.ErrorType != "rate_limit_exceeded" {
		t.Errorf("fields not decoded: %+v, error_type %q", a, e.ErrorType)
	}
	if h := openrouter.Hint(err); !strings.Contains(h, "anthropic/claude-haiku-4.5") {
		t.Errorf("Hint = %q, want the fallback model", h)
	}

	srv.Enqueue(ort.AvailabilityReply("constraint_filtered", "openai/gpt-4o-mini"))
	_, err = c.Chat(context.Background(), hello())
	if !errors.As(err, &e) || e.Availability.Constraint == nil || e.Availability.Constraint.Field != "max_price" ||
		!slices.Equal(e.Availability.ExcludedBy, []string{"max_price"}) {
		t.Errorf("constraint and excluded_by not decoded: %v", err)
	}
}

// TestAvailabilityRetries checks that the client retries as
// availability.retryable says, waiting retry_after, whatever the status:
// a retryable no_endpoints (404) is retried, a capacity_exhausted waits
// its retry_after, a non-retryable model_unavailable_upstream is not.
func TestAvailabilityRetries(t *testing.T) {
	t.Parallel()
	srv, c, w := setup(t, nil)
	retryable := ort.AvailabilityError("no_endpoints", "openai/gpt-4o-mini")
	retryable.Availability.Retryable = true
	srv.Enqueue(ort.Reply{Status: 404, Error: retryable}, ort.TextReply("ok"))
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatalf("a retryable availability error was not retried: %v", err)
	}

	busy := ort.AvailabilityError("capacity_exhausted", "openai/gpt-4o-mini")
	secs := 7.0
	busy.Availability.RetryAfter = &secs
	srv.Enqueue(ort.Reply{Status: 429, Error: busy}, ort.TextReply("ok"))
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatalf("capacity_exhausted was not retried: %v", err)
	}
	if got := w.all(); len(got) != 2 || got[1] != 7*time.Second {
		t.Errorf("waits = %v, want the second to be retry_after (7s)", got)
	}

	srv.Enqueue(ort.AvailabilityReply("model_unavailable_upstream", "openai/gpt-4o-mini"), ort.TextReply("ok"))
	if _, err := c.Chat(context.Background(), hello()); !errors.Is(err, openrouter.ErrModelNotFound) {
		t.Fatalf("err = %v, want ErrModelNotFound, not retried", err)
	}
	if n := len(w.all()); n != 2 {
		t.Errorf("%d waits, want no new one for a non-retryable code", n)
	}
}

// drain reads a stream to its end and returns its error.
func drain(s *openrouter.Stream) (*openrouter.ChatResponse, error) {
	for _, err := range s.Chunks() {
		if err != nil {
			return s.Response(), err
		}
	}
	return s.Response(), nil
}

// TestAvailabilityLongWaitIsQuota checks that a capacity_exhausted whose
// retry_after passes the client's maximum wait is ErrQuotaExhausted (not
// retried) over HTTP and inside a stream alike.
func TestAvailabilityLongWaitIsQuota(t *testing.T) {
	t.Parallel()
	body := docsError(t, docsCapacityExhausted) // retry_after 40
	for name, reply := range map[string]ort.Reply{"http": {Status: 429, Error: body}, "stream": {Status: 200, Error: body}} {
		srv, c, _ := setup(t, nil, openrouter.WithRetry(2, time.Millisecond, 10*time.Second))
		srv.Enqueue(reply, ort.TextReply("ok"))
		_, err := drain(c.ChatStream(context.Background(), hello()))
		assertSentinels(t, err, "ErrQuotaExhausted", "ErrRateLimited")
		var e *openrouter.APIError
		if errors.As(err, &e) && e.Retryable() {
			t.Errorf("%s: a 40 s wait past a 10 s maximum is retryable", name)
		}
	}
}
