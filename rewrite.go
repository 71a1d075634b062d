package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/routerkit/openrouter/internal/jsonx"
	"github.com/routerkit/openrouter/internal/schema"
)

// JSONOption configures ChatJSON and Rewrite. The constructors' names
// start with JSON (JSONRepair, JSONFallbackModels, ...); every
// [CallOption] is a JSONOption too, applied to each request the call
// sends.
type JSONOption interface {
	applyJSON(*jsonConfig)
}

// jsonOption is the JSONOption of the JSON... constructors.
type jsonOption func(*jsonConfig)

func (f jsonOption) applyJSON(c *jsonConfig) { f(c) }

type jsonConfig struct {
	repairs      int
	fallbacks    []string
	healing      bool
	allowUnknown bool
	allowOnline  bool
	call         []CallOption // the call's options, for each request
}

// JSONRepair makes up to n more attempts when an answer is not valid: the
// answer and its precise violations are sent back, and the model is asked
// again (default 0: no repair).
func JSONRepair(n int) JSONOption { return jsonOption(func(c *jsonConfig) { c.repairs = max(n, 0) }) }

// JSONFallbackModels tries these models, in order, when the first one
// (and its repairs) gives no valid answer, or cannot serve the request
// (unknown model, no endpoints, server errors); not after an error that
// matches [ErrMaybeBilled] (an answer lost after the request was sent),
// whose generation may be running and billed.
func JSONFallbackModels(models ...string) JSONOption {
	return jsonOption(func(c *jsonConfig) { c.fallbacks = append(c.fallbacks, models...) })
}

// JSONResponseHealing adds OpenRouter's response-healing plugin, which
// repairs malformed JSON server-side (not JSON cut by max_tokens).
func JSONResponseHealing() JSONOption { return jsonOption(func(c *jsonConfig) { c.healing = true }) }

// JSONUnknownFields accepts properties the Go type does not have (by
// default they are violations, as the schema sent forbids them).
func JSONUnknownFields() JSONOption { return jsonOption(func(c *jsonConfig) { c.allowUnknown = true }) }

// JSONOnlineModels allows ":online" model variants, which attach web
// search results and follow JSON instructions poorly (refused by default).
func JSONOnlineModels() JSONOption { return jsonOption(func(c *jsonConfig) { c.allowOnline = true }) }

// newJSONConfig applies opts in order; a nil option is refused.
func newJSONConfig(opts []JSONOption) (jsonConfig, error) {
	cfg := jsonConfig{}
	for _, o := range opts {
		if o == nil {
			return cfg, invalid("nil JSONOption")
		}
		o.applyJSON(&cfg)
	}
	return cfg, nil
}

// JSONResult tells how a valid value was obtained.
type JSONResult struct {
	// Response is the answer the value came from.
	Response *ChatResponse
	// Model is the model that produced it.
	Model string
	// Attempts counts the requests made, repairs and fallbacks included.
	Attempts int
	// Cost is the cost of all attempts, in USD.
	Cost float64
}

// UnparseableError is returned, matching [ErrUnparseable], when the
// answer is not a valid value of the type asked for.
type UnparseableError struct {
	Model string
	// Reason says what is wrong, in one line.
	Reason string
	// Violations lists each schema violation with its JSON-pointer path.
	Violations []Violation
	// Offset is the byte position in Raw of a syntax error; -1 otherwise.
	Offset int64
	// Raw is the answer's text, truncated to 2 KB.
	Raw          string
	FinishReason string
	Usage        *Usage
	// Attempts and Cost cover every attempt made.
	Attempts int
	Cost     float64
}

// Violation is one way an answer breaks the schema asked for.
type Violation struct {
	// Pointer is the JSON pointer (RFC 6901) of the value at fault:
	// "/sections/2/title"; "" for the whole answer.
	Pointer string
	// Message says what is wrong with it.
	Message string
}

// String returns "pointer: message", with "(root)" for the whole answer.
func (v Violation) String() string { return schema.Violation(v).String() }

