package demo

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Article is a Markdown file of the examples: its name (the file's, less
// ".md") and its text.
type Article struct{ Name, Text string }

// Articles reads the .md files of dir in name order; with dir "" the
// samples of examples/seo, from the module root or from an example's
// folder.
func Articles(dir string) ([]Article, error) {
	if dir == "" {
		for _, d := range []string{"examples/seo/articles", "../seo/articles"} {
			if _, err := os.Stat(d); err == nil {
				dir = d
				break
			}
		}
		if dir == "" {
			return nil, errors.New("no -in folder, and the samples of examples/seo are not here: run from the module root")
		}
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []Article
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Article{Name: strings.TrimSuffix(filepath.Base(p), ".md"), Text: string(b)})
	}
	return out, nil
}
