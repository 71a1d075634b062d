package openrouter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/routerkit/openrouter/internal/wait"
)

// Recovering a lost answer. When a chat answer is lost after OpenRouter
// began it (a connection cut mid-stream, or mid-body after the headers),
// the generation usually ran to its end and was billed. Its ID is known
// (the X-Generation-Id header, sent on all inference endpoints, or the
// stream chunks' id), so the client looks it up (GET /generation) and,
// where the account stores content (Input & Output Logging), reads the
// answer back (GET /generation/content) instead of failing or buying it
// again. The request is never sent again.

// WithAnswerRecovery sets whether a chat answer lost after OpenRouter
// began it is read back from OpenRouter's generation records (default
// on). On, such a call (Chat, ChatJSON, GenerateImage, ChatStream) looks
// the generation up, waiting a few seconds at most for OpenRouter to
// record it, and returns the stored answer as if it had arrived:
// ResponseInfo.Recovered and ChatResponse.Recovered say so, and its cost
// is counted once. It holds what OpenRouter stores, the text and the
// reasoning, without log probabilities, annotations or reasoning
// details. The lookups are GET requests, which OpenRouter does
// not bill, and they happen only after an answer was lost. Where the
// answer cannot be read back (Input & Output Logging off, a generation
// cancelled or not finished, an image or tool-call answer), the error
// carries the generation's ID and, when found, its record. Off, the error
// carries the ID and nothing is looked up.
func WithAnswerRecovery(on bool) Option {
	return func(c *config) error {
		c.noRecovery = !on
		return nil
	}
}

// CallAnswerRecovery is [WithAnswerRecovery] for one call.
func CallAnswerRecovery(on bool) CallOption {
	return callOption(func(c *callConfig) error {
		c.recovery = -1
		if on {
			c.recovery = 1
		}
		return nil
	})
}

// recoverWaits are the waits before the second and third lookups of a
// lost answer's generation: OpenRouter records a generation shortly
// after it ends, and an immediate lookup can answer 404.
var recoverWaits = []time.Duration{time.Second, 2 * time.Second}

// recoveryOn reports whether a call recovers lost answers.
func (c *Client) recoveryOn(call *callConfig) bool {
	if call != nil && call.recovery != 0 {
		return call.recovery > 0
	}
	return !c.cfg.noRecovery
}

// lostGeneration is what is known of a lost answer's generation: its ID,
// its record when it was looked up and found, and why the answer was not
// recovered.
type lostGeneration struct {
	id  string
	gen *Generation
	why string
}

// note is what an error says of the generation: "; generation gen-1
// (finished: stop, cost $0.0012): not recovered: ...". "" when the ID is
// not known.
func (l lostGeneration) note() string {
	if l.id == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "; generation %s", l.id)
	if g := l.gen; g != nil {
		state := "finished: " + g.FinishReason
		switch {
		case g.Cancelled:
			state = "cancelled"
		case g.FinishReason == "":
			state = "no finish reason"
		}
		fmt.Fprintf(&b, " (%s, cost $%s)", state, strconv.FormatFloat(math.Round(g.TotalCost*1e8)/1e8, 'f', -1, 64))
	}
	if l.why != "" {
		b.WriteString(": not recovered: ")
		b.WriteString(l.why)
	}
	return b.String()
}

// recoverAnswer looks up the generation of a lost answer and reads its
// stored content back, as a whole chat answer with the generation's
// usage and cost. It never resends the request. It returns the answer,
// or nil and why not; g is the generation's record when it was found,
// and cause the lookup's error when why quotes one.
func (c *Client) recoverAnswer(ctx context.Context, id string, wantsImage bool) (r *ChatResponse, g *Generation, why string, cause error) {
	g, err := c.awaitGeneration(ctx, id)
	if err != nil {
		return nil, nil, "looking its generation up: " + strings.TrimPrefix(err.Error(), "openrouter: "), err
	}
	// Its finish reasons are quoted by the error of an answer not
	// recovered (lostGeneration.note): the server's, they may echo the key.
	red := c.redactor()
	g.FinishReason, g.NativeFinishReason = red.String(g.FinishReason), red.String(g.NativeFinishReason)
	switch {
	case g.ID != id:
		// Another generation's record (a cache that ignores the query,
		// say): its content is not the lost answer.
		return nil, nil, fmt.Sprintf("the lookup answered with another generation (%q)", excerpt([]byte(c.redactor().String(g.ID)))), nil
	case g.Cancelled:
		return nil, g, "the generation was cancelled", nil
	case g.FinishReason == "" || g.FinishReason == "error":
		return nil, g, "the generation did not finish with an answer", nil
	case g.FinishReason == "tool_calls":
		return nil, g, "the answer asked for tool calls, which the stored content does not hold", nil
	case wantsImage:
		return nil, g, "the request asked for images, which the stored content does not hold", nil
	}
	gc, err := c.GenerationContent(ctx, id, c.lookupOptions()...)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && !gc.HasCompletion:
		return nil, g, "its content is not stored (the account's Input & Output Logging is off)", nil
	case err != nil:
		return nil, g, "reading its content: " + strings.TrimPrefix(err.Error(), "openrouter: "), err
	}
	r = &ChatResponse{ID: id, Model: g.Model, Provider: g.ProviderName, ServiceTier: g.ServiceTier, Recovered: true,
		Choices: []Choice{{FinishReason: g.FinishReason, NativeFinishReason: g.NativeFinishReason,
			Message: Message{Role: "assistant", Content: gc.Completion, Reasoning: gc.Reasoning}}},
		Usage: &Usage{PromptTokens: g.TokensPrompt, CompletionTokens: g.TokensCompletion,
			TotalTokens: g.TokensPrompt + g.TokensCompletion, Cost: g.TotalCost, IsBYOK: g.IsBYOK}}
	if g.IsBYOK {
		r.Usage.CostDetails = &CostDetails{UpstreamInferenceCost: g.UpstreamInferenceCost}
	}
	if !g.CreatedAt.IsZero() {
		r.Created = g.CreatedAt.Unix()
	}
	return r, g, "", nil
}

