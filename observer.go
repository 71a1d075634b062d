package openrouter

import (
	"context"
	"net/http"
	"time"
)

// Observer sees a client's calls while they run: a call's start and end,
// each attempt's start and end, and each wait before a retry. Set one per
// client with [WithObserver]; the OpenTelemetry module
// (github.com/routerkit/openrouter/otel) is one. Without an observer the
// client calls nothing and allocates nothing more.
//
// The client calls an Observer from the call's goroutine, in order for a
// call, but from many goroutines at once across calls: an Observer must be
// safe for concurrent use. Its methods must return quickly and must not
// retain the events' maps or slices. No event holds the API key, and
// none but a [ContentObserver]'s holds a prompt or a completion (an
// event's error may quote an answer it could not read).
//
// An Observer must not panic. The client does not recover its panics: a
// panic reaches the goroutine that made the call, as one of the caller's
// own code would (for a call the client splits over goroutines of its
// own, as Embed's parts, it ends the program). When the caller recovers
// it, the client has given back what the call held (its limiter slot,
// its answer's body, a catalogue fetch others wait for) and stays
// usable.
type Observer interface {
	// CallStart is called once per API call, before its first attempt.
	// The context it returns is the call's from then on (an observer puts
	// its span there); it must derive from ctx.
	CallStart(ctx context.Context, e CallStart) context.Context
	// AttemptStart is called before each attempt is sent.
	AttemptStart(ctx context.Context, e AttemptStart)
	// AttemptEnd is called after each attempt, with what it reached.
	AttemptEnd(ctx context.Context, e AttemptEnd)
	// RetryWait is called when the client has decided to wait and retry.
	RetryWait(ctx context.Context, e RetryWait)
	// CallEnd is called once per call when it ends, with ctx as returned
	// by CallStart.
	CallEnd(ctx context.Context, e CallEnd)
}

// CallStart describes an API call about to be sent.
type CallStart struct {
	Method string // "POST", "GET", ...
	Path   string // the API path, as "/chat/completions"
	Model  string // the requested model; "" when the call has none
	Stream bool   // a streamed chat completion
}

// AttemptStart describes an attempt about to be sent.
type AttemptStart struct {
	Attempt int // 1 for the first
	Model   string
}

// AttemptEnd describes how an attempt ended.
type AttemptEnd struct {
	Attempt int
	// Status is the answer's HTTP status; 0 when none was received.
	Status int
	// Written reports that the request was written in full: the server
	// may have processed it.
	Written bool
	// MaybeBilled is the call's count so far of attempts whose answer was
	// lost after they were sent.
	MaybeBilled int
	// Retry reports that another attempt will follow, after the wait
	// RetryWait reports (unless the context ends during it); false when
	// the wait would pass the context's deadline.
	Retry bool
	// Err is the attempt's error; nil for a success.
	Err error
}

// RetryWait describes the wait before a retry.
type RetryWait struct {
	Attempt int           // the attempt that failed
	Wait    time.Duration // the wait before the next one
	Reason  error         // the failed attempt's error
}

// CallEnd describes an ended call.
type CallEnd struct {
	Method string
	Path   string
	Model  string // the requested model
	// ResponseModel is the model that answered, when known.
	ResponseModel string
	// Provider is the provider that answered, when known.
	Provider string
	// GenerationID is the answer's ID (X-Generation-Id or the body's id).
	GenerationID string
	Status       int
	Attempts     int
	MaybeBilled  int
	// Usage is the answer's usage (tokens, cost); nil when not known.
	Usage *Usage
	// Err is the call's error; nil for a success.
	Err error
}

