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

// longArticle is a Markdown article of about 12,000 words in 6 sections;
// the third holds a code block with blank lines, which no cut may enter.
func longArticle() string {
	var b strings.Builder
	for s := range 6 {
		fmt.Fprintf(&b, "## Section %d\n\n", s)
		if s == 2 {
			b.WriteString("```go\nfunc main() {\n\n\tfmt.Println(\"hi\")\n\n}\n```\n\n")
		}
		for range 20 {
			b.WriteString(strings.Repeat("word ", 100) + "\n\n")
		}
	}
	return b.String()
}

func TestSplitText(t *testing.T) {
	t.Parallel()
	text := longArticle()
	parts, err := openrouter.SplitText(text, openrouter.DefaultSplitWords, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 3 || strings.Join(parts, "") != text {
		t.Fatalf("%d parts; joined they give the text back: %v", len(parts), strings.Join(parts, "") == text)
	}
	for i, p := range parts {
		if n := len(strings.Fields(p)); n > openrouter.DefaultSplitWords {
			t.Errorf("part %d has %d words", i, n)
		}
		if !strings.HasPrefix(p, "## Section") {
			t.Errorf("part %d does not start at a heading: %.30q", i, p)
		}
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("part %d cuts a code block", i)
		}
	}
	if one, _ := openrouter.SplitText("a short text", 5, ""); len(one) != 1 {
		t.Errorf("a short text in %d parts", len(one))
	}
	for _, bad := range []struct {
		words  int
		format string
	}{{0, ""}, {-1, "text"}, {10, "pdf"}} {
		if _, err := openrouter.SplitText(text, bad.words, bad.format); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("SplitText(%d, %q): %v", bad.words, bad.format, err)
		}
	}
}

type pageSummary struct {
	Headings []string `json:"headings"`
}

// headingsResponder answers a part with the headings it holds, as JSON.
func headingsResponder(r ort.Request) ort.Reply {
	var hs []string
	for _, line := range strings.Split(r.LastUserText(), "\n") {
		if strings.HasPrefix(line, "## ") {
			hs = append(hs, fmt.Sprintf("%q", strings.TrimPrefix(line, "## ")))
		}
	}
	if r.Mentions("Section 4") && r.Mentions("broken") {
		return ort.TextReply("no JSON here")
	}
	return ort.TextReply(`{"headings":[` + strings.Join(hs, ",") + `]}`)
}

func splitRequest(prefix string) func(string, int, int) *openrouter.ChatRequest {
	return func(part string, i, n int) *openrouter.ChatRequest {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{
			openrouter.UserMessage(fmt.Sprintf("%sPart %d of %d:\n%s", prefix, i+1, n, part))}}
	}
}

func mergeHeadings(parts []pageSummary) (pageSummary, error) {
	var all pageSummary
	for _, p := range parts {
		all.Headings = append(all.Headings, p.Headings...)
	}
	return all, nil
}

func TestChatJSONSplitMergesPartsInOrder(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []ort.Option{ort.WithResponder(headingsResponder)})
	v, res, err := openrouter.ChatJSONSplit(context.Background(), c, openrouter.SplitJSON[pageSummary]{
		Text: longArticle(), Request: splitRequest(""), Merge: mergeHeadings,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Section 0", "Section 1", "Section 2", "Section 3", "Section 4", "Section 5"}
	if strings.Join(v.Headings, ",") != strings.Join(want, ",") {
		t.Errorf("merged %v", v.Headings)
	}
	if n := srv.Stats().Requests; n < 3 || res.Attempts != n || res.Cost <= 0 {
		t.Errorf("%d requests, result %+v", n, res)
	}
}

func TestChatJSONSplitShortTextInOneRequest(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []ort.Option{ort.WithResponder(headingsResponder)})
	v, _, err := openrouter.ChatJSONSplit(context.Background(), c, openrouter.SplitJSON[pageSummary]{
		Text: "## Only\n\nshort", Request: splitRequest(""), // no Merge: not needed
	})
	if err != nil || len(v.Headings) != 1 || srv.Stats().Requests != 1 {
		t.Errorf("%+v, %v, %d requests", v, err, srv.Stats().Requests)
	}
}

func TestChatJSONSplitNamesTheFailedPart(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, []ort.Option{ort.WithResponder(headingsResponder)})
	_, res, err := openrouter.ChatJSONSplit(context.Background(), c, openrouter.SplitJSON[pageSummary]{
		Text: longArticle(), Request: splitRequest("broken "), Merge: mergeHeadings,
	}, openrouter.JSONRepair(1))
	var se *openrouter.SectionError
	if !errors.As(err, &se) || !errors.Is(err, openrouter.ErrUnparseable) || !strings.Contains(se.Heading, "Section 4") {
		t.Fatalf("err = %v", err)
	}
	if res == nil || se.Cost != res.Cost || res.Cost <= 0 {
		t.Errorf("the parts paid for are not counted: %+v, error cost %v", res, se.Cost)
	}
}

func TestChatJSONSplitRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	for name, s := range map[string]openrouter.SplitJSON[pageSummary]{
		"no Request":              {Text: "x"},
		"no Merge for a long one": {Text: longArticle(), Request: splitRequest("")},
		"negative words":          {Text: "x", MaxWords: -1, Request: splitRequest("")},
	} {
		if _, _, err := openrouter.ChatJSONSplit(context.Background(), c, s); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if srv.Stats().Requests != 0 {
		t.Error("a request was sent")
	}
}

func ExampleSplitText() {
	article := "# Tea\n\nGreen tea is steamed.\n\n# Coffee\n\nCoffee is roasted, then ground.\n"
	parts, _ := openrouter.SplitText(article, 8, "markdown")
	for _, p := range parts {
		fmt.Printf("%q\n", p)
	}
	// Output:
	// "# Tea\n\nGreen tea is steamed.\n\n"
	// "# Coffee\n\nCoffee is roasted, then ground.\n"
}

// TestSplitTextCutsALongParagraph: a paragraph longer than a part is cut
// after sentence ends (between words when a sentence alone is too long),
// never inside inline code.
func TestSplitTextCutsALongParagraph(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"sentences": "# Title\n\n" + strings.Repeat("Green tea is steamed and then dried. ", 1500) + "\n",
		"no stops":  strings.Repeat("word ", 12000),
	} {
		parts, err := openrouter.SplitText(text, 5000, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) < 2 || strings.Join(parts, "") != text {
			t.Fatalf("%s: %d parts; joined they give the text back: %v", name, len(parts), strings.Join(parts, "") == text)
		}
		for i, p := range parts {
			if n := len(strings.Fields(p)); n > 5000 {
				t.Errorf("%s: part %d has %d words", name, i, n)
			}
			if name == "sentences" && i < len(parts)-1 && !strings.HasSuffix(strings.TrimRight(p, " \n"), ".") {
				t.Errorf("part %d does not end at a sentence: %q", i, p[max(0, len(p)-30):])
			}
		}
	}
	code := "Run `" + strings.Repeat("x ", 30) + "` now."
	if parts, _ := openrouter.SplitText(code, 10, "text"); len(parts) != 1 {
		t.Errorf("inline code cut into %d parts", len(parts))
	}
}
