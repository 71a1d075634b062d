package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// BatchResult is what one request of a batch got: exactly one of
// Response and Error is set. Match it to its request by CustomID.
type BatchResult struct {
	ID       string         `json:"id"`
	CustomID string         `json:"custom_id"`
	Response *BatchResponse `json:"response"`
	// Error is the request's error object as sent, when it has no
	// response (expired or cancelled before it ran, say).
	Error json.RawMessage `json:"error"`

	redact func(*APIError) // the client's key redaction, when it decoded the result
}

// BatchResponse is the answer a batch request got, as the sync endpoint
// would have given it.
type BatchResponse struct {
	StatusCode int             `json:"status_code"`
	RequestID  string          `json:"request_id"`
	Body       json.RawMessage `json:"body"`
}

// Chat returns the request's chat completion, or the error a Chat call
// would have returned for the same answer: an *[APIError] matching the
// same sentinels (a 402 is [ErrInsufficientCredits], a 429
// [ErrRateLimited]), or an *[EmptyContentError].
func (r *BatchResult) Chat() (*ChatResponse, error) {
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	var env chatEnvelope
	if err := r.decode(body, &env); err != nil {
		return nil, err
	}
	res := &env.ChatResponse
	if hasJSON(env.Error) {
		e := errorFromObject(env.Error)
		e.RequestID, e.Response = res.ID, res
		return nil, r.finish(e)
	}
	if err := checkAnswer(res, res.Model); err != nil {
		return nil, r.annotate(err)
	}
	return res, nil
}

// body returns the body of the request's answer when it is a 2xx, and
// otherwise the error the result stands for: its error object, its error
// answer, or an [ErrServer] error for a result with neither.
func (r *BatchResult) body() (json.RawMessage, error) {
	if hasJSON(r.Error) {
		e := errorFromObject(r.Error)
		e.RequestID = r.ID
		return nil, r.finish(e)
	}
	if r.Response == nil {
		return nil, r.finish(&APIError{kind: []error{ErrServer}, RequestID: r.ID,
			Message: fmt.Sprintf("batch result %q has neither a response nor an error", r.CustomID)})
	}
	if status := r.Response.StatusCode; status >= 400 {
		e := parseError(status, nil, r.Response.Body, time.Now())
		if e.RequestID == "" {
			e.RequestID = r.Response.RequestID
		}
		return nil, r.finish(e)
	}
	return r.Response.Body, nil
}

// decode reads an answer's body into out; a body that is not the JSON
// expected is an *APIError matching [ErrServer].
func (r *BatchResult) decode(body json.RawMessage, out any) error {
	if err := decodeJSON(&http.Response{StatusCode: max(r.Response.StatusCode, 200)}, body, out); err != nil {
		return r.annotate(err)
	}
	return nil
}

// annotate gives an *APIError the client's key redaction; err is
// returned as it is.
func (r *BatchResult) annotate(err error) error {
	var e *APIError
	if errors.As(err, &e) {
		r.finish(e)
	}
	return err
}

// Err returns the result's error, or nil when it holds a usable answer:
// read as Responses does for a Responses answer (object "response"), as
// Messages does for a Messages answer (type "message"), and as Chat does
// otherwise.
func (r *BatchResult) Err() error {
	var err error
	switch r.shape() {
	case "response":
		_, err = r.Responses()
	case "message":
		_, err = r.Messages()
	default:
		_, err = r.Chat()
	}
	return err
}

func (r *BatchResult) finish(e *APIError) *APIError {
	if r.redact != nil {
		r.redact(e)
	}
	return e
}

