package openrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// completion700 is a typical small completion, about 700 bytes.
const completion700 = `{"id":"gen-1727282430-aBcDeFgHiJkLmNoPqRsT","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion","created":1727282430,"system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop","logprobs":null,"message":{"role":"assistant","content":"Go's errors.Is walks the chain of wrapped errors and reports whether any of them matches the target, calling an Is method where one is defined, so a single value can stand for a broader category of failure.","refusal":null,"reasoning":null}}],"usage":{"prompt_tokens":24,"completion_tokens":46,"total_tokens":70,"cost":0.0000312,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, completion700)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkChat compares one Chat call of the SDK (validation, retry
// policy, pacing, error checks) with a hand-written net/http +
// encoding/json call to the same local handler. Run with:
//
//	go test -run XXX -bench BenchmarkChat -benchmem -count 6 .
func BenchmarkChat(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	b.Run("baseline", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		type msg struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		}
		type request struct {
			Model    string `json:"model"`
			Messages []msg  `json:"messages"`
		}
		type response struct {
			ID       string `json:"id"`
			Model    string `json:"model"`
			Provider string `json:"provider"`
			Choices  []struct {
				FinishReason string `json:"finish_reason"`
				Message      msg    `json:"message"`
			} `json:"choices"`
			Usage struct {
				PromptTokens     int     `json:"prompt_tokens"`
				CompletionTokens int     `json:"completion_tokens"`
				Cost             float64 `json:"cost"`
			} `json:"usage"`
		}
		b.ReportAllocs()
		for b.Loop() {
			body, err := json.Marshal(request{Model: "openai/gpt-4o-mini", Messages: []msg{{"user", "What does errors.Is do?"}}})
			if err != nil {
				b.Fatal(err)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/chat/completions", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+openroutertest.DefaultKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK {
				b.Fatal(resp.Status)
			}
			var out response
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err != nil || len(out.Choices) == 0 {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct {
		name string
		opts []openrouter.Option
	}{
		{"sdk", nil}, // the default client: pacing on
		{"sdk-unpaced", []openrouter.Option{openrouter.WithLimiter(nil)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := openrouter.NewClient(openroutertest.DefaultKey, append(tc.opts, openrouter.WithBaseURL(srv.URL))...)
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini",
					Messages: []openrouter.Message{openrouter.UserMessage("What does errors.Is do?")}})
				if err != nil || res.Content() == "" {
					b.Fatal(err)
				}
			}
		})
	}
}
