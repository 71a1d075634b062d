package openrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/openapischema"
	"github.com/routerkit/openrouter/openroutertest"
)

func helloResponse() *openrouter.ResponseRequest {
	return &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hello")}
}

func TestResponsesCreate(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	var info openrouter.ResponseInfo
	res, err := c.Responses.Create(context.Background(), helloResponse(), openrouter.CallResponseInto(&info))
	if err != nil {
		t.Fatal(err)
	}
	if info.RequestID != res.ID || info.Model != "openai/gpt-4o-mini" || info.Attempts != 1 || info.Header.Get("X-Generation-Id") != res.ID {
		t.Errorf("ResponseInfo %+v for response %s", info, res.ID)
	}
	if got := res.OutputText(); got != "You said: Hello" {
		t.Errorf("OutputText = %q", got)
	}
	if res.Status != "completed" || res.Usage == nil || res.Usage.InputTokens == 0 || res.Cost() <= 0 {
		t.Errorf("status %q, usage %+v", res.Status, res.Usage)
	}
	if c.Spent() != res.Cost() || srv.Spent() != res.Cost() {
		t.Errorf("client spent %v, server %v, answer cost %v", c.Spent(), srv.Spent(), res.Cost())
	}
}

// TestResponseRequestMatchesOpenAPI checks the body Create sends, with
// every typed field set, against the document's ResponsesRequest.
func TestResponseRequestMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	sch, err := openapischema.Compile("openroutertest/testdata/openapi.yaml", "/components/schemas/ResponsesRequest")
	if err != nil {
		t.Fatal(err)
	}
	srv, c, _ := setup(t, nil)
	srv.Enqueue(openroutertest.ToolCallReply(openroutertest.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}))
	params := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	req := &openrouter.ResponseRequest{
		Model: "openai/gpt-4o-mini", Models: []string{"anthropic/claude-haiku-4.5"},
		Instructions: "Be terse.",
		Input: []openrouter.ResponseItem{openrouter.ResponseMessage("developer", "Use tools."),
			{Type: "message", Role: "user", Content: []openrouter.ResponsePart{{Type: "input_text", Text: "Look"}, openrouter.ResponseImagePart(openroutertest.PNGDataURL)}}},
		Tools:      []openrouter.ResponseTool{openrouter.ResponseFunctionTool("get_weather", "Weather of a city", params)},
		ToolChoice: "get_weather", ParallelToolCalls: openrouter.Ptr(false),
		Reasoning:       &openrouter.ResponseReasoning{Effort: "low", Summary: "auto"},
		Text:            openrouter.ResponseJSONSchema("city", json.RawMessage(`{"type":"object"}`)),
		MaxOutputTokens: 500, Temperature: openrouter.Ptr(0.0), TopP: openrouter.Ptr(0.9),
		Provider: &openrouter.ProviderPrefs{Order: []string{"openai"}, AllowFallbacks: openrouter.Ptr(false)},
		Metadata: map[string]string{"run": "1"}, User: "u1", SessionID: "s1",
		Extra: map[string]any{"/top_k": 40},
	}
	res, err := c.Responses.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// The second turn sends the first answer's items back, and the
	// function's output.
	calls := res.FunctionCalls()
	if len(calls) != 1 || calls[0].Name != "get_weather" || calls[0].Arguments != `{"city":"Paris"}` {
		t.Fatalf("function calls %+v", calls)
	}
	next := *req
	next.Input = append(append(append([]openrouter.ResponseItem{}, req.Input...), res.Output...), openrouter.ResponseFunctionOutput(calls[0].CallID, "sunny"))
	if _, err := c.Responses.Create(context.Background(), &next); err != nil {
		t.Fatal(err)
	}
	for i, r := range srv.Requests() {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("request %d does not match ResponsesRequest: %v\n%s", i, err, r.Raw)
		}
	}
	raw := string(srv.Requests()[0].Raw)
	for _, want := range []string{`"tool_choice":{"name":"get_weather","type":"function"}`, `"top_k":40`, `"detail":"auto"`, `"max_output_tokens":500`, `"temperature":0`} {
		if !strings.Contains(raw, want) {
			t.Errorf("the body lacks %s: %s", want, raw)
		}
	}
}

