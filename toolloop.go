package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/routerkit/openrouter/internal/schema"
)

// SchemaFor returns the JSON Schema of T, derived as ChatJSON derives the
// schema of its answers, for a tool's parameters or a response format. T
// must be a struct type; anything else is an [ErrInvalidRequest] error.
//
// Tags (the package doc's Schema tags section has an example): `json`
// names a property, `description` describes it, and `jsonschema` bounds
// it with enum=a|b, minimum=, maximum=, minLength=, maxLength=,
// minItems=, maxItems=, format= and pattern= (last). An unknown key, or a
// tag of another library (validate, binding, a bare maxLength), is an
// [ErrInvalidRequest] error naming the field, never ignored.
func SchemaFor[T any]() (json.RawMessage, error) {
	sch, err := schemaOf(reflect.TypeOf((*T)(nil)).Elem())
	if err != nil {
		return nil, err
	}
	return json.Marshal(sch)
}

// FuncTool is a Go function the model may call during [Client.RunTools]:
// its definition (name, description, parameters' schema) and the code
// that runs it. Build one with [NewTool].
type FuncTool struct {
	def Tool
	sch *schema.Schema
	run func(ctx context.Context, args any) (string, error) // args: decoded, valid against sch
	err error                                               // why the tool cannot be used, from NewTool
}

// NewTool returns a tool named name that runs fn with the model's
// arguments decoded into Args, a struct whose schema ([SchemaFor]) is the
// tool's parameters. Arguments that are not valid JSON or violate the
// schema never reach fn: the violations are sent back to the model as the
// call's result, so it can correct them. A function that returns "" is
// sent as "(no output)", as a message needs content. A bad name (not 1 to 64 of
// [a-zA-Z0-9_-]) or an Args that is not a struct make RunTools fail with
// [ErrInvalidRequest] before anything is sent.
func NewTool[Args any](name, description string, fn func(ctx context.Context, args Args) (string, error)) *FuncTool {
	t := &FuncTool{def: Tool{Type: "function", Function: ToolFunction{Name: name, Description: description}}}
	switch {
	case len(name) == 0 || len(name) > 64 || schemaNameRe.MatchString(name):
		t.err = invalid("tool name %q: want 1 to 64 of a-z, A-Z, 0-9, _ and -", name)
		return t
	case fn == nil:
		t.err = invalid("tool %q has a nil function", name)
		return t
	}
	sch, err := schemaOf(reflect.TypeOf((*Args)(nil)).Elem())
	if err != nil {
		t.err = fmt.Errorf("tool %q: %w", name, err)
		return t
	}
	body, err := json.Marshal(sch)
	if err != nil {
		t.err = invalid("tool %q: %v", name, err)
		return t
	}
	t.sch, t.def.Function.Parameters, t.def.Function.Strict = sch, body, sch.Strict
	t.run = func(ctx context.Context, v any) (string, error) {
		var args Args
		if err := sch.Assign(reflect.ValueOf(&args).Elem(), v); err != nil {
			return "", &argsError{err.Error()}
		}
		return fn(ctx, args)
	}
	return t
}

// Definition returns the tool as a request declares it.
func (t *FuncTool) Definition() Tool { return t.def }

// argsError is arguments the model sent that do not fit the tool.
type argsError struct{ reason string }

func (e *argsError) Error() string { return "invalid arguments: " + e.reason }

// call decodes and validates the model's arguments, then runs the tool.
func (t *FuncTool) call(ctx context.Context, arguments string) (string, error) {
	if strings.TrimSpace(arguments) == "" {
		arguments = "{}"
	}
	v, err := schema.Decode([]byte(arguments))
	if err != nil {
		return "", &argsError{"not JSON: " + err.Error()}
	}
	if vs := t.sch.Validate(v, false); len(vs) > 0 {
		s := make([]string, len(vs))
		for i, x := range vs {
			s[i] = x.String()
		}
		return "", &argsError{strings.Join(s, "; ")}
	}
	return t.run(ctx, v)
}

// ToolLoop configures [Client.RunTools].
type ToolLoop struct {
	// Tools are the functions the model may call. Their definitions are
	// added to the request's own Tools; a name may not appear twice.
	Tools []*FuncTool
	// MaxRounds bounds the requests sent (default 10). A model still
	// asking for tools after the last round ends the loop with a
	// *[ToolRoundsError].
	MaxRounds int
}

// emptyToolResult is what is sent for a tool that returned "" (a message
// needs content).
const emptyToolResult = "(no output)"

// DefaultToolRounds is the round limit of a ToolLoop without MaxRounds.
const DefaultToolRounds = 10

// ToolCallRecord is one tool call made during RunTools.
type ToolCallRecord struct {
	Round     int    // the round (1 for the first request) whose answer asked for it
	ID        string // the model's tool call ID
	Name      string
	Arguments string // as the model sent them
	// Result is what was sent back to the model: the tool's output, or
	// "error: ..." when the arguments were invalid, the tool is unknown,
	// or the function failed (Err says which).
	Result string
	Err    error
}

// ToolsResult is the outcome of RunTools: the final answer, and every
// step that led to it.
type ToolsResult struct {
	// Response is the final answer (one with no tool call); nil when the
	// loop did not finish.
	Response *ChatResponse
	// Messages is the whole conversation: the request's messages, each
	// assistant turn as returned, each tool result, and the final answer;
	// send it again, with a new user message, to continue.
	Messages []Message
	// Responses holds every round's answer, in order.
	Responses []*ChatResponse
	// Calls holds every tool call, in the order the model asked for them.
	Calls []ToolCallRecord
	// Rounds counts the requests sent.
	Rounds int
	// Cost is what all rounds cost, in USD.
	Cost float64
}