// LimiterObserver is an [Observer] that also sees the limiter: the
// client finds it by a type assertion, once, in [WithObserver].
type LimiterObserver interface {
	// LimiterWait is called after each attempt's wait for the limiter
	// (its slot, gate and pace), whatever its length.
	LimiterWait(ctx context.Context, e LimiterWait)
	// RateChange is called when the limiter's learned rate changed after
	// an attempt (only for a limiter with a LearnedRate method, as
	// [AdaptiveLimiter]), or the rate it learned for the attempt's model
	// (with a ModelRate method).
	RateChange(ctx context.Context, e RateChange)
}

// LimiterWait describes an attempt's wait for the limiter.
type LimiterWait struct {
	Model string
	Wait  time.Duration
	// The parts of Wait, for a limiter that reports them ([AdaptiveLimiter]
	// does; others leave them zero): Slot waited for a free slot under
	// the cap on requests in flight; Gate was held by a gate (a long
	// Retry-After, or X-RateLimit-Remaining 0 until the reset) and Pace
	// by pacing to a rate (fixed or learned), the account's; ModelGate and
	// ModelPace by the request's model's own (learned from 429s scoped to
	// it: the model's providers were full).
	Slot, Gate, Pace, ModelGate, ModelPace time.Duration
	// Err is the limiter's refusal (the context ended during the wait);
	// nil when the attempt was let through.
	Err error
}

// Cause names the longest part of the wait: "slot", "gate", "pace",
// "model_gate" or "model_pace"; "" when the limiter reports no parts or
// none waited.
func (e LimiterWait) Cause() string {
	cause, longest := "", time.Duration(0)
	for _, p := range [...]struct {
		name string
		d    time.Duration
	}{{"slot", e.Slot}, {"gate", e.Gate}, {"pace", e.Pace}, {"model_gate", e.ModelGate}, {"model_pace", e.ModelPace}} {
		if p.d > longest {
			cause, longest = p.name, p.d
		}
	}
	return cause
}

// RateChange describes a change of the limiter's learned rate.
type RateChange struct {
	// Model is the model whose own rate changed (from 429s scoped to it);
	// "" for the account's rate.
	Model string
	// Rate and Previous are in requests per second; 0 is no learned
	// rate.
	Rate, Previous float64
}

// TraceObserver is an [Observer] that also links a chat or Responses
// request to the caller's trace in OpenRouter's Broadcast (found by a
// type assertion in [WithObserver]): before such a request is encoded
// (not a batch's requests, which run later), the client asks it
// for the trace metadata of the call's context (the caller's span) and
// puts its TraceID and ParentSpanID in the request's "trace" object, the
// keys Broadcast reads to nest the generation under that span. The
// caller's own trace metadata wins: they are added only when the request
// sets neither (by Trace or Extra), and its other keys are kept.
type TraceObserver interface {
	// BroadcastTrace returns the trace metadata of ctx's span; nil when
	// there is none.
	BroadcastTrace(ctx context.Context) *Trace
}

// StreamObserver is an [Observer] that also sees a stream's first chunk
// (found by a type assertion in [WithObserver]). A stream's end is its
// call's CallEnd.
type StreamObserver interface {
	FirstChunk(ctx context.Context, e FirstChunk)
}

// FirstChunk describes a stream's first chunk.
type FirstChunk struct {
	Model string
	// Latency is the time from the call's start to the chunk, retries and
	// waits included.
	Latency time.Duration
}

// RecoveryObserver is an [Observer] that also sees the recovery of a lost
// chat answer from its generation (found by a type assertion in
// [WithObserver]).
type RecoveryObserver interface {
	Recovery(ctx context.Context, e Recovery)
}

// Recovery describes an attempt to read a lost answer back from its
// generation.
type Recovery struct {
	GenerationID string
	// Recovered reports that the answer was read back; its attempt is no
	// longer counted as maybe billed.
	Recovered bool
	// Why says why it was not, when it was not. It may quote Err's
	// message, which may quote the answer it could not read (the stored
	// generation's prompt and completion).
	Why string
	// Err is the lookup's error, when one made the recovery fail; nil
	// otherwise.
	Err error
}

