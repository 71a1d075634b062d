package openrouter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// runShapeBatch submits req on the fake, waits for it and returns the
// batch and its results by custom ID.
func runShapeBatch(t *testing.T, req *openrouter.BatchRequest, setup func(*openroutertest.Server)) (*openrouter.Batch, map[string]*openrouter.BatchResult) {
	t.Helper()
	srv, clock, c := batchServer(t)
	if setup != nil {
		setup(srv)
	}
	b, err := c.Batches.Submit(context.Background(), req)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	final, _ := waitMoving(t, c, clock, b.ID)
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatalf("ResultMap: %v", err)
	}
	return final, results
}

// completedShapeBatch is runShapeBatch for a batch that must complete on
// endpoint: it checks that every request has a result, and returns them.
func completedShapeBatch(t *testing.T, req *openrouter.BatchRequest, endpoint string) map[string]*openrouter.BatchResult {
	t.Helper()
	b, results := runShapeBatch(t, req, nil)
	if b.Endpoint != endpoint || b.RequestCounts.Completed != len(req.Requests) {
		t.Fatalf("batch %+v; want %d completed on %s", b, len(req.Requests), endpoint)
	}
	for _, it := range req.Requests {
		if results[it.CustomID] == nil {
			t.Fatalf("no result for %s", it.CustomID)
		}
	}
	return results
}

