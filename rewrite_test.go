package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

type seoAnswer struct {
	Title           string `json:"title" description:"The new title" jsonschema:"minLength=5,maxLength=70"`
	MetaDescription string `json:"meta_description" jsonschema:"maxLength=160"`
	Content         string `json:"content"`
	Tone            string `json:"tone,omitempty" jsonschema:"enum=formal|casual"`
	Score           int    `json:"score" jsonschema:"minimum=0,maximum=10"`
	Slug            string `json:"slug" jsonschema:"pattern=^[a-z0-9-]+$"`
}

const goodJSON = `{"title":"A good title","meta_description":"Short.","content":"Body.","score":7,"slug":"a-good-title"}`

func askSEO(t *testing.T, c *openrouter.Client, opts ...openrouter.JSONOption) (seoAnswer, *openrouter.JSONResult, error) {
	t.Helper()
	return openrouter.ChatJSON[seoAnswer](context.Background(), c, &openrouter.ChatRequest{
		Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Rewrite: <article>\n# Go errors\nWrap them.\n</article>")},
	}, opts...)
}

func TestChatJSONExtracts(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]string{
		"plain":           goodJSON,
		"fenced":          "```json\n" + goodJSON + "\n```",
		"prose around":    "Sure! Here is the JSON you asked for:\n" + goodJSON + "\nLet me know if you need anything else.",
		"byte-order mark": "\ufeff" + goodJSON,
		"quoted string":   fmt.Sprintf("%q", goodJSON),
		"unclosed fence":  "```\n" + goodJSON,
	} {
		srv, c, _ := setup(t, nil)
		srv.Enqueue(ort.TextReply(answer))
		v, res, err := askSEO(t, c)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if v.Title != "A good title" || v.Score != 7 || res.Attempts != 1 || res.Model != "openai/gpt-4o-mini" {
			t.Errorf("%s: %+v %+v", name, v, res)
		}
	}
}

func TestChatJSONRequest(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	v, _, err := askSEO(t, c, openrouter.JSONResponseHealing()) // the default responder answers the schema
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.Title, "Rewritten: Go errors") || v.Content == "" {
		t.Errorf("value = %+v", v)
	}
	body := srv.Requests()[0].Body
	rf := body["response_format"].(map[string]any)
	js := rf["json_schema"].(map[string]any)
	if rf["type"] != "json_schema" || js["name"] != "seoAnswer" || js["strict"] != true {
		t.Errorf("response_format = %v", rf)
	}
	sch := js["schema"].(map[string]any)
	if sch["additionalProperties"] != false || len(sch["required"].([]any)) != 6 {
		t.Errorf("schema = %v", sch)
	}
	title := sch["properties"].(map[string]any)["title"].(map[string]any)
	if title["description"] != "The new title" || title["maxLength"] != 70.0 {
		t.Errorf("title schema = %v", title)
	}
	tone := sch["properties"].(map[string]any)["tone"].(map[string]any)
	if fmt.Sprint(tone["type"]) != "[string null]" {
		t.Errorf("an optional field is not nullable: %v", tone)
	}
	if body["provider"].(map[string]any)["require_parameters"] != true {
		t.Errorf("provider = %v", body["provider"])
	}
	if fmt.Sprint(body["plugins"]) != "[map[id:response-healing]]" {
		t.Errorf("plugins = %v", body["plugins"])
	}
}

func TestChatJSONFailures(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		reply ort.Reply
		says  []string
	}{
		"prose only":  {ort.TextReply("I am sorry, I cannot help with that."), []string{"holds no JSON"}},
		"truncated":   {ort.Reply{Content: `{"title":"A good title","content":"Body that goes on and on`, FinishReason: "length"}, []string{"max_tokens", "raise MaxTokens"}},
		"wrong types": {ort.TextReply(`{"title":"A good title","meta_description":"x","content":"y","score":"ten","slug":"s"}`), []string{"/score: want an integer, got a string"}},
		"missing":     {ort.TextReply(`{"title":"A good title","meta_description":"x","score":1,"slug":"s"}`), []string{"/content: missing required field"}},
		"extra":       {ort.TextReply(`{"title":"A good title","meta_description":"x","content":"y","score":1,"slug":"s","author":"me"}`), []string{"/author: unknown field"}},
		"out of bounds": {ort.TextReply(`{"title":"Tiny","meta_description":"x","content":"y","score":11,"slug":"Not A Slug","tone":"angry"}`),
			[]string{"/title: 4 characters, under the minimum of 5", "/score: 11 is over the maximum of 10", "/slug:", "does not match", "/tone: \"angry\" is not one of formal, casual"}},
		"syntax": {ort.TextReply(`Here: {"title": "A good title",, "content": "y"}`), []string{"invalid JSON", "byte"}},
		"number too large": {ort.TextReply(`{"title":"A good title","meta_description":"x","content":"y","score":1e400,"slug":"s"}`),
			[]string{"number 1e400", "float64"}},
	} {
		srv, c, _ := setup(t, nil)
		srv.Enqueue(tc.reply)
		_, res, err := askSEO(t, c)
		var e *openrouter.UnparseableError
		if !errors.As(err, &e) || !errors.Is(err, openrouter.ErrUnparseable) {
			t.Errorf("%s: err = %v", name, err)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", name, err, s)
			}
		}
		if e.Raw == "" || e.Model == "" || e.Usage == nil || res.Attempts != 1 || res.Cost <= 0 {
			t.Errorf("%s: error details %+v, result %+v", name, e, res)
		}
		if name == "syntax" && (e.Offset != 31 || e.Raw[e.Offset] != ',') {
			t.Errorf("syntax error at byte %d, want 31 (the second comma)", e.Offset)
		}
	}
}

