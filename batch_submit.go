package openrouter

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// BatchRequest is a batch to submit: requests of one shape (chat
// completions, Responses or Anthropic Messages), each under a custom ID
// of the caller's, run on one model.
type BatchRequest struct {
	// Endpoint is the shape of every request: [BatchChatCompletions],
	// [BatchResponses] or [BatchMessages]; "" means the shape of the
	// requests. A request of another shape is refused before sending.
	Endpoint string
	// Model runs every request; "" means the client's standard model. A
	// request's Body may name the same model or none.
	Model string
	// Requests are the batch's requests; custom IDs must be unique, and
	// results are matched to them by custom ID, never by position.
	Requests []BatchItem
	// CallbackURL is an HTTPS URL that receives a webhook when the batch
	// ends (batch.completed, .failed, .cancelled, .expired). The client
	// adds the query parameter "openrouter_batch_token" with Token, so the
	// receiver can tell its submissions apart.
	CallbackURL string
	// CompletionWindow is "" or "24h", the only window offered.
	CompletionWindow string
	// Provider restricts the providers that may run the batch.
	Provider *BatchProvider
	// Token marks this submission, for the caller's own records (write it
	// in a journal before submitting) and the callback URL. "" lets
	// Batches.Submit draw a random one.
	Token string
}

// BatchItem is one request of a batch; set exactly one of Body,
// Responses and Messages, the shape of every request of its batch.
type BatchItem struct {
	CustomID string
	// Body is a chat completion, encoded exactly as Chat encodes it.
	Body *ChatRequest
	// Responses is a Responses API request, encoded as Responses.Create
	// encodes it; read its result with BatchResult.Responses.
	Responses *ResponseRequest
	// Messages is an Anthropic Messages API request; read its result
	// with BatchResult.Messages.
	Messages *MessagesRequest
}

// BatchProvider is the provider routing a batch accepts: only these
// providers, and whether others may take over.
type BatchProvider struct {
	Only           []string `json:"only,omitempty"`
	AllowFallbacks *bool    `json:"allow_fallbacks,omitempty"`
}

// BatchMarker identifies a submission whose answer was lost, so the
// batch can be looked up (Batches.Find) instead of submitted again. The API
// has no metadata field, so the batch is recognised by what it must be:
// endpoint, model, request count, created after NotBefore. It is plain
// data, to keep in a journal.
type BatchMarker struct {
	Token     string    `json:"token"`
	Endpoint  string    `json:"endpoint"`
	Model     string    `json:"model"`
	Requests  int       `json:"requests"`
	NotBefore time.Time `json:"not_before"`
}

// batchClockSkew is how far the server's clock may be behind ours when a
// batch is looked up by creation time.
const batchClockSkew = 5 * time.Minute

// BatchSubmitError reports a submission that may have reached the server
// but whose answer was lost, and that no lookup could settle: the batch
// may exist and run (and be billed). It matches [ErrMaybeBilled] and the
// cause. Do not submit it again blindly: call Batches.Find with Marker
// later, or check the batches listed in Candidates: once one has
// finished, its results' custom IDs say whether it is this submission.
type BatchSubmitError struct {
	Marker BatchMarker
	// Candidates are the IDs of the batches that match Marker and may be
	// the submission: not finished yet, or several holding its custom IDs.
	Candidates []string
	Err        error // what happened to the submission
	LookupErr  error // why the lookup failed, if it did
}

// Error says what was lost and what to do, with the cause.
func (e *BatchSubmitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openrouter: the answer to a batch submission (%d requests on %s) was lost: %v; ", e.Marker.Requests, e.Marker.Model, e.Err)
	switch {
	case e.LookupErr != nil:
		fmt.Fprintf(&b, "looking the batch up failed too (%v)", e.LookupErr)
	case len(e.Candidates) > 1:
		fmt.Fprintf(&b, "%d batches match it (%s)", len(e.Candidates), strings.Join(e.Candidates, ", "))
	case len(e.Candidates) == 1:
		fmt.Fprintf(&b, "batch %s matches it, but only its results, once it has finished, can prove it is this submission", e.Candidates[0])
	default:
		b.WriteString("no batch matching it is listed yet")
	}
	b.WriteString("; it may exist and be billed: look it up with Batches.Find before submitting again")
	return b.String()
}

