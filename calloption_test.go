package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// headerLog is a transport that keeps the headers of every request sent.
type headerLog struct {
	mu   sync.Mutex
	seen []http.Header
}

func (h *headerLog) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.seen = append(h.seen, r.Header.Clone())
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (h *headerLog) all() []http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]http.Header(nil), h.seen...)
}

func TestCallHeadersSent(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithAppInfo("https://example.com", "Client title"))
	_, err := c.Chat(context.Background(), hello(),
		openrouter.CallHeader("x-custom", "one"), openrouter.CallHeader("X-Custom", "two"),
		openrouter.CallResponseCache(90*time.Second), openrouter.CallProviderMetadata(),
		openrouter.CallCategories("cli-agent", "programming"), openrouter.CallHeader("X-Title", "Call title"))
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Requests()[0].Header
	for k, want := range map[string]string{
		"X-Custom": "two", "X-Openrouter-Cache": "true", "X-Openrouter-Cache-Ttl": "90",
		"X-Openrouter-Metadata": "enabled", "X-Openrouter-Categories": "cli-agent,programming",
		"X-Title": "Call title", "Http-Referer": "https://example.com", "Authorization": "Bearer " + srv.Key,
	} {
		if got := h.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// The next call, without options, carries none of them.
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	h = srv.Requests()[1].Header
	if h.Get("X-Custom") != "" || h.Get("X-Openrouter-Cache") != "" || h.Get("X-Title") != "Client title" {
		t.Errorf("a call's headers leaked into the next call: %v", h)
	}
}

func TestCallOptionsRefused(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	for name, o := range map[string]openrouter.CallOption{
		"authorization":    openrouter.CallHeader("authorization", "Bearer sk-or-other"),
		"content-type":     openrouter.CallHeader("Content-Type", "text/plain"),
		"host":             openrouter.CallHeader("Host", "evil.example"),
		"bad name":         openrouter.CallHeader("X Bad", "v"),
		"empty name":       openrouter.CallHeader("", "v"),
		"line break":       openrouter.CallHeader("X-Ok", "a\r\nInjected: yes"),
		"cache ttl":        openrouter.CallResponseCache(500 * time.Millisecond),
		"cache ttl long":   openrouter.CallResponseCache(25 * time.Hour),
		"no category":      openrouter.CallCategories(),
		"comma category":   openrouter.CallCategories("a,b"),
		"zero timeout":     openrouter.CallTimeout(0),
		"negative retries": openrouter.CallMaxRetries(-1),
		"retries above":    openrouter.CallMaxRetries(4), // the client allows 3
		"nil info":         openrouter.CallResponseInto(nil),
		"nil option":       nil,
	} {
		_, err := c.Chat(context.Background(), hello(), o)
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", name, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent; a refused option must stop the call before sending", n)
	}
}

func TestCallResponseIntoSuccess(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply("Hi").WithHeader("X-OpenRouter-Cache-Status", "HIT"))
	info := openrouter.ResponseInfo{Attempts: 99} // reset by the call
	res, err := c.Chat(context.Background(), hello(), openrouter.CallResponseInto(&info))
	if err != nil {
		t.Fatal(err)
	}
	if info.StatusCode != 200 || info.RequestID != res.ID || info.RequestID == "" || info.Provider != "OpenRouterTest" ||
		info.Model != "openai/gpt-4o-mini" || info.CacheStatus != "HIT" || info.Attempts != 1 || info.Requests != 1 ||
		info.MaybeBilled != 0 || info.Header.Get("Content-Type") == "" || info.RateLimit.Remaining != -1 {
		t.Errorf("info = %+v", info)
	}
}

