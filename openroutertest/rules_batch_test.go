package openroutertest_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter/openroutertest"
)

// batchServer is a fake whose batches move only when the test moves its
// clock.
func batchServer(t *testing.T, opts ...openroutertest.Option) (*openroutertest.Server, *openroutertest.Clock) {
	t.Helper()
	clock := openroutertest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	srv := openroutertest.NewServer(append([]openroutertest.Option{openroutertest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, clock
}

// submitBatch posts a chat completions batch of the given request bodies
// (custom IDs r0, r1, ...) and returns its ID; the answer must be 202.
func submitBatch(t *testing.T, srv *openroutertest.Server, model string, bodies ...string) string {
	t.Helper()
	reqs := make([]string, len(bodies))
	for i, b := range bodies {
		reqs[i] = fmt.Sprintf(`{"custom_id":"r%d","body":%s}`, i, b)
	}
	body := `{"endpoint":"/v1/chat/completions","model":"` + model + `","requests":[` + strings.Join(reqs, ",") + `]}`
	status, ans := send(t, srv, "POST", "/batches", body, srv.Key, nil)
	var b struct{ ID, Status string }
	if status != 202 || json.Unmarshal([]byte(ans), &b) != nil || b.Status != "validating" {
		t.Fatalf("submit: %d %s; want 202 validating", status, ans)
	}
	return b.ID
}

type batchObject struct {
	Status        string
	Results       json.RawMessage
	RequestCounts struct{ Total, Completed, Failed int } `json:"request_counts"`
	Error         *struct{ Message string }
}

func getBatch(t *testing.T, srv *openroutertest.Server, id string) batchObject {
	t.Helper()
	status, ans := send(t, srv, "GET", "/batches/"+id, "", srv.Key, nil)
	var b batchObject
	if status != 200 || json.Unmarshal([]byte(ans), &b) != nil {
		t.Fatalf("get %s: %d %s", id, status, ans)
	}
	return b
}

type resultRow struct {
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int `json:"status_code"`
		Body       struct {
			ID      string
			Choices []struct{ Message struct{ Content string } }
		}
	}
	Error json.RawMessage
}

// allResults reads every page of a batch's results, following
// next_cursor, asking limit rows a page; it returns the rows and the
// number of pages.
func allResults(t *testing.T, srv *openroutertest.Server, id string, limit int) ([]resultRow, int) {
	t.Helper()
	var rows []resultRow
	cursor := ""
	for pages := 1; pages < 100; pages++ {
		u := fmt.Sprintf("/batches/%s/results?limit=%d", id, limit)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		status, ans := send(t, srv, "GET", u, "", srv.Key, nil)
		var page struct {
			Object     string
			Data       []resultRow
			HasMore    bool    `json:"has_more"`
			NextCursor *string `json:"next_cursor"`
		}
		if status != 200 || json.Unmarshal([]byte(ans), &page) != nil || page.Object != "list" || page.Data == nil {
			t.Fatalf("results page %d: %d %s", pages, status, ans)
		}
		rows = append(rows, page.Data...)
		if !page.HasMore {
			if page.NextCursor != nil {
				t.Fatalf("last page has next_cursor %q", *page.NextCursor)
			}
			return rows, pages
		}
		cursor = *page.NextCursor
	}
	t.Fatal("more than 100 pages")
	return nil, 0
}

func userBody(text string) string {
	return `{"messages":[{"role":"user","content":"` + text + `"}]}`
}

// TestBatchResultsComeInAnotherOrderAndInPages: the rows of a completed
// batch come back in an order other than the input's (RULES.md T13), in
// pages of at most DefaultBatchResultsPageSize rows even when the client
// asks 1000 (T14), each row mapping to its request by custom_id only.
func TestBatchResultsComeInAnotherOrderAndInPages(t *testing.T) {
	t.Parallel()
	srv, clock := batchServer(t)
	var bodies []string
	for i := 0; i < 7; i++ {
		bodies = append(bodies, userBody(fmt.Sprintf("question %d", i)))
	}
	id := submitBatch(t, srv, "openai/gpt-4o-mini", bodies...)
	clock.Advance(time.Hour)
	if b := getBatch(t, srv, id); b.Status != "completed" || b.RequestCounts.Completed != 7 {
		t.Fatalf("batch %+v; want completed with 7", b)
	}
	rows, pages := allResults(t, srv, id, 1000)
	if want := (7 + openroutertest.DefaultBatchResultsPageSize - 1) / openroutertest.DefaultBatchResultsPageSize; pages != want {
		t.Errorf("%d pages for 7 rows; want %d", pages, want)
	}
	var order []string
	for _, r := range rows {
		order = append(order, r.CustomID)
		var i int
		if _, err := fmt.Sscanf(r.CustomID, "r%d", &i); err != nil || r.Response == nil || len(r.Response.Body.Choices) == 0 {
			t.Fatalf("row %+v", r)
		}
		if got := r.Response.Body.Choices[0].Message.Content; !strings.Contains(got, fmt.Sprintf("question %d", i)) {
			t.Errorf("row %s answers %q, not its own request", r.CustomID, got)
		}
		if !strings.HasPrefix(r.Response.Body.ID, "gen-batch-") {
			t.Errorf("row %s: body id %q; want gen-batch-... (RULES.md T17)", r.CustomID, r.Response.Body.ID)
		}
	}
	sorted := slices.Clone(order)
	slices.Sort(sorted)
	if !slices.Equal(sorted, []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6"}) {
		t.Fatalf("rows %v; want each custom_id once", order)
	}
	if slices.Equal(order, sorted) {
		t.Errorf("rows in input order %v; want another order", order)
	}
	again, _ := allResults(t, srv, id, 3)
	for i := range again {
		if again[i].CustomID != order[i] {
			t.Fatalf("pages are not stable: %v then %s at %d", order, again[i].CustomID, i)
		}
	}
}

// TestBatchResultsOrderIsNeverInputOrder: whatever the seed, two or more
// rows never come back in input order.
func TestBatchResultsOrderIsNeverInputOrder(t *testing.T) {
	t.Parallel()
	for seed := int64(0); seed < 20; seed++ {
		srv, clock := batchServer(t, openroutertest.WithBatchResultsSeed(seed), openroutertest.WithBatchResultsPageSize(10))
		id := submitBatch(t, srv, "openai/gpt-4o-mini", userBody("a"), userBody("b"))
		clock.Advance(time.Hour)
		rows, _ := allResults(t, srv, id, 10)
		if len(rows) != 2 || rows[0].CustomID != "r1" {
			t.Errorf("seed %d: rows %+v; want r1 first", seed, rows)
		}
	}
}

// TestInlineResultsAreNullUnlessCompleted: in the inline shape, results
// is null while a batch runs and once it failed, expired or was
// cancelled, an array only once it completed (RULES.md T11).
func TestInlineResultsAreNullUnlessCompleted(t *testing.T) {
	t.Parallel()
	srv, clock := batchServer(t, openroutertest.WithInlineBatchResults())
	completed := submitBatch(t, srv, "openai/gpt-4o-mini", userBody("a"), userBody("b"))
	failed := submitBatch(t, srv, "openai/gpt-4o-mini", `{"messages":[{"role":"tool","content":"x"}]}`)
	srv.ExpireBatches(1)
	expired := submitBatch(t, srv, "openai/gpt-4o-mini", userBody("a"), userBody("b"), userBody("c"), userBody("d"))
	cancelled := submitBatch(t, srv, "openai/gpt-4o-mini", userBody("a"), userBody("b"))
	clock.Advance(time.Minute)
	if b := getBatch(t, srv, completed); b.Status != "in_progress" || string(b.Results) != "null" {
		t.Errorf("running batch: status %s, results %s; want in_progress, null", b.Status, b.Results)
	}
	clock.Advance(2 * time.Minute)
	if status, ans := send(t, srv, "POST", "/batches/"+cancelled+"/cancel", "", srv.Key, nil); status != 200 {
		t.Fatalf("cancel: %d %s", status, ans)
	}
	clock.Advance(time.Hour)
	for id, want := range map[string]string{completed: "completed", failed: "failed", expired: "expired", cancelled: "cancelled"} {
		b := getBatch(t, srv, id)
		if b.Status != want {
			t.Errorf("%s: status %s; want %s", id, b.Status, want)
		}
		if want == "completed" {
			var rows []resultRow
			if json.Unmarshal(b.Results, &rows) != nil || len(rows) != 2 {
				t.Errorf("completed: results %s; want two rows", b.Results)
			}
		} else if string(b.Results) != "null" {
			t.Errorf("%s: results %s; want null", want, b.Results)
		}
	}
}

// TestCancelledBatchHasNoResultRows: a batch cancelled while it ran has
// no result rows and costs nothing (RULES.md T15).
func TestCancelledBatchHasNoResultRows(t *testing.T) {
	t.Parallel()
	srv, clock := batchServer(t)
	id := submitBatch(t, srv, "openai/gpt-4o-mini", userBody("a"), userBody("b"), userBody("c"), userBody("d"))
	clock.Advance(4 * time.Minute) // most requests done
	if status, ans := send(t, srv, "POST", "/batches/"+id+"/cancel", "", srv.Key, nil); status != 200 {
		t.Fatalf("cancel: %d %s", status, ans)
	}
	clock.Advance(time.Hour)
	b := getBatch(t, srv, id)
	if b.Status != "cancelled" || b.RequestCounts.Completed != 0 {
		t.Errorf("batch %+v; want cancelled with no completed request", b)
	}
	if rows, _ := allResults(t, srv, id, 100); len(rows) != 0 {
		t.Errorf("cancelled batch has %d result rows; want none", len(rows))
	}
	if srv.Spent() != 0 {
		t.Errorf("cancelled batch cost $%g", srv.Spent())
	}
}

// failsValidation submits one batch and checks it fails with a message
// naming want (the custom ID and the reason).
func failsValidation(t *testing.T, name, model string, bodies []string, want ...string) {
	t.Helper()
	srv, clock := batchServer(t)
	id := submitBatch(t, srv, model, bodies...)
	clock.Advance(time.Hour)
	b := getBatch(t, srv, id)
	if b.Status != "failed" || b.Error == nil {
		t.Errorf("%s: batch %+v; want failed with an error", name, b)
		return
	}
	for _, w := range want {
		if !strings.Contains(b.Error.Message, w) {
			t.Errorf("%s: error %q; want it to name %q", name, b.Error.Message, w)
		}
	}
}

// TestBatchRefusesNonTextRequests: image, audio, video and file parts,
// and asking for non-text output through modalities, audio or
// image_config, fail the batch's validation, naming the request
// (RULES.md T6, T7, T8).
func TestBatchRefusesNonTextRequests(t *testing.T) {
	t.Parallel()
	part := func(p string) string {
		return `{"messages":[{"role":"user","content":[{"type":"text","text":"look"},` + p + `]}]}`
	}
	for name, body := range map[string]string{
		"image part":   part(`{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}`),
		"audio part":   part(`{"type":"input_audio","input_audio":{"data":"eA==","format":"wav"}}`),
		"video part":   part(`{"type":"video_url","video_url":{"url":"https://example.com/a.mp4"}}`),
		"file part":    part(`{"type":"file","file":{"filename":"a.pdf","file_data":"https://example.com/a.pdf"}}`),
		"image output": `{"modalities":["image","text"],"messages":[{"role":"user","content":"draw"}]}`,
		"audio output": `{"modalities":["text","audio"],"messages":[{"role":"user","content":"say"}]}`,
		"audio":        `{"audio":{"voice":"alloy","format":"wav"},"messages":[{"role":"user","content":"say"}]}`,
		"image_config": `{"image_config":{"aspect_ratio":"16:9"},"messages":[{"role":"user","content":"draw"}]}`,
		"no tool id":   `{"messages":[{"role":"user","content":"hi"},{"role":"tool","content":"x"}]}`,
	} {
		failsValidation(t, name, "openai/gpt-4o-mini", []string{userBody("fine"), body}, "requests[1] (r1)")
	}
}

// TestGoogleBatchNeedsOneResponseFormat: a Google batch whose requests
// ask for different response formats fails, naming the first that
// conflicts; one with a single format completes (RULES.md T9).
func TestGoogleBatchNeedsOneResponseFormat(t *testing.T) {
	t.Parallel()
	jsonObj := `{"response_format":{"type":"json_object"},"messages":[{"role":"user","content":"a JSON object"}]}`
	schema := func(s string) string {
		return `{"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":` + s + `}},"messages":[{"role":"user","content":"x"}]}`
	}
	failsValidation(t, "none then json_object", "google/gemini-2.5-flash", []string{userBody("a"), userBody("b"), jsonObj}, "requests[2] (r2)", "response_format")
	failsValidation(t, "two schemas", "google/gemini-2.5-flash",
		[]string{schema(`{"type":"object"}`), schema(`{"type":"array"}`)}, "requests[1] (r1)")
	for name, bodies := range map[string][]string{
		"web plugin (T20)":            {`{"plugins":[{"id":"web"}],"messages":[{"role":"user","content":"news"}]}`},
		"same schema, keys reordered": {schema(`{"type":"object","properties":{}}`), schema(`{"properties":{},"type":"object"}`)},
		"all json_object":             {jsonObj, jsonObj},
		"mixed, not Google":           {userBody("a"), jsonObj},
	} {
		model := "google/gemini-2.5-flash"
		if strings.HasSuffix(name, "not Google") {
			model = "openai/gpt-4o-mini"
		}
		srv, clock := batchServer(t)
		id := submitBatch(t, srv, model, bodies...)
		clock.Advance(time.Hour)
		if b := getBatch(t, srv, id); b.Status != "completed" {
			t.Errorf("%s: batch %+v; want completed", name, b)
		}
	}
}

// TestBatchRequestBeyondContextFails: a batch request that does not fit
// the model's context window fails on its own (status_code 400,
// context_length_exceeded) and the batch completes with it counted as
// failed (RULES.md C18, T16).
func TestBatchRequestBeyondContextFails(t *testing.T) {
	t.Parallel()
	m := openroutertest.DefaultModels()[0]
	m.ContextLength = 100
	srv, clock := batchServer(t, openroutertest.WithModels(m))
	id := submitBatch(t, srv, m.ID, userBody("short"), `{"max_tokens":500,"messages":[{"role":"user","content":"short"}]}`)
	clock.Advance(time.Hour)
	if b := getBatch(t, srv, id); b.Status != "completed" || b.RequestCounts.Completed != 1 || b.RequestCounts.Failed != 1 {
		t.Fatalf("batch %+v; want completed, 1 completed, 1 failed", b)
	}
	rows, _ := allResults(t, srv, id, 10)
	for _, r := range rows {
		if r.CustomID == "r1" && (r.Response == nil || r.Response.StatusCode != 400) {
			t.Errorf("r1: %+v; want a 400 response", r)
		}
	}
}