func hasJSON(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// Cost returns what the request's answer says it cost, in USD (as
// Usage.TotalCost: a BYOK answer's upstream cost included), whatever
// the answer was: an empty completion, an error object inside a 200 or
// an unusable body is billed as much as a good one, so a report must
// count it. 0 when the request has no answer (it expired or was
// cancelled before it ran) or the answer gives no cost.
func (r *BatchResult) Cost() float64 {
	if r == nil || r.Response == nil || !hasJSON(r.Response.Body) {
		return 0
	}
	var body struct {
		Usage *Usage `json:"usage"`
	}
	if json.Unmarshal(r.Response.Body, &body) != nil {
		return 0
	}
	return body.Usage.TotalCost()
}

// batchResultsPage is a page of GET /batches/{id}/results.
type batchResultsPage struct {
	Data       []BatchResult `json:"data"`
	HasMore    bool          `json:"has_more"`
	NextCursor *string       `json:"next_cursor"`
}

// maxEmptyResultPages is how many empty result pages in a row that say
// there are more Batches.Results reads before it calls the server broken:
// without a bound, a server handing out new cursors forever would keep
// it looping.
const maxEmptyResultPages = 3

// batchResultsPageSize is how many results the first page asks for (the
// API serves 1 to 1000); a page past the client's answer bound
// (AnswerLimits.JSON) is asked for again with half as many, down to one.
const batchResultsPageSize = 500

// batchResultsCountAfter is how many results Batches.ResultMap reads before
// it reads the batch's request count, to bound what it keeps.
const batchResultsCountAfter = 500

// Results iterates over a finished batch's results, page by page
// (GET /batches/{id}/results, cursor-paginated). A server that answers
// that path with 404 or 405 serves the older shape, where the finished
// batch carries its results inline: they are read from Batches.Get instead.
// An error ends the iteration; it is yielded with a nil result.
//
//	for r, err := range c.Batches.Results(ctx, id) {
//		if err != nil { return err }
//		res, err := r.Chat() // the completion, or the typed error of this request
//		...
//	}
func (s *BatchesService) Results(ctx context.Context, id string, opts ...CallOption) iter.Seq2[*BatchResult, error] {
	c := s.client()
	return func(yield func(*BatchResult, error) bool) {
		base, err := c.batchIDPath(id, "/results")
		if err != nil {
			yield(nil, err)
			return
		}
		ctx, cancel, opts, err := prepareCall(ctx, opts) // one call across the pages
		if err != nil {
			yield(nil, err)
			return
		}
		defer cancel()
		p := &resultPages{c: c, id: id, base: base, opts: opts, seen: map[string]bool{}, limit: batchResultsPageSize}
		for read := 0; ; read++ {
			page, err := p.page(ctx)
			var e *APIError
			if read == 0 && errors.As(err, &e) && (e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusMethodNotAllowed) {
				c.inlineResults(ctx, id, opts, yield)
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Data {
				r := &page.Data[i]
				r.redact = c.redactError
				if !yield(r, nil) {
					return
				}
			}
			done, err := p.advance(page)
			if err != nil {
				yield(nil, err)
			}
			if done || err != nil {
				return
			}
		}
	}
}

// resultPages walks a batch's result pages by cursor.
type resultPages struct {
	c        *Client
	id, base string
	opts     []CallOption
	cursor   string
	seen     map[string]bool // the cursors followed
	empty    int             // pages in a row that held nothing but said there is more
	limit    int             // the results a page asks for
}

// page reads the page at the cursor. A page that does not fit the answer
// bound is asked for again with fewer results, from the same cursor.
func (p *resultPages) page(ctx context.Context) (*batchResultsPage, error) {
	for {
		q := url.Values{"limit": {fmt.Sprint(p.limit)}}
		if p.cursor != "" {
			q.Set("cursor", p.cursor)
		}
		var page batchResultsPage
		err := p.c.getJSON(ctx, p.base+"?"+q.Encode(), &page, p.opts)
		if errors.Is(err, ErrTooLarge) && p.limit > 1 && ctx.Err() == nil {
			p.limit = max(p.limit/2, 1)
			continue
		}
		return &page, err
	}
}

// advance moves the cursor past page; done when it was the last. A
// server that says there are more but gives no new cursor, or only empty
// pages, is an error: without it the walk would not end.
func (p *resultPages) advance(page *batchResultsPage) (done bool, err error) {
	next := ""
	if page.NextCursor != nil {
		next = *page.NextCursor
	}
	if !page.HasMore {
		return true, nil
	}
	if next == "" || p.seen[next] {
		return false, &APIError{kind: []error{ErrServer}, Message: fmt.Sprintf("batch %s: the results say there are more, but give no new cursor", p.id)}
	}
	if p.empty = p.empty + 1; len(page.Data) > 0 {
		p.empty = 0
	}
	if p.empty > maxEmptyResultPages {
		return false, &APIError{kind: []error{ErrServer}, Message: fmt.Sprintf("batch %s: %d result pages in a row were empty but said there are more", p.id, p.empty)}
	}
	p.seen[next], p.cursor = true, next
	return false, nil
}

// inlineResults yields the results a finished batch carries inline.
func (c *Client) inlineResults(ctx context.Context, id string, opts []CallOption, yield func(*BatchResult, error) bool) {
	b, err := c.Batches.Get(ctx, id, opts...)
	if err != nil {
		yield(nil, err)
		return
	}
	if b.Results == nil {
		yield(nil, &APIError{StatusCode: http.StatusNotFound, kind: []error{ErrNotFound},
			Message: fmt.Sprintf("batch %s (%s) has no results to read", id, b.Status)})
		return
	}
	for i := range b.Results {
		r := &b.Results[i]
		r.redact = c.redactError
		if !yield(r, nil) {
			return
		}
	}
}

func (c *Client) redactError(e *APIError) { c.redact(e) }

// ResultMap reads all of a batch's results into a map by custom ID.
// A custom ID the server sends twice, a result without one, or more
// results than the batch has requests (read past the first page) is an
// error ([ErrServer]): no result is dropped or filed silently, and a
// server paging out results for ever cannot fill memory.
func (s *BatchesService) ResultMap(ctx context.Context, id string, opts ...CallOption) (map[string]*BatchResult, error) {
	c := s.client()
	ctx, cancel, opts, err := prepareCall(ctx, opts) // one call across the pages and the count
	if err != nil {
		return nil, err
	}
	defer cancel()
	m := map[string]*BatchResult{}
	total := -1 // the batch's request count, read once past the first page
	for r, err := range c.Batches.Results(ctx, id, opts...) {
		if err != nil {
			return m, err
		}
		if len(m) == batchResultsCountAfter {
			b, err := c.Batches.Get(ctx, id, opts...)
			if err != nil {
				return m, err
			}
			total = b.RequestCounts.Total
		}
		if total > 0 && len(m) >= total {
			return m, &APIError{kind: []error{ErrServer}, Message: fmt.Sprintf("batch %s: more results than its %d requests", id, total)}
		}
		if r.CustomID == "" {
			return m, &APIError{kind: []error{ErrServer}, RequestID: r.ID, Message: fmt.Sprintf("batch %s: result %q has no custom ID: it cannot be matched to its request", id, r.ID)}
		}
		if _, dup := m[r.CustomID]; dup {
			return m, &APIError{kind: []error{ErrServer}, Message: fmt.Sprintf("batch %s: custom ID %q has two results", id, r.CustomID)}
		}
		m[r.CustomID] = r
	}
	return m, nil
}
