package openrouter_test

import (
	"context"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// BenchmarkChatCallOptions measures what per-call options add to a Chat
// call (BenchmarkChat's sdk case has none, and pays nothing for them):
//
//	go test -run XXX -bench BenchmarkChatCallOptions -benchmem .
func BenchmarkChatCallOptions(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
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
}