// TestResponsesInvalidRequest checks that bad input fails before any
// request, with ErrInvalidRequest naming the field.
func TestResponsesInvalidRequest(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	mod := func(f func(r *openrouter.ResponseRequest)) *openrouter.ResponseRequest {
		r := helloResponse()
		f(r)
		return r
	}
	for _, tc := range []struct {
		name, field string
		req         *openrouter.ResponseRequest
	}{
		{"nil", "ResponseRequest", nil},
		{"no input", "input", mod(func(r *openrouter.ResponseRequest) { r.Input = nil })},
		{"bad role", "input[0]", mod(func(r *openrouter.ResponseRequest) { r.Input[0].Role = "robot" })},
		{"empty text", "content[0]", mod(func(r *openrouter.ResponseRequest) { r.Input[0].Content[0].Text = "" })},
		{"call output without id", "input[1]", mod(func(r *openrouter.ResponseRequest) {
			r.Input = append(r.Input, openrouter.ResponseFunctionOutput("", "x"))
		})},
		{"unknown tool choice", "tool_choice", mod(func(r *openrouter.ResponseRequest) { r.ToolChoice = "nope" })},
		{"tool without name", "tools[0]", mod(func(r *openrouter.ResponseRequest) {
			r.Tools = []openrouter.ResponseTool{openrouter.ResponseFunctionTool("", "", nil)}
		})},
		{"temperature", "temperature", mod(func(r *openrouter.ResponseRequest) { r.Temperature = openrouter.Ptr(3.0) })},
		{"top_p", "top_p", mod(func(r *openrouter.ResponseRequest) { r.TopP = openrouter.Ptr(-0.1) })},
		{"max output", "max_output_tokens", mod(func(r *openrouter.ResponseRequest) { r.MaxOutputTokens = -1 })},
		{"schema without name", "text.format", mod(func(r *openrouter.ResponseRequest) {
			r.Text = openrouter.ResponseJSONSchema("", json.RawMessage(`{}`))
		})},
		{"stateful", "previous_response_id", mod(func(r *openrouter.ResponseRequest) { r.Extra = map[string]any{"/previous_response_id": "resp_1"} })},
		{"extra over a field", "/model", mod(func(r *openrouter.ResponseRequest) { r.Extra = map[string]any{"/model": "x/y"} })},
		{"extra stream", "/stream", mod(func(r *openrouter.ResponseRequest) { r.Extra = map[string]any{"/stream": true} })},
	} {
		_, err := c.Responses.Create(context.Background(), tc.req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v; want ErrInvalidRequest naming %s", tc.name, err, tc.field)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestResponsesErrors checks the typed errors of the documented failures
// (the statuses the document lists for /responses: 400, 401, 402, 403,
// 404, 408, 413, 422, 429, 500, 502, 503, 524, 529), and a 200 whose
// response failed (matched by its error_type, the Response kept with its
// billed usage).
func TestResponsesErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		reply    openroutertest.Reply
		want     error
		response bool // a Response comes back with the error
	}{
		{"402", openroutertest.ErrorReply(402, "Insufficient credits"), openrouter.ErrInsufficientCredits, false},
		{"401", openroutertest.ErrorReply(401, "User not found."), openrouter.ErrUnauthorized, false},
		{"400", openroutertest.ErrorReply(400, "Missing required parameter: 'input'."), openrouter.ErrBadRequest, false},
		{"400 unknown model", openroutertest.ErrorReply(400, "nobody/nothing is not a valid model ID"), openrouter.ErrModelNotFound, false},
		{"403", openroutertest.ErrorReply(403, "Request blocked: prompt injection patterns detected"), openrouter.ErrForbidden, false},
		{"404", openroutertest.ErrorReply(404, "No endpoints found for openai/gpt-4o-mini"), openrouter.ErrNoEndpoints, false},
		{"408", openroutertest.ErrorReply(408, "Operation timed out. Please try again later."), openrouter.ErrTimeout, false},
		{"413", openroutertest.ErrorReply(413, "Request payload too large"), openrouter.ErrBadRequest, false},
		{"422", openroutertest.ErrorReply(422, "Invalid argument"), openrouter.ErrBadRequest, false},
		{"429", openroutertest.ErrorReply(429, "Rate limit exceeded"), openrouter.ErrRateLimited, false},
		{"500", openroutertest.ErrorReply(500, "Internal Server Error"), openrouter.ErrServer, false},
		{"502", openroutertest.ErrorReply(502, "Provider returned error"), openrouter.ErrServer, false},
		{"503", openroutertest.ErrorReply(503, "Service Unavailable"), openrouter.ErrServer, false},
		{"524", openroutertest.ErrorReply(524, "Infrastructure Timeout - Provider request timed out at edge network"), openrouter.ErrServer, false},
		{"529", openroutertest.ErrorReply(529, "Provider Overloaded"), openrouter.ErrServer, false},
		{"failed: rate limit", openroutertest.Reply{Content: "x", Error: &openroutertest.ErrorBody{Code: 429, Message: "Provider rate limited"}}, openrouter.ErrRateLimited, true},
		{"failed: authentication", openroutertest.Reply{Content: "x", Error: &openroutertest.ErrorBody{Code: 401, Message: "Invalid credentials"}}, openrouter.ErrUnauthorized, true},
		{"error object in a 200", openroutertest.RawReply(200, `{"error":{"code":"invalid_prompt","message":"bad prompt"},"metadata":null}`), openrouter.ErrBadRequest, false},
		{"not JSON", openroutertest.RawReply(200, `<html>proxy</html>`), openrouter.ErrServer, false},
		{"no output", openroutertest.RawReply(200, `{"id":"resp_1","object":"response","status":"completed","output":[]}`), openrouter.ErrServer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _ := setup(t, nil, openrouter.WithRetry(0, 0, 0))
			srv.Enqueue(tc.reply)
			res, err := c.Responses.Create(context.Background(), helloResponse())
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
			var apiErr *openrouter.APIError
			if !errors.As(err, &apiErr) || apiErr.Model != "openai/gpt-4o-mini" {
				t.Errorf("err %T %v: want an *APIError naming the model", err, err)
			}
			if (res != nil) != tc.response {
				t.Errorf("response %+v; want one: %v", res, tc.response)
			}
			if tc.response && res.Usage != nil && c.Spent() != res.Cost() {
				t.Errorf("a failed response's cost %v is not counted (spent %v)", res.Cost(), c.Spent())
			}
		})
	}
}

