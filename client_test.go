package openrouter_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func TestChat(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithAppInfo("https://example.com/app", "Example App"), openrouter.WithUserAgent("test-agent/1"))
	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:       "openai/gpt-4o-mini",
		Messages:    []openrouter.Message{openrouter.SystemMessage("Be terse."), openrouter.UserMessage("Hello")},
		Temperature: openrouter.Ptr(0.0),
		MaxTokens:   64,
		Provider:    &openrouter.ProviderPrefs{Order: []string{"openai"}, RequireParameters: true},
		Seed:        openrouter.Ptr(40),
		ServiceTier: "flex",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Content(); got != "You said: Hello" {
		t.Errorf("Content() = %q", got)
	}
	if res.ID == "" || res.Model != "openai/gpt-4o-mini" || res.FinishReason() != "stop" || res.Usage == nil || res.Usage.TotalTokens == 0 || res.Cost() <= 0 {
		t.Errorf("response = %+v", res)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests", len(reqs))
	}
	r := reqs[0]
	for h, want := range map[string]string{
		"Authorization": "Bearer " + srv.Key, "Content-Type": "application/json", "User-Agent": "test-agent/1",
		"Http-Referer": "https://example.com/app", "X-Openrouter-Title": "Example App", "X-Title": "Example App",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	wantBody := map[string]any{
		"model":       "openai/gpt-4o-mini",
		"messages":    []any{map[string]any{"role": "system", "content": "Be terse."}, map[string]any{"role": "user", "content": "Hello"}},
		"temperature": 0.0, "max_tokens": 64.0, "seed": 40.0, "service_tier": "flex",
		"provider": map[string]any{"order": []any{"openai"}, "require_parameters": true},
	}
	if diff := cmp.Diff(wantBody, r.Body); diff != "" {
		t.Errorf("body sent (-want +got):\n%s", diff)
	}
}

func TestChatMultipartAndDefaultModel(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithRoles(openrouter.Roles{Standard: "anthropic/claude-haiku-4.5"}))
	req := &openrouter.ChatRequest{Messages: []openrouter.Message{{Role: "user", Parts: []openrouter.ContentPart{
		openrouter.TextPart("What is in "), openrouter.TextPart("this image?"), openrouter.ImageURLPart(ort.PNGDataURL)}}}}
	if _, err := c.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if req.Model != "" {
		t.Errorf("the caller's request was changed: Model = %q", req.Model)
	}
	r := srv.Requests()[0]
	if r.Model != "anthropic/claude-haiku-4.5" || r.LastUserText() != "What is in this image?" {
		t.Errorf("server saw model %q, text %q", r.Model, r.LastUserText())
	}
	parts := r.Body["messages"].([]any)[0].(map[string]any)["content"].([]any)
	if len(parts) != 3 || parts[2].(map[string]any)["type"] != "image_url" {
		t.Errorf("parts sent = %v", parts)
	}
}

// TestBadKeysSendNothing checks that a key that cannot work is refused
// before any request, with a reason that does not repeat the key.
func TestBadKeysSendNothing(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ key, says string }{
		{"", "no API key"},
		{" " + srv.Key, "white space"},
		{srv.Key + "\n", "white space"},
		{"sk-or-v1-abc def", "contains white space"},
		{"sk-proj-0123456789", `does not start with "sk-or-"`},
	} {
		c := openrouter.NewClient(tc.key, openrouter.WithBaseURL(srv.URL))
		_, err := c.Chat(context.Background(), hello())
		assertSentinels(t, err, "ErrUnauthorized")
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("key %q: err = %v, want it to say %q", tc.key, err, tc.says)
		}
		if tc.key != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.key)) {
			t.Errorf("error %q repeats the key", err)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
	c := openrouter.NewClient("gateway-key-123", openrouter.WithBaseURL(srv.URL), openrouter.WithKeyPrefix(""))
	_, err := c.Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrUnauthorized") // sent, and refused by the server
	if n := srv.Stats().Requests; n != 1 {
		t.Errorf("with WithKeyPrefix(\"\") the server saw %d requests, want 1", n)
	}
}

func TestWrongKeyIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	key := "sk-or-v1-revoked-secret-value"
	_, err := openrouter.NewClient(key, openrouter.WithBaseURL(srv.URL)).Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrUnauthorized")
	if !strings.Contains(err.Error(), "User not found.") || strings.Contains(err.Error(), key) {
		t.Errorf("err = %v", err)
	}
}