// awaitGeneration looks a generation up, again after each of
// recoverWaits while OpenRouter answers 404 (not recorded yet).
func (c *Client) awaitGeneration(ctx context.Context, id string) (*Generation, error) {
	for i := 0; ; i++ {
		g, err := c.Generation(ctx, id, c.lookupOptions()...)
		if err == nil || !errors.Is(err, ErrNotFound) || i == len(recoverWaits) {
			return g, err
		}
		sleep := c.cfg.recoverSleep
		if sleep == nil {
			sleep = wait.Sleep
		}
		if err := sleep(ctx, recoverWaits[i]); err != nil {
			return nil, err
		}
	}
}

// lookupOptions turn off the retries of a recovery lookup: a lost
// answer's caller is already waiting, and a 429's Retry-After could be
// long. Only a 404 (not recorded yet) is looked up again, after
// recoverWaits.
func (c *Client) lookupOptions() []CallOption {
	return []CallOption{CallMaxRetries(0)}
}

// recoverChat is called when a chat answer could not be read (err, from
// callState.annotate). When it was lost after its headers and its
// generation is known, it returns the answer read back from the
// generation; otherwise err, carrying what the lookup found.
func (c *Client) recoverChat(ctx context.Context, st *callState, req *ChatRequest, err error) (*ChatResponse, error) {
	var te *TransportError
	if !errors.As(err, &te) || te.GenerationID == "" || !errors.Is(err, ErrMaybeBilled) {
		return nil, err
	}
	id := te.GenerationID
	// After a timeout (the call's, the http.Client's) the caller's time
	// is up, and the generation may still be running: the ID is for a
	// lookup later.
	// An answer past the client's bound is not read back around it.
	if !c.recoveryOn(st.call) || ctx.Err() != nil || isTimeout(te.Err) || errors.Is(te.Err, context.Canceled) || errors.Is(te.Err, ErrTooLarge) {
		return nil, err
	}
	lookupCtx, cancel := recoveryContext(st.observed(ctx), st) // its lookups are the call's children
	r, g, why, cause := c.recoverAnswer(lookupCtx, id, req.wantsImage())
	cancel()
	c.observeRecovery(st.observed(ctx), Recovery{GenerationID: id, Recovered: r != nil, Why: why, Err: cause})
	if r == nil {
		te.Generation, te.notRecovered = g, why
		return nil, err
	}
	// The attempt counted as maybe billed is now known: its cost is
	// counted in USD, by the caller, once.
	st.maybeBilled--
	addMaybeBilled(ctx, -1)
	st.call.recovered(true)
	c.logRecovered(ctx, id)
	return r, nil
}

// recoverCut is called when a stream fails; cut when its answer began
// and then broke off or ended early (see streamCut); id is the answer's
// X-Generation-Id, when it came, and body its body. When the answer is
// read back, it yields the rest of it as one chunk, with the usage
// (counted by the stream once), and reports true. Otherwise it counts a
// cut answer as maybe billed and returns what the StreamError will say
// of the generation.
func (s *Stream) recoverCut(st *callState, id, model string, cut bool, body io.Closer, yield func(Chunk, error) bool) (lostGeneration, bool) {
	if id == "" {
		id = s.c.redactor().String(s.acc.Response().ID) // the chunks' id
	}
	lost := lostGeneration{id: id}
	if !cut || st == nil {
		return lost, false
	}
	if id != "" && s.c.recoveryOn(st.call) {
		body.Close() // the cut body holds a limiter slot the lookups may need
		ctx, cancel := recoveryContext(s.ctx, st)
		ok := s.readBack(ctx, st, &lost, model, yield)
		cancel()
		if ok {
			return lost, true
		}
	}
	// The answer began and was lost: processed, its cost unknown.
	st.countMaybeBilled(s.ctx)
	st.call.lostAnswer()
	return lost, false
}

