package openrouter_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// BenchmarkChatCallOptions measures a Chat call given CallHeader,
// CallResponseInto and CallTimeout beside a hand-written call that does
// what they do (BenchmarkChat's sdk case has no option, and pays nothing
// for them): the baseline sets the same header, bounds the call by
// context.WithTimeout, and fills a caller's struct with what
// ResponseInfo holds of the answer (status, headers, generation ID, cache
// status, rate limit, provider, model).
//
//	go test -run XXX -bench BenchmarkChatCallOptions -benchmem .
func BenchmarkChatCallOptions(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	b.Run("baseline", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		setHeader := func(h http.Header) { h.Set("X-Job", "bench") }
		var info rawInfo
		b.ReportAllocs()
		for b.Loop() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			out, resp, err := rawChat(cctx, hc, srv.URL, setHeader)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			info.fill(resp, out)
			if info.StatusCode != 200 {
				b.Fatal(info.StatusCode)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
		var info openrouter.ResponseInfo
		header := openrouter.CallHeader("X-Job", "bench")
		into := openrouter.CallResponseInto(&info)
		timeout := openrouter.CallTimeout(time.Minute)
		b.ReportAllocs()
		for b.Loop() {
			res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini",
				Messages: []openrouter.Message{openrouter.UserMessage("What does errors.Is do?")}}, header, into, timeout)
			if err != nil || res.Content() == "" || info.StatusCode != 200 {
				b.Fatal(err)
			}
		}
	})
}

// rawInfo is what a hand-written client keeps of an answer, as
// ResponseInfo does.
type rawInfo struct {
	StatusCode               int
	Header                   http.Header
	RequestID, CacheStatus   string
	Provider, Model          string
	RateLimit, RateRemaining int
	RateReset                int64
}

func (i *rawInfo) fill(resp *http.Response, out *rawResponse) {
	h := resp.Header
	*i = rawInfo{StatusCode: resp.StatusCode, Header: h, RequestID: h.Get("X-Generation-Id"),
		CacheStatus: h.Get("X-Openrouter-Cache-Status"), Provider: out.Provider, Model: out.Model, RateRemaining: -1}
	if out.ID != "" {
		i.RequestID = out.ID
	}
	if v := h.Get("X-Ratelimit-Limit"); v != "" {
		i.RateLimit, _ = strconv.Atoi(v)
	}
	if v := h.Get("X-Ratelimit-Remaining"); v != "" {
		i.RateRemaining, _ = strconv.Atoi(v)
	}
	if v := h.Get("X-Ratelimit-Reset"); v != "" {
		i.RateReset, _ = strconv.ParseInt(v, 10, 64)
	}
}