func TestInvalidRequestsSendNothing(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	msgs := []openrouter.Message{openrouter.UserMessage("hi")}
	for name, req := range map[string]*openrouter.ChatRequest{
		"nil":             nil,
		"no messages":     {Model: "openai/gpt-4o-mini"},
		"bad role":        {Messages: []openrouter.Message{{Role: "robot", Content: "hi"}}},
		"empty message":   {Messages: []openrouter.Message{{Role: "user"}}},
		"tool choice":     {Messages: msgs, Tools: []openrouter.Tool{openrouter.FunctionTool("f", "", nil)}, ToolChoice: "always"},
		"tool no call id": {Messages: []openrouter.Message{openrouter.UserMessage("hi"), {Role: "tool", Content: "42"}}},
		"content & parts": {Messages: []openrouter.Message{{Role: "user", Content: "a", Parts: []openrouter.ContentPart{openrouter.TextPart("b")}}}},
		"bad part":        {Messages: []openrouter.Message{{Role: "user", Parts: []openrouter.ContentPart{{Type: "text"}}}}},
		"temperature":     {Messages: msgs, Temperature: openrouter.Ptr(2.5)},
		"top_p":           {Messages: msgs, TopP: openrouter.Ptr(-0.1)},
		"max_tokens":      {Messages: msgs, MaxTokens: -1},
		"stop":            {Messages: msgs, Stop: []string{"a", "b", "c", "d", "e"}},
		"model space":     {Model: "openai/gpt 4o", Messages: msgs},
		"schema":          {Messages: msgs, ResponseFormat: &openrouter.ResponseFormat{Type: "json_schema"}},
		"format":          {Messages: msgs, ResponseFormat: &openrouter.ResponseFormat{Type: "yaml"}},
		"extra collision": {Messages: msgs, Temperature: openrouter.Ptr(0.5), Extra: map[string]any{"/temperature": 1}},
		"extra stream":    {Messages: msgs, Extra: map[string]any{"/stream": true}},
		"extra not JSON":  {Messages: msgs, Extra: map[string]any{"/x": func() {}}},
	} {
		_, err := c.Chat(context.Background(), req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", name, err)
		}
	}
	//lint:ignore SA1012 a nil context is what is tested
	if _, err := c.Chat(nil, hello()); !errors.Is(err, openrouter.ErrInvalidRequest) { //nolint:staticcheck
		t.Errorf("nil context: err = %v", err)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestBadOptionsFailEveryCall(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]openrouter.Option{
		"base URL":    openrouter.WithBaseURL("openrouter.ai/api"),
		"http client": openrouter.WithHTTPClient(nil),
		"retry":       openrouter.WithRetry(-1, 0, 0),
		"retry waits": openrouter.WithRetry(1, time.Second, time.Millisecond),
		"app info":    openrouter.WithAppInfo("https://x", "a\nb"),
		"user agent":  openrouter.WithUserAgent("a\r\nb"),
		"roles":       openrouter.WithRoles(openrouter.Roles{Image: "a b"}),
		"catalog TTL": openrouter.WithCatalogTTL(-time.Second),
	} {
		_, err := openrouter.NewClient(ort.DefaultKey, opt).Chat(context.Background(), hello())
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", name, err)
		}
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	srv, c, w := setup(t, nil)
	// The client reads the HTTP date by a clock that stands still: the
	// wait does not depend on how long the test took to get there.
	now := time.Now().UTC().Truncate(time.Second)
	openrouter.SetNow(c, func() time.Time { return now })
	date := now.Add(45 * time.Second).Format(http.TimeFormat)
	srv.Enqueue(
		ort.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("7"),
		ort.ErrorReply(503, "Service temporarily unavailable").WithRetryAfter(date),
		ort.ErrorReply(502, "Provider returned error"),
	)
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	if res.Content() != "You said: Hello" {
		t.Errorf("content = %q", res.Content())
	}
	got := w.all()
	if len(got) != 3 {
		t.Fatalf("waits = %v, want 3", got)
	}
	if got[0] != 7*time.Second {
		t.Errorf("wait after Retry-After: 7 = %v", got[0])
	}
	if got[1] != 45*time.Second {
		t.Errorf("wait after an HTTP-date Retry-After 45 s away = %v", got[1])
	}
	if got[2] < 2*time.Millisecond || got[2] > 4*time.Millisecond { // third retry: 1ms doubled twice, jittered in its upper half
		t.Errorf("exponential wait = %v, want 2ms..4ms", got[2])
	}
	// Every attempt carried the same body.
	reqs := srv.Requests()
	for i := 1; i < len(reqs); i++ {
		if string(reqs[i].Raw) != string(reqs[0].Raw) {
			t.Errorf("attempt %d sent %s, first sent %s", i+1, reqs[i].Raw, reqs[0].Raw)
		}
	}
}

func TestRetryWaitIsCapped(t *testing.T) {
	t.Parallel()
	srv, c, w := setup(t, nil, openrouter.WithRetry(5, time.Second, 8*time.Second))
	srv.Enqueue(ort.ErrorReply(500, "boom").Repeat(5))
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	for i, d := range w.all() {
		if d > 8*time.Second {
			t.Errorf("wait %d = %v, above the 8s maximum", i, d)
		}
	}
	if got := w.all(); len(got) != 5 || got[4] < 4*time.Second {
		t.Errorf("waits = %v, want 5 growing to the cap", got)
	}
}

func TestNoRetries(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithRetry(0, 0, 0))
	srv.Enqueue(ort.ErrorReply(500, "boom").Repeat(2))
	_, err := c.Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrServer")
	if n := srv.Stats().Requests; n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestCancelStopsRetryLoop(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithRetry(10, time.Hour, time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	// The client would wait an hour before its retry; cancel during that wait.
	openrouter.SetWaitHook(c, func(d time.Duration) time.Duration { cancel(); return d })
	srv.Enqueue(ort.ErrorReply(503, "Service temporarily unavailable").Repeat(10))
	_, err := c.Chat(ctx, hello())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("err = %v, want it to name the last answer", err)
	}
	if n := srv.Stats().Requests; n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestCancelledBeforeSending(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Chat(ctx, hello()); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}

// TestConnectionCutIsResentWhenAllowed: with WithResendAfterCut, a POST
// cut after it was written is sent again, and each resend is counted.
func TestConnectionCutIsResentWhenAllowed(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithResendAfterCut(2))
	srv.Enqueue(ort.Reply{Disconnect: true}, ort.Reply{Disconnect: true})
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	if res.Content() != "You said: Hello" || srv.Stats().Requests != 3 || res.MaybeBilled != 2 {
		t.Errorf("content %q after %d requests, MaybeBilled %d; want 3 requests, 2", res.Content(), srv.Stats().Requests, res.MaybeBilled)
	}
}

func TestConnectionCutsExhaustRetries(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithRetry(1, time.Millisecond, time.Millisecond), openrouter.WithResendAfterCut(5))
	srv.Enqueue(ort.Reply{Disconnect: true}.Repeat(2))
	_, err := c.Chat(context.Background(), hello())
	if err == nil || !strings.Contains(err.Error(), "after 2 attempt(s)") {
		t.Errorf("err = %v", err)
	}
	assertSentinels(t, err, "ErrMaybeBilled")
}

