package openrouter

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Batch API runs many requests in the background, typically at half
// the per-token price, within a 24 h window. Batches.Submit sends them,
// Batches.Get and Batches.Wait follow the batch, Batches.Results reads what each
// request got, mapped by custom ID.

// BatchesService holds the Batch API's calls: submit a batch, follow it,
// read its results, find a submission whose answer was lost. Reach it as
// Client.Batches.
type BatchesService struct{ c *Client }

// BatchChatCompletions is the endpoint of a batch of chat completions
// (BatchItem.Body); see also [BatchResponses] and [BatchMessages].
const BatchChatCompletions = "/v1/chat/completions"

// DefaultBatchPath is the Batch API's path under the base URL.
const DefaultBatchPath = "/batches"

// WithBatchPath sets the Batch API's path under the base URL (default
// [DefaultBatchPath]). The beta of August 2026 served it at /api/beta/batches:
// for it, set the base URL to ".../api" and the path to "/beta/batches".
func WithBatchPath(path string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \t\r\n") {
			return fmt.Errorf("WithBatchPath(%q): a path starting with / and without query", path)
		}
		c.batchPath = strings.TrimRight(path, "/")
		return nil
	}
}

func (c *Client) batchPath() string {
	if c.cfg.batchPath != "" {
		return c.cfg.batchPath
	}
	return DefaultBatchPath
}

// BatchStatus is where a batch is in its life:
// validating → in_progress → finalizing → completed, or failed (its
// validation failed), expired (the window ended first), cancelling →
// cancelled.
type BatchStatus string

// The statuses of a batch.
const (
	BatchValidating BatchStatus = "validating"
	BatchInProgress BatchStatus = "in_progress"
	BatchFinalizing BatchStatus = "finalizing"
	BatchCompleted  BatchStatus = "completed"
	BatchFailed     BatchStatus = "failed"
	BatchExpired    BatchStatus = "expired"
	BatchCancelling BatchStatus = "cancelling"
	BatchCancelled  BatchStatus = "cancelled"
)

// Terminal reports whether the batch will not change any more: completed,
// failed, expired or cancelled. A completed batch can still hold failed
// requests (see [BatchRequestCounts]).
func (s BatchStatus) Terminal() bool {
	switch s {
	case BatchCompleted, BatchFailed, BatchExpired, BatchCancelled:
		return true
	}
	return false
}

// Batch is a batch as the API describes it (GET /batches/{id}).
type Batch struct {
	ID               string      `json:"id"`
	Object           string      `json:"object"`   // "batch"
	Endpoint         string      `json:"endpoint"` // "/v1/chat/completions"
	Model            string      `json:"model"`
	CompletionWindow string      `json:"completion_window"` // "24h"
	Status           BatchStatus `json:"status"`
	// Provider is the provider OpenRouter assigned to run the batch, "" until
	// it has one.
	Provider string `json:"provider"`
	// CreatedAt, FinalizedAt and ExpiresAt are Unix seconds; 0 when unset.
	CreatedAt     int64              `json:"created_at"`
	FinalizedAt   int64              `json:"finalized_at"`
	ExpiresAt     int64              `json:"expires_at"`
	RequestCounts BatchRequestCounts `json:"request_counts"`
	// Usage is the batch's token and cost totals; nil until it is done.
	Usage *BatchUsage `json:"usage"`
	// Error says why a failed batch failed.
	Error *BatchFailure `json:"error"`
	// Results holds the results when the answer carries them inline (the
	// older shape); nil otherwise: read them with Batches.Results.
	Results []BatchResult `json:"results"`
}