// Content returns the final answer's text; "" when there is none.
func (r *ToolsResult) Content() string {
	if r == nil {
		return ""
	}
	return r.Response.Content()
}

// ToolRoundsError is returned when the model still asks for tools after
// the loop's last round. Result holds everything done so far.
type ToolRoundsError struct {
	Rounds int
	Result *ToolsResult
}

// Error says that the tool loop reached its round limit.
func (e *ToolRoundsError) Error() string {
	return fmt.Sprintf("openrouter: the model still asked for tools after %d round(s) (ToolLoop.MaxRounds)", e.Rounds)
}

// RunTools runs a tool-calling conversation: it sends req with the
// loop's tools; while the answer asks for tool calls, it runs them (at
// once, each in its own goroutine, when the model asks for several),
// sends their results back with the assistant's turn as returned
// (reasoning included), and asks again; it returns when the model
// answers without a tool call, or after loop.MaxRounds requests.
//
// Each round is a Chat call: paced by the client's limiter, retried and
// counted in Spent like any other; the result adds up the rounds' cost.
// req.ToolChoice applies to the first round only (later rounds let the
// model choose, so that it can answer). A function's error, an unknown
// tool and invalid arguments are sent back to the model as the call's
// result ("error: ...") and recorded in ToolsResult.Calls; a panic in a
// function is raised again in the caller's goroutine. On error the
// result holds what was done so far.
func (c *Client) RunTools(ctx context.Context, req *ChatRequest, loop ToolLoop, opts ...CallOption) (*ToolsResult, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	byName := make(map[string]*FuncTool, len(loop.Tools))
	for _, t := range req.Tools {
		byName[t.Function.Name] = nil
	}
	creq := *req
	creq.Tools = append([]Tool(nil), req.Tools...)
	for i, t := range loop.Tools {
		switch {
		case t == nil:
			return nil, invalid("ToolLoop.Tools[%d] is nil", i)
		case t.err != nil:
			return nil, t.err
		}
		if _, dup := byName[t.def.Function.Name]; dup {
			return nil, invalid("two tools are named %q", t.def.Function.Name)
		}
		byName[t.def.Function.Name] = t
		creq.Tools = append(creq.Tools, t.def)
	}
	if len(loop.Tools) == 0 {
		return nil, invalid("ToolLoop has no tools")
	}
	rounds := loop.MaxRounds
	if rounds <= 0 {
		rounds = DefaultToolRounds
	}
	ctx, cancel, callOpts, err := prepareCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()

	res := &ToolsResult{Messages: append([]Message(nil), req.Messages...)}
	for round := 1; round <= rounds; round++ {
		if round > 1 {
			creq.ToolChoice = nil
		}
		creq.Messages = res.Messages
		ans, err := c.Chat(ctx, &creq, callOpts...)
		res.Cost += costOf(ans, err)
		if err != nil {
			return res, timeoutError(ctx, err)
		}
		res.Rounds = round
		res.Responses = append(res.Responses, ans)
		msg := ans.Choices[0].Message // checkAnswer made sure there is content, an image or a tool call
		if msg.Role == "" {
			msg.Role = "assistant"
		}
		res.Messages = append(res.Messages, msg)
		if len(msg.ToolCalls) == 0 {
			res.Response = ans
			return res, nil
		}
		calls := runToolCalls(ctx, byName, msg.ToolCalls, round)
		for _, rec := range calls {
			text := rec.Result
			if text == "" {
				text = emptyToolResult
			}
			res.Messages = append(res.Messages, Message{Role: "tool", ToolCallID: rec.ID, Content: text})
		}
		res.Calls = append(res.Calls, calls...)
	}
	return res, &ToolRoundsError{Rounds: rounds, Result: res}
}

// runToolCalls runs one answer's tool calls, each in its own goroutine,
// and returns their records in the order asked. A panic in a function is
// raised again here, after every call has ended.
func runToolCalls(ctx context.Context, byName map[string]*FuncTool, tcs []ToolCall, round int) []ToolCallRecord {
	recs := make([]ToolCallRecord, len(tcs))
	var (
		wg       sync.WaitGroup
		panicked any
		panicMu  sync.Mutex
	)
	for i, tc := range tcs {
		rec := &recs[i]
		*rec = ToolCallRecord{Round: round, ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments}
		t := byName[tc.Function.Name]
		if t == nil {
			rec.Err = fmt.Errorf("no tool named %q", tc.Function.Name)
			rec.Result = "error: " + rec.Err.Error()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					panicMu.Lock()
					if panicked == nil {
						panicked = p
					}
					panicMu.Unlock()
				}
			}()
			out, err := t.call(ctx, tc.Function.Arguments)
			rec.Result, rec.Err = out, err
			if err != nil {
				rec.Result = "error: " + err.Error()
			}
		}()
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	return recs
}

// IsToolArgumentsError reports whether err, from a ToolCallRecord, says
// the model's arguments did not fit the tool's parameters.
func IsToolArgumentsError(err error) bool {
	var ae *argsError
	return errors.As(err, &ae)
}
