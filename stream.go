package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"sync/atomic"
)

// Chunk is one event of a streamed chat completion.
type Chunk struct {
	ID       string        `json:"id"`
	Model    string        `json:"model"`
	Provider string        `json:"provider,omitempty"`
	Created  int64         `json:"created,omitempty"`
	Choices  []ChunkChoice `json:"choices"`
	// Usage comes in the last chunk (after the finish reason).
	Usage             *Usage          `json:"usage,omitempty"`
	SystemFingerprint string          `json:"system_fingerprint,omitempty"`
	ServiceTier       string          `json:"service_tier,omitempty"`
	RouterMetadata    *RouterMetadata `json:"openrouter_metadata,omitempty"`
	// Debug is the debug object of the first chunk when the request set
	// Debug.EchoUpstreamBody: {"echo_upstream_body": {...the body sent to
	// the provider...}}.
	Debug json.RawMessage `json:"debug,omitempty"`
}

// ChunkChoice is one choice's part of a chunk.
type ChunkChoice struct {
	Index              int    `json:"index"`
	Delta              Delta  `json:"delta"`
	FinishReason       string `json:"finish_reason,omitempty"`
	NativeFinishReason string `json:"native_finish_reason,omitempty"`
	// Logprobs are the log probabilities of this chunk's tokens.
	Logprobs *Logprobs `json:"logprobs,omitempty"`
	// Error is the provider's error when FinishReason is "error".
	Error json.RawMessage `json:"error,omitempty"`
}

// Delta is what a chunk adds to a choice's message.
type Delta struct {
	Role      string      `json:"role,omitempty"`
	Content   string      `json:"content,omitempty"`
	Reasoning string      `json:"reasoning,omitempty"`
	Refusal   string      `json:"refusal,omitempty"`
	ToolCalls []ToolCall  `json:"tool_calls,omitempty"`
	Images    []ImagePart `json:"images,omitempty"`
	// ReasoningDetails are reasoning blocks, or pieces of them, in the
	// order they come (the Accumulator keeps them all, in that order).
	ReasoningDetails []json.RawMessage `json:"reasoning_details,omitempty"`
	Annotations      []Annotation      `json:"annotations,omitempty"`
}

// Content returns the first choice's content delta.
func (c Chunk) Content() string {
	if len(c.Choices) == 0 {
		return ""
	}
	return c.Choices[0].Delta.Content
}

// progress reports whether the chunk carries anything a reader waits for.
func (c *Chunk) progress() bool {
	for i := range c.Choices {
		d := &c.Choices[i].Delta
		if d.Content != "" || d.Reasoning != "" || d.Refusal != "" || len(d.ToolCalls) > 0 || len(d.Images) > 0 {
			return true
		}
	}
	return false
}

// StreamError is a stream that failed without an error event from the
// server: the connection was cut, the body ended (or sent [DONE]) before
// a finish reason, a chunk was not JSON, the answer was not an event
// stream, an event or the stream passed the client's AnswerLimits, the
// stall watchdog fired, or the caller's context ended. It matches
// [ErrServer] (cut, truncated, malformed), [ErrTooLarge] (past a bound) or
// [ErrTimeout] (stalled, or ended by a deadline: the context's or
// CallTimeout's, which also match context.DeadlineExceeded); a cancelled
// context matches context.Canceled instead. Response holds what arrived before. It matches
// [ErrMaybeBilled] too when an attempt of the request was sent and got no
// answer (MaybeBilled): an earlier attempt cut off, this one timed out
// before its headers, or its stream broke off, ended early or was ended
// by a timeout (the watchdog's, a deadline, CallTimeout) after it began
// (unless the answer was read back: see [WithAnswerRecovery]).
type StreamError struct {
	Model    string
	Reason   string
	Err      error // the cause, when there is one (io.ErrUnexpectedEOF, ctx.Err())
	Chunks   int   // chunks received
	Response *ChatResponse
	// Attempts counts the HTTP attempts of the request, retries included.
	Attempts int
	// MaybeBilled counts the attempts that were sent and got no answer:
	// each may have been billed, besides a stream that began.
	MaybeBilled int
	// GenerationID is the stream's generation (X-Generation-Id, or the
	// chunks' id); "" when none is known. Generation is its record when
	// the client looked it up after a cut (see [WithAnswerRecovery]).
	GenerationID string
	Generation   *Generation
	notRecovered string // why a cut answer was not read back
	kind         error
}

