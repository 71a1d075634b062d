package openrouter_test

import (
	"context"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// An order as a model sends it: an integer past 2^53, which a float64
// rounds (9007199254740993 becomes ...992), and an ID typed as a string.
type order struct {
	OrderID int64  `json:"order_id"`
	Ref     string `json:"ref"`
	Units   uint64 `json:"units"`
	Raw     any    `json:"raw"`
}

const orderJSON = `{"order_id":9007199254740993,"ref":"9007199254740993","units":18446744073709551615,"raw":1.5}`

func TestChatJSONKeepsLargeIntegers(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply(orderJSON))
	v, _, err := openrouter.ChatJSON[order](context.Background(), c, &openrouter.ChatRequest{
		Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("the order")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := order{OrderID: 9007199254740993, Ref: "9007199254740993", Units: 18446744073709551615, Raw: 1.5}
	if v != want {
		t.Errorf("got %+v, want %+v", v, want)
	}
}

func TestToolArgumentsKeepLargeIntegers(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ToolCallReply(ort.ToolCall{ID: "call_a", Name: "refund", Arguments: orderJSON}), ort.TextReply("Refunded."))
	var got order
	refund := openrouter.NewTool("refund", "Refund an order", func(ctx context.Context, a order) (string, error) {
		got = a
		return "ok", nil
	})
	if _, err := c.RunTools(context.Background(), weatherRequest(), openrouter.ToolLoop{Tools: []*openrouter.FuncTool{refund}}); err != nil {
		t.Fatal(err)
	}
	if got.OrderID != 9007199254740993 || got.Units != 18446744073709551615 || got.Ref != "9007199254740993" {
		t.Errorf("the tool got %+v", got)
	}
}
