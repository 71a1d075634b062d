package openrouter_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// contentRec is an Observer and a ContentObserver whose WantsContent is
// want; it records each content and whether its CallEnd followed it.
type contentRec struct {
	quiet
	want     bool
	mu       sync.Mutex
	contents []openrouter.CallContent
	order    []string
}

func (o *contentRec) WantsContent() bool { return o.want }
func (o *contentRec) CallContent(_ context.Context, e openrouter.CallContent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.contents = append(o.contents, e)
	o.order = append(o.order, "content")
}
func (o *contentRec) CallEnd(context.Context, openrouter.CallEnd) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.order = append(o.order, "end")
}

// A chat call's prompt and completion reach a ContentObserver that wants
// them, before its CallEnd, for Chat and ChatStream alike; a member that
// does not want them (WantsContent false) and a plain observer get none.
func TestContentObserverGetsChatContent(t *testing.T) {
	srv := ort.NewServer()
	defer srv.Close()
	wants, refuses := &contentRec{want: true}, &contentRec{}
	c := srv.Client(openrouter.WithObserver(openrouter.JoinObservers(wants, refuses, quiet{})))
	msgs := []openrouter.Message{openrouter.UserMessage("a secret prompt")}
	r, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	for ch, err := range c.ChatStream(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: msgs}).Chunks() {
		if err != nil {
			t.Fatal(err)
		}
		streamed.WriteString(ch.Content())
	}
	if len(wants.contents) != 2 {
		t.Fatalf("contents = %+v, want two", wants.contents)
	}
	for i, want := range []string{r.Content(), streamed.String()} {
		got := wants.contents[i]
		if want == "" || got.Completion != want || len(got.Messages) != 1 || got.Messages[0].Content != "a secret prompt" || got.Model != "openai/gpt-4o-mini" {
			t.Errorf("content %d = %+v, want the prompt and completion %q", i, got, want)
		}
	}
	if strings.Join(wants.order, ",") != "content,end,content,end" {
		t.Errorf("order = %v, want each content before its call's end", wants.order)
	}
	if len(refuses.contents) != 0 {
		t.Errorf("an observer that wants no content got %+v", refuses.contents)
	}
}

// An observer alone whose WantsContent is false gets no content.
func TestContentObserverNotWanted(t *testing.T) {
	srv := ort.NewServer()
	defer srv.Close()
	o := &contentRec{}
	c := srv.Client(openrouter.WithObserver(o))
	if _, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}); err != nil {
		t.Fatal(err)
	}
	if len(o.contents) != 0 || len(o.order) != 1 {
		t.Errorf("contents %+v, events %v: want none and one call end", o.contents, o.order)
	}
}
