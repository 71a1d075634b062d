// Command image generates one image and writes it as a file with the
// extension of its type: by default in the system's temporary directory
// (it prints where), not in the working directory.
//
//	go run ./examples/image -prompt "a lighthouse at dawn" -out cover
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
)

func main() {
	prompt := flag.String("prompt", "A lighthouse at dawn, watercolour", "what to draw")
	base := flag.String("out", filepath.Join(os.TempDir(), "openrouter-example-image"), "output file, without extension")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), *prompt, *base); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, key, prompt, base string) error {
	srv := demo.Server(out, key)
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)
	res, err := c.GenerateImage(ctx, openrouter.ImageRequest{Prompt: prompt, AspectRatio: "16:9"})
	var noImage *openrouter.NoImageError
	switch {
	case errors.As(err, &noImage):
		return fmt.Errorf("no image: %v\n%s", err, openrouter.Hint(err))
	case err != nil:
		return fmt.Errorf("%w\n%s", err, openrouter.Hint(err))
	}
	img := res.Images[0]
	path, err := img.WriteFile(base)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %s, %dx%d, %d bytes, $%.4f\n", path, img.MIME, img.Width, img.Height, len(img.Data), res.Cost())
	return nil
}
