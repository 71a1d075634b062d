package openrouter

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type benchArticle struct {
	Title           string   `json:"title" jsonschema:"minLength=5,maxLength=120"`
	MetaDescription string   `json:"meta_description" jsonschema:"maxLength=160"`
	Content         string   `json:"content" jsonschema:"minLength=100"`
	Tags            []string `json:"tags" jsonschema:"maxItems=10"`
	Language        string   `json:"language" jsonschema:"enum=en|fr|de"`
}

// BenchmarkParseJSONAnswer20KB compares what ChatJSON does to a 20 KB
// answer (find the JSON behind a fence and prose, decode it once, check
// it against the schema, store it in the Go value) with a plain
// json.Unmarshal of the same JSON into the same type.
//
//	go test -run XXX -bench BenchmarkParseJSONAnswer20KB -benchmem -count 6 .
func BenchmarkParseJSONAnswer20KB(b *testing.B) {
	para := "Go programs wrap errors with fmt.Errorf and %w, so that callers can test them with errors.Is and errors.As. "
	v := benchArticle{Title: "Errors in Go, from the ground up", MetaDescription: "How Go programs wrap, test and report errors.",
		Content: strings.Repeat(para, 20000/len(para)), Tags: []string{"go", "errors", "testing"}, Language: "en"}
	raw, _ := json.Marshal(v)
	answer := "Here is the rewritten article:\n```json\n" + string(raw) + "\n```\nI hope this helps."
	sch, err := schemaOf(reflect.TypeOf(benchArticle{}))
	if err != nil {
		b.Fatal(err)
	}
	resp := &ChatResponse{Model: "m", Choices: []Choice{{FinishReason: "stop", Message: Message{Role: "assistant", Content: answer}}}}
	b.Logf("answer: %d bytes", len(answer))
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out benchArticle
			if err := json.Unmarshal(raw, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out benchArticle
			if err := parseJSONAnswer(resp, sch, false, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