// Unwrap returns ErrMaybeBilled and the cause.
func (e *BatchSubmitError) Unwrap() []error { return []error{ErrMaybeBilled, e.Err} }

// encodeBatch validates a batch and returns its body, with endpoint,
// model, callback_url, completion_window and provider written before
// requests: the server reads the body as a stream and refuses it
// otherwise.
func (c *Client) encodeBatch(req *BatchRequest) ([]byte, BatchMarker, error) {
	m, err := c.batchMarker(req)
	if err != nil {
		return nil, m, err
	}
	if len(req.Requests) == 0 {
		return nil, m, invalid("a batch needs at least one request")
	}
	if w := req.CompletionWindow; w != "" && w != "24h" {
		return nil, m, invalid("completion window %q: only \"24h\" is offered", w)
	}
	if p := req.Provider; p != nil && slices.Contains(p.Only, "") {
		return nil, m, invalid("an empty provider name in BatchRequest.Provider.Only")
	}
	var b bytes.Buffer
	if err := writeEnvelope(&b, req, m); err != nil {
		return nil, m, err
	}
	if err := writeRequests(&b, req, m); err != nil {
		return nil, m, err
	}
	return b.Bytes(), m, nil
}

// writeEnvelope writes the batch's fields that come before its requests.
func writeEnvelope(b *bytes.Buffer, req *BatchRequest, m BatchMarker) error {
	b.WriteString(`{"endpoint":`)
	writeJSONValue(b, m.Endpoint)
	b.WriteString(`,"model":`)
	writeJSONValue(b, m.Model)
	if req.CallbackURL != "" {
		u, err := url.Parse(req.CallbackURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return invalid("callback URL %q: an absolute https URL is required", req.CallbackURL)
		}
		q := u.Query()
		q.Set("openrouter_batch_token", m.Token)
		u.RawQuery = q.Encode()
		b.WriteString(`,"callback_url":`)
		writeJSONValue(b, u.String())
	}
	if req.CompletionWindow != "" {
		b.WriteString(`,"completion_window":`)
		writeJSONValue(b, req.CompletionWindow)
	}
	if req.Provider != nil {
		b.WriteString(`,"provider":`)
		writeJSONValue(b, req.Provider)
	}
	return nil
}

