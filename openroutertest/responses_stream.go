package openroutertest

import (
	"encoding/json"
	"net/http"
)

// respEvents writes the typed events of one streamed response, numbering
// them.
type respEvents struct {
	e   *sse
	seq int
}

func (re *respEvents) send(typ string, fields map[string]any) bool {
	fields["type"], fields["sequence_number"] = typ, re.seq
	re.seq++
	b, _ := json.Marshal(fields)
	return re.e.send("data: " + string(b))
}

// streamResponse answers a streamed /responses request (RULES.md R4):
// response.created and .in_progress, the message's item, part and text
// deltas, the function calls, then response.completed (which bills) and
// [DONE]. At Stream.After text deltas it cuts, stalls, or sends the
// reply's Error as an "error" event, as the chat stream does.
func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, id string, req Request, rep Reply) {
	sc := rep.Stream
	re := &respEvents{e: s.startStream(w, id, req, sc)}
	snapshot := s.responseJSON(id, req, rep, false)
	if !re.e.comment() || !re.send("response.created", map[string]any{"response": snapshot}) ||
		!re.send("response.in_progress", map[string]any{"response": snapshot}) {
		s.noteAbort()
		return
	}
	if sc.OnlyComments {
		re.e.comment()
		return
	}
	msgID := "msg_" + id
	if !re.send("response.output_item.added", map[string]any{"output_index": 0, "item": messageItem(id, "", "in_progress")}) ||
		!re.send("response.content_part.added", map[string]any{"output_index": 0, "item_id": msgID, "content_index": 0, "part": outputText("")}) {
		s.noteAbort()
		return
	}
	pieces := streamPieces(rep)
	for i := 0; ; i++ {
		if i == sc.After {
			switch {
			case sc.Cut:
				s.cancelGeneration(id, req, rep, pieces[:min(i, len(pieces))])
				panic(http.ErrAbortHandler) // the connection is closed mid-body
			case sc.Stall:
				s.stall(r, sc.StallComments, re.e.comment)
				return
			case rep.Error != nil:
				code, _ := responsesErrorCode(*rep.Error)
				re.send("error", map[string]any{"code": code, "message": rep.Error.Message, "param": nil})
				return
			}
		}
		if i >= len(pieces) {
			break
		}
		if sc.BeforeChunk != nil {
			sc.BeforeChunk(i)
		}
		if sc.Delay > 0 && !pause(r, sc.Delay) {
			s.noteAbort()
			return
		}
		if !re.send("response.output_text.delta", map[string]any{"output_index": 0, "item_id": msgID, "content_index": 0,
			"delta": pieces[i], "logprobs": []any{}}) || !re.e.comment() {
			s.noteAbort()
			return
		}
	}
	s.responseTail(re, id, req, rep)
}

// responseTail closes the message, streams the function calls, and ends
// with response.completed and [DONE], as the script allows.
func (s *Server) responseTail(re *respEvents, id string, req Request, rep Reply) {
	msgID := "msg_" + id
	re.send("response.output_text.done", map[string]any{"output_index": 0, "item_id": msgID, "content_index": 0, "text": rep.Content, "logprobs": []any{}})
	re.send("response.content_part.done", map[string]any{"output_index": 0, "item_id": msgID, "content_index": 0, "part": outputText(rep.Content)})
	re.send("response.output_item.done", map[string]any{"output_index": 0, "item": messageItem(id, rep.Content, "completed")})
	for i, c := range rep.ToolCalls {
		n := i + 1
		item := functionCallItem(id, i, c, "", "in_progress")
		re.send("response.output_item.added", map[string]any{"output_index": n, "item": item})
		half := len(c.Arguments) / 2
		for _, d := range []string{c.Arguments[:half], c.Arguments[half:]} {
			re.send("response.function_call_arguments.delta", map[string]any{"output_index": n, "item_id": item["id"], "delta": d})
		}
		re.send("response.function_call_arguments.done", map[string]any{"output_index": n, "item_id": item["id"], "name": c.Name, "arguments": c.Arguments})
		re.send("response.output_item.done", map[string]any{"output_index": n, "item": functionCallItem(id, i, c, c.Arguments, "completed")})
	}
	sc := rep.Stream
	if !sc.NoFinish {
		final := s.responseJSON(id, req, rep, true) // bills
		final["output"] = streamedOutput(id, rep)
		event := "response.completed"
		if final["status"] == "incomplete" {
			event = "response.incomplete"
		}
		re.send(event, map[string]any{"response": final})
	} else if !rep.lost {
		s.bill(id, req, rep) // billed and recorded all the same
	}
	if !sc.NoDone {
		re.e.send("data: [DONE]")
	}
}

// streamedOutput is the output a stream sent: the message, then the
// function calls (no reasoning item: the stream sent none).
func streamedOutput(id string, rep Reply) []any {
	items := []any{messageItem(id, rep.Content, "completed")}
	for i, c := range rep.ToolCalls {
		items = append(items, functionCallItem(id, i, c, c.Arguments, "completed"))
	}
	return items
}