// observers is a client's observer and the extensions it implements.
type observers struct {
	limiter  LimiterObserver
	stream   StreamObserver
	recovery RecoveryObserver
	trace    TraceObserver
	content  ContentObserver // observer_content.go
}

// WithObserver sets the client's observer (default: none). See
// [Observer]; o may also implement [LimiterObserver], [StreamObserver],
// [RecoveryObserver], [TraceObserver] and [ContentObserver]. For several observers, set
// their [JoinObservers].
func WithObserver(o Observer) Option {
	return func(c *config) error {
		c.observer = o
		c.obsExt = observers{}
		if j, ok := o.(*joinedObservers); ok {
			c.obsExt = j.extensions() // only those its members have
		} else if o != nil {
			c.obsExt.limiter, _ = o.(LimiterObserver)
			c.obsExt.stream, _ = o.(StreamObserver)
			c.obsExt.recovery, _ = o.(RecoveryObserver)
			c.obsExt.trace, _ = o.(TraceObserver)
			if co, ok := o.(ContentObserver); ok && co.WantsContent() {
				c.obsExt.content = co
			}
		}
		return nil
	}
}

// startCall tells the observer that a call starts and keeps the context
// it returns in st, for the call's end.
func (c *Client) startCall(ctx context.Context, st *callState, method, path string) context.Context {
	if ctx == nil {
		return ctx // send refuses it
	}
	st.path, st.started = path, time.Now()
	octx := c.cfg.observer.CallStart(ctx, CallStart{Method: method, Path: path, Model: st.model, Stream: st.stream})
	if octx == nil {
		octx = ctx
	}
	st.obsCtx = octx
	return octx
}

// endCall tells the observer that the call ended, once, with its answer
// r when one was read.
func (st *callState) endCall(r *ChatResponse, err error) {
	c := st.client
	if st.ended || st.obsCtx == nil || c == nil || c.cfg.observer == nil {
		return
	}
	st.ended = true
	e := CallEnd{Path: st.path, Model: st.model, Status: st.status, Attempts: st.attempts, MaybeBilled: st.maybeBilled, Err: err}
	if st.req != nil {
		e.Method = st.req.Method
	}
	if st.header != nil {
		e.GenerationID = st.header.Get("X-Generation-Id")
	}
	if r != nil {
		e.ResponseModel, e.Provider, e.Usage = r.Model, r.Provider, r.Usage
		if r.ID != "" {
			e.GenerationID = r.ID
		}
	}
	red := c.redactor() // the server's texts: they may echo the key
	e.GenerationID, e.ResponseModel, e.Provider = red.String(e.GenerationID), red.String(e.ResponseModel), red.String(e.Provider)
	if r != nil {
		if r.MaybeBilled > e.MaybeBilled {
			e.MaybeBilled = r.MaybeBilled
		}
	}
	if st.content != nil {
		st.observeContent(r)
	}
	c.cfg.observer.CallEnd(st.obsCtx, e)
}

// observeAttemptEnd tells the observer how an attempt ended.
func (st *callState) observeAttemptEnd(ctx context.Context, resp *http.Response, retry bool, err error) {
	o := st.client.cfg.observer
	e := AttemptEnd{Attempt: st.attempts, Written: st.wrote.Load(), MaybeBilled: st.maybeBilled, Retry: retry, Err: err}
	if resp != nil {
		e.Status = resp.StatusCode
	}
	told := false
	defer func() {
		if !told && resp != nil {
			resp.Body.Close() // o panicked: the answer's slot and connection are given back
		}
	}()
	o.AttemptEnd(ctx, e)
	told = true
}

// doAnswer is do for a call whose answer carries its usage (a chat
// completion): the observer's CallEnd is left to the caller, which calls
// st.endCall once the answer is read.
func (c *Client) doAnswer(ctx context.Context, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{}
	sc.st.endLater = true
	return c.doCall(ctx, sc, method, path, body, model, opts)
}