// A batch of Responses requests is sent to /v1/responses (inferred from
// its items) and its results read as Responses answers.
func TestBatchOfResponsesRoundTrip(t *testing.T) {
	t.Parallel()
	req := &openrouter.BatchRequest{Model: batchModel, Requests: []openrouter.BatchItem{
		{CustomID: "a", Responses: &openrouter.ResponseRequest{Input: openrouter.ResponseText("alpha"), Instructions: "Be brief"}},
		{CustomID: "b", Responses: &openrouter.ResponseRequest{Input: openrouter.ResponseText("beta"), MaxOutputTokens: 50}},
	}}
	results := completedShapeBatch(t, req, openrouter.BatchResponses)
	for id, text := range map[string]string{"a": "alpha", "b": "beta"} {
		r := results[id]
		res, err := r.Responses()
		if err != nil || !strings.Contains(res.OutputText(), text) || res.Cost() <= 0 {
			t.Errorf("%s: Responses() = %q (cost %v), %v; want the text echoed, billed", id, res.OutputText(), res.Cost(), err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%s: Err() = %v on a good response", id, err)
		}
		if _, err := r.Chat(); err == nil {
			t.Errorf("%s: Chat() read a response object as a chat completion", id)
		}
	}
}

// A batch of Anthropic Messages requests is sent to /v1/messages and its
// results read as messages.
func TestBatchOfMessagesRoundTrip(t *testing.T) {
	t.Parallel()
	req := &openrouter.BatchRequest{Model: batchModel, Requests: []openrouter.BatchItem{
		{CustomID: "a", Messages: &openrouter.MessagesRequest{MaxTokens: 32, System: "Be brief",
			Messages: []openrouter.MessagesMessage{{Role: "user", Text: "alpha"}}}},
		{CustomID: "b", Messages: &openrouter.MessagesRequest{MaxTokens: 32,
			Messages: []openrouter.MessagesMessage{{Role: "user", Blocks: []openrouter.MessagesBlock{{Type: "text", Text: "beta"}}}}}},
	}}
	results := completedShapeBatch(t, req, openrouter.BatchMessages)
	for id, text := range map[string]string{"a": "alpha", "b": "beta"} {
		r := results[id]
		m, err := r.Messages()
		if err != nil || !strings.Contains(m.Text(), text) || m.StopReason != "end_turn" || m.Cost() <= 0 || m.Usage.InputTokens == 0 {
			t.Errorf("%s: Messages() = %+v, %v; want the text echoed, end_turn, billed", id, m, err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("%s: Err() = %v on a good message", id, err)
		}
		if r.Cost() != m.Cost() {
			t.Errorf("%s: BatchResult.Cost %v, message's %v", id, r.Cost(), m.Cost())
		}
	}
}

// A failed request of a Messages batch is an error of the accessor and
// of Err, typed as a sync call's.
func TestBatchOfMessagesFailedRequestIsTyped(t *testing.T) {
	t.Parallel()
	req := &openrouter.BatchRequest{Model: batchModel, Requests: []openrouter.BatchItem{
		{CustomID: "ok", Messages: &openrouter.MessagesRequest{Messages: []openrouter.MessagesMessage{{Role: "user", Text: "hi"}}}},
		{CustomID: "broke", Messages: &openrouter.MessagesRequest{Messages: []openrouter.MessagesMessage{{Role: "user", Text: "hi"}}}},
	}}
	_, results := runShapeBatch(t, req, func(s *openroutertest.Server) {
		s.FailBatchRequest("broke", openroutertest.BatchFailure{Status: 429, Message: "Rate limit exceeded"})
	})
	if _, err := results["broke"].Messages(); !errors.Is(err, openrouter.ErrRateLimited) {
		t.Errorf("Messages() of a 429 result = %v; want ErrRateLimited", err)
	}
	if err := results["broke"].Err(); !errors.Is(err, openrouter.ErrRateLimited) {
		t.Errorf("Err() of a 429 result = %v; want ErrRateLimited", err)
	}
	if err := results["ok"].Err(); err != nil {
		t.Errorf("Err() of a good result = %v", err)
	}
}

// A batch mixing shapes, an item of two shapes, an endpoint that is not
// its items', or a media part is refused before anything is sent.
func TestSubmitBatchRefusesMixedShapesBeforeSending(t *testing.T) {
	t.Parallel()
	srv, _, c := batchServer(t)
	chat := &openrouter.ChatRequest{Messages: []openrouter.Message{openrouter.UserMessage("hi")}}
	resp := &openrouter.ResponseRequest{Input: openrouter.ResponseText("hi")}
	msgs := &openrouter.MessagesRequest{Messages: []openrouter.MessagesMessage{{Role: "user", Text: "hi"}}}
	for name, c2 := range map[string]struct {
		req  *openrouter.BatchRequest
		want string
	}{
		"chat then responses": {&openrouter.BatchRequest{Requests: []openrouter.BatchItem{{CustomID: "a", Body: chat}, {CustomID: "b", Responses: resp}}}, "one endpoint"},
		"messages then chat":  {&openrouter.BatchRequest{Requests: []openrouter.BatchItem{{CustomID: "a", Messages: msgs}, {CustomID: "b", Body: chat}}}, "one endpoint"},
		"two shapes":          {&openrouter.BatchRequest{Requests: []openrouter.BatchItem{{CustomID: "a", Body: chat, Messages: msgs}}}, "one of Body, Responses and Messages"},
		"endpoint not items'": {&openrouter.BatchRequest{Endpoint: openrouter.BatchMessages, Requests: []openrouter.BatchItem{{CustomID: "a", Responses: resp}}}, "one endpoint"},
		"unknown endpoint":    {&openrouter.BatchRequest{Endpoint: "/v1/completions", Requests: []openrouter.BatchItem{{CustomID: "a", Body: chat}}}, "/v1/completions"},
		"responses image": {&openrouter.BatchRequest{Requests: []openrouter.BatchItem{{CustomID: "a", Responses: &openrouter.ResponseRequest{
			Input: []openrouter.ResponseItem{{Type: "message", Role: "user", Content: []openrouter.ResponsePart{openrouter.ResponseImagePart("https://example.com/a.png")}}}}}}}, "input_image"},
		"messages document": {&openrouter.BatchRequest{Requests: []openrouter.BatchItem{{CustomID: "a", Messages: &openrouter.MessagesRequest{
			Messages: []openrouter.MessagesMessage{{Role: "user", Blocks: []openrouter.MessagesBlock{{Type: "document"}}}}}}}}, "document"},
		"messages system role": {&openrouter.BatchRequest{Requests: []openrouter.BatchItem{{CustomID: "a", Messages: &openrouter.MessagesRequest{
			Messages: []openrouter.MessagesMessage{{Role: "system", Text: "be brief"}}}}}}, "System"},
		"responses other model": {&openrouter.BatchRequest{Requests: []openrouter.BatchItem{{CustomID: "a", Responses: &openrouter.ResponseRequest{
			Model: "openai/gpt-4o", Input: openrouter.ResponseText("hi")}}}}, "differs"},
	} {
		c2.req.Model = batchModel
		_, err := c.Batches.Submit(context.Background(), c2.req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), c2.want) {
			t.Errorf("%s: %v; want ErrInvalidRequest saying %q", name, err, c2.want)
		}
	}
	if n := srv.BatchStats().Submits; n != 0 {
		t.Errorf("%d submissions reached the server", n)
	}
}
