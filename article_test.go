package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// longMarkdown builds an article of about words words with headings,
// lists and code blocks.
func longMarkdown(words int) string {
	var b strings.Builder
	b.WriteString("# A long guide\n\nAn introduction to the guide.\n\n")
	n := 0
	for sec := 1; n < words; sec++ {
		fmt.Fprintf(&b, "## Section %d\n\n", sec)
		for p := 0; p < 4; p++ {
			for w := 0; w < 75; w++ {
				fmt.Fprintf(&b, "w%d ", n)
				n++
			}
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "```go\nfunc f%d() {\n\n\treturn\n}\n```\n\n- a list item\n- another\n\n", sec)
	}
	return b.String()
}

func TestRewrite(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	article := "# Error handling in Go\n\nGo programs return errors as values and wrap them with %w so callers can test them.\n"
	res, err := c.Rewrite(context.Background(), openrouter.RewriteRequest{Article: article, Instructions: "friendlier", Language: "English"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "markdown" || res.Sections != 1 || res.Attempts != 1 || res.Cost <= 0 || res.Model != "anthropic/claude-haiku-4.5" ||
		res.Title != "Rewritten: Error handling in Go" || res.Content != strings.TrimSpace(article) || len(res.MetaDescription) < 20 {
		t.Errorf("result = %+v", res)
	}
	r := srv.Requests()[0]
	if r.Body["max_tokens"] == nil || !strings.Contains(r.LastUserText(), "Instructions: friendlier") || !strings.Contains(r.LastUserText(), "<article>\n# Error handling") {
		t.Errorf("request = %s", r.Raw)
	}
}

func TestRewriteLongArticleInSections(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithRoles(openrouter.Roles{Rewrite: "openai/gpt-4o-mini"}))
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil { // the model's limits
		t.Fatal(err)
	}
	article := longMarkdown(12000)
	res, err := c.Rewrite(context.Background(), openrouter.RewriteRequest{Article: article})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sections < 2 {
		t.Fatalf("a %d-byte article was rewritten in %d section(s)", len(article), res.Sections)
	}
	// The fake returns each section as it was sent: put back together,
	// nothing may be lost, duplicated or moved.
	if res.Content != strings.TrimSpace(article) {
		t.Errorf("the reassembled article differs from the original (%d vs %d bytes)", len(res.Content), len(strings.TrimSpace(article)))
	}
	reqs := srv.Requests()
	if len(reqs) != res.Sections+1 || res.Attempts != res.Sections+1 {
		t.Errorf("%d requests, %d attempts for %d sections (+1 for the title)", len(reqs), res.Attempts, res.Sections)
	}
	seen := map[string]int{}
	for _, r := range reqs {
		if !strings.Contains(r.LastUserText(), "This is section ") {
			continue // the title request shows the start of the result
		}
		for _, line := range strings.Split(r.LastUserText(), "\n") {
			if strings.HasPrefix(line, "## Section ") {
				seen[line]++
			}
		}
	}
	for i := 1; strings.Contains(article, fmt.Sprintf("## Section %d\n", i)); i++ {
		if n := seen[fmt.Sprintf("## Section %d", i)]; n != 1 {
			t.Errorf("## Section %d was sent %d times", i, n)
		}
	}
	if !strings.HasPrefix(res.Title, "Rewritten: A long guide") {
		t.Errorf("title = %q", res.Title)
	}
}

func TestRewriteSectionFailure(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if strings.Contains(r.LastUserText(), "## Section 9\n") {
			return ort.TextReply("I would rather not.")
		}
		return r.DefaultReply()
	})}, openrouter.WithRoles(openrouter.Roles{Rewrite: "openai/gpt-4o-mini"}))
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Rewrite(context.Background(), openrouter.RewriteRequest{Article: longMarkdown(12000)})
	var se *openrouter.SectionError
	if !errors.As(err, &se) || !errors.Is(err, openrouter.ErrUnparseable) {
		t.Fatalf("err = %v", err)
	}
	if se.Sections < 2 || se.Cost <= 0 || !strings.Contains(err.Error(), fmt.Sprintf("section %d of %d", se.Index+1, se.Sections)) {
		t.Errorf("section error = %+v", se)
	}
}

func TestRewriteHTML(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	res, err := c.Rewrite(context.Background(), openrouter.RewriteRequest{Article: "<h1>Title here</h1>\n<p>A paragraph of reasonable length for a summary.</p>"})
	if err != nil || res.Format != "html" {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

func TestRewriteRefusals(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	for name, req := range map[string]openrouter.RewriteRequest{
		"empty":    {Article: " \n"},
		"format":   {Article: "x", Format: "docx"},
		"online":   {Article: "some text", Model: "openai/gpt-4o-mini:online"},
		"negative": {Article: "x", TargetWords: -5},
	} {
		if _, err := c.Rewrite(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if srv.Stats().Requests != 0 {
		t.Error("a request was sent")
	}
	// JSONOnlineModels lets an :online variant through.
	if _, err := c.Rewrite(context.Background(), openrouter.RewriteRequest{Article: "Some text long enough to summarise in a line.", Model: "openai/gpt-4o-mini:online"},
		openrouter.JSONOnlineModels()); err != nil {
		t.Errorf("with JSONOnlineModels: %v", err)
	}
}