func TestUnknownModelFromServer(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	req := hello()
	req.Model = "anthropic/claude-haiku-4-5"
	_, err := c.Chat(context.Background(), req)
	assertSentinels(t, err, "ErrModelNotFound", "ErrBadRequest")
}

func TestNoEndpointsForTools(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	req := hello()
	req.Model = "mistralai/mistral-nemo"
	req.Tools = []openrouter.Tool{{Type: "function", Function: openrouter.ToolFunction{Name: "get_weather"}}}
	_, err := c.Chat(context.Background(), req)
	assertSentinels(t, err, "ErrNoEndpoints", "ErrModelNotFound")
}

func TestCreditsRunOut(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []ort.Option{ort.WithCredits(0.001)})
	srv.Enqueue(ort.Reply{Content: "expensive", Cost: 0.002})
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrInsufficientCredits")
}

func TestAnswerContentAsParts(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.RawReply(200, `{"id":"gen-1","model":"m","usage":{"cost":0.5},"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]}}]}`))
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	if res.Content() != "Hello" || len(res.Choices[0].Message.Parts) != 2 || res.FinishReason() != "stop" || res.Cost() != 0.5 {
		t.Errorf("response = %+v", res)
	}
}

func TestAnswerContentOfWrongType(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.RawReply(200, `{"id":"gen-1","choices":[{"message":{"content":42}}]}`))
	_, err := c.Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrServer", "ErrMaybeBilled") // a 200 that cannot be used: maybe billed
}

func TestNewClientFromEnv(t *testing.T) { // not parallel: it sets the environment
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	t.Setenv("OPENROUTER_API_KEY", srv.Key)
	res, err := openrouter.NewClientFromEnv(openrouter.WithBaseURL(srv.URL)).Chat(context.Background(), hello())
	if err != nil || res.Content() != "You said: Hello" {
		t.Fatalf("with the key in the environment: %v", err)
	}
	t.Setenv("OPENROUTER_API_KEY", "")
	_, err = openrouter.NewClientFromEnv(openrouter.WithBaseURL(srv.URL)).Chat(context.Background(), hello())
	if !errors.Is(err, openrouter.ErrUnauthorized) || !strings.Contains(err.Error(), "set OPENROUTER_API_KEY") {
		t.Errorf("with no key: %v", err)
	}
}