// Error says why the answer is not the JSON asked for, with the
// first five violations.
func (e *UnparseableError) Error() string {
	s := fmt.Sprintf("openrouter: unparseable answer from %s: %s", e.Model, e.Reason)
	for i, v := range e.Violations {
		if i == 5 {
			s += fmt.Sprintf("; and %d more", len(e.Violations)-5)
			break
		}
		s += "; " + v.String()
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns [ErrUnparseable].
func (e *UnparseableError) Unwrap() error { return ErrUnparseable }

// schemas caches the schema of each type asked for.
var schemas sync.Map // reflect.Type -> *schema.Schema

func schemaOf(t reflect.Type) (*schema.Schema, error) {
	if s, ok := schemas.Load(t); ok {
		return s.(*schema.Schema), nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, invalid("a schema is derived from a struct type, not %s", t)
	}
	s, err := schema.For(t)
	if err != nil {
		return nil, invalid("the schema of %s: %v", t, err)
	}
	schemas.Store(t, s)
	return s, nil
}

var schemaNameRe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// ChatJSON asks for JSON matching T and returns a valid value of T, or
// says precisely why not. It sends response_format json_schema with the
// strict schema of T (see the package doc's Schema tags section:
// description, enum, bounds, lengths, patterns) and provider.require_parameters, so
// only providers that honour it serve the request; for a model that the
// client's cached catalogue lists without structured outputs it sends
// json_object and the schema in a system message. The model is
// req.Model, or the client's Roles.Rewrite.
//
// The answer's JSON is found inside code fences, prose, a byte-order mark
// or a JSON string; decoded strictly (wrong types, missing required fields
// and unknown fields are errors); validated against the schema; and passed
// to T's Validate method when T has one. A failure is an
// *[UnparseableError] with every violation's JSON pointer; an answer cut
// by max_tokens says so. An empty answer is [ErrEmptyContent].
//
// opts are JSON options (JSONRepair, JSONFallbackModels, ...) and call
// options ([CallOption]), which apply to every request sent: a
// CallResponseInto counts them all, a CallTimeout bounds them together.
func ChatJSON[T any](ctx context.Context, c *Client, req *ChatRequest, opts ...JSONOption) (T, *JSONResult, error) {
	return chatJSON[T](ctx, c, req, nil, opts)
}

// chatJSON is ChatJSON; first, when set, is the answer to the first
// request, obtained elsewhere (a batch): it is validated as if Chat had
// returned it, and only repairs and fallbacks are sent.
func chatJSON[T any](ctx context.Context, c *Client, req *ChatRequest, first *ChatResponse, opts []JSONOption) (T, *JSONResult, error) {
	var zero T
	if c == nil {
		return zero, nil, invalid("nil *Client")
	}
	cfg, err := newJSONConfig(opts)
	if err != nil {
		return zero, nil, err
	}
	if err := req.validate(); err != nil {
		return zero, nil, err
	}
	ctx, cancel, callOpts, err := prepareCall(ctx, cfg.call)
	if err != nil {
		return zero, nil, err
	}
	defer cancel()
	models, name, sch, err := jsonPlan[T](c, req, cfg)
	if err != nil {
		return zero, nil, err
	}
	res := &JSONResult{}
	var last error
	for _, model := range models {
		creq := c.jsonRequest(req, model, name, sch, cfg)
		for try := 0; try <= cfg.repairs; try++ {
			res.Attempts++
			ans, err := first, error(nil)
			if first == nil {
				ans, err = c.Chat(ctx, creq, callOpts...)
			}
			first = nil
			res.Cost += costOf(ans, err)
			if err != nil {
				last = err
				break // an API failure: no repair; maybe a fallback
			}
			var v T
			perr := parseJSONAnswer(ans, sch, cfg.allowUnknown, &v)
			if perr == nil {
				res.Response, res.Model = ans, ans.Model
				if res.Model == "" {
					res.Model = model
				}
				return v, res, nil
			}
			perr.Attempts, perr.Cost = res.Attempts, res.Cost
			last = perr
			if try < cfg.repairs {
				creq = repairRequest(creq, ans, perr)
			}
		}
		if !fallsBack(last) {
			break
		}
	}
	var pe *UnparseableError
	if errors.As(last, &pe) {
		pe.Attempts, pe.Cost = res.Attempts, res.Cost
	}
	return zero, res, timeoutError(ctx, last)
}

// jsonPlan returns the models ChatJSON tries for req, in order, and the
// name and schema of T it asks for.
func jsonPlan[T any](c *Client, req *ChatRequest, cfg jsonConfig) ([]string, string, *schema.Schema, error) {
	typ := reflect.TypeOf((*T)(nil)).Elem()
	sch, err := schemaOf(typ)
	if err != nil {
		return nil, "", nil, err
	}
	name := schemaNameRe.ReplaceAllString(typ.Name(), "_")
	if name == "" {
		name = "answer"
	}
	first := req.Model
	if first == "" {
		first = c.Roles().Rewrite
	}
	models := append([]string{first}, cfg.fallbacks...)
	for _, m := range models {
		if strings.Contains(m, ":online") && !cfg.allowOnline {
			return nil, "", nil, invalid("%s is an :online variant: web results make JSON answers unreliable (JSONOnlineModels allows it)", m)
		}
	}
	return models, name, sch, nil
}

// fallsBack reports whether another model may succeed where this error
// failed: not for account troubles, which every model shares.
func fallsBack(err error) bool {
	if errors.Is(err, ErrMaybeBilled) {
		return false // its generation may run and be billed: no second one behind the caller's back
	}
	for _, s := range []error{ErrUnparseable, ErrEmptyContent, ErrModelNotFound, ErrServer, ErrTimeout, ErrContextLength} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// costOf returns what an attempt cost, whether it succeeded or not.
func costOf(r *ChatResponse, err error) float64 {
	if r != nil {
		return r.Cost()
	}
	var ec *EmptyContentError
	var ae *APIError
	switch {
	case errors.As(err, &ec):
		return ec.Response.Cost()
	case errors.As(err, &ae):
		return ae.Response.Cost()
	}
	return 0
}

// jsonRequest copies req for model, asking for JSON matching sch.
func (c *Client) jsonRequest(req *ChatRequest, model, name string, sch *schema.Schema, cfg jsonConfig) *ChatRequest {
	cp := *req
	cp.Model, cp.Models = model, nil
	cp.Messages = append([]Message(nil), req.Messages...)
	prefs := ProviderPrefs{}
	if req.Provider != nil {
		prefs = *req.Provider
	}
	prefs.RequireParameters = true
	cp.Provider = &prefs
	body, _ := json.Marshal(sch)
	if m := c.catalog.entry(model); m == nil || !m.ParametersKnown() || m.SupportsStructuredOutputs() {
		cp.ResponseFormat = &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{Name: name[:min(len(name), 64)], Strict: sch.Strict, Schema: body}}
	} else {
		cp.ResponseFormat = &ResponseFormat{Type: "json_object"}
		cp.Messages = append([]Message{SystemMessage("Answer with one JSON object, and nothing else, matching this JSON Schema:\n" + string(body))}, cp.Messages...)
	}
	if cfg.healing && !slices.ContainsFunc(req.Plugins, func(p Plugin) bool { return p.ID == "response-healing" }) {
		cp.Plugins = append(append([]Plugin(nil), req.Plugins...), Plugin{ID: "response-healing"})
	}
	return &cp
}

// repairRequest asks again, showing the model its answer and what is
// wrong with it.
func repairRequest(req *ChatRequest, ans *ChatResponse, perr *UnparseableError) *ChatRequest {
	cp := *req
	var b strings.Builder
	b.WriteString("Your answer is not valid: " + perr.Reason + ".\n")
	for _, v := range perr.Violations {
		b.WriteString("- " + v.String() + "\n")
	}
	b.WriteString("Answer again with only the corrected JSON object.")
	cp.Messages = append(append([]Message(nil), req.Messages...), AssistantMessage(ans.Content()), UserMessage(b.String()))
	return &cp
}

// parseJSONAnswer fills out from the answer, or says why it cannot. The
// JSON is decoded once, into generic values that are checked against the
// schema and then stored in out.
func parseJSONAnswer(ans *ChatResponse, sch *schema.Schema, allowUnknown bool, out any) *UnparseableError {
	text := ans.Content()
	// fail builds the error; a JSON that does not parse is blamed on
	// max_tokens when the answer was cut there (truncatable).
	fail := func(reason string, offset int64, truncatable bool) *UnparseableError {
		e := &UnparseableError{Model: ans.Model, Raw: clip(text, 2048), FinishReason: ans.FinishReason(), Usage: ans.Usage, Offset: offset, Reason: reason}
		if truncatable && e.FinishReason == "length" {
			e.Reason = "the answer was cut at max_tokens (finish_reason \"length\") before its JSON ended: raise MaxTokens"
		}
		return e
	}
	raw, off, err := jsonx.Extract([]byte(text))
	var se *jsonx.SyntaxError
	switch {
	case errors.Is(err, jsonx.ErrNoJSON):
		return fail("the answer holds no JSON object (prose?)", -1, true)
	case errors.Is(err, jsonx.ErrTruncated):
		return fail("the JSON is cut off before its end", -1, true)
	case errors.As(err, &se):
		return fail(fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Msg), se.Offset, true)
	}
	if !sch.Load(raw, allowUnknown, reflect.ValueOf(out).Elem()) {
		if e := decodeChecked(raw, off, sch, allowUnknown, out, fail); e != nil {
			return e
		}
	}
	if val, ok := out.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return fail("Validate: "+err.Error(), -1, false)
		}
	}
	return nil
}

