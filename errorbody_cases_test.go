package openrouter

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClassifyCases pins the sentinels of each kind of error answer,
// branch by branch of classify.
func TestClassifyCases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		body   string
		want   []error
	}{
		{401, `{"error":{"message":"No auth"}}`, []error{ErrUnauthorized}},
		{402, `{"error":{"message":"more credits"}}`, []error{ErrInsufficientCredits}},
		{403, `{"error":{"message":"flagged","metadata":{"flagged_input":"x"}}}`, []error{ErrModerated}},
		{403, `{"error":{"message":"no","metadata":{"reasons":["hate"]}}}`, []error{ErrModerated}},
		{403, `{"error":{"message":"no","metadata":{"error_type":"content_policy_violation"}}}`, []error{ErrModerated}},
		{403, `{"error":{"message":"guardrail"}}`, []error{ErrForbidden}},
		{404, `{"error":{"message":"No endpoints found for x"}}`, []error{ErrNoEndpoints, ErrModelNotFound}},
		{404, `{"error":{"message":"No allowed providers are available"}}`, []error{ErrNoEndpoints, ErrModelNotFound}},
		{404, `{"error":{"message":"the model is gone"}}`, []error{ErrModelNotFound}},
		{404, `{"error":{"message":"nope","metadata":{"error_type":"model_not_found"}}}`, []error{ErrModelNotFound}},
		{404, `{"error":{"message":"Generation not found"}}`, []error{ErrNotFound}},
		{408, `{"error":{"message":"slow"}}`, []error{ErrTimeout}},
		{429, `{"error":{"message":"Rate limit exceeded"}}`, []error{ErrRateLimited}},
		{429, `{"error":{"message":"Rate limit exceeded: free-models-per-day"}}`, []error{ErrQuotaExhausted, ErrRateLimited}},
		{429, `{"error":{"message":"slow down","metadata":{"limit_source":"openrouter_free_tier_daily"}}}`, []error{ErrQuotaExhausted, ErrRateLimited}},
		{400, `{"error":{"message":"x is not a valid model ID"}}`, []error{ErrModelNotFound, ErrBadRequest}},
		{400, `{"error":{"message":"This model's maximum context length is 8192 tokens"}}`, []error{ErrContextLength, ErrBadRequest}},
		{400, `{"error":{"message":"bad","metadata":{"error_type":"max_tokens_exceeded"}}}`, []error{ErrContextLength, ErrBadRequest}},
		{422, `{"error":{"message":"bad field"}}`, []error{ErrBadRequest}},
		{499, `{"error":{"message":"client closed"}}`, []error{ErrBadRequest}},
		{500, `{"error":{"message":"boom"}}`, []error{ErrServer}},
		{302, `moved`, []error{ErrServer}},
	} {
		e := parseError(tc.status, nil, []byte(tc.body), time.Time{})
		if !slices.Equal(e.kind, tc.want) {
			t.Errorf("%d %s: kind %v, want %v", tc.status, tc.body, e.kind, tc.want)
		}
	}
}

// TestStatusFromCode: a numeric code in an error object gives the status
// when it is an HTTP status, and only then.
func TestStatusFromCode(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{`429`: 429, `"503"`: 503, `100`: 100, `599`: 599, `99`: 500, `600`: 500, `"rate_limited"`: 429} {
		e := errorFromObject([]byte(`{"code":` + code + `,"message":"m"}`))
		if e.StatusCode != want {
			t.Errorf("code %s: status %d, want %d", code, e.StatusCode, want)
		}
	}
	// An HTTP status wins over the body's code.
	if e := parseError(502, nil, []byte(`{"error":{"code":429,"message":"m"}}`), time.Time{}); e.StatusCode != 502 {
		t.Errorf("status %d", e.StatusCode)
	}
}

// TestStatusForErrorType maps every error type and word code the API
// documents to its status.
func TestStatusForErrorType(t *testing.T) {
	t.Parallel()
	for want, types := range map[int][]string{
		401: {"authentication"},
		402: {"payment_required"},
		403: {"permission_denied", "content_policy_violation", "refusal"},
		404: {"not_found", "model_not_found"},
		408: {"timeout"},
		429: {"rate_limit_exceeded", "rate_limited", "rate_limit_error"},
		400: {"invalid_request", "invalid_prompt", "context_length_exceeded", "max_tokens_exceeded", "token_limit_exceeded",
			"string_too_long", "invalid_image", "image_too_large", "image_too_small", "unsupported_image_format",
			"image_not_found", "image_download_failed", "invalid_request_error"},
		412: {"precondition_failed"},
		413: {"payload_too_large"},
		422: {"unprocessable"},
		502: {"provider_unavailable"},
		503: {"provider_overloaded"},
		500: {"", "something_new"},
	} {
		for _, typ := range types {
			if got := statusForErrorType(typ, ""); got != want {
				t.Errorf("error_type %q: %d, want %d", typ, got, want)
			}
			if got := statusForErrorType("", typ); got != want {
				t.Errorf("code %q: %d, want %d", typ, got, want)
			}
		}
	}
	if got := statusForErrorType("timeout", "rate_limited"); got != 408 {
		t.Errorf("the error type comes first: %d", got)
	}
}

