package openrouter

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/routerkit/openrouter/internal/split"
)

// DefaultSplitWords is the most words of one part of a text that
// [ChatJSONSplit] sends in one request, when SplitJSON.MaxWords is 0.
const DefaultSplitWords = 5000

// SplitText cuts text into parts of at most maxWords words each: at
// headings first, then between paragraphs, never inside a fenced code
// block (Markdown) or an HTML element; a paragraph longer than maxWords
// is cut between sentences, then between words, unless it holds a code
// block or markup, which stays whole. The parts, joined, give back the
// text byte for byte.
// format is "markdown", "html" or "text", or "" to detect it. A text of
// at most maxWords words is one part.
func SplitText(text string, maxWords int, format string) ([]string, error) {
	switch {
	case maxWords <= 0:
		return nil, invalid("SplitText: maxWords %d: want at least 1", maxWords)
	case format == "":
		format = detectFormat(text)
	case format != "markdown" && format != "html" && format != "text":
		return nil, invalid("SplitText: format %q is not markdown, html or text", format)
	}
	if split.Words(text) <= maxWords {
		return []string{text}, nil
	}
	var out []string
	carry := "" // headings left alone by a section too large: they go with what follows
	for _, part := range split.SectionsBy(text, format, maxWords, split.Words) {
		if headingsOnly(part) {
			carry += part
			continue
		}
		out = append(out, split.Sentences(carry+part, maxWords)...)
		carry = ""
	}
	if carry != "" {
		out = append(out, carry)
	}
	return out, nil
}

// headingsOnly reports whether a Markdown part holds nothing but headings
// and blank lines.
func headingsOnly(part string) bool {
	for _, line := range strings.Split(part, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// SplitJSON is a text that may be too long for one request, to be turned
// into one value of T by [ChatJSONSplit].
type SplitJSON[T any] struct {
	// Text is the whole text.
	Text string
	// Format is "markdown", "html" or "text"; "" detects it.
	Format string
	// MaxWords is the most words of one part ([DefaultSplitWords] when
	// 0): a longer text is cut by [SplitText].
	MaxWords int
	// Request returns the request for part i (from 0) of n. It must not
	// be nil. For a text in one part it is called with i 0 and n 1.
	Request func(part string, i, n int) *ChatRequest
	// Merge makes one value from the parts' values, in the text's
	// order. It is called only when the text was cut, and must not be
	// nil then.
	Merge func(parts []T) (T, error)
}

// ChatJSONSplit is [ChatJSON] for a text that may be too long for one
// request: it cuts the text into parts of at most MaxWords words
// ([SplitText]), asks ChatJSON for each part at once (the client's
// limiter paces them; opts apply to each), and merges their values with
// Merge. A part that fails fails the call with a *[SectionError] naming
// it; the parts that succeeded were paid for, and the error's Cost, like
// the result's, counts every part.
//
//	type page struct{ Sections []string `json:"sections"` }
//	p, res, err := openrouter.ChatJSONSplit(ctx, c, openrouter.SplitJSON[page]{
//		Text:    article,
//		Request: func(part string, i, n int) *openrouter.ChatRequest { return rewriteRequest(part, i, n) },
//		Merge: func(parts []page) (page, error) {
//			var all page
//			for _, p := range parts {
//				all.Sections = append(all.Sections, p.Sections...)
//			}
//			return all, nil
//		},
//	})
func ChatJSONSplit[T any](ctx context.Context, c *Client, s SplitJSON[T], opts ...JSONOption) (T, *JSONResult, error) {
	var zero T
	if s.MaxWords == 0 {
		s.MaxWords = DefaultSplitWords
	}
	parts, err := SplitText(s.Text, s.MaxWords, s.Format)
	switch {
	case err != nil:
		return zero, nil, err
	case s.Request == nil:
		return zero, nil, invalid("ChatJSONSplit: no Request function")
	case len(parts) > 1 && s.Merge == nil:
		return zero, nil, invalid("ChatJSONSplit: the text is cut in %d parts and there is no Merge function", len(parts))
	}
	if len(parts) == 1 {
		return ChatJSON[T](ctx, c, s.Request(parts[0], 0, 1), opts...)
	}
	values, res, err := chatJSONParts[T](ctx, c, parts, s.Request, opts)
	if err != nil {
		return zero, res, err
	}
	v, err := s.Merge(values)
	if err != nil {
		return zero, res, fmt.Errorf("openrouter: merging %d parts: %w", len(parts), err)
	}
	return v, res, nil
}

// chatJSONParts asks ChatJSON for every part at once and returns their
// values in order, with one result that counts them all.
func chatJSONParts[T any](ctx context.Context, c *Client, parts []string, request func(string, int, int) *ChatRequest, opts []JSONOption) ([]T, *JSONResult, error) {
	reqs := make([]*ChatRequest, len(parts))
	for i, part := range parts { // in the caller's goroutine: a panic is the caller's
		reqs[i] = request(part, i, len(parts))
	}
	values := make([]T, len(parts))
	results := make([]*JSONResult, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			values[i], results[i], errs[i] = ChatJSON[T](ctx, c, req, opts...)
		}()
	}
	wg.Wait()
	total := &JSONResult{}
	for _, r := range results {
		if r != nil {
			total.Attempts += r.Attempts
			total.Cost += r.Cost
			if total.Model == "" {
				total.Model = r.Model
			}
		}
	}
	for i, err := range errs {
		if err != nil {
			head, _, _ := strings.Cut(strings.TrimSpace(parts[i]), "\n")
			se := &SectionError{Index: i, Sections: len(parts), Heading: head, Err: err, Cost: total.Cost,
				Answers: make([]*ChatResponse, len(parts))}
			for j, r := range results {
				if errs[j] == nil && r != nil {
					se.Answers[j] = r.Response // paid for: not lost with the error
				}
			}
			return nil, total, se
		}
	}
	return values, total, nil
}