// TestResponsesLostAnswerIsMaybeBilled checks the money rule: a POST
// whose answer was lost after it was written is not sent again, and the
// error matches ErrMaybeBilled with the generation ID.
func TestResponsesLostAnswerIsMaybeBilled(t *testing.T) {
	t.Parallel()
	for name, rep := range map[string]openroutertest.Reply{
		"disconnect":       {Disconnect: true},
		"cut after header": openroutertest.TextReply("a long answer").CutAfter(0),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// No retries: whether a cut connection is resent is the
			// retry policy's to say (retry.go); sent once, the loss
			// must be said.
			srv, c, _ := setup(t, nil, openrouter.WithRetry(0, 0, 0))
			srv.Enqueue(rep)
			_, err := c.Responses.Create(context.Background(), helloResponse())
			if !errors.Is(err, openrouter.ErrMaybeBilled) {
				t.Fatalf("err = %v; want ErrMaybeBilled", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests; a maybe-billed POST is sent once", n)
			}
			var te *openrouter.TransportError
			if name == "cut after header" && (!errors.As(err, &te) || !strings.HasPrefix(te.GenerationID, "resp-gen-")) {
				t.Errorf("err %v: want the generation ID", err)
			}
		})
	}
}

// TestResponsesRedactKey checks that a key echoed in a failed response's
// message never reaches the error.
func TestResponsesRedactKey(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(openroutertest.Reply{Content: "x", Error: &openroutertest.ErrorBody{Code: 401, Message: "bad key " + srv.Key}})
	_, err := c.Responses.Create(context.Background(), helloResponse())
	if err == nil || strings.Contains(err.Error(), srv.Key) || strings.Contains(err.Error(), srv.Key[10:30]) {
		t.Fatalf("err = %v; want an error without the key", err)
	}
}

