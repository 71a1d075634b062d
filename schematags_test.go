package openrouter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// Bounds written the way other libraries write them would be silently
// ignored: ChatJSON would accept a 400-character meta description while
// the struct says 160. Each is refused before anything is sent.
type validateTagged struct {
	Meta string `json:"meta" validate:"max=160"`
}
type bindingTagged struct {
	Meta string `json:"meta" binding:"required"`
}
type bareTagged struct {
	Meta string `json:"meta" maxLength:"160"`
}
type unknownKey struct {
	Meta string `json:"meta" jsonschema:"maxlen=160"`
}

func TestSchemaTagsOfOtherLibrariesRefused(t *testing.T) {
	t.Parallel()
	for name, schema := range map[string]func() error{
		"validate":    func() error { _, err := openrouter.SchemaFor[validateTagged](); return err },
		"binding":     func() error { _, err := openrouter.SchemaFor[bindingTagged](); return err },
		"bare key":    func() error { _, err := openrouter.SchemaFor[bareTagged](); return err },
		"unknown key": func() error { _, err := openrouter.SchemaFor[unknownKey](); return err },
	} {
		err := schema()
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), "field Meta") || !strings.Contains(err.Error(), "maxLength") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestChatJSONRefusesForeignTagsBeforeSending(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	_, _, err := openrouter.ChatJSON[validateTagged](context.Background(), c, hello())
	if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), `validate:"max=160"`) {
		t.Errorf("err = %v", err)
	}
	if srv.Stats().Requests != 0 {
		t.Error("a request was sent")
	}
}

func TestViolationIsExported(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.TextReply(`{"meta":"` + strings.Repeat("x", 200) + `"}`))
	type page struct {
		Meta string `json:"meta" jsonschema:"maxLength=160"`
	}
	_, _, err := openrouter.ChatJSON[page](context.Background(), c, hello())
	var bad *openrouter.UnparseableError
	if !errors.As(err, &bad) || len(bad.Violations) != 1 {
		t.Fatalf("err = %v", err)
	}
	want := openrouter.Violation{Pointer: "/meta", Message: "200 characters, over the maximum of 160"}
	if bad.Violations[0] != want || want.String() != "/meta: 200 characters, over the maximum of 160" {
		t.Errorf("got %+v", bad.Violations[0])
	}
}
