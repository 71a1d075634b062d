package openrouter_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

func ExampleNewClient() {
	srv := openroutertest.NewServer() // a fake OpenRouter; use the real one with no WithBaseURL
	defer srv.Close()

	c := openrouter.NewClient(srv.Key,
		openrouter.WithBaseURL(srv.URL),
		openrouter.WithAppInfo("https://example.com", "Example App"),
	)
	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Content())
	// Output: You said: Hello
}

func ExampleClient_Chat() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model: "anthropic/claude-haiku-4.5",
		Messages: []openrouter.Message{
			openrouter.SystemMessage("You are terse."),
			openrouter.UserMessage("Name a prime number."),
		},
		Temperature: openrouter.Ptr(0.0),
		MaxTokens:   50,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (finish_reason %s, %d tokens)\n", res.Content(), res.FinishReason(), res.Usage.TotalTokens)
	// Output: You said: Name a prime number. (finish_reason stop, 17 tokens)
}

// Errors are checked with errors.Is, by what they mean; Hint gives the
// sentence to show a user.
func Example_errors() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client(openrouter.WithRetry(0, 0, 0))
	srv.Enqueue(
		openroutertest.ErrorReply(401, "User not found."),
		openroutertest.ErrorReply(402, "Insufficient credits"),
		openroutertest.ErrorReply(400, "claude-sonnet-4-6 is not a valid model ID"),
		openroutertest.ErrorReply(429, "Rate limit exceeded"),
		openroutertest.ErrorReply(502, "Provider returned error"),
		openroutertest.EmptyReply("content_filter"),
	)
	for i := 0; i < 6; i++ {
		_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
			Model:    "openai/gpt-4o-mini",
			Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
		})
		switch {
		case errors.Is(err, openrouter.ErrUnauthorized):
			fmt.Println("the key: check it, or create a new one")
		case errors.Is(err, openrouter.ErrInsufficientCredits):
			fmt.Println("top up, then resume")
		case errors.Is(err, openrouter.ErrModelNotFound):
			fmt.Println("fix the model ID")
		case errors.Is(err, openrouter.ErrRateLimited):
			fmt.Println("slow down: already retried")
		case errors.Is(err, openrouter.ErrServer):
			fmt.Println("try again in a few minutes")
		case errors.Is(err, openrouter.ErrEmptyContent):
			fmt.Println("empty answer:", openrouter.Hint(err)[:36])
		}
	}
	// Output:
	// the key: check it, or create a new one
	// top up, then resume
	// fix the model ID
	// slow down: already retried
	// try again in a few minutes
	// empty answer: The model returned nothing: moderati
}

func ExampleAPIError() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "anthropic/claude-sonnet-4-6", // a typo: the catalogue says claude-sonnet-4.5
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	})
	var apiErr *openrouter.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
		fmt.Println(errors.Is(err, openrouter.ErrModelNotFound), errors.Is(err, openrouter.ErrServer))
	}
	// Output:
	// 400 anthropic/claude-sonnet-4-6 is not a valid model ID
	// true false
}

func ExampleHint() {
	err := fmt.Errorf("rewriting article 7: %w", openrouter.ErrEmptyContent)
	fmt.Println(openrouter.Hint(err))
	// Output: The model returned nothing: moderation, or a prompt too long for the context window (or, on reasoning models, max_tokens spent on reasoning). Use a larger-context model, raise max_tokens, or split the text.
}

func ExampleClient_Models() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	models, err := c.Models(context.Background(), openrouter.ModelFilter{OutputModality: "image"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range models {
		fmt.Printf("%s: %d-token context, $%.2f per million prompt tokens\n", m.ID, m.ContextLength, m.Pricing.Prompt*1e6)
	}
	// Output: google/gemini-2.5-flash-image: 32768-token context, $0.30 per million prompt tokens
}

func ExampleClient_Model() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	_, err := c.Model(context.Background(), "claude-haiku-4.5") // the vendor prefix is missing
	var apiErr *openrouter.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(errors.Is(err, openrouter.ErrModelNotFound), apiErr.Suggestions[0])
	}
	// Output: true anthropic/claude-haiku-4.5
}

