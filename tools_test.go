package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

type weatherArgs struct {
	City string `json:"city" description:"The city" jsonschema:"minLength=1"`
	Unit string `json:"unit,omitempty" jsonschema:"enum=c|f"`
}

func weatherRequest() *openrouter.ChatRequest {
	return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Weather in Paris and Tokyo?")}}
}

// requestMessages returns the messages of a recorded request as sent.
func requestMessages(t *testing.T, r ort.Request) []map[string]any {
	t.Helper()
	var w struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal(r.Raw, &w); err != nil {
		t.Fatal(err)
	}
	return w.Messages
}

func TestRunToolsParallel(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ToolCallReply(
		ort.ToolCall{ID: "call_a", Name: "weather", Arguments: `{"city":"Paris"}`},
		ort.ToolCall{ID: "call_b", Name: "weather", Arguments: `{"city":"Tokyo","unit":"f"}`},
	), ort.TextReply("Sunny in both."))
	// Each call waits for the other to start: a loop that ran them one
	// after the other would never get past the first.
	var started sync.WaitGroup
	started.Add(2)
	both := make(chan struct{})
	go func() { started.Wait(); close(both) }()
	weather := openrouter.NewTool("weather", "Current weather in a city", func(ctx context.Context, a weatherArgs) (string, error) {
		started.Done()
		select {
		case <-both:
		case <-time.After(30 * time.Second):
			return "", errors.New("the other call never started: calls do not run in parallel")
		}
		return "sunny in " + a.City + " (" + a.Unit + ")", nil
	})
	res, err := c.RunTools(context.Background(), weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{weather}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Content() != "Sunny in both." || res.Rounds != 2 || len(res.Responses) != 2 || len(res.Calls) != 2 {
		t.Fatalf("result %+v", res)
	}
	for i, want := range []string{"sunny in Paris ()", "sunny in Tokyo (f)"} {
		if rec := res.Calls[i]; rec.Result != want || rec.Err != nil || rec.Round != 1 || rec.Name != "weather" {
			t.Errorf("call %d: %+v", i, rec)
		}
	}
	if res.Cost <= 0 || res.Cost != c.Spent() {
		t.Errorf("cost %v, client spent %v", res.Cost, c.Spent())
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	tools, _ := reqs[0].Body["tools"].([]any)
	def, _ := json.Marshal(tools)
	if len(tools) != 1 || !strings.Contains(string(def), `"name":"weather"`) || !strings.Contains(string(def), `"required":["city","unit"]`) {
		t.Errorf("tools sent: %s", def)
	}
	msgs := requestMessages(t, reqs[1])
	if len(msgs) != 4 || msgs[1]["role"] != "assistant" || msgs[2]["role"] != "tool" || msgs[2]["tool_call_id"] != "call_a" ||
		msgs[3]["tool_call_id"] != "call_b" || msgs[3]["content"] != "sunny in Tokyo (f)" {
		t.Errorf("second request's messages: %v", msgs)
	}
	if calls, _ := msgs[1]["tool_calls"].([]any); len(calls) != 2 {
		t.Errorf("the assistant turn lost its tool calls: %v", msgs[1])
	}
	if len(res.Messages) != 5 || res.Messages[4].Content != "Sunny in both." {
		t.Errorf("conversation: %+v", res.Messages)
	}
}

func TestRunToolsBadCalls(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ToolCallReply(
		ort.ToolCall{Name: "weather", Arguments: `{"city":5}`},
		ort.ToolCall{Name: "weather", Arguments: `{"city":"Oslo","wind":true}`},
		ort.ToolCall{Name: "weather", Arguments: `{"city":`},
		ort.ToolCall{Name: "stocks", Arguments: `{}`},
		ort.ToolCall{Name: "weather", Arguments: `{"city":"Rome"}`},
	), ort.TextReply("Done."))
	ran := 0
	var mu sync.Mutex
	weather := openrouter.NewTool("weather", "", func(ctx context.Context, a weatherArgs) (string, error) {
		mu.Lock()
		ran++
		mu.Unlock()
		return "", errors.New("station offline")
	})
	res, err := c.RunTools(context.Background(), weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{weather}})
	if err != nil {
		t.Fatal(err)
	}
	if ran != 1 {
		t.Errorf("the function ran %d times; only the valid call may reach it", ran)
	}
	for i := 0; i < 3; i++ {
		if rec := res.Calls[i]; !openrouter.IsToolArgumentsError(rec.Err) || !strings.HasPrefix(rec.Result, "error: invalid arguments") {
			t.Errorf("call %d: %+v", i, rec)
		}
	}
	if !strings.Contains(res.Calls[0].Result, "/city") || !strings.Contains(res.Calls[1].Result, "wind") {
		t.Errorf("the violations are not named: %q, %q", res.Calls[0].Result, res.Calls[1].Result)
	}
	if rec := res.Calls[3]; rec.Err == nil || rec.Result != `error: no tool named "stocks"` {
		t.Errorf("unknown tool: %+v", rec)
	}
	if rec := res.Calls[4]; rec.Result != "error: station offline" || openrouter.IsToolArgumentsError(rec.Err) {
		t.Errorf("failing function: %+v", rec)
	}
	msgs := requestMessages(t, srv.Requests()[1])
	if len(msgs) != 7 || msgs[6]["content"] != "error: station offline" {
		t.Errorf("results sent back: %v", msgs)
	}
}

