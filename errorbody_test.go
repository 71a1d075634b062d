package openrouter

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		" 1.5 ":                         1500 * time.Millisecond,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"1e12":                          0,
		"Wed, 25 Nov 2026 12:00:30 GMT": 30 * time.Second,
		"Wed, 25 Nov 2026 11:00:00 GMT": 0, // in the past
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "50")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", "1788825600000")
	got := parseRateLimit(h, nil)
	if got.Limit != 50 || got.Remaining != 0 || !got.Reset.Equal(time.UnixMilli(1788825600000)) {
		t.Errorf("from headers: %+v", got)
	}
	got = parseRateLimit(nil, json.RawMessage(`{"X-RateLimit-Limit":"20","X-RateLimit-Remaining":"3","X-RateLimit-Reset":"1788825600"}`))
	if got.Limit != 20 || got.Remaining != 3 || !got.Reset.Equal(time.Unix(1788825600, 0)) {
		t.Errorf("from metadata.headers: %+v", got)
	}
	if got := parseRateLimit(http.Header{}, nil); got.Remaining != -1 || got.Limit != 0 || !got.Reset.IsZero() {
		t.Errorf("nothing sent: %+v", got)
	}
}

func TestUpstreamMessage(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`"{\"error\":{\"message\":\"must contain the word 'json'\",\"type\":\"invalid_request_error\"}}"`: "must contain the word 'json'",
		`"{\n  \"error\": {\n    \"message\": \"pretty\"\n  }\n}"`:                                        "pretty",
		`{"error":{"message":"nested object"}}`:                                                           "nested object",
		`{"error":"bare string"}`:                                                                         "bare string",
		`{"detail":"fastapi style"}`:                                                                      "fastapi style",
		`"z-ai/glm is temporarily\n rate-limited upstream."`:                                              "z-ai/glm is temporarily rate-limited upstream.",
		`"\"double encoded\""`:                                                                            "double encoded",
		`[{"message":"first of many"}]`:                                                                   "first of many",
		`{"other":1}`:                                                                                     "",
		`42`:                                                                                              "",
	} {
		if got := upstreamMessage(json.RawMessage(raw), 0); got != want {
			t.Errorf("upstreamMessage(%s) = %q, want %q", raw, got, want)
		}
	}
	long := `"` + strings.Repeat("x", 1000) + `"`
	if got := upstreamMessage(json.RawMessage(long), 0); utf8.RuneCountInString(got) != 303 {
		t.Errorf("a long raw message is not clipped: %d runes", utf8.RuneCountInString(got))
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		"<html><head><TITLE> 502 Bad Gateway </TITLE></head></html>": "502 Bad Gateway",
		"<p>Service <b>down</b></p>":                                 "Service down",
		"plain\n\ttext":                                              "plain text",
		"\xff\xfe bad utf8":                                          "\uFFFD\uFFFD bad utf8",
	} {
		if got := excerpt([]byte(body)); got != want {
			t.Errorf("excerpt(%q) = %q, want %q", body, got, want)
		}
	}
	if got := excerpt([]byte(strings.Repeat("a ", 5000))); len(got) > maxExcerpt+3 {
		t.Errorf("excerpt of a long body has %d bytes", len(got))
	}
}

// FuzzParseError feeds any status and body to the error parser: it must
// never panic, always classify the error, and keep its text bounded.
// Seeds: testdata/fuzz/FuzzParseError.
func FuzzParseError(f *testing.F) {
	f.Add(400, []byte(`{"error":{"code":400,"message":"Provider returned error","metadata":{"raw":"{\"error\":{\"message\":\"x\"}}","provider_name":"OpenAI"}}}`))
	f.Add(429, []byte(`{"error":{"code":429,"message":"Rate limit exceeded: free-models-per-day","metadata":{"headers":{"X-RateLimit-Reset":"1788825600000"}}}}`))
	f.Add(502, []byte(`<html><title>Bad Gateway</title></html>`))
	f.Add(200, []byte(`{"error":{"code":"server_error","message":"boom"}}`))
	f.Add(403, []byte(`{"error":{"code":403,"message":"flagged","metadata":{"reasons":"violence","flagged_input":null}}}`))
	f.Add(500, []byte(`{"error":`))
	f.Add(200, []byte(`{"error":{"message":"m","error_type":"not_found","http_status":404,"availability":{"code":"model_deprecated","retryable":false,"retry_after":40,"requested_models":["a"],"fallback_models":["b",1],"constraint":{"field":"x"},"docs_url":"u"}}}`))
	f.Add(403, []byte(`{"error":{"code":403,"message":"m","metadata":{"limit_source":"openrouter_workspace_budget","resets_at":"2027-01-01T00:00:00Z"}}}`))
	f.Add(0, []byte{})
	// The 2026 shapes: an availability whose retryable is missing or not
	// a boolean, retry_after a string, negative, huge or fractional,
	// fallback_models null or hostile, http_status against the status,
	// an unknown code, a budget with resets_at garbage or fractional.
	f.Add(503, []byte(`{"error":{"message":"m","http_status":429,"availability":{"code":"capacity_exhausted","retry_after":"40"}}}`))
	f.Add(429, []byte(`{"error":{"message":"m","availability":{"code":"capacity_exhausted","retryable":null,"retry_after":-1e309,"fallback_models":null}}}`))
	f.Add(429, []byte(`{"error":{"message":"m","availability":{"code":"capacity_exhausted","retryable":"yes","retry_after":0.001,"fallback_models":[{"a":1},"",null,"x/y"]}}}`))
	f.Add(451, []byte(`{"error":{"message":"m","http_status":"999","availability":{"code":"brand_new_code","retryable":true,"retry_after":1e300,"constraint":"x"}}}`))
	f.Add(200, []byte(`{"error":{"http_status":404,"availability":{"code":{"nested":true},"retryable":false}}}`))
	f.Add(403, []byte(`{"error":{"message":"Workspace daily budget of $1.00 exceeded.","metadata":{"resets_at":1764979200.5}}}`))
	f.Add(403, []byte(`{"error":{"message":"m","metadata":{"limit_source":"openrouter_guardrail_budget","resets_at":"soon"}}}`))
	now := time.Unix(1788825600, 0)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", string(body[:min(len(body), 12)]))
		e := parseError(status, h, body, now)
		if len(e.kind) == 0 {
			t.Fatalf("status %d body %q: no sentinel", status, body)
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("Retry-After %v out of [0, %v]", e.RetryAfter, maxRetryAfter)
		}
		if a := e.Availability; a != nil && (a.RetryAfter < 0 || a.RetryAfter > maxRetryAfter || a.Code == "") {
			t.Fatalf("availability %+v: retry_after out of bounds or no code", a)
		}
		_ = e.Error()
		_ = Hint(e)
		var env struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil && len(env.Error) > 0 {
			_ = errorFromObject(env.Error).Error()
		}
	})
}

// TestExcerptInvalidUTF8Title: a Windows-1252 page's title (bytes that are
// not UTF-8) used to shift the positions found in the lower-cased copy and
// panic with "slice bounds out of range".
func TestExcerptInvalidUTF8Title(t *testing.T) {
	t.Parallel()
	body := []byte("<html><head>\xc0\xc1\xc2\xc3\xe9\xe9<TITLE>Caf\xe9 \xe9\xe9\xe9 down</TITLE></head></html>")
	if got, want := excerpt(body), "Caf\uFFFD \uFFFD down"; got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
	e := parseError(502, nil, body, time.Now())
	if !strings.Contains(e.Message, "down") {
		t.Errorf("parseError message %q", e.Message)
	}
}