// UnmarshalJSON accepts null for the nullable numbers and the provider.
func (b *Batch) UnmarshalJSON(data []byte) error {
	type plain Batch
	var w struct {
		*plain
		Provider    *string         `json:"provider"`
		CreatedAt   json.RawMessage `json:"created_at"`
		FinalizedAt json.RawMessage `json:"finalized_at"`
		ExpiresAt   json.RawMessage `json:"expires_at"`
	}
	w.plain = (*plain)(b)
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if w.Provider != nil {
		b.Provider = *w.Provider
	}
	for _, f := range []struct {
		raw json.RawMessage
		dst *int64
	}{{w.CreatedAt, &b.CreatedAt}, {w.FinalizedAt, &b.FinalizedAt}, {w.ExpiresAt, &b.ExpiresAt}} {
		*f.dst = unixSeconds(f.raw)
	}
	return nil
}

// unixSeconds reads a timestamp sent as a number, a numeric string or an
// RFC 3339 string; anything else (null included) is 0.
func unixSeconds(raw json.RawMessage) int64 {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return int64(f)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.Unix()
		}
	}
	return 0
}

// BatchRequestCounts counts a batch's requests.
type BatchRequestCounts struct {
	Total     int `json:"total"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
}

// BatchUsage is a batch's token and cost totals.
type BatchUsage struct {
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	TotalTokens      int     `json:"total_tokens"`
	Cost             float64 `json:"cost"` // USD (credits), at the batch price
	IsBYOK           bool    `json:"is_byok"`
}

// BatchFailure is the error of a batch that failed as a whole (its
// validation, usually).
type BatchFailure struct {
	Message string `json:"message"`
}

// Err returns nil for a batch that completed or is still running, and a
// *[BatchStatusError] for one that failed, expired or was cancelled:
// requests that did not finish in it were not done.
func (b *Batch) Err() error {
	switch b.Status {
	case BatchFailed, BatchExpired, BatchCancelled, BatchCancelling:
		e := &BatchStatusError{ID: b.ID, Status: b.Status, Counts: b.RequestCounts}
		if b.Error != nil {
			e.Message = b.Error.Message
		}
		return e
	}
	return nil
}

// BatchStatusError reports a batch that ended without completing: its
// validation failed, its window expired, or it was cancelled. Requests
// that finished before have results; the others were not done.
type BatchStatusError struct {
	ID      string
	Status  BatchStatus
	Message string // the batch's error.message, when it sent one
	Counts  BatchRequestCounts
}

// Error says which batch ended how, and how many of its requests finished.
func (e *BatchStatusError) Error() string {
	s := fmt.Sprintf("openrouter: batch %s %s", e.ID, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	n := e.Counts.Completed + e.Counts.Failed
	return s + fmt.Sprintf(" (%d of %d requests finished; the others were not done)", n, e.Counts.Total)
}

// batchIDPath returns the path of one batch, refusing an empty ID or a
// dot segment.
func (c *Client) batchIDPath(id string, suffix string) (string, error) {
	seg, err := pathSegment("batch ID", id)
	if err != nil {
		return "", err
	}
	return c.batchPath() + "/" + seg + suffix, nil
}

// Get returns a batch's state (GET /batches/{id}). It is a read: the
// client retries it freely.
func (s *BatchesService) Get(ctx context.Context, id string, opts ...CallOption) (*Batch, error) {
	c := s.client()
	path, err := c.batchIDPath(id, "")
	if err != nil {
		return nil, err
	}
	var b Batch
	if err := c.getWith(ctx, path, &b, opts, c.decodeBody); err != nil { // a failed batch has an "error" of its own
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	c.redactResults(&b)
	return &b, nil
}

// check returns an [ErrServer] error for an answer that is no batch (null,
// {}): without an ID and a status, Batches.Wait would poll it for ever.
func (b *Batch) check() error {
	if b.ID == "" || b.Status == "" {
		return malformed(b.Model, "the batch has no ID or no status")
	}
	return nil
}

// redactResults gives the results a batch carries inline the client's
// key redaction, as Batches.Results gives it to the results it reads,
// and takes the key out of the batch's error message.
func (c *Client) redactResults(b *Batch) {
	if b.Error != nil {
		b.Error.Message = c.redactor().String(b.Error.Message)
	}
	for i := range b.Results {
		b.Results[i].redact = c.redactError
	}
}

// Cancel asks the server to stop a batch (POST /batches/{id}/cancel)
// and returns its state, usually cancelling. Requests already finished
// keep their results and are billed. Cancelling twice is harmless, so the
// call is retried like a read.
func (s *BatchesService) Cancel(ctx context.Context, id string, opts ...CallOption) (_ *Batch, err error) {
	c := s.client()
	path, err := c.batchIDPath(id, "/cancel")
	if err != nil {
		return nil, err
	}
	resp, st, err := c.do(ctx, http.MethodPost, path, nil, "", opts)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }()
	var b Batch
	if err := c.decodeBody(resp, &b); err != nil {
		return nil, st.annotate(err)
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	c.redactResults(&b)
	return &b, nil
}

// BatchDeletion is the answer to Batches.Delete.
type BatchDeletion struct {
	ID string `json:"id"`
	// Deletion says what was removed: {"openrouter": "deleted", "upstream":
	// {...}} for the provider's copy, as the server sent it.
	Deletion json.RawMessage `json:"deletion"`
}

// Delete removes a finished batch and its stored requests and
// results (DELETE /batches/{id}); billing records stay. A batch still
// running is refused with 409 ([ErrBadRequest]): cancel it first.
func (s *BatchesService) Delete(ctx context.Context, id string, opts ...CallOption) (_ *BatchDeletion, err error) {
	c := s.client()
	path, err := c.batchIDPath(id, "")
	if err != nil {
		return nil, err
	}
	resp, st, err := c.do(ctx, http.MethodDelete, path, nil, "", opts)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }()
	var d BatchDeletion
	if err := c.decodeBody(resp, &d); err != nil {
		return nil, st.annotate(err)
	}
	return &d, nil
}

// BatchListOptions filters Batches.List; the zero value lists the newest
// batches, the server's default page size.
type BatchListOptions struct {
	Limit         int           // 1 to 100; 0 is the server's default
	After         string        // the LastID of the previous page
	Status        []BatchStatus // only these statuses
	CreatedAfter  time.Time     // only batches created strictly after
	CreatedBefore time.Time     // only batches created strictly before
}

// BatchList is one page of batches, newest first.
type BatchList struct {
	Data    []Batch `json:"data"`
	FirstID string  `json:"first_id"`
	LastID  string  `json:"last_id"`
	HasMore bool    `json:"has_more"`
}

// List returns one page of the account's batches (GET /batches).
// Pass the page's LastID as After for the next one.
func (s *BatchesService) List(ctx context.Context, o BatchListOptions, opts ...CallOption) (*BatchList, error) {
	c := s.client()
	if o.Limit < 0 || o.Limit > 100 {
		return nil, invalid("batch list limit %d is outside 1..100", o.Limit)
	}
	if !o.CreatedAfter.IsZero() && !o.CreatedBefore.IsZero() && !o.CreatedAfter.Before(o.CreatedBefore) {
		return nil, invalid("batch list window: CreatedAfter %v is not before CreatedBefore %v", o.CreatedAfter, o.CreatedBefore)
	}
	if slices.Contains(o.Status, "") {
		return nil, invalid("an empty status in the batch list filter")
	}
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.After != "" {
		q.Set("after", o.After)
	}
	for _, s := range o.Status {
		q.Add("status", string(s))
	}
	if !o.CreatedAfter.IsZero() {
		q.Set("created_after", o.CreatedAfter.UTC().Format(time.RFC3339))
	}
	if !o.CreatedBefore.IsZero() {
		q.Set("created_before", o.CreatedBefore.UTC().Format(time.RFC3339))
	}
	path := c.batchPath()
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var l BatchList
	if err := c.getJSON(ctx, path, &l, opts); err != nil {
		return nil, err
	}
	for i := range l.Data {
		c.redactResults(&l.Data[i])
	}
	return &l, nil
}
