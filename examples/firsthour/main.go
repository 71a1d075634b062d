// Command firsthour is the program a newcomer writes on the first day for
// the job this SDK exists for, using only what the README shows: check
// the key and the balance, check the role models and replace one that
// cannot do its job, rewrite 40 articles (one of them over 5,000 words,
// sent in parts) into a typed page, draw a cover for each, and keep a
// journal so that a run killed with kill -9 resumes where it stopped,
// without paying again for what was done or failed for good.
//
// With no OPENROUTER_API_KEY it runs offline against the embedded fake,
// which is scripted per article: article-07 never answers in JSON (even
// when repaired) and article-13 meets a 502 first.
//
//	go run ./examples/firsthour -journal run.jsonl -out covers
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/examples/internal/demo"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// page is what each article becomes.
type page struct {
	Title    string   `json:"title" jsonschema:"minLength=5,maxLength=70"`
	Meta     string   `json:"meta_description" jsonschema:"maxLength=160"`
	Sections []string `json:"sections" jsonschema:"minItems=1"`
}

type article struct{ Slug, Text string }

type output struct {
	Page  page
	Cover string // the cover's file
}

func main() {
	journal := flag.String("journal", filepath.Join(os.TempDir(), "firsthour.jsonl"), "the run's journal: a rerun skips what is done")
	outDir := flag.String("out", filepath.Join(os.TempDir(), "firsthour-covers"), "where the covers go")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, os.Stdout, os.Getenv("OPENROUTER_API_KEY"), *journal, *outDir, sampleArticles()); err != nil {
		fmt.Fprintln(os.Stderr, "firsthour:", err, "\n"+openrouter.Hint(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, key, journalPath, outDir string, articles []article) (*bulk.Report[article, output], error) {
	out = &syncWriter{w: out} // the workers log to it at once
	srv := demo.Server(out, key, ort.WithResponder(scriptedFaults()), ort.WithKeyLimit(25))
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)

	// 1. The key, and what is left to spend.
	balance, source, err := c.ReadBalance(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "balance: $%.2f (%s)\n", balance, source)

	// 2. The role models: replace one the catalogue says cannot do its job.
	checks, err := c.CheckRoles(ctx)
	if err != nil {
		return nil, err
	}
	for _, ch := range checks {
		if ch.Err != nil && ch.Role == "rewrite" {
			fmt.Fprintf(out, "role %s: %v; using openai/gpt-4o-mini\n", ch.Role, ch.Err)
			roles := c.Roles() // an empty field would go back to its default
			roles.Rewrite = "openai/gpt-4o-mini"
			if err := c.SetRoles(roles); err != nil {
				return nil, err
			}
		}
	}

	// 3. The job, journaled.
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	j, err := bulk.OpenJournal(journalPath)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	rep, err := bulk.Runner[article, output]{
		Key:     func(a article) string { return a.Slug },
		Journal: j,
		// An article that failed for good (article-07 never answers in
		// JSON) is journaled too: a rerun does not pay for it again.
		JournalFailures: true,
		Limiter:         c.Limiter(),
	}.Run(ctx, articles, func(ctx context.Context, a article) (output, error) {
		o, err := rewrite(ctx, c, a, outDir)
		if err == nil {
			fmt.Fprintf(out, "rewrote %s: %q, cover %s\n", a.Slug, o.Page.Title, filepath.Base(o.Cover))
		}
		return o, err
	})
	if err != nil {
		return nil, err
	}

	// 4. The report: what failed, by its sentinel, and what to do.
	fmt.Fprintf(out, "done %d, failed %d, not attempted %d, cost $%.4f (the job so far $%.4f), maybe paid twice %d\n",
		rep.Done, rep.Failed, rep.NotAttempted, rep.Cost, rep.JobCost, rep.MaybePaidTwice)
	for _, r := range rep.Results {
		if r.Status == bulk.Failed {
			fmt.Fprintf(out, "  %s: %s: %s\n", r.Key, openrouter.ErrorName(r.Err), openrouter.Hint(r.Err))
		}
	}
	if rep.Stopped != nil {
		fmt.Fprintf(out, "stopped: %v\n", rep.Stopped)
	}
	return rep, nil
}

// rewrite turns one article into a page, in parts when it is long, and
// draws its cover.
func rewrite(ctx context.Context, c *openrouter.Client, a article, outDir string) (output, error) {
	p, _, err := openrouter.ChatJSONSplit(ctx, c, openrouter.SplitJSON[page]{
		Text: a.Text,
		Request: func(part string, i, n int) *openrouter.ChatRequest {
			return &openrouter.ChatRequest{Model: c.Roles().Rewrite, Messages: []openrouter.Message{
				openrouter.SystemMessage("Rewrite the article for the web. Answer in JSON: title, meta_description, sections."),
				openrouter.UserMessage(fmt.Sprintf("%s (part %d of %d)\n\n%s", a.Slug, i+1, n, part)),
			}}
		},
		Merge: func(parts []page) (page, error) {
			all := parts[0]
			for _, p := range parts[1:] {
				all.Sections = append(all.Sections, p.Sections...)
			}
			return all, nil
		},
	}, openrouter.JSONRepair(1))
	if err != nil {
		return output{}, err
	}
	img, err := c.GenerateImage(ctx, openrouter.ImageRequest{Prompt: "A cover for an article titled " + p.Title, AspectRatio: "16:9"})
	if err != nil {
		return output{}, err
	}
	path, err := img.Images[0].WriteFile(filepath.Join(outDir, a.Slug))
	return output{Page: p, Cover: path}, err
}

// scriptedFaults is the offline fake's responder: one article that never
// answers in JSON, one that meets a 502 on its first request, the fake's
// own answer for the rest. Mentions looks at every message, so a repair
// (which carries the first request's messages) is answered the same way.
func scriptedFaults() func(ort.Request) ort.Reply {
	var once sync.Once
	return func(r ort.Request) ort.Reply {
		switch {
		case r.Mentions("article-07"):
			return ort.TextReply("I would rather write a poem about it.")
		case r.Mentions("article-13"):
			failed := false
			once.Do(func() { failed = true })
			if failed {
				return ort.ErrorReply(502, "Provider returned error")
			}
		}
		return r.DefaultReply()
	}
}

// syncWriter serialises the writes of the workers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// sampleArticles are 40 articles; the first is over 5,000 words.
func sampleArticles() []article {
	out := make([]article, 40)
	for i := range out {
		sections := 3
		if i == 0 {
			sections = 80 // 5,840 words
		}
		var b strings.Builder
		for s := range sections {
			fmt.Fprintf(&b, "## Part %d\n\n%s\n\n", s+1, strings.Repeat("Green tea is steamed, black tea is oxidised. ", 10))
		}
		out[i] = article{Slug: fmt.Sprintf("article-%02d", i), Text: b.String()}
	}
	return out
}