// TestRateLimitResetUnits: X-RateLimit-Reset is milliseconds above 1e11,
// seconds up to it, and ignored past 1e14; negative counts are ignored.
func TestRateLimitResetUnits(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]time.Time{
		"100000000000":    time.Unix(1e11, 0),
		"100000000001":    time.UnixMilli(100000000001),
		"100000000000000": time.UnixMilli(1e14),
		"100000000000001": {},
		"0":               {},
		"-5":              {},
	} {
		h := http.Header{}
		h.Set("X-RateLimit-Reset", v)
		if got := parseRateLimit(h, nil).Reset; !got.Equal(want) {
			t.Errorf("reset %s: %v, want %v", v, got, want)
		}
	}
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "-1")
	h.Set("X-RateLimit-Remaining", "-1")
	if got := parseRateLimit(h, nil); got.Limit != 0 || got.Remaining != -1 {
		t.Errorf("negative counts: %+v", got)
	}
	h.Set("X-RateLimit-Limit", "0")
	h.Set("X-RateLimit-Remaining", "0")
	if got := parseRateLimit(h, nil); got.Limit != 0 || got.Remaining != 0 {
		t.Errorf("zero counts: %+v", got)
	}
}

// TestClipAndExcerptBounds: clip keeps n runes and marks a cut; an
// excerpt of a long tagged body stays short.
func TestClipAndExcerptBounds(t *testing.T) {
	t.Parallel()
	if got := clip("héllo", 5); got != "héllo" {
		t.Errorf("clip at the length: %q", got)
	}
	if got := clip("héllo", 4); got != "héll..." {
		t.Errorf("clip one short: %q", got)
	}
	body := "<div>" + strings.Repeat("<b>word</b> ", 2000) + "</div>"
	if got := excerpt([]byte(body)); len(got) != maxExcerpt+3 || !strings.HasPrefix(got, "word word") {
		t.Errorf("excerpt of a long page: %d bytes %q", len(got), got[:20])
	}
	if got := excerpt([]byte("<title></title><p>text</p>")); got != "text" {
		t.Errorf("an empty title: %q", got)
	}
	if got := excerpt([]byte("a > b")); got != "a > b" {
		t.Errorf("a '>' outside a tag: %q", got)
	}
	if got := parseError(500, nil, []byte("  \n "), time.Time{}).Message; got != "empty body" {
		t.Errorf("a blank body: %q", got)
	}
	if got := parseError(500, nil, []byte(`{"detail":"fastapi says no"}`), time.Time{}).Message; got != "fastapi says no" {
		t.Errorf("a proxy's JSON: %q", got)
	}
	if got := parseError(500, nil, []byte(`{"error":null,"message":"plain"}`), time.Time{}).Message; got != "plain" {
		t.Errorf("a null error member: %q", got)
	}
}

// TestAvailabilityStatusWithoutStatus: an error in a stream that names no
// status (no numeric code, no http_status) takes its availability code's
// documented one, not a blanket 500; a status it names wins.
func TestAvailabilityStatusWithoutStatus(t *testing.T) {
	t.Parallel()
	for obj, want := range map[string]int{
		`{"message":"m","availability":{"code":"capacity_exhausted","retryable":true}}`:               429,
		`{"code":"server_error","message":"m","availability":{"code":"model_deprecated"}}`:            404,
		`{"message":"m","availability":{"code":"region_restricted","retryable":false}}`:               403,
		`{"message":"m","http_status":503,"availability":{"code":"capacity_exhausted"}}`:              503,
		`{"message":"m","error_type":"provider_overloaded","availability":{"code":"brand_new_code"}}`: 503,
	} {
		if e := errorFromObject([]byte(obj)); e.StatusCode != want {
			t.Errorf("%s: status %d, want %d", obj, e.StatusCode, want)
		}
	}
}