func TestRunToolsRoundLimit(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ToolCallReply(ort.ToolCall{Name: "weather", Arguments: `{"city":"Paris"}`}).Repeat(3))
	weather := openrouter.NewTool("weather", "", func(ctx context.Context, a weatherArgs) (string, error) { return "", nil })
	req := weatherRequest()
	req.ToolChoice = "required"
	var info openrouter.ResponseInfo
	res, err := c.RunTools(context.Background(), req, openrouter.ToolLoop{Tools: []*openrouter.FuncTool{weather}, MaxRounds: 2}, openrouter.CallResponseInto(&info))
	var re *openrouter.ToolRoundsError
	if !errors.As(err, &re) || re.Rounds != 2 || re.Result != res || res.Rounds != 2 || len(res.Calls) != 2 || res.Response != nil {
		t.Fatalf("err = %v, result %+v", err, res)
	}
	if srv.Pending() != 1 || info.Requests != 2 {
		t.Errorf("%d replies left, info %+v: MaxRounds 2 must send 2 requests", srv.Pending(), info)
	}
	reqs := srv.Requests()
	if reqs[0].Body["tool_choice"] != "required" || reqs[1].Body["tool_choice"] != nil {
		t.Errorf("tool_choice sent: %v then %v; it applies to the first round only", reqs[0].Body["tool_choice"], reqs[1].Body["tool_choice"])
	}
	if msgs := requestMessages(t, reqs[1]); msgs[2]["content"] != "(no output)" {
		t.Errorf("an empty result was sent as %v", msgs[2]["content"])
	}
}

func TestRunToolsStopsOnError(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ToolCallReply(ort.ToolCall{Name: "weather", Arguments: `{"city":"Paris"}`}), ort.ErrorReply(400, "bad request"))
	weather := openrouter.NewTool("weather", "", func(ctx context.Context, a weatherArgs) (string, error) { return "sunny", nil })
	res, err := c.RunTools(context.Background(), weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{weather}})
	if !errors.Is(err, openrouter.ErrBadRequest) || res == nil || res.Rounds != 1 || len(res.Calls) != 1 || res.Cost <= 0 {
		t.Errorf("err = %v, result %+v", err, res)
	}
}