func (e *StreamError) Error() string {
	s := fmt.Sprintf("openrouter: stream from %s failed after %d chunk(s): %s", e.Model, e.Chunks, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.MaybeBilled > 0 {
		s += fmt.Sprintf(" (%d attempt(s) may have been billed)", e.MaybeBilled)
	}
	return s + lostGeneration{e.GenerationID, e.Generation, e.notRecovered}.note()
}

// Is reports whether target is the sentinel of the failure.
func (e *StreamError) Is(target error) bool {
	return e.kind != nil && target == e.kind || target == ErrMaybeBilled && e.MaybeBilled > 0
}

// Unwrap returns the cause.
func (e *StreamError) Unwrap() error { return e.Err }

// Stream is a chat completion being streamed; see Client.ChatStream.
type Stream struct {
	c    *Client
	ctx  context.Context
	req  *ChatRequest
	opts []CallOption
	acc  Accumulator
	used atomic.Bool
	// recovered: a cut answer was completed from its stored generation.
	recovered bool
}

// ChatStream streams a chat completion: range over Chunks for the chunks
// as they arrive, then Response for the whole answer. Nothing is sent
// until Chunks is ranged over.
//
//	s := c.ChatStream(ctx, req)
//	for chunk, err := range s.Chunks() {
//		if err != nil {
//			return err // typed like Chat's; s.Response() has what came
//		}
//		fmt.Print(chunk.Content())
//	}
//	res := s.Response()
//
// Chunks is an iter.Seq2 rather than a Next/Close cursor so that leaving
// the loop, by break, return or panic, always closes the connection: there
// is no Close to forget.
func (c *Client) ChatStream(ctx context.Context, req *ChatRequest, opts ...CallOption) *Stream {
	return &Stream{c: c, ctx: ctx, req: req, opts: opts}
}

// Response returns the answer accumulated from the chunks received so far:
// the whole answer once Chunks has finished without error.
func (s *Stream) Response() *ChatResponse {
	r := s.acc.Response()
	r.Recovered = s.recovered
	return r
}

// Chunks sends the request and yields each chunk as soon as its event is
// complete. It can be ranged over once. Errors end the iteration:
//   - before the stream starts, the typed errors of Chat (retries happen
//     only then, before the first chunk);
//   - an error event in the stream, an *APIError matching the same
//     sentinels (a mid-stream 429 is ErrRateLimited), its Response holding
//     the answer so far;
//   - a cut connection, a body that ends (or sends [DONE]) before a
//     finish reason, an answer that is not an event stream, a stall, or
//     an event or stream past the client's AnswerLimits ([ErrTooLarge]),
//     a *StreamError, its Response holding what arrived;
//   - an answer with no content, image or tool call, ErrEmptyContent.
//
// Leaving the loop early closes the body and the connection, and frees
// the limiter slot the stream held.
func (s *Stream) Chunks() iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		if s.used.Swap(true) {
			yield(Chunk{}, invalid("a Stream's chunks can be ranged over once"))
			return
		}
		s.run(yield)
	}
}

// looksLikeSSE reports whether a body's first bytes can start an event
// stream: a field, a comment or a blank line.
func looksLikeSSE(b []byte) bool {
	for _, f := range []string{"data", ":", "event", "id", "retry", "\n", "\r"} {
		if bytes.HasPrefix(b, []byte(f)) || bytes.HasPrefix([]byte(f), b) {
			return true
		}
	}
	return false
}

// sseBuffer is the stream's read buffer: the SSE reader's own size, so
// that it uses the stream's bufio.Reader rather than wrapping it.
const sseBuffer = 32 << 10

