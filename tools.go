package openrouter

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Tool types of OpenRouter's server tools: tools that OpenRouter runs
// itself, during the request, beside the function tools the caller runs.
const (
	ToolFunctionType      = "function"
	ServerToolWebSearch   = "openrouter:web_search"
	ServerToolWebFetch    = "openrouter:web_fetch"
	ServerToolDatetime    = "openrouter:datetime"
	ServerToolImageGen    = "openrouter:image_generation"
	ServerToolSearchModel = "openrouter:experimental__search_models"
)

// Tool is a tool the model may call: a function (Type "function" with
// Function) that the caller runs, or an OpenRouter server tool (Type
// "openrouter:web_search", ... with optional Parameters) that OpenRouter
// runs. Build them with FunctionTool and ServerTool.
type Tool struct {
	Type     string
	Function ToolFunction
	// Parameters configures a server tool: WebSearchParams,
	// WebFetchParams, DatetimeParams, or any value that marshals to the
	// tool's parameters object; nil sends none.
	Parameters any
	// CacheControl marks a prompt-cache breakpoint after this tool's
	// definition (function tools).
	CacheControl *CacheControl
}

// FunctionTool returns a function tool; parameters is its JSON Schema.
func FunctionTool(name, description string, parameters json.RawMessage) Tool {
	return Tool{Type: ToolFunctionType, Function: ToolFunction{Name: name, Description: description, Parameters: parameters}}
}

// ServerTool returns an OpenRouter server tool of the given type
// (ServerToolWebSearch, ...) with its parameters (nil for none).
func ServerTool(typ string, parameters any) Tool { return Tool{Type: typ, Parameters: parameters} }

// MarshalJSON writes {"type":"function","function":{...}} for a function
// tool and {"type":..., "parameters":{...}} for a server tool.
func (t Tool) MarshalJSON() ([]byte, error) {
	if t.Type == ToolFunctionType {
		return json.Marshal(struct {
			Type         string        `json:"type"`
			Function     ToolFunction  `json:"function"`
			CacheControl *CacheControl `json:"cache_control,omitempty"`
		}{t.Type, t.Function, t.CacheControl})
	}
	return json.Marshal(struct {
		Type       string `json:"type"`
		Parameters any    `json:"parameters,omitempty"`
	}{t.Type, t.Parameters})
}

// ToolFunction describes a callable function.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      bool            `json:"strict,omitempty"`
}

// ToolCall is a function call made by the model; Arguments is a JSON text.
type ToolCall struct {
	Index    int    `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments,omitempty"`
	} `json:"function"`
}

// StopCondition ends OpenRouter's server-tool loop (the request's
// stop_server_tools_when, any condition firing stops it). Build them with
// StopAfterSteps, StopOnToolCall, StopAfterTokens, StopAfterCost and
// StopOnFinishReason.
type StopCondition struct {
	Type             string  `json:"type"`
	StepCount        int     `json:"step_count,omitempty"`
	ToolName         string  `json:"tool_name,omitempty"`
	MaxTokens        int     `json:"max_tokens,omitempty"`
	MaxCostInDollars float64 `json:"max_cost_in_dollars,omitempty"`
	Reason           string  `json:"reason,omitempty"`
}

// StopAfterSteps stops the server-tool loop after n steps.
func StopAfterSteps(n int) StopCondition { return StopCondition{Type: "step_count_is", StepCount: n} }

// StopOnToolCall stops the server-tool loop when the model calls the
// named tool.
func StopOnToolCall(name string) StopCondition {
	return StopCondition{Type: "has_tool_call", ToolName: name}
}

// StopAfterTokens stops the server-tool loop once n tokens are used.
func StopAfterTokens(n int) StopCondition {
	return StopCondition{Type: "max_tokens_used", MaxTokens: n}
}

// StopAfterCost stops the server-tool loop once it has cost usd.
func StopAfterCost(usd float64) StopCondition {
	return StopCondition{Type: "max_cost", MaxCostInDollars: usd}
}

// StopOnFinishReason stops the server-tool loop when a step finishes with
// the given reason ("length", ...).
func StopOnFinishReason(reason string) StopCondition {
	return StopCondition{Type: "finish_reason_is", Reason: reason}
}

func (s *StopCondition) validate(i int) error {
	ok := false
	switch s.Type {
	case "step_count_is":
		ok = s.StepCount > 0
	case "has_tool_call":
		ok = s.ToolName != ""
	case "max_tokens_used":
		ok = s.MaxTokens > 0
	case "max_cost":
		ok = s.MaxCostInDollars > 0 && !math.IsInf(s.MaxCostInDollars, 0)
	case "finish_reason_is":
		ok = s.Reason != ""
	default:
		return invalid("stop_server_tools_when[%d].type %q is not step_count_is, has_tool_call, max_tokens_used, max_cost or finish_reason_is", i, s.Type)
	}
	if !ok {
		return invalid("stop_server_tools_when[%d]: a %q condition needs its positive limit or its name", i, s.Type)
	}
	return nil
}

var toolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func (t *Tool) validate(i int) error {
	switch {
	case t.Type == ToolFunctionType:
		if !toolName.MatchString(t.Function.Name) {
			return invalid("tools[%d].function.name %q is not 1 to 64 of a-z, A-Z, 0-9, _ and -", i, t.Function.Name)
		}
		if t.Parameters != nil {
			return invalid("tools[%d]: Parameters is for server tools; a function's schema goes in Function.Parameters", i)
		}
		if p := t.Function.Parameters; len(p) > 0 && !json.Valid(p) {
			return invalid("tools[%d].function.parameters is not valid JSON", i)
		}
	case strings.HasPrefix(t.Type, "openrouter:") || strings.HasPrefix(t.Type, "web_search"):
		if t.Function.Name != "" || t.CacheControl != nil {
			return invalid("tools[%d]: a %q server tool takes Parameters, not Function or CacheControl", i, t.Type)
		}
	default:
		return invalid("tools[%d].type %q is not \"function\" or an OpenRouter server tool (\"openrouter:...\")", i, t.Type)
	}
	if t.CacheControl != nil {
		return t.CacheControl.validate("tools[" + strconv.Itoa(i) + "].cache_control")
	}
	return nil
}
