package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Chat completions: Chat, and the encoding and reading of a chat request
// that ChatStream, GenerateImage and batches share.

// Chat sends a chat completion and returns the answer. Errors match the
// sentinels of this package: HTTP failures as *[APIError], an error inside
// a 200 as *APIError with InStream set, and an answer with no content, no
// image and no tool call as *[EmptyContentError] ([ErrEmptyContent]).
func (c *Client) Chat(ctx context.Context, req *ChatRequest, opts ...CallOption) (*ChatResponse, error) {
	r, model, st, err := c.sendChat(ctx, req, c.decodeBody, opts)
	if err != nil {
		return nil, err
	}
	if err := checkAnswer(r, model); err != nil {
		err = st.annotate(c.answerErr(err))
		st.endCall(r, err) // the answer, billed, and the error the caller gets
		return nil, err
	}
	st.endCall(r, nil)
	return r, nil
}

// chatEnvelope is a 200 answer of /chat/completions: a completion, or an
// error object.
type chatEnvelope struct {
	ChatResponse
	Error json.RawMessage `json:"error"`
}

// sendChat sends a chat request and decodes the 200 answer with decode,
// then adds its cost to the client's spending and turns an error object
// in it into an *APIError. It is the one path of Chat and GenerateImage.
// A call that fails here ends for the observer here; one that succeeds
// is ended by the caller (st.endCall), once it has judged the answer.
func (c *Client) sendChat(ctx context.Context, req *ChatRequest, decode func(*http.Response, any) error, opts []CallOption) (*ChatResponse, string, *callState, error) {
	body, model, err := c.encodeChat(ctx, req, false)
	if err != nil {
		return nil, model, nil, err
	}
	resp, st, err := c.doChat(ctx, req, body, model, false, opts)
	if err != nil {
		return nil, model, st, c.suggestModels(err, model)
	}
	defer resp.Body.Close()
	r, err := c.readChat(ctx, st, req, resp, decode)
	if err != nil && st.obsCtx != nil {
		st.endCall(r, err)
	}
	if err != nil {
		return nil, model, st, err
	}
	return r, model, st, nil
}

// readChat reads a chat answer of sendChat.
func (c *Client) readChat(ctx context.Context, st *callState, req *ChatRequest, resp *http.Response, decode func(*http.Response, any) error) (*ChatResponse, error) {
	var out ChatResponse
	var errObj json.RawMessage
	if err := decode(resp, &out); err != nil {
		resp.Body.Close() // frees the limiter's slot for a recovery's lookups
		r, err := c.recoverChat(ctx, st, req, st.annotate(c.redactErr(err)))
		if err != nil {
			return nil, err
		}
		out = *r // read back from its generation (recover.go)
	} else {
		errObj = errorMember(out.raw)
	}
	r := &out
	c.spend(ctx, r.Usage)
	if st.call != nil {
		st.call.answered(r)
	}
	if e := c.answerError(errObj); e != nil {
		e.RequestID, e.Response = r.ID, r
		return r, st.annotate(e) // r for the observer: its usage was billed
	}
	r.MaybeBilled = st.maybeBilled
	return r, nil
}

// errorMember returns the top-level "error" member of an answer's body
// (for a chat answer, the bytes decodeJSON kept in ChatResponse.raw):
// the first member whose name encoding/json would take for "error" (any
// case, an escaped name) and whose value is not null, so that a second
// member of that name (a null one, which encoding/json would keep) does
// not hide the error. nil for a body that is not a JSON object. The
// members are walked only when a name may be "error" (see
// mayHoldErrorKey), so that an answer pays almost nothing for the check:
// the catalogue is a megabyte.
func errorMember(body []byte) json.RawMessage {
	if !mayHoldErrorKey(body) {
		return nil
	}
	d := fastDec{b: body}
	d.ws()
	if !d.next('{') {
		return nil
	}
	var found json.RawMessage
	for {
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			break // the end of an empty object, or not JSON: json.Valid below
		}
		start := d.i
		if !d.skipString() {
			return nil
		}
		name := d.b[start:d.i]
		d.ws()
		if !d.next(':') {
			return nil
		}
		d.ws()
		v := d.i
		if !d.skipRaw(0) {
			return nil
		}
		if found == nil && errorName(name) && string(d.b[v:d.i]) != "null" {
			found = d.b[v:d.i]
		}
		d.ws()
		if !d.next(',') {
			break
		}
	}
	if found == nil || !json.Valid(body) {
		return nil
	}
	return found
}

