package bulk_test

import (
	"context"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// TestRunBatchSendsWhatExtraMakesUnbatchableSync: an item asking for
// image output through Extra went into a batch, and the fake (as
// OpenRouter) failed the whole batch for it. It now runs sync and the
// others in the batch.
func TestRunBatchSendsWhatExtraMakesUnbatchableSync(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	in := jobs(4, "openai/gpt-4o-mini")
	m := textMode(c, clock)
	m.Request = func(j job) (*openrouter.ChatRequest, error) {
		req := &openrouter.ChatRequest{Model: j.Model, MaxTokens: 100, Messages: []openrouter.Message{openrouter.UserMessage(j.Text)}}
		if j.Text == in[0].Text {
			req.Extra = map[string]any{"/modalities": []string{"image", "text"}}
		}
		return req, nil
	}
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 4 || rep.InSync != 1 || rep.InBatch != 3 || srv.BatchStats().Submits != 1 {
		t.Fatalf("done %d, sync %d, in batch %d, submits %d; want 4, 1, 3, 1", rep.Done, rep.InSync, rep.InBatch, srv.BatchStats().Submits)
	}
	if rep.Results[0].Batch != "" {
		t.Errorf("the image item went in batch %s", rep.Results[0].Batch)
	}
}
