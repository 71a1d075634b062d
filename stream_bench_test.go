package openrouter_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// sseBody builds a 2,000-chunk stream as OpenRouter sends it: keep-alive
// comments, content chunks, a finish chunk, a usage chunk and [DONE].
func sseBody(chunks int) []byte {
	var b bytes.Buffer
	b.WriteString(": OPENROUTER PROCESSING\n\n")
	for i := 0; i < chunks; i++ {
		fmt.Fprintf(&b, `data: {"id":"gen-1727282430-aBcDeFgHiJkLmNoPqRsT","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion.chunk","created":1727282430,"choices":[{"index":0,"delta":{"content":"word%d "},"finish_reason":null,"native_finish_reason":null}]}`+"\n\n", i)
		if i%100 == 0 {
			b.WriteString(": OPENROUTER PROCESSING\n\n")
		}
	}
	b.WriteString(`data: {"id":"gen-1","model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop","native_finish_reason":"stop"}]}` + "\n\n")
	b.WriteString(`data: {"id":"gen-1","model":"openai/gpt-4o-mini","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":4000,"total_tokens":4010,"cost":0.0024}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// BenchmarkStream reads a 2,000-chunk stream from a recorded body: the
// SDK's ChatStream (SSE parsing, typed chunks, accumulation, error checks)
// beside a plain bufio.Scanner + json.Unmarshal loop over the same bytes,
// decoding the fields BenchmarkChat's baseline decodes. Both sides get
// the body from the same http.RoundTripper (recordedClient), the SDK
// through WithHTTPClient: no server goroutine and no socket, so that
// callgrind's count does not depend on the scheduling of a server beside
// the client. allocs/chunk is allocs/op over 2,000.
//
//	go test -run XXX -bench BenchmarkStream -benchmem -count 6 -cpu 1 .
func BenchmarkStream(b *testing.B) {
	const chunks = 2000
	hc := recordedClient(sseBody(chunks), "text/event-stream")
	ctx := context.Background()
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		perChunk(b, chunks, func() {
			resp, err := hc.Post(recordedURL+"/chat/completions", "application/json", bytes.NewReader([]byte(`{"stream":true}`)))
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			var text []byte
			n := 0
			for sc.Scan() {
				line := sc.Bytes()
				if !bytes.HasPrefix(line, []byte("data: ")) || bytes.Equal(line, []byte("data: [DONE]")) {
					continue
				}
				// The fields a program would read, as BenchmarkChat's
				// baseline decodes them: the generation's id, model and
				// provider, the text, the finish reason and the usage.
				var ch struct {
					ID       string `json:"id"`
					Model    string `json:"model"`
					Provider string `json:"provider"`
					Choices  []struct {
						Delta struct {
							Content string `json:"content"`
						} `json:"delta"`
						FinishReason *string `json:"finish_reason"`
					} `json:"choices"`
					Usage *struct {
						PromptTokens     int     `json:"prompt_tokens"`
						CompletionTokens int     `json:"completion_tokens"`
						Cost             float64 `json:"cost"`
					} `json:"usage"`
				}
				if err := json.Unmarshal(line[len("data: "):], &ch); err != nil {
					b.Fatal(err)
				}
				if len(ch.Choices) > 0 {
					text = append(text, ch.Choices[0].Delta.Content...)
				}
				n++
			}
			resp.Body.Close()
			if n != chunks+2 || len(text) == 0 {
				b.Fatalf("%d chunks", n)
			}
		})
	})
	b.Run("sdk", func(b *testing.B) {
		c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(recordedURL), openrouter.WithHTTPClient(hc))
		b.ReportAllocs()
		perChunk(b, chunks, func() {
			s := c.ChatStream(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Hi")}})
			n := 0
			for _, err := range s.Chunks() {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != chunks+2 || s.Response().Content() == "" {
				b.Fatalf("%d chunks", n)
			}
		})
	})
}

// perChunk runs op in the benchmark loop and reports allocs/chunk: the
// allocations per op (the allocs/op figure) over the chunks per op.
func perChunk(b *testing.B, chunks int, op func()) {
	allocs, _ := measure(b, op)
	b.ReportMetric(allocs/float64(chunks), "allocs/chunk")
}