func TestChatJSONUnknownFieldsAllowed(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply(`{"title":"A good title","meta_description":"x","content":"y","score":1,"slug":"s","author":"me"}`))
	if _, _, err := askSEO(t, c, openrouter.JSONUnknownFields()); err != nil {
		t.Error(err)
	}
}

func TestChatJSONEmpty(t *testing.T) {
	t.Parallel()
	for _, finish := range []string{"content_filter", "length"} {
		srv, c, _ := setup(t, nil)
		srv.Enqueue(ort.EmptyReply(finish))
		_, _, err := askSEO(t, c)
		var e *openrouter.EmptyContentError
		if !errors.As(err, &e) || e.FinishReason != finish {
			t.Errorf("%s: err = %v", finish, err)
		}
	}
}

func TestChatJSONRepair(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: `{"title":"A good title","meta_description":"x","content":"y","score":"ten","slug":"s"}`, Cost: 0.01},
		ort.Reply{Content: goodJSON, Cost: 0.02})
	v, res, err := askSEO(t, c, openrouter.JSONRepair(2))
	if err != nil {
		t.Fatal(err)
	}
	if v.Score != 7 || res.Attempts != 2 || res.Cost != 0.03 {
		t.Errorf("value %+v, result %+v", v, res)
	}
	second := srv.Requests()[1]
	msgs := second.Messages
	if len(msgs) != 3 || msgs[1].Role != "assistant" || !strings.Contains(msgs[2].Text, "/score: want an integer, got a string") {
		t.Errorf("the repair request did not show the violation: %+v", msgs)
	}
}

func TestChatJSONRepairsExhausted(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply("prose").Repeat(3))
	_, res, err := askSEO(t, c, openrouter.JSONRepair(2))
	var e *openrouter.UnparseableError
	if !errors.As(err, &e) || e.Attempts != 3 || res.Attempts != 3 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("err = %v, result %+v", err, res)
	}
}

func TestChatJSONFallback(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply("prose").Repeat(2), ort.TextReply(goodJSON))
	v, res, err := askSEO(t, c, openrouter.JSONRepair(1), openrouter.JSONFallbackModels("anthropic/claude-haiku-4.5"))
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if v.Score != 7 || res.Attempts != 3 || reqs[2].Model != "anthropic/claude-haiku-4.5" || len(reqs[2].Messages) != 1 {
		t.Errorf("value %+v, result %+v, third request to %s with %d messages", v, res, reqs[2].Model, len(reqs[2].Messages))
	}
	// Account trouble is not worth a fallback.
	srv.Enqueue(ort.ErrorReply(402, "Insufficient credits"))
	_, res, err = askSEO(t, c, openrouter.JSONFallbackModels("anthropic/claude-haiku-4.5"))
	if !errors.Is(err, openrouter.ErrInsufficientCredits) || res.Attempts != 1 {
		t.Errorf("402: err = %v, %d attempts", err, res.Attempts)
	}
}

func TestChatJSONRefusesOnline(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	_, _, err := openrouter.ChatJSON[seoAnswer](context.Background(), c, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini:online",
		Messages: []openrouter.Message{openrouter.UserMessage("x")}})
	assertSentinels(t, err, "ErrInvalidRequest")
	if srv.Stats().Requests != 0 {
		t.Error("a request was sent")
	}
}

func TestChatJSONObjectForModelWithoutSchemas(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	v, _, err := openrouter.ChatJSON[seoAnswer](context.Background(), c, &openrouter.ChatRequest{Model: "mistralai/mistral-nemo",
		Messages: []openrouter.Message{openrouter.UserMessage("Rewrite: <article>\n# Go errors\nWrap them.\n</article>")}})
	if err != nil {
		t.Fatal(err) // the fake answers from the schema in the system message
	}
	if !strings.HasPrefix(v.Title, "Rewritten: Go errors") {
		t.Errorf("value = %+v", v)
	}
	r := srv.Requests()[0]
	if r.ResponseFormatType() != "json_object" || r.Messages[0].Role != "system" || !strings.Contains(r.Messages[0].Text, `"meta_description"`) {
		t.Errorf("request = %s", r.Raw)
	}
}

type validated struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

func (v validated) Validate() error {
	if v.End < v.Start {
		return fmt.Errorf("end %d is before start %d", v.End, v.Start)
	}
	return nil
}

func TestChatJSONValidateMethod(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply(`{"start":5,"end":2}`))
	_, _, err := openrouter.ChatJSON[validated](context.Background(), c, hello())
	if !errors.Is(err, openrouter.ErrUnparseable) || !strings.Contains(err.Error(), "Validate: end 2 is before start 5") {
		t.Errorf("err = %v", err)
	}
}

func TestChatJSONNeedsStruct(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	_, _, err := openrouter.ChatJSON[[]string](context.Background(), c, hello())
	assertSentinels(t, err, "ErrInvalidRequest")
}