// TestResponsesRetries checks that a 429 answer is retried (nothing was
// generated) and the second attempt's answer returned.
func TestResponsesRetries(t *testing.T) {
	t.Parallel()
	srv, c, w := setup(t, nil)
	srv.Enqueue(openroutertest.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("2"))
	res, err := c.Responses.Create(context.Background(), helloResponse())
	if err != nil || res.OutputText() == "" {
		t.Fatalf("res %+v, err %v", res, err)
	}
	if n := len(srv.Requests()); n != 2 || len(w.all()) != 1 {
		t.Errorf("%d requests, waits %v; want 2 and one wait", n, w.all())
	}
}

// TestResponsesKeepsUnmodelledItems checks that output items this
// package does not model (a server tool's call, a function output given
// as parts) are neither an error nor lost: they go back as they came.
func TestResponsesKeepsUnmodelledItems(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	search := `{"type":"openrouter:web_search","id":"ws_1","status":"completed","output":{"results":[1,2]}}`
	parts := `{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"sunny"}]}`
	srv.Enqueue(openroutertest.RawReply(200, `{"id":"resp_1","object":"response","status":"completed","model":"m/x","output":[`+search+`,`+parts+
		`,{"type":"message","id":"m1","role":"assistant","content":[{"type":"output_text","text":"Found it.","annotations":[]}]}]}`))
	res, err := c.Responses.Create(context.Background(), helloResponse())
	if err != nil {
		t.Fatal(err)
	}
	if res.OutputText() != "Found it." || len(res.Output) != 3 || res.Output[0].Type != "openrouter:web_search" || res.Output[1].CallID != "" {
		t.Fatalf("output %+v", res.Output)
	}
	req := helloResponse()
	req.Input = append(req.Input, res.Output...)
	if _, err := c.Responses.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	sent := string(srv.Requests()[1].Raw)
	for _, want := range []string{search, parts} {
		if !strings.Contains(sent, want) {
			t.Errorf("the item %s is not sent back as it came: %s", want, sent)
		}
	}
}

// TestResponsesHostileAnswers checks odd 200 bodies: none panics, and
// each that is not a usable response gives a typed error, never a bare
// decode error.
func TestResponsesHostileAnswers(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`null`, `[]`, `{}`, `{"output":null}`, `{"output":[null]}`, `{"id":"r","output":[{"type":5}]}`,
		`{"id":"r","usage":"x","output":[]}`, `{"error":"a string"}`, `{"error":{"code":{}}}`, `{"id":"r","status":"failed","error":{}}`,
		`{"id":"r","output":[{"type":"message","role":"assistant","content":"not parts"}]}`, `{"id":`, ``} {
		srv, c, _ := setup(t, nil, openrouter.WithRetry(0, 0, 0))
		srv.Enqueue(openroutertest.RawReply(200, body))
		res, err := c.Responses.Create(context.Background(), helloResponse())
		var apiErr *openrouter.APIError
		var te *openrouter.TransportError
		if err == nil || !(errors.As(err, &apiErr) || errors.As(err, &te)) {
			t.Errorf("%s: res %+v, err %T %v; want a typed error", body, res, err, err)
		}
	}
}

// TestResponsesModelCheck checks that WithModelCheck looks the model up
// before a response is asked for: an unknown model is refused with
// ErrModelNotFound and no /responses request is sent.
func TestResponsesModelCheck(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithModelCheck())
	req := helloResponse()
	req.Model = "nobody/nothing"
	if _, err := c.Responses.Create(context.Background(), req); !errors.Is(err, openrouter.ErrModelNotFound) {
		t.Fatalf("err = %v; want ErrModelNotFound", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d /responses requests sent", n)
	}
	if _, err := c.Responses.Create(context.Background(), helloResponse()); err != nil {
		t.Fatal(err)
	}
}
