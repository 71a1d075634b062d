package openroutertest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// A responder scripts the fake per request: article-07 never answers in
// JSON, even when ChatJSON sends it back for repair (the repair carries
// the first request's messages, which Mentions reads); the other
// articles get the fake's own answer.
func ExampleRequest_Mentions() {
	srv := openroutertest.NewServer(openroutertest.WithResponder(func(r openroutertest.Request) openroutertest.Reply {
		if r.Mentions("article-07") {
			return openroutertest.TextReply("I would rather write a poem about it.")
		}
		return r.DefaultReply()
	}))
	defer srv.Close()
	c := srv.Client()

	type page struct {
		Title string `json:"title"`
	}
	for _, slug := range []string{"article-06", "article-07"} {
		_, _, err := openrouter.ChatJSON[page](context.Background(), c, &openrouter.ChatRequest{
			Model:    "openai/gpt-4o-mini",
			Messages: []openrouter.Message{openrouter.UserMessage("Rewrite " + slug + " as JSON with a title.")},
		}, openrouter.JSONRepair(1))
		if err == nil {
			fmt.Println(slug, "parsed")
			continue
		}
		fmt.Printf("%s: %s (unparseable: %v)\n", slug, openrouter.ErrorName(err), errors.Is(err, openrouter.ErrUnparseable))
	}
	fmt.Println("requests sent:", len(srv.Requests())) // article-07's repair among them
	// Output:
	// article-06 parsed
	// article-07: ErrUnparseable (unparseable: true)
	// requests sent: 3
}
