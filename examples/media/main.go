// Command media gives an article what a content tool publishes beside it:
// an audio version (speech, checked by transcribing it back), the
// internal links to add (the other articles reranked against it), and a
// short video for social posts (a video job: submit, wait, download).
// With no key it runs offline against the embedded fake server.
//
//	go run ./examples/media                                  # the sample articles of examples/seo, offline
//	go run ./examples/media -article 03-core-web-vitals -out cwv   # writes cwv.mp3 and cwv.mp4
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/media     # real audio and video: billed
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
	"github.com/routerkit/openrouter/openroutertest"
)

type config struct {
	in      string // folder of .md files; "" finds examples/seo/articles
	article string // the article's file name, without .md
	out     string // path prefix of the .mp3 and .mp4 written; "" writes none
}

func main() {
	var cfg config
	flag.StringVar(&cfg.in, "in", "", "folder of Markdown articles (default: the samples of examples/seo)")
	flag.StringVar(&cfg.article, "article", "03-core-web-vitals", "the article, by file name without .md")
	flag.StringVar(&cfg.out, "out", "", "path prefix of the audio (.mp3) and video (.mp4) files; none when empty")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// article is a Markdown file: its name, title (first heading) and text.
type article struct{ name, title, text string }

func readArticles(dir string) ([]article, error) {
	read, err := demo.Articles(dir)
	if err != nil {
		return nil, err
	}
	out := make([]article, len(read))
	for i, a := range read {
		title, _, _ := strings.Cut(a.Text, "\n")
		out[i] = article{name: a.Name, title: strings.TrimPrefix(title, "# "), text: a.Text}
	}
	return out, nil
}

// output returns the file to write path+ext to, or io.Discard.
func output(prefix, ext string) (io.WriteCloser, string, error) {
	if prefix == "" {
		return nopCloser{io.Discard}, "", nil
	}
	f, err := os.Create(prefix + ext)
	return f, prefix + ext, err
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func run(ctx context.Context, out io.Writer, key string, cfg config) error {
	articles, err := readArticles(cfg.in)
	if err != nil {
		return err
	}
	i := sort.Search(len(articles), func(i int) bool { return articles[i].name >= cfg.article })
	if i == len(articles) || articles[i].name != cfg.article {
		return fmt.Errorf("no article %q", cfg.article)
	}
	a := articles[i]
	// Offline, the fake's video job completes at its first poll.
	srv := demo.Server(out, key, openroutertest.WithVideoPolls(1))
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)
	fmt.Fprintf(out, "Article: %s\n", a.title)
	if err := audioVersion(ctx, out, c, a, cfg.out); err != nil {
		return err
	}
	if err := internalLinks(ctx, out, c, a, articles); err != nil {
		return err
	}
	return socialVideo(ctx, out, c, a, cfg.out)
}

// audioVersion speaks the article's first paragraph to prefix.mp3 and
// transcribes it back, as a check.
func audioVersion(ctx context.Context, out io.Writer, c *openrouter.Client, a article, prefix string) error {
	_, body, _ := strings.Cut(a.text, "\n\n")
	para, _, _ := strings.Cut(body, "\n\n")
	f, name, err := output(prefix, ".mp3")
	if err != nil {
		return err
	}
	var audio strings.Builder // kept for the transcription check
	res, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: para,
		Voice: "alloy", Format: openrouter.SpeechMP3}, io.MultiWriter(f, &audio))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("speech: %w (%s)", err, openrouter.Hint(err))
	}
	fmt.Fprintf(out, "Audio: %d bytes of %s %s\n", res.Bytes, res.ContentType, name)
	tr, err := c.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{Model: "openai/whisper-large-v3",
		Reader: strings.NewReader(audio.String()), Language: "en"})
	if err != nil {
		return fmt.Errorf("transcription: %w (%s)", err, openrouter.Hint(err))
	}
	fmt.Fprintf(out, "Transcribed back: %d words, matches the text: %v ($%.6f)\n", len(strings.Fields(tr.Text)), tr.Text == para, tr.Usage.Cost)
	return nil
}

// internalLinks reranks the other articles' titles against the article.
func internalLinks(ctx context.Context, out io.Writer, c *openrouter.Client, a article, all []article) error {
	var titles []string
	for _, o := range all {
		if o.name != a.name {
			titles = append(titles, o.title)
		}
	}
	res, err := c.Rerank(ctx, &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: a.title + "\n" + a.text,
		Documents: openrouter.RerankTexts(titles...), TopN: 3})
	if err != nil {
		return fmt.Errorf("rerank: %w (%s)", err, openrouter.Hint(err))
	}
	fmt.Fprintf(out, "Internal links to add ($%.3f):\n", res.Usage.Cost)
	for _, h := range res.Results {
		fmt.Fprintf(out, "  %.3f  %s\n", h.Score, titles[h.Index])
	}
	return nil
}

// socialVideo generates an 8-second vertical video for the article and
// downloads it to prefix.mp4.
func socialVideo(ctx context.Context, out io.Writer, c *openrouter.Client, a article, prefix string) error {
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "google/veo-3.1",
		Prompt: "A short, calm teaser for a blog post titled: " + a.title, AspectRatio: "9:16", Duration: 8})
	var lost *openrouter.VideoSubmitError
	if errors.As(err, &lost) {
		return fmt.Errorf("%w: not submitting again (token %s)", err, lost.Token)
	}
	if err != nil {
		return fmt.Errorf("video: %w (%s)", err, openrouter.Hint(err))
	}
	fmt.Fprintf(out, "Video job %s: %s\n", job.ID, job.Status)
	job, err = c.Videos.Wait(ctx, job.ID, openrouter.VideoWait{
		OnPoll: func(j *openrouter.VideoJob) { fmt.Fprintf(out, "  polled: %s\n", j.Status) }})
	if err != nil {
		return fmt.Errorf("waiting for the video: %w", err)
	}
	if err := job.Err(); err != nil {
		return err
	}
	f, name, err := output(prefix, ".mp4")
	if err != nil {
		return err
	}
	n, err := c.Videos.Download(ctx, job.ID, 0, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("downloading the video: %w", err)
	}
	fmt.Fprintf(out, "Video: %d bytes %s, $%.2f\n", n, name, *job.Usage.Cost)
	fmt.Fprintf(out, "Spent in all: $%.4f (speech is billed too: see Client.Generation)\n", c.Spent())
	return nil
}