// errorName reports whether quoted, a JSON string, is a name
// encoding/json takes for "error": the word in any case, its letters
// perhaps \u escapes. (encoding/json folds a name's non-ASCII letters by
// Unicode, but none folds to a letter of "error".)
func errorName(quoted []byte) bool {
	name := quoted[1 : len(quoted)-1]
	if len(name) == 5 {
		return bytes.EqualFold(name, []byte("error"))
	}
	if len(name) > 5*len(`\u0065`) || bytes.IndexByte(name, '\\') < 0 {
		return false
	}
	var s string
	return json.Unmarshal(quoted, &s) == nil && len(s) == 5 && strings.EqualFold(s, "error")
}

// mayHoldErrorKey reports whether body may hold a member that
// encoding/json takes for "error" (see errorName), at any depth: a name
// is a string followed by a colon, and one that spells "error" takes at
// most 30 bytes. It looks at the colons only, so that a megabyte with
// many quotes and escapes (the catalogue) costs a fraction of its
// decoding; a colon inside a string value may make it say yes wrongly,
// never no.
func mayHoldErrorKey(body []byte) bool {
	const longest = 5 * len(`\u0065`)
	for i := 0; ; {
		c := bytes.IndexByte(body[i:], ':')
		if c < 0 {
			return false
		}
		i += c + 1
		end := i - 2 // the name's closing quote, after any whitespace
		for end >= 0 && (body[end] == ' ' || body[end] == '\t' || body[end] == '\n' || body[end] == '\r') {
			end--
		}
		if end < 1 || body[end] != '"' {
			continue
		}
		from := max(0, end-longest-1)
		open := bytes.LastIndexByte(body[from:end], '"')
		if open >= 0 && errorName(body[from+open:end+1]) {
			return true
		}
	}
}

// answerError is the one check of an answer's "error" member, for every
// endpoint, a 200 body and a stream event alike: nil when there is none,
// else the *APIError it stands for, without the key.
func (c *Client) answerError(obj json.RawMessage) *APIError {
	if len(obj) == 0 || string(obj) == "null" {
		return nil
	}
	e := errorFromObject(obj)
	c.redact(e)
	c.judgeAnswer(e) // as over HTTP: a quota, a budget's reset
	return e
}

// suggestModels attaches the closest catalogue IDs to an unknown-model
// error, when the client has the catalogue (it is not fetched for this).
func (c *Client) suggestModels(err error, model string) error {
	var e *APIError
	if model == "" || !errors.As(err, &e) || !e.Is(ErrModelNotFound) || e.Is(ErrNoEndpoints) || len(e.Suggestions) > 0 {
		return err
	}
	if models := c.catalog.cached(); models != nil {
		e.Suggestions = suggest(catalogID(model), models)
	}
	return err
}

// encodeChat validates a request and returns its body and model, with the
// client's standard model filled in when the request names none (the
// caller's request is not changed). With WithModelCheck, the models are
// looked up in the catalogue first.
func (c *Client) encodeChat(ctx context.Context, req *ChatRequest, stream bool) ([]byte, string, error) {
	if c == nil {
		return nil, "", invalid("nil *Client")
	}
	if err := req.validate(); err != nil {
		return nil, "", err
	}
	if !stream && req.Debug != nil {
		return nil, "", invalid("debug: the upstream body is echoed in a stream only; use ChatStream")
	}
	if req.Model == "" && len(req.Models) == 0 {
		cp := *req
		cp.Model = c.Roles().Standard
		req = &cp
	}
	req = c.withTrace(ctx, req) // observer.go
	if c.cfg.modelCheck && ctx != nil {
		for _, m := range append([]string{req.Model}, req.Models...) {
			if m == "" || uncheckable(m) {
				continue
			}
			if _, err := c.usableModel(ctx, m, nil); err != nil {
				return nil, "", err
			}
		}
	}
	body, err := req.encode(stream)
	if err != nil && !errors.Is(err, ErrInvalidRequest) {
		err = invalid("%v", err)
	}
	if err != nil {
		if errors.Is(err, ErrInvalidRequest) {
			return nil, "", err
		}
		return nil, "", invalid("%v", err)
	}
	model := req.Model
	if model == "" && len(req.Models) > 0 {
		model = req.Models[0]
	}
	return body, model, nil
}
