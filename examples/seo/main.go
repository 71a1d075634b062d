// Command seo is the job this SDK exists for: it rewrites every Markdown
// article of a folder into validated JSON (title, meta description,
// content), generates a cover image for each, and writes the results to
// an output folder, pacing its requests, showing a live progress line,
// and ending with a report of what was done, what failed and why, what
// was not attempted and how to resume, and what it cost.
//
// With no OPENROUTER_API_KEY it runs offline against the embedded
// openroutertest server (plausible rewrites, small real WebP covers); with
// a key it uses the OpenRouter API and the client's role models.
//
// Covers are drawn by a model of the image API (-image-model, default
// FLUX.2 Pro) as WebP at -cover-compression 80, -cover-size 1K and
// -cover-aspect 16:9 (-cover-format jpeg or png for others); the estimate
// made before the run counts them, and the report gives their cost apart
// from the rewrites'.
//
//	go run ./examples/seo                         # the dozen sample articles, offline
//	go run ./examples/seo -in ./posts -out ./site -cap 2.50
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/seo -journal seo.jsonl
//	go run ./examples/seo -redis localhost:6379 -job seo-2026-12   # journal and pacing in Redis
//	go run ./examples/seo -batch                  # rewrites through the Batch API, at about half price
//	go run ./examples/seo -cover-compression 60 -cover-size 2K
//	go run ./examples/seo -otel-stdout             # OpenTelemetry spans and metrics as JSON
//
// With -batch the rewrites go through the Batch API (bulk.RewriteMode):
// each batch's ID is journaled before the wait, so a run killed while
// waiting resumes, with the same -journal, by polling the same batch. The
// covers are drawn through the sync API as each rewrite comes back, and
// the report sets the cost beside what the same work costs in sync mode.
package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/examples/internal/demo"
	"github.com/routerkit/openrouter/openroutertest"
)

//go:embed articles/*.md
var samples embed.FS

type config struct {
	in, out        string
	workers        int
	rewriteModel   string
	imageModel     string
	cover          coverConfig
	cap            float64
	journal        string
	redis, job     string // -redis, -job: the journal (and the pacing) in Redis
	worker, report bool   // -worker: one of several workers on the job; -report: print the job's report
	lease          time.Duration
	images         bool
	batch          bool
	progressWriter io.Writer // where the live line goes (the terminal)
	events         bool      // -events: each observed event as a JSON line on out
	otelStdout     bool      // -otel-stdout: OpenTelemetry's spans and metrics as JSON on out
}

func main() {
	cfg := config{images: true, progressWriter: os.Stderr, cover: defaultCover}
	flag.StringVar(&cfg.in, "in", "", "folder of Markdown articles (default: the dozen samples shipped with this example)")
	flag.StringVar(&cfg.out, "out", "seo-out", "output folder")
	flag.IntVar(&cfg.workers, "workers", 0, "articles at once (default: the limiter's 5)")
	flag.StringVar(&cfg.rewriteModel, "rewrite-model", "", "model for rewriting (default: the client's rewrite role)")
	flag.StringVar(&cfg.imageModel, "image-model", defaultCoverModel, "model for covers (webp or jpeg covers need a model of the image API)")
	flag.StringVar(&cfg.cover.format, "cover-format", "webp", "cover format: webp, jpeg or png (\"\": the model's default)")
	flag.IntVar(&cfg.cover.compression, "cover-compression", 80, "cover compression 0-100, for webp and jpeg")
	flag.StringVar(&cfg.cover.size, "cover-size", "1K", "cover resolution tier: 1K, 2K or 4K")
	flag.StringVar(&cfg.cover.aspect, "cover-aspect", "16:9", "cover aspect ratio, as the page's layout wants it")
	flag.Float64Var(&cfg.cap, "cap", 0, "spending cap in USD (0: none)")
	flag.StringVar(&cfg.journal, "journal", "", "JSON-lines journal: a rerun skips the articles already done")
	flag.StringVar(&cfg.redis, "redis", "", "Redis address (host:port or redis:// URL) keeping the job's journal and pacing, instead of -journal")
	flag.StringVar(&cfg.job, "job", defaultJob, "the job's name in Redis, with -redis")
	flag.BoolVar(&cfg.worker, "worker", false, "with -redis: one of several workers sharing the job's articles (start as many as you like, anywhere)")
	flag.BoolVar(&cfg.report, "report", false, "with -redis: print the whole job's report from Redis, running nothing")
	flag.DurationVar(&cfg.lease, "lease", 0, "with -redis: how long after a worker dies its articles go to others (default 15s)")
	flag.BoolVar(&cfg.images, "images", true, "generate a cover image for each article")
	flag.BoolVar(&cfg.batch, "batch", false, "rewrite through the Batch API (about half price, results within 24 h)")
	flag.BoolVar(&cfg.events, "events", false, "write every call, attempt, retry wait, limiter wait and item as a JSON line to stdout")
	flag.BoolVar(&cfg.otelStdout, "otel-stdout", false, "export OpenTelemetry spans and metrics (the otel module's) as JSON to stdout")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv("OPENROUTER_API_KEY"), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "seo:", err, "\n"+openrouter.Hint(err))
		os.Exit(1)
	}
}

