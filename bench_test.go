package openrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := rawChat(ctx, hc, srv.URL, nil); err != nil {
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

// rawMsg, rawRequest and rawResponse are what a hand-written client of
// the chat API sends and reads: the fields a program would use.
type rawMsg struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type rawRequest struct {
	Model    string   `json:"model"`
	Messages []rawMsg `json:"messages"`
}

type rawResponse struct {
	ID       string `json:"id"`
	Model    string `json:"model"`
	Provider string `json:"provider"`
	Choices  []struct {
		FinishReason string `json:"finish_reason"`
		Message      rawMsg `json:"message"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int     `json:"prompt_tokens"`
		CompletionTokens int     `json:"completion_tokens"`
		Cost             float64 `json:"cost"`
	} `json:"usage"`
}

// rawChat is the baselines' chat call: net/http and encoding/json by
// hand, the header set by setHeader (when not nil) added to the request.
// It returns the decoded answer and the answer's headers.
func rawChat(ctx context.Context, hc *http.Client, url string, setHeader func(http.Header)) (*rawResponse, *http.Response, error) {
	body, err := json.Marshal(rawRequest{Model: "openai/gpt-4o-mini", Messages: []rawMsg{{"user", "What does errors.Is do?"}}})
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+openroutertest.DefaultKey)
	req.Header.Set("Content-Type", "application/json")
	if setHeader != nil {
		setHeader(req.Header)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp, errors.New(resp.Status)
	}
	var out rawResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, resp, err
	}
	if len(out.Choices) == 0 {
		return nil, resp, errors.New("no choice")
	}
	return &out, resp, nil
}