// doStream is doAnswer for a streamed answer of "/responses" (a streamed
// chat completion's is doChat's).
func (c *Client) doStream(ctx context.Context, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{}
	sc.st.endLater, sc.st.stream = true, true
	return c.doCall(ctx, sc, http.MethodPost, path, body, model, opts)
}

// endAnswer ends a call of doAnswer or doStream for the observer, when
// there is one, with the answer that answer gives (nil: none read) and
// the error the caller gets; a call already ended stays as it ended.
func (st *callState) endAnswer(answer func() *ChatResponse, err error) {
	if st == nil || st.client == nil || st.client.cfg.observer == nil {
		return
	}
	var r *ChatResponse
	if answer != nil {
		r = answer()
	}
	st.endCall(r, err)
}

// observeStream returns yield, which also ends the call for the observer
// with the stream's error; a stream that ends without one is ended by
// the stream's deferred endCall, with its usage.
func (st *callState) observeStream(acc *Accumulator, yield func(Chunk, error) bool) func(Chunk, error) bool {
	so := st.client.cfg.obsExt.stream
	first := true
	return func(ch Chunk, err error) bool {
		if err != nil {
			st.endCall(acc.Response(), err)
		} else if first && so != nil {
			so.FirstChunk(st.obsCtx, FirstChunk{Model: st.model, Latency: time.Since(st.started)})
		}
		first = false
		return yield(ch, err)
	}
}

// observed is the call's context as its observer returned it, or ctx.
func (st *callState) observed(ctx context.Context) context.Context {
	if st.obsCtx != nil {
		return st.obsCtx
	}
	return ctx
}

// observeRecovery tells the observer of a recovery, e.
func (c *Client) observeRecovery(ctx context.Context, e Recovery) {
	if ro := c.cfg.obsExt.recovery; ro != nil {
		ro.Recovery(ctx, e)
	}
}

// withTrace returns req with the trace metadata of the observer's
// TraceObserver for ctx, merged as TraceObserver says (a copy: the
// caller's request is not changed); req itself when there is none to add.
func (c *Client) withTrace(ctx context.Context, req *ChatRequest) *ChatRequest {
	t := c.broadcastTrace(ctx, req.Trace, req.Extra)
	if t == req.Trace {
		return req
	}
	cp := *req
	cp.Trace = t
	return &cp
}

// broadcastTrace returns the trace object of a request whose own is own
// and whose Extra is extra: own, unless the observer's TraceObserver has
// trace IDs for ctx and the request sets none, then a new Trace with
// them and own's names.
func (c *Client) broadcastTrace(ctx context.Context, own *Trace, extra map[string]any) *Trace {
	to := c.cfg.obsExt.trace
	if to == nil || ctx == nil || own != nil && (own.TraceID != "" || own.ParentSpanID != "") {
		return own
	}
	if _, whole := extra["/trace"]; whole || extraSetsIn(extra, "/trace/trace_id") || extraSetsIn(extra, "/trace/parent_span_id") {
		return own
	}
	t := to.BroadcastTrace(ctx)
	if t == nil || t.TraceID == "" && t.ParentSpanID == "" {
		return own
	}
	merged := &Trace{TraceID: t.TraceID, ParentSpanID: t.ParentSpanID}
	if own != nil {
		merged.TraceName, merged.SpanName, merged.GenerationName = own.TraceName, own.SpanName, own.GenerationName
	}
	return merged
}

// waitParts is where an AdaptiveLimiter puts the parts of its wait for
// the attempt of ctx: the call's, when its client has a LimiterObserver;
// nil otherwise.
func waitParts(ctx context.Context) *LimiterWait {
	st, _ := ctx.Value(stateKey{}).(*callState)
	if st == nil || st.client == nil || st.client.cfg.obsExt.limiter == nil {
		return nil
	}
	return &st.limitParts
}
