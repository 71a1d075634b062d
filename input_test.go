package openrouter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestNilClient: a nil *Client gives ErrInvalidRequest, not a panic.
func TestNilClient(t *testing.T) {
	t.Parallel()
	var c *Client
	ctx := context.Background()
	_, _, err := ChatJSON[struct{ A int }](ctx, c, chatReq())
	if !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("ChatJSON: %v", err)
	}
	if _, err := c.Chat(ctx, chatReq()); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Chat: %v", err)
	}
	if err := streamErr(c); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("ChatStream: %v", err)
	}
	if _, err := c.Models(ctx, ModelFilter{}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Models: %v", err)
	}
	if _, err := c.CheckKey(ctx); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Key: %v", err)
	}
}

// TestNonFiniteNumbers: NaN and infinities are refused before sending,
// the error naming the field.
func TestNonFiniteNumbers(t *testing.T) {
	t.Parallel()
	c := NewClient(testKey)
	for name, set := range map[string]func(r *ChatRequest){
		"temperature":       func(r *ChatRequest) { r.Temperature = Ptr(math.NaN()) },
		"top_p":             func(r *ChatRequest) { r.TopP = Ptr(math.Inf(1)) },
		"frequency_penalty": func(r *ChatRequest) { r.FrequencyPenalty = Ptr(math.Inf(-1)) },
		"presence_penalty":  func(r *ChatRequest) { r.PresencePenalty = Ptr(math.NaN()) },
	} {
		r := chatReq()
		set(r)
		_, _, err := c.encodeChat(context.Background(), r, false)
		if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), name) || strings.Count(err.Error(), "invalid request") != 1 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := c.encodeChat(context.Background(), chatReq(), false); err != nil {
		t.Errorf("a request with no numbers: %v", err)
	}
}

// TestExtraErrorPrefixOnce: a bad Extra value's error says "invalid
// request" once, and names the key.
func TestExtraErrorPrefixOnce(t *testing.T) {
	t.Parallel()
	c := NewClient(testKey)
	r := chatReq()
	r.Extra = map[string]any{"bad": math.NaN()}
	_, _, err := c.encodeChat(context.Background(), r, false)
	if !errors.Is(err, ErrInvalidRequest) || strings.Count(err.Error(), ErrInvalidRequest.Error()) != 1 || !strings.Contains(err.Error(), `Extra["bad"]`) {
		t.Errorf("err = %v", err)
	}
}

// ownHint is an error of another package that brings its hint.
type ownHint struct{}

func (ownHint) Error() string { return "elsewhere" }
func (ownHint) Hint() string  { return "do this" }

// TestHintOfAnErrorWithItsOwn: Hint uses the Hint method of any error in
// the chain (bulk.ErrSpendingCap has one; see its package's tests).
func TestHintOfAnErrorWithItsOwn(t *testing.T) {
	t.Parallel()
	own := ownHint{}
	if Hint(fmt.Errorf("x: %w", own)) != "do this" {
		t.Errorf("an error's own Hint is not used")
	}
}
