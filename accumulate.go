package openrouter

import (
	"encoding/json"
	"sort"
	"strings"
)

// Accumulator folds the chunks of a stream into the whole answer:
// content, reasoning and refusal text, tool calls (their argument
// fragments joined by ID, or by index when they have none), images,
// finish reasons and usage. The usage
// chunk may come after the finish chunk, with or without choices. The
// zero value is ready to use; it is not safe for concurrent use.
type Accumulator struct {
	id, model, provider string
	created             int64
	choices             map[int]*accChoice
	usage               *Usage
	fingerprint, tier   string
	routing             *RouterMetadata
}

type accChoice struct {
	role                        string
	content, reasoning, refusal strings.Builder
	toolCalls                   []ToolCall
	images                      []ImagePart
	finish, native              string
	details                     []json.RawMessage
	annotations                 []Annotation
	logprobs                    *Logprobs
	err                         json.RawMessage
}

// Add folds one chunk in.
func (a *Accumulator) Add(ch Chunk) {
	if a.id == "" {
		a.id, a.model, a.provider, a.created = ch.ID, ch.Model, ch.Provider, ch.Created
	}
	if ch.Usage != nil {
		a.usage = ch.Usage
	}
	a.foldMeta(&ch)
	for _, c := range ch.Choices {
		if a.choices == nil {
			a.choices = map[int]*accChoice{}
		}
		ac := a.choices[c.Index]
		if ac == nil {
			ac = &accChoice{}
			a.choices[c.Index] = ac
		}
		d := c.Delta
		if d.Role != "" {
			ac.role = d.Role
		}
		ac.content.WriteString(d.Content)
		ac.reasoning.WriteString(d.Reasoning)
		ac.refusal.WriteString(d.Refusal)
		ac.images = append(ac.images, d.Images...)
		for _, tc := range d.ToolCalls {
			ac.addToolCall(tc)
		}
		if c.FinishReason != "" {
			ac.finish = c.FinishReason
		}
		if c.NativeFinishReason != "" {
			ac.native = c.NativeFinishReason
		}
		ac.foldMore(&c)
		if len(c.Error) > 0 {
			ac.err = c.Error
		}
	}
}

// addToolCall merges a tool-call delta into its call: the call of the
// same ID when the delta has one (providers that send no index give every
// call index 0, and tell calls apart by ID alone), else the last call of
// the same index (later fragments carry only the index). A delta whose ID
// is new starts a call, unless the last call of its index has no ID yet.
func (ac *accChoice) addToolCall(tc ToolCall) {
	t := ac.toolCallFor(tc)
	if t == nil {
		ac.toolCalls = append(ac.toolCalls, tc)
		return
	}
	if tc.ID != "" {
		t.ID = tc.ID
	}
	if tc.Type != "" {
		t.Type = tc.Type
	}
	if tc.Function.Name != "" {
		t.Function.Name = tc.Function.Name
	}
	t.Function.Arguments += tc.Function.Arguments
}

func (ac *accChoice) toolCallFor(tc ToolCall) *ToolCall {
	if tc.ID != "" {
		for i := range ac.toolCalls {
			if ac.toolCalls[i].ID == tc.ID {
				return &ac.toolCalls[i]
			}
		}
	}
	for i := len(ac.toolCalls) - 1; i >= 0; i-- {
		if t := &ac.toolCalls[i]; t.Index == tc.Index {
			if tc.ID != "" && t.ID != "" {
				return nil // another call at the same index
			}
			return t
		}
	}
	return nil
}

// Response returns the answer folded so far. It is a new value each call.
func (a *Accumulator) Response() *ChatResponse {
	r := &ChatResponse{ID: a.id, Model: a.model, Provider: a.provider, Created: a.created, Usage: a.usage,
		SystemFingerprint: a.fingerprint, ServiceTier: a.tier, RouterMetadata: a.routing}
	idx := make([]int, 0, len(a.choices))
	for i := range a.choices {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		ac := a.choices[i]
		role := ac.role
		if role == "" {
			role = "assistant"
		}
		r.Choices = append(r.Choices, Choice{Index: i, FinishReason: ac.finish, NativeFinishReason: ac.native, Error: ac.err,
			Message: Message{Role: role, Content: ac.content.String(), Reasoning: ac.reasoning.String(),
				Refusal: ac.refusal.String(), ToolCalls: append([]ToolCall(nil), ac.toolCalls...),
				Images: append([]ImagePart(nil), ac.images...), ReasoningDetails: append([]json.RawMessage(nil), ac.details...),
				Annotations: append([]Annotation(nil), ac.annotations...)}, Logprobs: ac.logprobs.clone()})
	}
	return r
}

// foldMeta keeps the answer-level fields of a chunk: the last one sent
// wins.
func (a *Accumulator) foldMeta(ch *Chunk) {
	if ch.SystemFingerprint != "" {
		a.fingerprint = ch.SystemFingerprint
	}
	if ch.ServiceTier != "" {
		a.tier = ch.ServiceTier
	}
	if ch.RouterMetadata != nil {
		a.routing = ch.RouterMetadata
	}
}

// foldMore adds a choice's reasoning details, annotations and log
// probabilities.
func (ac *accChoice) foldMore(c *ChunkChoice) {
	d := &c.Delta
	ac.details = append(ac.details, d.ReasoningDetails...)
	ac.annotations = append(ac.annotations, d.Annotations...)
	if lp := c.Logprobs; lp != nil {
		if ac.logprobs == nil {
			ac.logprobs = &Logprobs{}
		}
		ac.logprobs.Content = append(ac.logprobs.Content, lp.Content...)
		ac.logprobs.Refusal = append(ac.logprobs.Refusal, lp.Refusal...)
	}
}

// clone returns a copy of l whose slices the Accumulator does not share.
func (l *Logprobs) clone() *Logprobs {
	if l == nil {
		return nil
	}
	return &Logprobs{Content: append([]TokenLogprob(nil), l.Content...), Refusal: append([]TokenLogprob(nil), l.Refusal...)}
}
