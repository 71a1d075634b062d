package openrouter

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// The observer's CallEnd of the calls other than chat whose answer says
// what it cost (embeddings, rerank, a transcription, the images API, the
// Responses API): each is sent by doAnswer and ended here once its
// answer is read, so that the observer sees its usage and cost, as the
// client's spending does.

// endUsage ends a call of doAnswer for the observer, once, with the usage
// its answer reported (nil when none) and its error.
func (st *callState) endUsage(u *Usage, err error) {
	if st == nil || st.obsCtx == nil {
		return
	}
	st.endCall(&ChatResponse{Usage: u}, err)
}

// sendBilled is sendJSON (a POST) for an answer that says what it cost:
// usage reads the cost from out once the answer is decoded, for the
// observer's CallEnd.
func (c *Client) sendBilled(ctx context.Context, path string, in, out any, model string, opts []CallOption, usage func() *Usage) error {
	body, err := json.Marshal(in)
	if err != nil {
		return invalid("%v", err)
	}
	resp, st, err := c.doAnswer(ctx, http.MethodPost, path, body, model, opts)
	if err != nil {
		return err // ended by doCall
	}
	defer resp.Body.Close()
	err = st.annotate(c.decodeAnswer(resp, out))
	if st.obsCtx != nil {
		st.endUsage(usage(), err)
	}
	return err
}

// doAnswerStream is doAnswer for a streamed answer other than a chat
// completion's (a Responses stream).
func (c *Client) doAnswerStream(ctx context.Context, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{}
	sc.st.endLater, sc.st.stream = true, true
	return c.doCall(ctx, sc, http.MethodPost, path, body, model, opts)
}

// observe returns yield, which also ends the call for the observer with
// the stream's error, and tells a StreamObserver of its first event; a
// stream that ends without one is ended by run's deferred endUsage.
func (s *ResponseStream) observe(st *callState, yield func(ResponseEvent, error) bool) func(ResponseEvent, error) bool {
	so := st.client.cfg.obsExt.stream
	first := true
	return func(ev ResponseEvent, err error) bool {
		if err != nil {
			st.endUsage(s.acc.usage(), err)
		} else if first && so != nil {
			so.FirstChunk(st.obsCtx, FirstChunk{Model: st.model, Latency: time.Since(st.started)})
		}
		first = false
		return yield(ev, err)
	}
}
