package openrouter_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// Extra reaches any field the SDK does not model yet, at any depth, by
// JSON Pointer; a path the typed fields already set is refused.
func ExampleChatRequest_extra() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	req := &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
		Provider: &openrouter.ProviderPrefs{MaxPrice: &openrouter.MaxPrice{Prompt: openrouter.Ptr(0.5)}},
		Extra:    map[string]any{"/provider/max_price/video": "0.1"},
	}
	if _, err := c.Chat(context.Background(), req); err != nil {
		fmt.Println(err)
		return
	}
	provider, _ := json.Marshal(srv.Requests()[0].Body["provider"])
	fmt.Println(string(provider))

	req.Extra = map[string]any{"/provider/max_price/prompt": "2"}
	_, err := c.Chat(context.Background(), req)
	fmt.Println(err)
	// Output:
	// {"max_price":{"prompt":"0.5","video":"0.1"}}
	// openrouter: invalid request: Extra["/provider/max_price/prompt"]: the request already sets this field; set it through the typed field, or remove it there
}

// A PDF goes in a file part; the file-parser plugin chooses how it is read.
// A cached text part makes repeated instructions cheap.
func ExampleFileDataPart() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	pdf := []byte("%PDF-1.4 ...")
	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model: "openai/gpt-4o-mini",
		Messages: []openrouter.Message{
			{Role: "system", Parts: []openrouter.ContentPart{openrouter.CachedTextPart("Summarise documents in one line.", "1h")}},
			{Role: "user", Parts: []openrouter.ContentPart{
				openrouter.TextPart("Summarise this."),
				openrouter.FileDataPart("report.pdf", "application/pdf", pdf),
			}},
		},
		Plugins: []openrouter.Plugin{openrouter.FileParserPlugin(openrouter.PDFEngineCloudflareAI)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Content())
	// Output: You said: Summarise this.
}

// Server tools run on OpenRouter during the request; the answer cites
// what web search found.
func ExampleServerTool() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:               "openai/gpt-4o-mini",
		Messages:            []openrouter.Message{openrouter.UserMessage("Go news")},
		Tools:               []openrouter.Tool{openrouter.ServerTool(openrouter.ServerToolWebSearch, openrouter.WebSearchParams{MaxResults: 3})},
		StopServerToolsWhen: []openrouter.StopCondition{openrouter.StopAfterSteps(3), openrouter.StopAfterCost(0.05)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Choices[0].Message.Annotations {
		fmt.Println(a.Type, a.URLCitation.URL)
	}
	fmt.Println("web searches:", res.Usage.ServerToolUse.WebSearchRequests)
	// Output:
	// url_citation https://example.com/openroutertest
	// web searches: 1
}
