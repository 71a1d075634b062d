// Command image generates one image and writes it as a file with the
// extension of its type: by default in the system's temporary directory
// (it prints where), not in the working directory. It prints the
// estimate before it draws, and what the image is after.
//
//	go run ./examples/image -prompt "a lighthouse at dawn" -out cover
//	go run ./examples/image -model black-forest-labs/flux.2-pro -format webp -compression 75 -size 2K
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
	var req openrouter.ImageRequest
	flag.StringVar(&req.Prompt, "prompt", "A lighthouse at dawn, watercolour", "what to draw")
	flag.StringVar(&req.Model, "model", "", "image model (default: the client's image role; -format needs a model of the image API)")
	flag.StringVar(&req.OutputFormat, "format", "", "webp, jpeg, png or svg (image API models)")
	compression := flag.Int("compression", -1, "0-100, for webp and jpeg (-1: the provider's default)")
	flag.StringVar(&req.Size, "size", "", "resolution tier: 1K, 2K, 4K")
	flag.StringVar(&req.AspectRatio, "aspect", "16:9", "aspect ratio")
	base := flag.String("out", filepath.Join(os.TempDir(), "openrouter-example-image"), "output file, without extension")
	flag.Parse()
	if *compression >= 0 {
		req.OutputCompression = compression
	}
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), req, *base); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, key string, req openrouter.ImageRequest, base string) error {
	srv := demo.Server(out, key)
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)
	if est, err := c.EstimateImageCost(ctx, req); err == nil {
		fmt.Fprintf(out, "estimate: at most $%.4f for %d image(s)\n", est.Cost, est.OutputImages)
	} else if errors.Is(err, openrouter.ErrInvalidRequest) {
		return err // refused before anything is sent: the model does not take what was asked
	} else {
		fmt.Fprintf(out, "no estimate: %v\n", err)
	}
	res, err := c.GenerateImage(ctx, req)
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
	for _, m := range res.Mismatches {
		fmt.Fprintf(out, "not as asked: %s\n", m)
	}
	return nil
}
