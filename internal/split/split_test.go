package split

import (
	"fmt"
	"strings"
	"testing"
)

// longArticle builds a Markdown article of about words words: headings,
// paragraphs, lists, and code blocks with blank lines inside.
func longArticle(words int) string {
	var b strings.Builder
	b.WriteString("Intro paragraph before any heading.\n\n")
	n := 0
	for sec := 1; n < words; sec++ {
		fmt.Fprintf(&b, "## Section %d\n\n", sec)
		for p := 0; p < 4; p++ {
			for w := 0; w < 60; w++ {
				fmt.Fprintf(&b, "word%d ", n)
				n++
			}
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "- item one of %d\n- item two\n\n", sec)
		fmt.Fprintf(&b, "```go\nfunc f%d() {\n\n\treturn // a blank line above, inside the block\n}\n```\n\n", sec)
		if sec%5 == 0 {
			fmt.Fprintf(&b, "### Subsection %d.1\n\nMore text.\n\n", sec)
		}
	}
	return b.String()
}

func TestSectionsMarkdown(t *testing.T) {
	t.Parallel()
	article := longArticle(12000)
	if n := len(strings.Fields(article)); n < 12000 {
		t.Fatalf("article has %d words", n)
	}
	parts := Sections(article, "markdown", 8000)
	if len(parts) < 5 {
		t.Fatalf("%d sections for %d bytes under 8000", len(parts), len(article))
	}
	if strings.Join(parts, "") != article {
		t.Fatal("the sections do not join back into the article")
	}
	for i, p := range parts {
		if len(p) > 8000 {
			t.Errorf("section %d has %d bytes", i, len(p))
		}
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("section %d cuts a code block:\n%s", i, p)
		}
		if i > 0 && !strings.HasPrefix(p, "## ") && !strings.HasPrefix(p, "### ") && !strings.HasPrefix(p, "word") {
			t.Errorf("section %d starts mid-paragraph: %.40q", i, p)
		}
	}
}

func TestSectionsPrefersHeadings(t *testing.T) {
	t.Parallel()
	a := "# A\n\npara a1\n\npara a2\n\n# B\n\npara b1\n"
	parts := Sections(a, "markdown", 25)
	if len(parts) != 2 || parts[0] != "# A\n\npara a1\n\npara a2\n\n" || parts[1] != "# B\n\npara b1\n" {
		t.Errorf("parts = %q", parts)
	}
}

func TestSectionsKeepsHugeBlockWhole(t *testing.T) {
	t.Parallel()
	code := "```\n" + strings.Repeat("line\n\n", 100) + "```\n"
	a := "# Title\n\nShort.\n\n" + code + "\nAfter.\n"
	parts := Sections(a, "markdown", 50)
	if strings.Join(parts, "") != a {
		t.Fatal("not joined back")
	}
	found := false
	for _, p := range parts {
		found = found || strings.Contains(p, code)
	}
	if !found {
		t.Errorf("the code block was cut: %q", parts)
	}
}

func TestSectionsHTML(t *testing.T) {
	t.Parallel()
	a := "<h1>Title</h1>\n<p>One <b>bold</b> paragraph.</p>\n<div><p>Nested</p>\n<p>two</p></div>\n" +
		"<h2>Second</h2>\n<pre>code with < and\n\nblank</pre>\n<p>end<br>line</p>\n<!-- a <p> comment -->"
	parts := Sections(a, "html", 40)
	if strings.Join(parts, "") != a {
		t.Fatalf("not joined back: %q", parts)
	}
	for _, p := range parts {
		if strings.Count(p, "<div>") != strings.Count(p, "</div>") || strings.Count(p, "<pre>") != strings.Count(p, "</pre>") {
			t.Errorf("an element was cut: %q", p)
		}
	}
	want := []string{"<h1>Title</h1>\n", "<p>One <b>bold</b> paragraph.</p>\n", "<div><p>Nested</p>\n<p>two</p></div>\n",
		"<h2>Second</h2>\n", "<pre>code with < and\n\nblank</pre>\n", "<p>end<br>line</p>\n", "<!-- a <p> comment -->"}
	if fmt.Sprintf("%q", parts) != fmt.Sprintf("%q", want) {
		t.Errorf("parts = %q\nwant    %q", parts, want)
	}
}

func TestSectionsText(t *testing.T) {
	t.Parallel()
	a := "one\ntwo\n\nthree\n\n\nfour\n"
	parts := Sections(a, "text", 8)
	if strings.Join(parts, "") != a || len(parts) != 3 {
		t.Errorf("parts = %q", parts)
	}
}
