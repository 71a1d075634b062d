package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// A call that cannot reach OpenRouter matches ErrUnreachable: nothing was
// sent, so nothing was billed, and it is safe to try again later.
func ExampleTransportError_unreachable() {
	// A transport whose network is down.
	down := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("network is unreachable")
	}}}
	c := openrouter.NewClient("sk-or-v1-example", openrouter.WithHTTPClient(down), openrouter.WithRetry(0, 0, 0))
	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	})
	var te *openrouter.TransportError
	if errors.As(err, &te) {
		fmt.Println(te.Method, te.Path, "attempts:", te.Attempts, "maybe billed:", te.MaybeBilled)
	}
	fmt.Println(errors.Is(err, openrouter.ErrUnreachable), errors.Is(err, openrouter.ErrMaybeBilled))
	// Output:
	// POST /chat/completions attempts: 1 maybe billed: 0
	// true false
}

// A request that was sent and lost its answer may have been processed and
// billed: the client does not send it again on its own, and says so.
func ExampleTransportError_maybeBilled() {
	srv := ort.NewServer()
	defer srv.Close()
	srv.Enqueue(ort.Reply{Disconnect: true}) // the connection is cut after the request arrived
	c := srv.Client(openrouter.WithRetry(0, 0, 0))
	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	})
	if errors.Is(err, openrouter.ErrMaybeBilled) {
		var te *openrouter.TransportError
		errors.As(err, &te)
		fmt.Println("may have been billed:", te.MaybeBilled, "of", te.Attempts, "attempt(s)")
		fmt.Println(openrouter.Hint(err))
	}
	// Output:
	// may have been billed: 1 of 1 attempt(s)
	// The request reached OpenRouter but its answer was lost, so it may have been processed and billed: check the activity or generation records before sending it again, or give the call more time.
}
