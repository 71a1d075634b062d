package openrouter

import "encoding/json"

// responseAccumulator assembles a streamed response from its events: the
// latest response snapshot (created, then completed), and the output
// items built from their added, delta and done events.
type responseAccumulator struct {
	r        *Response
	items    []ResponseItem // by output index
	finished bool           // a completed, incomplete or failed response came
}

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
			return json.RawMessage(`{"code":"server_error","message":"the response failed"}`), ""
		}
		a.r = ev.Response
		if len(a.r.Error) == 0 || string(a.r.Error) == "null" {
			return json.RawMessage(`{"code":"server_error","message":"the response failed"}`), a.r.ErrorType
		}
		return a.r.Error, a.r.ErrorType
	case EventError:
		obj, _ := json.Marshal(map[string]string{"code": ev.Code, "message": ev.Message})
		return obj, ""
	case EventOutputItemAdded, EventOutputItemDone:
		if it := a.item(ev.OutputIndex); it != nil && ev.Item != nil {
			*it = *ev.Item
		}
	case EventOutputTextDelta, EventRefusalDelta, EventReasoningDelta:
		a.addText(ev)
	case EventReasoningSummary:
		if it := a.item(ev.OutputIndex); it != nil {
			if len(it.Summary) == 0 {
				it.Summary = []ResponsePart{{Type: "summary_text"}}
			}
			it.Summary[len(it.Summary)-1].Text += ev.Delta
		}
	case EventFunctionArgsDelta:
		if it := a.item(ev.OutputIndex); it != nil {
			it.Arguments += ev.Delta
		}
	case EventFunctionArgsDone:
		if it := a.item(ev.OutputIndex); it != nil {
			it.Arguments = ev.Arguments
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
	if kind == "refusal" {
		p.Refusal += ev.Delta
	} else {
		p.Text += ev.Delta
	}
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
		for _, it := range a.items {
			if it.Type != "" {
				r.Output = append(r.Output, it)
			}
		}
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
