package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
)

// TestServeCountsBillingByItem serves the fake on a loopback port, sends
// three priced completions for two items through an ordinary client, and
// reads them back from /fake/billed.
func TestServeCountsBillingByItem(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, pw, config{addr: "127.0.0.1:0", key: "fake-key", item: `ITEM\[([^\]]+)\]`, price: 0.25})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	api := strings.Fields(strings.TrimPrefix(line, "fake OpenRouter at "))[0]
	c := openrouter.NewClient("fake-key", openrouter.WithBaseURL(api), openrouter.WithKeyPrefix(""))
	for _, item := range []string{"x1", "x2", "x1"} {
		ans, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("rewrite ITEM[" + item + "] please")}})
		if err != nil {
			t.Fatal(err)
		}
		if ans.Usage == nil || ans.Usage.TotalCost() != 0.25 {
			t.Errorf("%s: usage %+v, want a cost of 0.25", item, ans.Usage)
		}
	}
	resp, err := http.Get(strings.TrimSuffix(api, "/api/v1") + "/fake/billed")
	if err != nil {
		t.Fatal(err)
	}
	var got Billed
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got.Generations["x1"] != 2 || got.Generations["x2"] != 1 || got.Total != 3 || math.Abs(got.Spent-0.75) > 1e-9 {
		t.Errorf("billed %+v, want x1 2, x2 1, total 3, spent 0.75", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve ended with %v", err)
	}
}