func TestRunToolsRefusesBadLoops(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ok := openrouter.NewTool("weather", "", func(ctx context.Context, a weatherArgs) (string, error) { return "", nil })
	withTool := weatherRequest()
	withTool.Tools = []openrouter.Tool{ok.Definition()}
	for name, tc := range map[string]struct {
		req  *openrouter.ChatRequest
		loop openrouter.ToolLoop
	}{
		"no tools":  {weatherRequest(), openrouter.ToolLoop{}},
		"nil tool":  {weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{nil}}},
		"duplicate": {weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{ok, ok}}},
		"clash":     {withTool, openrouter.ToolLoop{Tools: []*openrouter.FuncTool{ok}}},
		"bad name": {weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{
			openrouter.NewTool("get weather", "", func(ctx context.Context, a weatherArgs) (string, error) { return "", nil })}}},
		"not a struct": {weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{
			openrouter.NewTool("n", "", func(ctx context.Context, a int) (string, error) { return "", nil })}}},
		"nil func": {weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{
			openrouter.NewTool[weatherArgs]("n", "", nil)}}},
		"no messages": {&openrouter.ChatRequest{Model: "x/y"}, openrouter.ToolLoop{Tools: []*openrouter.FuncTool{ok}}},
	} {
		if _, err := c.RunTools(context.Background(), tc.req, tc.loop); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestRunToolsPanicRaisedInCaller(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ToolCallReply(ort.ToolCall{Name: "boom", Arguments: `{"city":"x"}`}))
	boom := openrouter.NewTool("boom", "", func(ctx context.Context, a weatherArgs) (string, error) { panic("tool bug") })
	defer func() {
		if p := recover(); p != "tool bug" {
			t.Errorf("recovered %v, want the tool's panic", p)
		}
	}()
	_, _ = c.RunTools(context.Background(), weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{boom}})
	t.Error("RunTools returned after a tool panicked")
}

func TestSchemaFor(t *testing.T) {
	t.Parallel()
	s, err := openrouter.SchemaFor[weatherArgs]()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(s, &m); err != nil {
		t.Fatal(err)
	}
	props, _ := m["properties"].(map[string]any)
	city, _ := props["city"].(map[string]any)
	if m["type"] != "object" || city["description"] != "The city" || fmt.Sprint(m["required"]) != "[city unit]" {
		t.Errorf("schema %s", s)
	}
	if _, err := openrouter.SchemaFor[[]string](); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("SchemaFor of a slice: err = %v", err)
	}
}

// TestRunToolsCarriesReasoningDetails checks that the assistant turn goes
// back with its reasoning_details unmodified, as OpenRouter's reasoning
// docs require.
func TestRunToolsCarriesReasoningDetails(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	details := `[{"type":"reasoning.encrypted","data":"opaque==","id":"r1","format":"anthropic-claude-v1","index":0}]`
	srv.Enqueue(ort.RawReply(200, `{"id":"gen-1","model":"anthropic/claude-sonnet-4","provider":"Anthropic","object":"chat.completion","created":1,
		"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,"reasoning":"think",
		"reasoning_details":`+details+`,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]}}],
		"usage":{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10,"cost":0.001}}`), ort.TextReply("Sunny."))
	weather := openrouter.NewTool("weather", "", func(ctx context.Context, a weatherArgs) (string, error) { return "sunny", nil })
	if _, err := c.RunTools(context.Background(), weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{weather}}); err != nil {
		t.Fatal(err)
	}
	msgs := requestMessages(t, srv.Requests()[1])
	got, _ := json.Marshal(msgs[1]["reasoning_details"])
	var want any
	_ = json.Unmarshal([]byte(details), &want)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("reasoning_details sent back: %s, want %s", got, wantJSON)
	}
}

// TestToolCallReplyStreams checks the fake's streamed tool calls, which
// arrive in pieces that the Accumulator puts back together.
func TestToolCallReplyStreams(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ToolCallReply(ort.ToolCall{ID: "call_x", Name: "weather", Arguments: `{"city":"Paris"}`},
		ort.ToolCall{Name: "weather", Arguments: `{"city":"Oslo"}`}))
	s := c.ChatStream(context.Background(), weatherRequest())
	for _, err := range s.Chunks() {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := s.Response()
	tcs := r.Choices[0].Message.ToolCalls
	if len(tcs) != 2 || tcs[0].ID != "call_x" || tcs[0].Function.Name != "weather" || tcs[0].Function.Arguments != `{"city":"Paris"}` ||
		tcs[1].ID != "call_1" || tcs[1].Function.Arguments != `{"city":"Oslo"}` || r.FinishReason() != "tool_calls" {
		t.Errorf("tool calls %+v, finish %q", tcs, r.FinishReason())
	}
}
