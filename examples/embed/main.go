// Command embed finds which articles should link to each other: it embeds
// every article with one Embed call (split into requests and sent
// concurrently as the model accepts) and prints the most similar pairs.
// With -batch it submits the same requests as one embeddings batch
// instead (about half the price, answered within 24 hours), waits for it
// and reads the vectors from its results.
// With no key it runs offline against the embedded fake server, whose
// vectors are hashed bags of words: articles that share words come out
// close, as real embeddings put articles on one topic close.
//
//	go run ./examples/embed                       # the sample articles of examples/seo, offline
//	go run ./examples/embed -in ./posts -top 10   # your own Markdown folder
//	go run ./examples/embed -batch                # through the Batch API
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/embed
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
	"github.com/routerkit/openrouter/openroutertest"
)

type config struct {
	in    string // folder of .md files; "" finds examples/seo/articles
	model string
	top   int
	batch bool // through the Batch API
}

func main() {
	var cfg config
	flag.StringVar(&cfg.in, "in", "", "folder of Markdown articles (default: the samples of examples/seo)")
	flag.StringVar(&cfg.model, "model", "openai/text-embedding-3-small", "embedding model")
	flag.IntVar(&cfg.top, "top", 5, "pairs to print")
	flag.BoolVar(&cfg.batch, "batch", false, "embed through the Batch API (half price, up to 24 h)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type article struct{ name, text string }

// readArticles reads the .md files of dir (the samples when ""), in
// name order: two at least, to make pairs.
func readArticles(dir string) ([]article, error) {
	read, err := demo.Articles(dir)
	if err != nil {
		return nil, err
	}
	if len(read) < 2 {
		return nil, fmt.Errorf("%s: %d article(s); pairs need two", dir, len(read))
	}
	out := make([]article, len(read))
	for i, a := range read {
		out[i] = article{name: a.Name, text: a.Text}
	}
	return out, nil
}

func run(ctx context.Context, out io.Writer, key string, cfg config) error {
	articles, err := readArticles(cfg.in)
	if err != nil {
		return err
	}
	// Offline, the fake's batches progress on a clock that each poll
	// moves a minute on, so a batch is done in milliseconds.
	clock := openroutertest.NewClock(time.Now())
	srv := demo.Server(out, key, openroutertest.WithClock(clock.Now))
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)

	texts := make([]string, len(articles))
	for i, a := range articles {
		texts[i] = a.text
	}
	req := &openrouter.EmbeddingRequest{Model: cfg.model, Input: texts}
	var res *openrouter.Embeddings
	if cfg.batch {
		wait := openrouter.BatchWait{} // polls every 5 s to 1 min
		if srv != nil {
			wait = openrouter.BatchWait{MinInterval: time.Millisecond, MaxInterval: time.Millisecond,
				OnPoll: func(*openrouter.Batch) { clock.Advance(time.Minute) }}
		}
		res, err = embedInBatch(ctx, out, c, req, wait)
	} else {
		res, err = c.Embed(ctx, req)
	}
	if err != nil {
		return fmt.Errorf("embedding: %w (%s)", err, openrouter.Hint(err))
	}
	fmt.Fprintf(out, "Embedded %d articles with %s in %d request(s): %d tokens, $%.6f\n",
		len(articles), res.Model, res.Requests, res.Usage.TotalTokens, res.Cost())

	type pair struct {
		a, b int
		sim  float64
	}
	var pairs []pair
	for i := range articles {
		for j := i + 1; j < len(articles); j++ {
			pairs = append(pairs, pair{i, j, openrouter.Cosine(res.Vectors[i], res.Vectors[j])})
		}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].sim > pairs[j].sim })
	fmt.Fprintf(out, "\nThe %d most similar pairs (link them to each other):\n", min(cfg.top, len(pairs)))
	for _, p := range pairs[:min(cfg.top, len(pairs))] {
		fmt.Fprintf(out, "  %.3f  %s <-> %s\n", p.sim, articles[p.a].name, articles[p.b].name)
	}
	return nil
}

// embedInBatch submits req as an embeddings batch, waits for it and reads
// its vectors.
func embedInBatch(ctx context.Context, out io.Writer, c *openrouter.Client, req *openrouter.EmbeddingRequest, wait openrouter.BatchWait) (*openrouter.Embeddings, error) {
	est, err := c.EstimateEmbeddingCost(ctx, req, openrouter.EstimateOptions{Batch: true})
	if err != nil {
		return nil, err
	}
	b, err := c.Batches.SubmitEmbeddings(ctx, req)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Submitted batch %s: %d request(s), at most $%.6f at the batch price\n", b.ID, est.Requests, est.Cost)
	if b, err = c.Batches.Wait(ctx, b.ID, wait); err != nil {
		return nil, err
	}
	if err := b.Err(); err != nil {
		return nil, err
	}
	return c.Batches.EmbeddingResults(ctx, b.ID, req)
}
