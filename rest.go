package openrouter

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// sendJSON sends in as the JSON body of a method request to path, through
// the client's one path (limiter, retries, typed errors, answer bounds),
// and decodes the answer into out (nil: the answer is read and dropped).
// model names the model for errors.
func (c *Client) sendJSON(ctx context.Context, method, path string, in, out any, model string, opts []CallOption) (err error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return invalid("%v", err)
		}
	}
	resp, st, err := c.do(ctx, method, path, body, model, opts)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }()
	if out == nil {
		var discard json.RawMessage
		out = &discard
	}
	return st.annotate(c.decodeAnswer(resp, out))
}

// malformed is the error of a 200 answer whose JSON decodes but does not
// say what the API promises (a missing vector, an index out of range).
func malformed(model, format string, args ...any) error {
	e := &APIError{StatusCode: http.StatusOK, Model: model, kind: []error{ErrServer}, shape: true}
	e.Message = "the answer is not what the API promises: " + fmt.Sprintf(format, args...)
	return e
}

// modelPath returns "author/slug" escaped for a URL path, or an
// ErrInvalidRequest error for an ID that is not author/slug.
func modelPath(id string) (string, error) {
	author, slug, ok := strings.Cut(id, "/")
	if !ok || author == "" || slug == "" || strings.Contains(slug, "/") || dotSegment(author) || dotSegment(slug) {
		return "", invalid("model ID %q is not author/slug", id)
	}
	return url.PathEscape(author) + "/" + url.PathEscape(slug), nil
}

// pathSegment returns an ID escaped for one URL path segment, or an
// ErrInvalidRequest error for an empty ID or a dot segment ("." or
// ".."), which a server or proxy would clean into another endpoint's path.
func pathSegment(what, id string) (string, error) {
	if id == "" || dotSegment(id) {
		return "", invalid("%s %q is not an ID", what, id)
	}
	return url.PathEscape(id), nil
}

func dotSegment(s string) bool { return s == "." || s == ".." }