// chunkWire decodes the events of one stream. It is reused from event to
// event so that the strings every chunk repeats (id, model, provider) are
// allocated once, not once per chunk.
type chunkWire struct {
	ID       sameString      `json:"id"`
	Model    sameString      `json:"model"`
	Provider sameString      `json:"provider"`
	Created  int64           `json:"created"`
	Choices  []ChunkChoice   `json:"choices"`
	Usage    *Usage          `json:"usage"`
	Error    json.RawMessage `json:"error"`
	// The answer-level fields OpenRouter adds to some chunks.
	SystemFingerprint sameString      `json:"system_fingerprint"`
	ServiceTier       sameString      `json:"service_tier"`
	RouterMetadata    *RouterMetadata `json:"openrouter_metadata"`
	Debug             json.RawMessage `json:"debug"`
}

// decode decodes one event's data into a new Chunk (its Choices are its
// own, never reused) and the event's error object, if any.
func (w *chunkWire) decode(data []byte) (Chunk, json.RawMessage, error) {
	w.Created, w.Choices, w.Usage, w.Error, w.RouterMetadata, w.Debug = 0, nil, nil, nil, nil, nil
	if err := json.Unmarshal(data, w); err != nil {
		return Chunk{}, nil, err
	}
	if string(w.Error) == "null" {
		w.Error = errorMember(data) // a null "error" member after another (encoding/json keeps the last) does not hide it
	}
	return Chunk{ID: w.ID.s, Model: w.Model.s, Provider: w.Provider.s, Created: w.Created, Choices: w.Choices, Usage: w.Usage,
		SystemFingerprint: w.SystemFingerprint.s, ServiceTier: w.ServiceTier.s, RouterMetadata: w.RouterMetadata, Debug: w.Debug}, w.Error, nil
}

// sameString is a JSON string that keeps its previous value, without
// allocating, when the new one is the same text.
type sameString struct{ s string }

func (v *sameString) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && string(b[1:len(b)-1]) == v.s {
		return nil
	}
	if string(b) == "null" {
		v.s = ""
		return nil
	}
	return json.Unmarshal(b, &v.s)
}

// jsonAnswer handles a 200 that is JSON rather than events: an error
// object, or a whole completion, yielded as one chunk per choice.
func (s *Stream) jsonAnswer(st *callState, resp *http.Response, body io.Reader, model string, yield func(Chunk, error) bool) {
	var out chatEnvelope
	b, err := readAll(body, s.c.cfg.limits.JSON)
	if err != nil {
		err = readFailure(err)
	} else {
		err = decodeJSON(resp, b, &out)
	}
	if err != nil {
		yield(Chunk{}, st.annotate(s.c.redactErr(err))) // a lost answer (callState.annotate)
		return
	}
	if e := s.c.answerError(errorMember(b)); e != nil { // as Chat reads it: the first non-null error member
		e.Model, e.RequestID, e.Response = model, out.ID, &out.ChatResponse // its output makes an availability error maybe billed
		yield(Chunk{}, st.annotate(e))
		return
	}
	r := &out.ChatResponse
	ch := Chunk{ID: r.ID, Model: r.Model, Provider: r.Provider, Created: r.Created, Usage: r.Usage,
		SystemFingerprint: r.SystemFingerprint, ServiceTier: r.ServiceTier, RouterMetadata: r.RouterMetadata}
	for _, c := range r.Choices {
		m := c.Message
		ch.Choices = append(ch.Choices, ChunkChoice{Index: c.Index, FinishReason: c.FinishReason, NativeFinishReason: c.NativeFinishReason,
			Logprobs: c.Logprobs, Delta: Delta{Role: m.Role, Content: m.Text(), Reasoning: m.Reasoning, Refusal: m.Refusal, ToolCalls: m.ToolCalls,
				Images: m.Images, ReasoningDetails: m.ReasoningDetails, Annotations: m.Annotations}})
	}
	s.acc.Add(ch)
	if err := checkAnswer(s.acc.Response(), model); err != nil {
		yield(Chunk{}, generated(s.c.answerErr(err)))
		return
	}
	yield(ch, nil)
}
