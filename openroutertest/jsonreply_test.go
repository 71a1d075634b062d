package openroutertest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// The JSON the fake makes up for a schema cuts its strings at a word's
// end to fit maxLength: a meta description does not end mid-word.
func TestJSONReplyCutsAtWords(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	type page struct {
		Title string `json:"title" jsonschema:"minLength=5,maxLength=24"`
		Meta  string `json:"meta_description" jsonschema:"maxLength=160"`
	}
	article := "# Steeping green and black teas at home\n\n" + strings.Repeat("Green tea is steamed, black tea is oxidised. ", 10)
	words := map[string]bool{"Rewritten:": true}
	for _, w := range strings.Fields(article) {
		words[strings.TrimRight(w, ",.")] = true
	}
	p, _, err := openrouter.ChatJSON[page](context.Background(), srv.Client(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("<article>" + article + "</article>")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for field, s := range map[string]string{"title": p.Title, "meta_description": p.Meta} {
		if s == "" {
			t.Errorf("%s is empty", field)
		}
		for _, w := range strings.Fields(s) {
			if !words[strings.TrimRight(w, ",.")] {
				t.Errorf("%s %q: %q is not a whole word of the article", field, s, w)
			}
		}
	}
}