// decodeChecked is parseJSONAnswer's exact road, when schema.Load's quick
// one declined: the JSON decoded with its numbers exact, checked against
// the schema, then stored in out; fail builds the error.
func decodeChecked(raw []byte, off int64, sch *schema.Schema, allowUnknown bool, out any,
	fail func(reason string, offset int64, truncatable bool) *UnparseableError) *UnparseableError {
	v, err := schema.Decode(raw)
	if err != nil {
		var jse *json.SyntaxError
		if errors.As(err, &jse) {
			at := off + jse.Offset - 1
			return fail(fmt.Sprintf("invalid JSON at byte %d: %v", at, err), at, true)
		}
		return fail(fmt.Sprintf("invalid JSON: %v", err), -1, true)
	}
	if vs := sch.Validate(v, allowUnknown); len(vs) > 0 {
		e := fail(fmt.Sprintf("%d schema violation(s)", len(vs)), -1, false)
		e.Violations = make([]Violation, len(vs))
		for i, v := range vs {
			e.Violations[i] = Violation(v)
		}
		return e
	}
	if err := sch.Assign(reflect.ValueOf(out).Elem(), v); err != nil {
		return fail(err.Error(), -1, false)
	}
	return nil
}

// withCallOptions returns opts with its call options replaced by call (the
// call's options, prepared once for all its requests).
func withCallOptions(opts []JSONOption, call []CallOption) []JSONOption {
	out := make([]JSONOption, 0, len(opts)+len(call))
	for _, o := range opts {
		if _, isCall := o.(CallOption); !isCall {
			out = append(out, o)
		}
	}
	for _, o := range call {
		out = append(out, o)
	}
	return out
}
