package openrouter_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// responsesBody builds a Responses stream of n text deltas as the
// document shapes it: created, the item, the deltas, completed, [DONE].
func responsesBody(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"openai/gpt-4o-mini","output":[]}}` + "\n\n")
	b.WriteString(`data: {"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"type":"message","id":"msg_1","role":"assistant","status":"in_progress","content":[]}}` + "\n\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `data: {"type":"response.output_text.delta","sequence_number":%d,"output_index":0,"content_index":0,"item_id":"msg_1","delta":"word%d ","logprobs":[]}`+"\n\n", i+2, i)
	}
	b.WriteString(`data: {"type":"response.completed","sequence_number":9999,"response":{"id":"resp_1","object":"response","status":"completed","model":"openai/gpt-4o-mini","output":[],"usage":{"input_tokens":10,"output_tokens":4000,"total_tokens":4010,"cost":0.0024}}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// BenchmarkResponsesStream reads a 2,000-delta Responses stream from a
// recorded body (recordedClient, as BenchmarkStream): the SDK's typed
// events (SSE parsing, decoding, assembly, checks) beside a plain
// bufio.Scanner + json.Unmarshal loop over the same bytes. allocs/chunk
// is allocs/op over 2,000.
//
//	go test -run XXX -bench BenchmarkResponsesStream -benchmem -count 6 -cpu 1 .
func BenchmarkResponsesStream(b *testing.B) {
	const deltas = 2000
	hc := recordedClient(responsesBody(deltas), "text/event-stream")
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		perChunk(b, deltas, func() {
			resp, err := hc.Post(recordedURL+"/responses", "application/json", bytes.NewReader([]byte(`{"stream":true}`)))
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			var text []byte
			for sc.Scan() {
				line := sc.Bytes()
				if !bytes.HasPrefix(line, []byte("data: ")) || bytes.Equal(line, []byte("data: [DONE]")) {
					continue
				}
				var ev struct {
					Type  string `json:"type"`
					Delta string `json:"delta"`
				}
				if err := json.Unmarshal(line[len("data: "):], &ev); err != nil {
					b.Fatal(err)
				}
				text = append(text, ev.Delta...)
			}
			resp.Body.Close()
			if len(text) == 0 {
				b.Fatal("no text")
			}
		})
	})
	b.Run("sdk", func(b *testing.B) {
		c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(recordedURL), openrouter.WithHTTPClient(hc))
		b.ReportAllocs()
		perChunk(b, deltas, func() {
			s := c.Responses.Stream(context.Background(), helloResponse())
			n := 0
			for _, err := range s.Events() {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != deltas+3 || s.Response().OutputText() == "" {
				b.Fatalf("%d events", n)
			}
		})
	})
}