func TestCallResponseIntoFailure(t *testing.T) {
	t.Parallel()
	srv, c, w := setup(t, nil)
	srv.Enqueue(ort.ErrorReply(429, "Rate limit exceeded").WithHeader("X-RateLimit-Limit", "20").
		WithHeader("X-RateLimit-Remaining", "0").WithHeader("X-RateLimit-Reset", "1788825600000").Repeat(3))
	var info openrouter.ResponseInfo
	_, err := c.Chat(context.Background(), hello(), openrouter.CallResponseInto(&info), openrouter.CallMaxRetries(1))
	var e *openrouter.APIError
	if !errors.As(err, &e) || !errors.Is(err, openrouter.ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if info.StatusCode != 429 || info.Attempts != 2 || info.Requests != 1 || info.RateLimit.Limit != 20 ||
		info.RateLimit.Remaining != 0 || info.RateLimit.Reset.UnixMilli() != 1788825600000 {
		t.Errorf("info = %+v", info)
	}
	if e.Header.Get("X-RateLimit-Limit") != "20" || e.Attempts != 2 {
		t.Errorf("the error lacks the answer's headers or attempts: %v %+v", e.Header, e)
	}
	if got := len(w.all()); got != 1 {
		t.Errorf("%d retry waits with CallMaxRetries(1); want 1", got)
	}
	if srv.Pending() != 1 {
		t.Errorf("%d replies left; CallMaxRetries(1) must stop after 2 attempts", srv.Pending())
	}
}

// TestErrorHeaderWithoutOptions checks that an HTTP error carries its
// answer's headers with no option given.
func TestErrorHeaderWithoutOptions(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ErrorReply(400, "bad").WithHeader("X-Trace", "abc"))
	_, err := c.Chat(context.Background(), hello())
	var e *openrouter.APIError
	if !errors.As(err, &e) || e.Header.Get("X-Trace") != "abc" {
		t.Errorf("err = %v; header %v", err, e)
	}
}

// TestCallTimeout checks that the timeout ends a call the server does
// not answer, and names itself; and that a generous one does not cut an
// answer whose body is read after the request returned.
func TestCallTimeout(t *testing.T) {
	t.Parallel()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leaving
		<-r.Context().Done()
	}))
	defer hang.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hang.URL), openrouter.WithLimiter(nil), openrouter.WithRetry(0, 0, 0))
	_, err := c.Chat(context.Background(), hello(), openrouter.CallTimeout(20*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "CallTimeout(20ms)") {
		t.Errorf("err = %v, want a deadline naming CallTimeout", err)
	}

	srv, c2, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply(strings.Repeat("long answer ", 5000)))
	res, err := c2.Chat(context.Background(), hello(), openrouter.CallTimeout(time.Hour))
	if err != nil || len(res.Content()) != 60000 {
		t.Errorf("with a generous timeout: err = %v", err)
	}
	s := c2.ChatStream(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Hello")}}, openrouter.CallTimeout(time.Hour))
	for _, err := range s.Chunks() {
		if err != nil {
			t.Fatalf("stream with a generous timeout: %v", err)
		}
	}
	if s.Response().Content() == "" {
		t.Error("the stream's answer is empty")
	}
}