// readBack reads a cut stream's answer back from its generation and
// yields the rest of it; false, with why in lost, when it cannot.
func (s *Stream) readBack(ctx context.Context, st *callState, lost *lostGeneration, model string, yield func(Chunk, error) bool) bool {
	r, g, why, cause := s.c.recoverAnswer(ctx, lost.id, s.req.wantsImage())
	lost.gen, lost.why = g, why
	if r == nil {
		s.c.observeRecovery(st.observed(s.ctx), Recovery{GenerationID: lost.id, Why: why, Err: cause})
		return false
	}
	ch, ok := continuation(s.acc.Response(), r)
	if !ok {
		lost.why = "the stored completion does not continue the chunks received"
		s.c.observeRecovery(st.observed(s.ctx), Recovery{GenerationID: lost.id, Why: lost.why})
		return false
	}
	s.c.observeRecovery(st.observed(s.ctx), Recovery{GenerationID: lost.id, Recovered: true})
	s.acc.Add(ch)
	s.recovered = true
	st.call.recovered(false) // not counted as maybe billed (recoverCut counts only a loss)
	s.c.logRecovered(ctx, lost.id)
	if yield(ch, nil) {
		if err := checkAnswer(s.acc.Response(), model); err != nil {
			yield(Chunk{}, generated(s.c.answerErr(err)))
		}
	}
	return true
}

// recoveryContext is the context of a lost answer's lookups: ctx, the
// caller's, bounded by the call's own deadline (CallTimeout), which the
// request's context carries.
func recoveryContext(ctx context.Context, st *callState) (context.Context, context.CancelFunc) {
	if st.req != nil {
		if dl, ok := st.req.Context().Deadline(); ok {
			return context.WithDeadline(ctx, dl)
		}
	}
	return ctx, func() {}
}

// continuation is the chunk that completes a stream's partial answer
// into the whole one read back: what the whole has beyond the partial's
// content and reasoning, its finish reason and its usage. ok is false
// when the whole does not begin with the partial (or the partial holds
// what the stored content cannot: tool calls, images, several choices).
func continuation(partial, whole *ChatResponse) (Chunk, bool) {
	var content, reasoning string
	switch len(partial.Choices) {
	case 0:
	case 1:
		m := &partial.Choices[0].Message
		if len(m.ToolCalls) > 0 || len(m.Images) > 0 {
			return Chunk{}, false
		}
		content, reasoning = m.Text(), m.Reasoning
	default:
		return Chunk{}, false
	}
	w := whole.Choices[0]
	if !strings.HasPrefix(w.Message.Content, content) || !strings.HasPrefix(w.Message.Reasoning, reasoning) {
		return Chunk{}, false
	}
	return Chunk{ID: whole.ID, Model: whole.Model, Provider: whole.Provider, Usage: whole.Usage, ServiceTier: whole.ServiceTier,
		Choices: []ChunkChoice{{FinishReason: w.FinishReason, NativeFinishReason: w.NativeFinishReason,
			Delta: Delta{Content: w.Message.Content[len(content):], Reasoning: w.Message.Reasoning[len(reasoning):]}}}}, true
}

// streamCut reports whether a stream's failure is a cut one a recovery
// may complete: the answer began, and its body broke off or ended early,
// while neither the caller nor the watchdog ended it.
func streamCut(ctx context.Context, answered bool, cause error, wd *watchdog) bool {
	return answered && errors.Is(cause, io.ErrUnexpectedEOF) && wd.fired() == "" && ctx.Err() == nil
}

func (c *Client) logRecovered(ctx context.Context, id string) {
	if c.cfg.logger != nil {
		c.cfg.logger.InfoContext(ctx, "openrouter: an answer lost on the way was read back from its stored generation (not sent again)", "generation", id)
	}
}

// wantsImage reports whether a request asks for image output.
func (r *ChatRequest) wantsImage() bool {
	for _, m := range r.Modalities {
		if m == "image" {
			return true
		}
	}
	return false
}

// recovered notes in the call's ResponseInfo, if any, that an answer was
// read back; undo takes back the maybe-billed attempt counted for it.
func (c *callConfig) recovered(undo bool) {
	if c == nil || c.info == nil {
		return
	}
	c.lockInfo()
	defer c.unlockInfo()
	c.info.Recovered = true
	if undo {
		c.info.MaybeBilled--
	}
}
