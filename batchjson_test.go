package openrouter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

type batchTitle struct {
	Title string `json:"title"`
}

// answerOf returns a chat answer with this content, as a batch result
// would carry it.
func answerOf(t *testing.T, srv *ort.Server, c *openrouter.Client, content string) *openrouter.ChatResponse {
	t.Helper()
	srv.Enqueue(ort.Reply{Content: content})
	ans, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("x")}})
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

func TestChatJSONFromValidatesAndRepairs(t *testing.T) {
	srv := ort.NewServer()
	defer srv.Close()
	c := srv.Client()
	req := &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("a title")}}
	jreq, err := openrouter.JSONRequest[batchTitle](c, req, openrouter.JSONRepair(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := openrouter.CheckBatchable(jreq); err != nil || jreq.ResponseFormat == nil || jreq.ResponseFormat.Type != "json_schema" {
		t.Fatalf("JSONRequest: %v, format %+v", err, jreq.ResponseFormat)
	}
	good, bad := answerOf(t, srv, c, `{"title":"ok"}`), answerOf(t, srv, c, `{"title":7}`)
	before := srv.Stats().Completions
	v, res, err := openrouter.ChatJSONFrom[batchTitle](context.Background(), c, req, good, openrouter.JSONRepair(1))
	if err != nil || v.Title != "ok" || res.Attempts != 1 || srv.Stats().Completions != before {
		t.Fatalf("a valid answer: %+v %+v %v, %d requests sent", v, res, err, srv.Stats().Completions-before)
	}
	srv.Enqueue(ort.Reply{Content: `{"title":"fixed"}`})
	v, res, err = openrouter.ChatJSONFrom[batchTitle](context.Background(), c, req, bad, openrouter.JSONRepair(1))
	if err != nil || v.Title != "fixed" || res.Attempts != 2 || srv.Stats().Completions != before+1 {
		t.Fatalf("an invalid answer: %+v %+v %v; want it repaired by one sync request", v, res, err)
	}
	_, _, err = openrouter.ChatJSONFrom[batchTitle](context.Background(), c, req, bad)
	var ue *openrouter.UnparseableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "/title") {
		t.Errorf("no repair: %v; want the violation", err)
	}
	if _, _, err := openrouter.ChatJSONFrom[batchTitle](context.Background(), c, req, nil); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("nil answer: %v", err)
	}
}

func TestRewriteChatAndRewriteFrom(t *testing.T) {
	srv := ort.NewServer()
	defer srv.Close()
	c := srv.Client()
	rr := openrouter.RewriteRequest{Article: "# Title\n\nSome text about Go.\n", Model: "openai/gpt-4o-mini"}
	chat, ok, err := c.RewriteChat(rr)
	if err != nil || !ok || openrouter.CheckBatchable(chat) != nil {
		t.Fatalf("RewriteChat: %v %v", ok, err)
	}
	ans := answerOf(t, srv, c, `{"title":"New title","meta_description":"A summary of the article, long enough.","content":"# New\n\ntext"}`)
	got, err := c.RewriteFrom(context.Background(), rr, ans)
	if err != nil || got.Title != "New title" || got.Format != "markdown" || got.Sections != 1 {
		t.Fatalf("RewriteFrom: %+v %v", got, err)
	}
	if _, ok, err := c.RewriteChat(openrouter.RewriteRequest{Article: strings.Repeat("word ", 200_000), Model: "openai/gpt-4o-mini"}); ok || err != nil {
		t.Errorf("a long article: ok %v, %v; want not ok (rewritten in sections)", ok, err)
	}
	if _, _, err := c.RewriteChat(openrouter.RewriteRequest{}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty article: %v", err)
	}
}