// TestEveryMethodTakesCallOptions sends a header through every method
// that sends a request, and checks that it arrived and that the call's
// ResponseInfo was filled.
func TestEveryMethodTakesCallOptions(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	defer srv.Close()
	log := &headerLog{}
	c := openrouter.NewClient(srv.Key, openrouter.WithManagementKey(srv.ManagementKey), openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil),
		openrouter.WithHTTPClient(&http.Client{Transport: log}), openrouter.WithCatalogTTL(0))
	ctx := context.Background()
	res, err := c.Chat(ctx, hello())
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(...openrouter.CallOption) error{
		"Chat": func(o ...openrouter.CallOption) error { _, err := c.Chat(ctx, hello(), o...); return err },
		"ChatStream": func(o ...openrouter.CallOption) error {
			for _, err := range c.ChatStream(ctx, hello(), o...).Chunks() {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"ChatJSON": func(o ...openrouter.CallOption) error {
			_, _, err := openrouter.ChatJSON[seoAnswer](ctx, c, hello(), openrouter.JSONRepair(1), o[0], o[1])
			return err
		},
		"Rewrite": func(o ...openrouter.CallOption) error {
			_, err := c.Rewrite(ctx, openrouter.RewriteRequest{Article: "# Title\n\nSome text."}, o[0], o[1])
			return err
		},
		"GenerateImage": func(o ...openrouter.CallOption) error {
			_, err := c.GenerateImage(ctx, openrouter.ImageRequest{Prompt: "a cat"}, o...)
			return err
		},
		"Models": func(o ...openrouter.CallOption) error {
			_, err := c.Models(ctx, openrouter.ModelFilter{}, o...)
			return err
		},
		"Model":      func(o ...openrouter.CallOption) error { _, err := c.Model(ctx, "openai/gpt-4o-mini", o...); return err },
		"CheckRoles": func(o ...openrouter.CallOption) error { _, err := c.CheckRoles(ctx, o...); return err },
		"CheckKey":   func(o ...openrouter.CallOption) error { _, err := c.CheckKey(ctx, o...); return err },
		"Credits":    func(o ...openrouter.CallOption) error { _, err := c.Credits(ctx, o...); return err },
		"Generation": func(o ...openrouter.CallOption) error { _, err := c.Generation(ctx, res.ID, o...); return err },
	}
	for name, call := range calls {
		before := len(log.all())
		var info openrouter.ResponseInfo
		if err := call(openrouter.CallHeader("X-Call", name), openrouter.CallResponseInto(&info)); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		sent := log.all()[before:]
		if len(sent) == 0 {
			t.Errorf("%s: nothing sent", name)
		}
		for _, h := range sent {
			if h.Get("X-Call") != name {
				t.Errorf("%s: a request went without the call's header: %v", name, h)
			}
		}
		if info.StatusCode != 200 || info.Requests != len(sent) || info.Attempts != len(sent) {
			t.Errorf("%s: %d request(s) sent, info %+v", name, len(sent), info)
		}
	}
}

// TestCallOptionsInChatJSON checks that ChatJSON's ResponseInfo counts
// every request of the call (a repair here), and is reset at its start.
func TestCallOptionsInChatJSON(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply("prose"), ort.TextReply(goodJSON))
	info := openrouter.ResponseInfo{Requests: 7}
	_, res, err := askSEO(t, c, openrouter.JSONRepair(1), openrouter.CallResponseInto(&info), openrouter.CallHeader("X-Job", "seo"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Requests != 2 || info.Attempts != 2 || res.Attempts != 2 || info.RequestID != res.Response.ID {
		t.Errorf("info %+v, result %+v", info, res)
	}
	for i, r := range srv.Requests() {
		if r.Header.Get("X-Job") != "seo" {
			t.Errorf("request %d lacks the call's header", i)
		}
	}
}

// A CallOption is a JSONOption; a JSONOption is not a CallOption (the
// compiler refuses c.Chat(ctx, req, openrouter.JSONRepair(1))).
var _ openrouter.JSONOption = openrouter.CallTimeout(time.Second)

// TestCallOptionsInRewriteSections checks that a rewrite in concurrent
// sections sends the call's header with every request and counts them
// all in one ResponseInfo (run with -race: the sections record at once).
func TestCallOptionsInRewriteSections(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithRoles(openrouter.Roles{Rewrite: "openai/gpt-4o-mini"}))
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	var info openrouter.ResponseInfo
	res, err := c.Rewrite(context.Background(), openrouter.RewriteRequest{Article: longMarkdown(12000)},
		openrouter.CallResponseInto(&info), openrouter.CallHeader("X-Job", "rewrite"), openrouter.JSONRepair(1))
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if res.Sections < 2 || info.Requests != len(reqs) || info.Attempts != len(reqs) || info.StatusCode != 200 {
		t.Errorf("%d sections, %d requests, info %+v", res.Sections, len(reqs), info)
	}
	for i, r := range reqs {
		if r.Header.Get("X-Job") != "rewrite" {
			t.Errorf("request %d lacks the call's header", i)
		}
	}
}
