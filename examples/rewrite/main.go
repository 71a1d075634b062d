// Command rewrite rewrites one article into validated JSON (title, meta
// description, content) and prints it.
//
//	go run ./examples/rewrite                 # a built-in article, offline
//	go run ./examples/rewrite -file post.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
)

const sample = "# Backups nobody tests\n\nA backup you have never restored is a hope, not a backup. Schedule a restore drill every month: restore last night's backup to a scratch server and run the application's smoke tests against it.\n"

func main() {
	file := flag.String("file", "", "a Markdown article (default: a short built-in one)")
	flag.Parse()
	text := sample
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		text = string(b)
	}
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), text); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, key, text string) error {
	srv := demo.Server(out, key)
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)
	res, err := c.Rewrite(ctx, openrouter.RewriteRequest{Article: text, Instructions: "Friendlier, for beginners."}, openrouter.JSONRepair(1))
	var bad *openrouter.UnparseableError
	switch {
	case errors.As(err, &bad):
		return fmt.Errorf("the model's answer was not valid: %s %v\n%s", bad.Reason, bad.Violations, openrouter.Hint(err))
	case err != nil:
		return fmt.Errorf("%w\n%s", err, openrouter.Hint(err))
	}
	fmt.Fprintf(out, "Title: %s\nMeta:  %s\n(%s, %d section(s), %d attempt(s), $%.6f)\n\n%s\n",
		res.Title, res.MetaDescription, res.Model, res.Sections, res.Attempts, res.Cost, res.Content)
	return nil
}