func ExampleClient_CheckKey() {
	srv := openroutertest.NewServer(openroutertest.WithKeyLimit(25))
	defer srv.Close()
	c := srv.Client()

	k, err := c.CheckKey(context.Background()) // "test the key"
	if err != nil {
		fmt.Println("the key does not work:", openrouter.Hint(err))
		return
	}
	fmt.Printf("limit $%.2f, remaining $%.2f, used today $%.2f\n", *k.Limit, *k.LimitRemaining, k.UsageDaily)
	// Output: limit $25.00, remaining $25.00, used today $0.00
}

func ExampleClient_Credits() {
	srv := openroutertest.NewServer(openroutertest.WithCredits(25))
	defer srv.Close()

	_, err := srv.Client().Credits(context.Background()) // an ordinary key
	fmt.Println(errors.Is(err, openrouter.ErrForbidden))

	mc := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL))
	cr, err := mc.Credits(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("$%.2f remaining\n", cr.Remaining())
	// Output:
	// true
	// $25.00 remaining
}

func ExampleClient_GenerateImage() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{
		Prompt:      "A lighthouse at dawn, watercolour",
		AspectRatio: "16:9",
	})
	var noImage *openrouter.NoImageError
	switch {
	case errors.As(err, &noImage):
		fmt.Println("no image; the model said:", noImage.Text)
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	img := res.Images[0]
	fmt.Printf("%s %dx%d, %d bytes, save as cover%s\n", img.MIME, img.Width, img.Height, len(img.Data), img.Ext())
	// Output: image/png 64x64, 302 bytes, save as cover.png
}

func ExampleClient_ChatStream() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	s := c.ChatStream(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Stream this, please")},
	})
	for chunk, err := range s.Chunks() {
		if err != nil {
			fmt.Println("\nstream failed:", err, "- received so far:", s.Response().Content())
			return
		}
		fmt.Print(chunk.Content())
	}
	fmt.Println()
	fmt.Println("finish_reason:", s.Response().FinishReason())
	// Output:
	// You said: Stream this, please
	// finish_reason: stop
}

func ExampleChatJSON() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	type Summary struct {
		Title    string   `json:"title" jsonschema:"maxLength=80"`
		Keywords []string `json:"keywords" jsonschema:"minItems=1,maxItems=5"`
		Level    string   `json:"level" jsonschema:"enum=beginner|expert"`
	}
	v, res, err := openrouter.ChatJSON[Summary](context.Background(), c, &openrouter.ChatRequest{
		Messages: []openrouter.Message{openrouter.UserMessage("Summarise: <article>\n# Wrapping errors in Go\nUse %w.\n</article>")},
	}, openrouter.JSONRepair(1))
	var bad *openrouter.UnparseableError
	switch {
	case errors.As(err, &bad):
		fmt.Println("not valid:", bad.Reason, bad.Violations)
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	fmt.Printf("%q %d keyword(s), %s, in %d attempt(s)\n", v.Title, len(v.Keywords), v.Level, res.Attempts)
	// Output: "Rewritten: Wrapping errors in Go" 1 keyword(s), beginner, in 1 attempt(s)
}

func ExampleClient_Rewrite() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	res, err := c.Rewrite(context.Background(), openrouter.RewriteRequest{
		Article:      "# Caching in Go\n\nA map and a mutex go a long way before you need a cache library.\n",
		Instructions: "Friendlier, for beginners.",
	})
	if err != nil {
		fmt.Println(err, "-", openrouter.Hint(err))
		return
	}
	fmt.Println(res.Title)
	fmt.Println(res.Format, res.Sections, "section(s)")
	// Output:
	// Rewritten: Caching in Go
	// markdown 1 section(s)
}