// article is one input file.
type article struct {
	Name string // file name without ".md"
	Text string
}

// output is what an article became, kept in the journal.
type output struct {
	Title           string `json:"title"`
	MetaDescription string `json:"meta_description"`
	File            string `json:"file"`
	Cover           string `json:"cover,omitempty"`
	Sections        int    `json:"sections"`
	// Cost is the article's in all; CoverCost its cover's part.
	Cost      float64 `json:"cost"`
	CoverCost float64 `json:"cover_cost,omitempty"`
	// CoverNotes says where the cover differs from what was asked.
	CoverNotes []string `json:"cover_notes,omitempty"`
}

func run(ctx context.Context, out io.Writer, key string, cfg config) error {
	if err := cfg.checkJournalFlags(); err != nil {
		return err
	}
	articles, err := readArticles(cfg.in)
	if err != nil {
		return err
	}
	if cfg.report {
		rdb, err := redisClient(cfg.redis)
		if err != nil {
			return err
		}
		defer rdb.Close()
		return printJob(ctx, out, rdb, cfg, articles)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	// Offline, the fake's batches progress on a clock that each poll moves
	// a minute on, so a batch of a "24 h" window is done in milliseconds.
	clock := openroutertest.NewClock(time.Now())
	srv := demo.Server(out, key, openroutertest.WithLatency(30*time.Millisecond), openroutertest.WithClock(clock.Now))
	if srv != nil {
		defer srv.Close()
	}
	var opts []openrouter.Option
	if cfg.rewriteModel != "" || cfg.imageModel != "" {
		opts = append(opts, openrouter.WithRoles(openrouter.Roles{Rewrite: cfg.rewriteModel, Image: cfg.imageModel}))
	}
	var events io.Writer
	if cfg.events {
		events = out
	}
	obs := newLive(events, time.Now)
	var watch openrouter.Observer = obs // the client's
	var watchRun bulk.Observer = obs    // the runner's
	if cfg.otelStdout {
		var end func()
		if watch, watchRun, ctx, end, err = withOTel(ctx, out, obs); err != nil {
			return err
		}
		defer end() // after the report: the job's span and the metrics' totals
	}
	opts = append(opts, openrouter.WithObserver(watch))
	var rdb *redis.Client
	if cfg.redis != "" {
		if rdb, err = redisClient(cfg.redis); err != nil {
			return err
		}
		defer rdb.Close()
		lim, err := sharedLimiter(rdb, cfg)
		if err != nil {
			return err
		}
		defer lim.Close()
		opts = append(opts, openrouter.WithLimiter(lim))
	}
	c := demo.Client(key, srv, opts...)
	// The catalogue gives each model's context window, so long articles
	// are split only when they must be, and refuses image models that
	// cannot draw before anything is spent.
	if _, err := c.Models(ctx, openrouter.ModelFilter{}); err != nil {
		return fmt.Errorf("reading the model catalogue: %w", err)
	}
	fmt.Fprintf(out, "Rewriting %d articles with %s", len(articles), c.Roles().Rewrite)
	if cfg.images {
		fmt.Fprintf(out, ", covers by %s (%s)", c.Roles().Image, cfg.cover)
	}
	fmt.Fprintf(out, "; results in %s\n", cfg.out)

	j, closeJournal, err := openJournal(ctx, rdb, cfg, articles)
	if err != nil {
		return err
	}
	defer closeJournal()
	b := bulk.Runner[article, output]{
		Journal:     j,
		Workers:     cfg.workers,
		Limiter:     c.Limiter(),
		Key:         func(a article) string { return a.Name },
		SpendingCap: cfg.cap,
		Progress: func(p bulk.Progress) {
			fmt.Fprintf(cfg.progressWriter, "\r%-130s", jobLine(ctx, j, p.Total)+obs.line(p))
		},
		Observer: watchRun,
	}
	rm := bulk.RewriteMode(c, rewriteRequest, openrouter.JSONRepair(1))
	b.Bill = &bulk.Bill[article]{Client: c, Request: rm.Request}
	if cfg.images {
		b.Bill.Images = func(a article) ([]openrouter.ImageRequest, error) {
			// The title is not known before the rewrite: the cover's
			// prompt is priced at the longest title it may carry.
			return []openrouter.ImageRequest{cfg.cover.request(strings.Repeat("W", maxCoverTitle))}, nil
		}
	}
	var rep *bulk.Report[article, output]
	if cfg.batch {
		m := bulk.BatchMode[article, output]{
			Client:  c,
			Request: rm.Request,
			Result: func(ctx context.Context, a article, ans *openrouter.ChatResponse) (output, error) {
				res, err := rm.Result(ctx, a, ans)
				if err != nil {
					return output{}, err
				}
				return finish(ctx, c, cfg, a, res)
			},
			Sync: func(ctx context.Context, a article) (output, error) { return process(ctx, c, cfg, a) },
		}
		if srv != nil {
			m.Wait = openrouter.BatchWait{MinInterval: time.Millisecond, MaxInterval: time.Millisecond,
				OnPoll: func(*openrouter.Batch) { clock.Advance(time.Minute) }}
		}
		rep, err = b.RunBatch(ctx, articles, m)
	} else {
		rep, err = b.Run(ctx, articles, func(ctx context.Context, a article) (output, error) {
			return process(ctx, c, cfg, a)
		})
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(cfg.progressWriter)
	var covers *openrouter.CostEstimate
	if cfg.images && rep.Estimate != nil {
		if covers, err = coverEstimate(ctx, c, cfg, rep); err != nil {
			return err
		}
	}
	report(out, rep, cfg, covers)
	return nil
}

// rewriteRequest is how an article is rewritten.
func rewriteRequest(a article) openrouter.RewriteRequest {
	return openrouter.RewriteRequest{
		Article:      a.Text,
		Format:       "markdown",
		Instructions: "Make it clearer and friendlier for a general audience; keep every fact, link and code block.",
	}
}

// process rewrites one article, draws its cover and writes both.
func process(ctx context.Context, c *openrouter.Client, cfg config, a article) (output, error) {
	res, err := c.Rewrite(ctx, rewriteRequest(a), openrouter.JSONRepair(1))
	if err != nil {
		return output{}, err
	}
	return finish(ctx, c, cfg, a, res)
}

// finish draws the cover of a rewritten article (sync) and writes both.
func finish(ctx context.Context, c *openrouter.Client, cfg config, a article, res *openrouter.RewriteResult) (output, error) {
	o := output{Title: res.Title, MetaDescription: res.MetaDescription, Sections: res.Sections, Cost: res.Cost}
	if cfg.images {
		img, err := c.GenerateImage(ctx, cfg.cover.request(res.Title))
		if err != nil {
			return output{}, fmt.Errorf("cover: %w", err)
		}
		o.Cost += img.Cost()
		o.CoverCost, o.CoverNotes = img.Cost(), img.Mismatches
		if o.Cover, err = img.Images[0].WriteFile(filepath.Join(cfg.out, a.Name+"-cover")); err != nil {
			return output{}, err
		}
	}
	var md strings.Builder
	fmt.Fprintf(&md, "---\ntitle: %q\ndescription: %q\n", res.Title, res.MetaDescription)
	if o.Cover != "" {
		fmt.Fprintf(&md, "cover: %q\n", filepath.Base(o.Cover))
	}
	md.WriteString("---\n\n" + res.Content + "\n")
	o.File = filepath.Join(cfg.out, a.Name+".md")
	return o, os.WriteFile(o.File, []byte(md.String()), 0o644)
}

// report prints what became of every article.
// covers is the covers' part of the estimate (nil without covers).
func report(out io.Writer, rep *bulk.Report[article, output], cfg config, covers *openrouter.CostEstimate) {
	fmt.Fprintf(out, "\n%d articles: %d done, %d failed, %d not attempted in %v; cost $%.4f\n",
		len(rep.Results), rep.Done, rep.Failed, rep.NotAttempted, rep.Elapsed.Round(time.Millisecond), rep.Cost)
	if rep.MaybePaidTwice > 0 || rep.MaybeBilled > 0 || rep.ClaimsLost > 0 {
		fmt.Fprintf(out, "  may have been paid twice: %d articles; billed without an answer: %d; taken over by another worker: %d\n",
			rep.MaybePaidTwice, rep.MaybeBilled, rep.ClaimsLost)
	}
	if cfg.images {
		n, cost := 0, 0.0
		for _, r := range rep.Results {
			if r.Status == bulk.Done && !r.Resumed && r.Value.Cover != "" {
				n, cost = n+1, cost+r.Value.CoverCost
			}
		}
		fmt.Fprintf(out, "  rewrites $%.4f; %d covers $%.4f\n", rep.Cost-cost, n, cost)
	}
	if cfg.batch {
		// The batch results were billed at the batch price; the same
		// tokens sync cost that divided by the discount.
		fmt.Fprintf(out, "  %d rewrites in %d batch(es) ($%.4f at the batch price), %d articles sync; covers sync ($%.4f)\n",
			rep.InBatch, len(rep.Batches), rep.BatchCost, rep.InSync, rep.SyncCost)
		fmt.Fprintf(out, "  the same work in sync mode: $%.4f (this run paid %.2fx)\n",
			rep.BatchCost/openrouter.BatchDiscount+rep.SyncCost, ratio(rep.Cost, rep.BatchCost/openrouter.BatchDiscount+rep.SyncCost))
	}
	if e := rep.Estimate; e != nil && covers != nil {
		fmt.Fprintf(out, "  estimated before the run: at most $%.4f: rewrites $%.4f (%d requests), covers $%.4f (%d images); spent $%.4f\n",
			e.Cost, e.Cost-covers.Cost, e.Requests-covers.Requests, covers.Cost, covers.OutputImages, rep.Cost)
	} else if e != nil {
		fmt.Fprintf(out, "  estimated before the run: at most $%.4f for the rewrites (%d requests); spent $%.4f\n", e.Cost, e.Requests, rep.Cost)
	}
	for _, r := range rep.Results {
		switch r.Status {
		case bulk.Done:
			note := ""
			if r.Value.Sections > 1 {
				note = fmt.Sprintf(" (rewritten in %d sections)", r.Value.Sections)
			}
			if r.Resumed {
				note += " (from the journal)"
			}
			fmt.Fprintf(out, "  done    %-40s -> %s%s\n", r.Key, r.Value.Title, note)
			for _, n := range r.Value.CoverNotes {
				fmt.Fprintf(out, "          cover: %s\n", n)
			}
		case bulk.Failed:
			fmt.Fprintf(out, "  FAILED  %-40s %s\n          %v\n          what to do: %s\n", r.Key, openrouter.ErrorName(r.Err), r.Err, openrouter.Hint(r.Err))
		}
	}
	if rep.Stopped != nil {
		fmt.Fprintf(out, "\nStopped early: %v\n  what to do: %s\n", rep.Stopped, openrouter.Hint(rep.Stopped))
		var names []string
		for _, r := range rep.Results {
			if r.Status == bulk.NotAttempted {
				names = append(names, r.Key)
			}
		}
		fmt.Fprintf(out, "  not attempted (%d): %s\n", len(names), strings.Join(names, ", "))
		fmt.Fprintln(out, "  to resume, fix the cause and run again with the same -journal file: done articles are skipped.")
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// readArticles reads the .md files of dir, or the embedded samples.
func readArticles(dir string) ([]article, error) {
	var fsys fs.FS = os.DirFS(dir)
	if dir == "" {
		sub, err := fs.Sub(samples, "articles")
		if err != nil {
			return nil, err
		}
		fsys = sub
	}
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no .md files in %s", dir)
	}
	sort.Strings(names)
	var out []article
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, article{Name: strings.TrimSuffix(n, ".md"), Text: string(b)})
	}
	return out, nil
}