// writeRequests writes the batch's requests, each checked and encoded in
// the batch's shape, and closes the body.
func writeRequests(b *bytes.Buffer, req *BatchRequest, m BatchMarker) error {
	b.WriteString(`,"requests":[`)
	seen := make(map[string]bool, len(req.Requests))
	for i := range req.Requests {
		it := &req.Requests[i]
		if it.CustomID == "" {
			return invalid("requests[%d]: empty custom ID", i)
		}
		if seen[it.CustomID] {
			return invalid("requests[%d]: custom ID %q is used twice; results are matched by custom ID", i, it.CustomID)
		}
		seen[it.CustomID] = true
		body, err := encodeItem(i, it, &req.Requests[0], m.Endpoint, m.Model)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"custom_id":`)
		writeJSONValue(b, it.CustomID)
		b.WriteString(`,"body":`)
		b.Write(body)
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return nil
}

// Marker returns the marker of a submission of req, to record (in a
// journal, say) before calling Batches.Submit, so that a process that dies
// before the answer can look the batch up with Batches.Find rather than
// submit it again. It draws req.Token when it is empty, so that the
// submission that follows carries the same token.
func (s *BatchesService) Marker(req *BatchRequest) (BatchMarker, error) {
	c := s.client()
	m, err := c.batchMarker(req)
	if err == nil && req.Token == "" {
		req.Token = m.Token
	}
	return m, err
}

// batchMarker checks a batch's endpoint and model and returns its marker,
// dated now less the clock skew allowed.
func (c *Client) batchMarker(req *BatchRequest) (BatchMarker, error) {
	var m BatchMarker
	if req == nil {
		return m, invalid("nil *BatchRequest")
	}
	endpoint, err := batchEndpoint(req)
	if err != nil {
		return m, err
	}
	model := req.Model
	if model == "" {
		model = c.Roles().Standard
	}
	if model == "" || strings.ContainsAny(model, " \t\r\n") {
		return m, invalid("batch model %q: set BatchRequest.Model", model)
	}
	if strings.HasSuffix(model, ":online") {
		return m, invalid("web search (%s) is not available in a batch; send it with Chat", model)
	}
	token := req.Token
	if token == "" {
		var r [12]byte
		_, _ = rand.Read(r[:])
		token = "orb-" + hex.EncodeToString(r[:])
	}
	now := time.Now
	if c.now != nil { // nil in a Client not made by NewClient, whose calls fail later
		now = c.now
	}
	return BatchMarker{Token: token, Endpoint: endpoint, Model: model, Requests: len(req.Requests),
		NotBefore: now().Add(-batchClockSkew).UTC().Truncate(time.Second)}, nil
}

// writeJSONValue appends v's JSON; v is a string or a plain struct, which
// always encode.
func writeJSONValue(b *bytes.Buffer, v any) {
	j, _ := json.Marshal(v)
	b.Write(j)
}

// Submit submits a batch (POST /batches) and returns it, usually
// validating: a 202 means stored, not valid (a batch whose validation
// fails ends as failed, with Error set). With [WithModelCheck], the
// batch's model is checked first, as for Chat.
//
// A submission is never sent twice blindly. It is retried only when
// nothing reached the server (connection refused, DNS) or the server
// refused it unprocessed (429). When the answer is lost after the
// request may have arrived (a cut connection, a timeout, a 5xx), the
// client looks the batch up (Batches.Find) and returns it when exactly one
// match is proven to be the submission: finished, with results under the
// request's custom IDs (a batch of the same model and size is not proof:
// another job's, or an earlier chunk's, would match). Otherwise it
// returns a *[BatchSubmitError] ([ErrMaybeBilled]) carrying the marker
// and the candidates that may be it, to look up later.
func (s *BatchesService) Submit(ctx context.Context, req *BatchRequest, opts ...CallOption) (*Batch, error) {
	c := s.client()
	body, marker, err := c.encodeBatch(req)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("nil context")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// One call: the model check, the submission and its lookup share a
	// timeout and add up in one ResponseInfo.
	ctx, cancel, opts, err := prepareCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if c.cfg.modelCheck { // as Chat does: an unknown model is refused before anything is sent
		if _, err := c.usableModel(ctx, marker.Model, opts); err != nil {
			return nil, err
		}
	}
	b, err := c.submitOnce(ctx, body, marker.Model, opts)
	if err == nil {
		return b, nil
	}
	if !maybeStored(err) {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, &BatchSubmitError{Marker: marker, Err: err}
	}
	return c.adoptProven(ctx, marker, req, err, opts)
}

// adoptProven looks up a submission whose answer was lost (err) and
// returns the batch only when it is proven the submission's own: the one
// candidate, finished, whose results carry req's custom IDs. Otherwise a
// *BatchSubmitError lists the candidates that may be it.
func (c *Client) adoptProven(ctx context.Context, marker BatchMarker, req *BatchRequest, err error, opts []CallOption) (*Batch, error) {
	found, lerr := c.Batches.Find(ctx, marker, opts...)
	se := &BatchSubmitError{Marker: marker, Err: err, LookupErr: lerr}
	var proven *Batch
	for i, f := range found {
		switch ours, known := c.batchHolds(ctx, &f, req, opts); {
		case known && !ours:
			continue // another batch of the same shape
		case known && proven == nil:
			proven = &found[i]
		}
		se.Candidates = append(se.Candidates, f.ID)
	}
	if lerr == nil && proven != nil && len(se.Candidates) == 1 {
		return proven, nil
	}
	return nil, se
}

// batchHolds reads the first result of a finished batch b: known is
// false when b has not finished, or its results cannot be read; ours says
// whether the result's custom ID is one of req's.
func (c *Client) batchHolds(ctx context.Context, b *Batch, req *BatchRequest, opts []CallOption) (ours, known bool) {
	if !b.Status.Terminal() {
		return false, false
	}
	for r, err := range c.Batches.Results(ctx, b.ID, opts...) {
		if err != nil {
			return false, false
		}
		for _, it := range req.Requests {
			if it.CustomID == r.CustomID {
				return true, true
			}
		}
		return false, true
	}
	return false, b.RequestCounts.Completed+b.RequestCounts.Failed == 0 // no results: known only when none were made
}

// submitOnce sends the submission with resending forbidden (see
// callState.unprocessed) and decodes the batch it answers.
func (c *Client) submitOnce(ctx context.Context, body []byte, model string, opts []CallOption) (_ *Batch, err error) {
	resp, st, err := c.doOnce(ctx, http.MethodPost, c.batchPath(), body, model, opts)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }()
	var b Batch
	if err := c.decodeBody(resp, &b); err != nil {
		return nil, st.annotate(err)
	}
	if b.ID == "" {
		// A lost answer: the batch may exist, and be billed.
		return nil, st.annotate(&APIError{StatusCode: resp.StatusCode, kind: []error{ErrServer}, Model: model,
			Message: "the submission's answer carries no batch ID", unusable: true})
	}
	return &b, nil
}

// Find lists the batches that may be the submission m describes:
// same endpoint and model, created after m.NotBefore, with m.Requests
// requests (or not yet counted while validating). Newest first. Use it
// after a lost submission answer, or when resuming a job whose journal
// holds a marker but no batch ID: one match is the batch; none means it
// was not stored (or is not listed yet); several cannot be told apart
// by this API.
func (s *BatchesService) Find(ctx context.Context, m BatchMarker, opts ...CallOption) ([]Batch, error) {
	c := s.client()
	if m.Model == "" || m.Requests <= 0 || m.NotBefore.IsZero() {
		return nil, invalid("a BatchMarker needs Model, Requests and NotBefore")
	}
	endpoint := m.Endpoint
	if endpoint == "" {
		endpoint = BatchChatCompletions
	}
	ctx, cancel, opts, err := prepareCall(ctx, opts) // one call across the pages
	if err != nil {
		return nil, err
	}
	defer cancel()
	var found []Batch
	o := BatchListOptions{Limit: 100, CreatedAfter: m.NotBefore}
	for range maxListPages {
		page, err := c.Batches.List(ctx, o, opts...)
		if err != nil {
			return found, err
		}
		for _, b := range page.Data {
			if b.Endpoint != endpoint || b.Model != m.Model || b.CreatedAt != 0 && b.CreatedAt < m.NotBefore.Unix() {
				continue
			}
			n := b.RequestCounts.Total
			if n == m.Requests || n == 0 && b.Status == BatchValidating {
				found = append(found, b)
			}
		}
		if !page.HasMore || page.LastID == "" || page.LastID == o.After {
			return found, nil
		}
		o.After = page.LastID
	}
	return found, nil
}

// maxListPages bounds Batches.Find's walk through the list.
const maxListPages = 50

// formatKey is what the requests of a Google batch must share: the
// response_format's type and, for json_schema, the schema (Google's batch
// service derives one output schema for the whole batch).
func formatKey(req *ChatRequest) string {
	f := req.ResponseFormat
	if f == nil || f.Type == "" || f.Type == "text" {
		return ""
	}
	if f.Type != "json_schema" || f.JSONSchema == nil {
		return f.Type
	}
	var v any
	if json.Unmarshal(f.JSONSchema.Schema, &v) != nil {
		return f.Type + " " + string(f.JSONSchema.Schema)
	}
	b, _ := json.Marshal(v) // keys sorted: one text per schema
	return f.Type + " " + string(b)
}
