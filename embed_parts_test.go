package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// embedInput is the one input of a part sent with BatchInputs 1.
func embedInput(t *testing.T, r *http.Request) string {
	var body struct {
		Input []string `json:"input"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &body); err != nil || len(body.Input) != 1 {
		t.Errorf("body %s: %v", b, err)
		return ""
	}
	return body.Input[0]
}

// TestEmbedKeepsPartsInFlightWhenOneFails: a failing part cancelled the
// parts already sent, whose vectors (billed) were thrown away. Part "a"
// answers only once "b" has failed and Embed has stopped sending: its
// vector and cost must be in the result beside b's error.
func TestEmbedKeepsPartsInFlightWhenOneFails(t *testing.T) {
	failed := make(chan struct{})
	var once sync.Once
	openrouter.SetEmbedFailedHook(func() { once.Do(func() { close(failed) }) })
	defer openrouter.SetEmbedFailedHook(nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch embedInput(t, r) {
		case "b":
			w.WriteHeader(400)
			io.WriteString(w, `{"error":{"code":400,"message":"Invalid input"}}`)
		case "a":
			select {
			case <-failed:
			case <-r.Context().Done(): // the client gave the part up
				return
			}
			io.WriteString(w, `{"object":"list","model":"m/e","data":[{"object":"embedding","index":0,"embedding":[1,0]}],"usage":{"prompt_tokens":1,"total_tokens":1,"cost":0.25}}`)
		default:
			t.Error("a part was sent after the failure")
		}
	}))
	defer srv.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "b", "c"}, BatchInputs: 1, Concurrency: 2})
	if !errors.Is(err, openrouter.ErrBadRequest) || res == nil {
		t.Fatalf("res %v, err %v; want the parts that answered beside the 400", res, err)
	}
	if len(res.Vectors[0]) != 2 || res.Vectors[1] != nil || res.Vectors[2] != nil || res.Requests != 1 || res.Usage.Cost != 0.25 || c.Spent() != 0.25 {
		t.Errorf("vectors %v, requests %d, cost %v, spent %v; want a's vector and cost kept", res.Vectors, res.Requests, res.Usage.Cost, c.Spent())
	}
}

// TestEmbedRefusesMixedDimensions: parts answered with vectors of
// different sizes (two providers) were returned as one result, whose
// vectors cannot be compared. Now that is an ErrServer error, beside the
// billed vectors.
func TestEmbedRefusesMixedDimensions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vec := "[1,0]"
		if embedInput(t, r) == "b" {
			vec = "[1,0,0]"
		}
		io.WriteString(w, `{"object":"list","model":"m/e","data":[{"object":"embedding","index":0,"embedding":`+vec+`}],"usage":{"prompt_tokens":1,"total_tokens":1,"cost":0.5}}`)
	}))
	defer srv.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "b"}, BatchInputs: 1, Concurrency: 1})
	if !errors.Is(err, openrouter.ErrServer) || !strings.Contains(err.Error(), "different sizes") {
		t.Fatalf("err %v; want an ErrServer error about the sizes", err)
	}
	if res == nil || res.Requests != 2 || res.Usage.Cost != 1 {
		t.Errorf("res %+v; want both billed parts", res)
	}
}
