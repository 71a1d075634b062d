package openrouter

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// responseAccumulator assembles a streamed response from its events: the
// latest response snapshot (created, then completed), and the output
// items built from their added, delta and done events. The deltas of a
// text go into a builder (appending to a string would copy the whole
// text at each delta), set into the items when the response is asked for.
type responseAccumulator struct {
	r        *Response
	items    []ResponseItem // by output index
	texts    map[textKey]*strings.Builder
	finished bool // a completed, incomplete or failed response came
	output   bool // an output item or a delta of one came: the model's output began
}

// textKey names a text being streamed: content part part of output item
// item, or its arguments (argsPart) or last summary part (summaryPart).
type textKey struct{ item, part int }

const (
	argsPart    = -1
	summaryPart = -2
)

// maxOutputIndex bounds the output index an event may name, so that a
// hostile index cannot make the accumulator allocate without bound.
const maxOutputIndex = 4096

// add folds ev into the response. It returns the error object (and
// error_type) of an error event or a failed response, nil otherwise.
func (a *responseAccumulator) add(ev *ResponseEvent) (json.RawMessage, string) {
	switch ev.Type {
	case EventResponseCreated, EventResponseInProgress:
		if ev.Response != nil {
			a.r = ev.Response
		}
	case EventResponseCompleted, EventResponseIncomplete, "response.done":
		a.finished = true
		if ev.Response != nil {
			a.r = ev.Response
		}
	case EventResponseFailed:
		a.finished = true
		if ev.Response == nil {
			return failedResponse, ""
		}
		a.r = ev.Response
		if !hasJSON(a.r.Error) {
			return failedResponse, a.r.ErrorType
		}
		return a.r.Error, a.r.ErrorType
	case EventError:
		obj, _ := json.Marshal(map[string]string{"code": ev.Code, "message": ev.Message})
		return obj, ""
	case EventOutputItemAdded, EventOutputItemDone:
		a.output = true
		if it := a.item(ev.OutputIndex); it != nil && ev.Item != nil {
			*it = *ev.Item // as sent: the texts streamed so far give way
			for k := range a.texts {
				if k.item == ev.OutputIndex {
					delete(a.texts, k)
				}
			}
		}
	case EventOutputTextDelta, EventRefusalDelta, EventReasoningDelta:
		a.output = true
		a.addText(ev)
	case EventReasoningSummary:
		a.output = true
		if it := a.item(ev.OutputIndex); it != nil {
			if len(it.Summary) == 0 {
				it.Summary = []ResponsePart{{Type: "summary_text"}}
			}
			a.text(textKey{ev.OutputIndex, summaryPart}, it.Summary[len(it.Summary)-1].Text).WriteString(ev.Delta)
		}
	case EventFunctionArgsDelta:
		a.output = true
		if it := a.item(ev.OutputIndex); it != nil {
			a.text(textKey{ev.OutputIndex, argsPart}, it.Arguments).WriteString(ev.Delta)
		}
	case EventFunctionArgsDone:
		if it := a.item(ev.OutputIndex); it != nil {
			it.Arguments = ev.Arguments
			delete(a.texts, textKey{ev.OutputIndex, argsPart})
		}
	default:
		// Another event about an output item (a part, an annotation, a
		// partial image, a tool's progress, a type this package does not
		// read): the model's output began.
		if ev.ItemID != "" || ev.Item != nil || ev.Delta != "" || bytes.Contains(ev.Raw, []byte(`"output_index"`)) {
			a.output = true
		}
	}
	return nil, ""
}

// addText adds a delta to the content part it names.
func (a *responseAccumulator) addText(ev *ResponseEvent) {
	it := a.item(ev.OutputIndex)
	if it == nil || ev.ContentIndex < 0 || ev.ContentIndex > len(it.Content) || ev.ContentIndex >= maxOutputIndex {
		return
	}
	kind := map[string]string{EventOutputTextDelta: "output_text", EventRefusalDelta: "refusal", EventReasoningDelta: "reasoning_text"}[ev.Type]
	if ev.ContentIndex == len(it.Content) {
		it.Content = append(it.Content, ResponsePart{Type: kind})
	}
	p := &it.Content[ev.ContentIndex]
	a.text(textKey{ev.OutputIndex, ev.ContentIndex}, p.Text+p.Refusal).WriteString(ev.Delta)
}

// text returns the builder of the text at k, started with the text the
// item already holds.
func (a *responseAccumulator) text(k textKey, start string) *strings.Builder {
	if b := a.texts[k]; b != nil {
		return b
	}
	if a.texts == nil {
		a.texts = map[textKey]*strings.Builder{}
	}
	b := &strings.Builder{}
	b.WriteString(start)
	a.texts[k] = b
	return b
}

// assembled returns the output items with their streamed texts set in,
// copies that later events do not change.
func (a *responseAccumulator) assembled() []ResponseItem {
	var out []ResponseItem
	for i, it := range a.items {
		if it.Type == "" {
			continue
		}
		it.Content, it.Summary = slices.Clone(it.Content), slices.Clone(it.Summary)
		for k, b := range a.texts {
			switch {
			case k.item != i:
			case k.part == argsPart:
				it.Arguments = b.String()
			case k.part == summaryPart && len(it.Summary) > 0:
				it.Summary[len(it.Summary)-1].Text = b.String()
			case k.part >= 0 && k.part < len(it.Content):
				if p := &it.Content[k.part]; p.Type == "refusal" {
					p.Refusal = b.String()
				} else {
					p.Text = b.String()
				}
			}
		}
		out = append(out, it)
	}
	return out
}

// item returns the output item at index i, growing the list to hold it;
// nil for an index out of bounds.
func (a *responseAccumulator) item(i int) *ResponseItem {
	if i < 0 || i >= maxOutputIndex {
		return nil
	}
	for len(a.items) <= i {
		a.items = append(a.items, ResponseItem{})
	}
	return &a.items[i]
}

// response returns the response so far: the latest snapshot, with the
// items assembled from the events when the snapshot has none. It is never
// nil.
func (a *responseAccumulator) response() *Response {
	r := &Response{}
	if a.r != nil {
		cp := *a.r
		r = &cp
	}
	if len(r.Output) == 0 {
		r.Output = a.assembled()
	}
	return r
}

// usage is the final response's usage, in the chat form.
func (a *responseAccumulator) usage() *Usage {
	if a.r == nil {
		return nil
	}
	return a.r.Usage.usage()
}
