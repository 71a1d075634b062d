package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func jpegImage(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 30, 20)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGenerateImage(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "A red panda astronaut", AspectRatio: "16:9", Size: "2K"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Images) != 1 {
		t.Fatalf("%d images", len(res.Images))
	}
	img := res.Images[0]
	if !bytes.Equal(img.Data, ort.PNG) || img.MIME != "image/png" || img.Width != 64 || img.Height != 64 || img.Ext() != ".png" {
		t.Errorf("image = %s %dx%d, %d bytes", img.MIME, img.Width, img.Height, len(img.Data))
	}
	if res.Text != "Here is your image." || res.Model != "google/gemini-2.5-flash-image" || res.Cost() <= 0 || res.ID == "" {
		t.Errorf("result = %+v", res)
	}
	r := srv.Requests()[0]
	if diff := cmp.Diff(map[string]any{"aspect_ratio": "16:9", "image_size": "2K"}, r.ImageConfig); diff != "" {
		t.Errorf("image_config sent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"image", "text"}, r.Modalities); diff != "" {
		t.Errorf("modalities sent (-want +got):\n%s", diff)
	}
}

func TestGenerateImageAnswers(t *testing.T) {
	t.Parallel()
	jpg := jpegImage(t)
	broken := "data:image/png;base64,iVBORw0K@@@"
	cases := []struct {
		name    string
		reply   ort.Reply
		images  int
		skipped int
		check   func(t *testing.T, res *openrouter.ImageResult)
	}{
		{"several", ort.ImageReply("two", ort.PNGDataURL, ort.DataURL("image/jpeg", jpg)), 2, 0, func(t *testing.T, res *openrouter.ImageResult) {
			if res.Images[1].MIME != "image/jpeg" || res.Images[1].Width != 30 || res.Images[1].Ext() != ".jpg" {
				t.Errorf("second image = %+v", res.Images[1])
			}
		}},
		{"wrong MIME", ort.ImageReply("", ort.DataURL("image/jpeg", ort.PNG)), 1, 0, func(t *testing.T, res *openrouter.ImageResult) {
			if img := res.Images[0]; img.MIME != "image/png" || img.DeclaredMIME != "image/jpeg" || img.Ext() != ".png" {
				t.Errorf("image = %s (declared %s)", img.MIME, img.DeclaredMIME)
			}
		}},
		{"one broken beside a good one", ort.ImageReply("", broken, ort.PNGDataURL), 1, 1, func(t *testing.T, res *openrouter.ImageResult) {
			if !strings.Contains(res.Skipped[0].Error(), "base64") {
				t.Errorf("skipped = %v", res.Skipped)
			}
		}},
		{"https URL", ort.ImageReply("", "https://cdn.example.com/x.png"), 1, 0, func(t *testing.T, res *openrouter.ImageResult) {
			img := res.Images[0]
			if img.URL != "https://cdn.example.com/x.png" || img.Data != nil {
				t.Errorf("image = %+v", img)
			}
			if _, err := img.WriteTo(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "URL") {
				t.Errorf("WriteTo of a URL image: %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _ := setup(t, nil)
			srv.Enqueue(tc.reply)
			res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Images) != tc.images || len(res.Skipped) != tc.skipped {
				t.Fatalf("%d images, %d skipped; want %d, %d", len(res.Images), len(res.Skipped), tc.images, tc.skipped)
			}
			tc.check(t, res)
		})
	}
}

func TestGenerateImageNoImage(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		reply ort.Reply
		says  string
	}{
		"text only":         {ort.TextReply("I can't draw real people. Shall I draw a cartoon instead?"), "Shall I draw a cartoon"},
		"only a broken one": {ort.ImageReply("", "data:image/png;base64,@@@"), "could not be decoded"},
		"not an image":      {ort.ImageReply("", ort.DataURL("image/png", []byte("hello world, not an image"))), "unknown image format"},
		"refused":           {ort.EmptyReply("content_filter"), "content_filter"},
	} {
		srv, c, _ := setup(t, nil)
		srv.Enqueue(tc.reply)
		_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x"})
		var e *openrouter.NoImageError
		if !errors.As(err, &e) || !errors.Is(err, openrouter.ErrNoImage) {
			t.Fatalf("%s: err = %v, want *NoImageError", name, err)
		}
		if !strings.Contains(err.Error(), tc.says) || e.NotSent || e.Usage == nil {
			t.Errorf("%s: err = %v (%+v)", name, err, e)
		}
		assertSentinels(t, err, "ErrNoImage")
	}
}

func TestGenerateImageRefusedByCatalogue(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	req := openrouter.ImageRequest{Prompt: "x", Model: "openai/gpt-4o-mini"}
	// The catalogue is unknown: the request goes, and the text answer is
	// no image.
	_, err := c.GenerateImage(context.Background(), req)
	var e *openrouter.NoImageError
	if !errors.As(err, &e) || e.NotSent || e.CatalogueKnown || len(srv.Requests()) != 1 {
		t.Fatalf("without the catalogue: %v (%+v)", err, e)
	}
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GenerateImage(context.Background(), req)
	if !errors.As(err, &e) || !e.NotSent || !e.CatalogueKnown || e.CatalogueImageOutput || len(srv.Requests()) != 1 {
		t.Fatalf("with the catalogue: %v (%+v), %d requests", err, e, len(srv.Requests()))
	}
	req.SkipModelCheck = true
	_, err = c.GenerateImage(context.Background(), req)
	if !errors.As(err, &e) || e.NotSent || !e.CatalogueKnown || len(srv.Requests()) != 2 || !strings.Contains(err.Error(), "lists no image output") {
		t.Fatalf("with SkipModelCheck: %v (%+v)", err, e)
	}
}

func TestGenerateImageOnlyModel(t *testing.T) {
	t.Parallel()
	flux := ort.DefaultModels()[7]
	flux.ID, flux.Architecture.OutputModalities = "black-forest-labs/flux.2-pro", []string{"image"}
	srv, c, _ := setup(t, []ort.Option{ort.WithModels(append(ort.DefaultModels(), flux)...)})
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x", Model: flux.ID}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[0].Modalities; len(got) != 1 || got[0] != "image" {
		t.Errorf("modalities for an image-only model = %v", got)
	}
}

func TestGenerateImageInputs(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "Make it blue",
		Inputs: []openrouter.ImageInput{{Data: ort.PNG}, {URL: "https://example.com/in.jpg"}}})
	if err != nil {
		t.Fatal(err)
	}
	parts := srv.Requests()[0].Body["messages"].([]any)[0].(map[string]any)["content"].([]any)
	if len(parts) != 3 || parts[1].(map[string]any)["image_url"].(map[string]any)["url"] != ort.PNGDataURL ||
		parts[2].(map[string]any)["image_url"].(map[string]any)["url"] != "https://example.com/in.jpg" {
		t.Errorf("parts sent = %v", parts)
	}
}

func TestGenerateImageInvalid(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	for name, req := range map[string]openrouter.ImageRequest{
		"no prompt":     {Prompt: " "},
		"aspect ratio":  {Prompt: "x", AspectRatio: "wide"},
		"size":          {Prompt: "x", Size: "huge"},
		"input both":    {Prompt: "x", Inputs: []openrouter.ImageInput{{Data: ort.PNG, URL: "https://x"}}},
		"input neither": {Prompt: "x", Inputs: []openrouter.ImageInput{{}}},
		"input bytes":   {Prompt: "x", Inputs: []openrouter.ImageInput{{Data: []byte("text")}}},
	} {
		if _, err := c.GenerateImage(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestGenerateImageErrors(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ErrorReply(402, "Insufficient credits"))
	_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x"})
	assertSentinels(t, err, "ErrInsufficientCredits")
	// Inside a 200, or a 200 that cannot be used: maybe billed.
	srv.Enqueue(ort.Reply{Images: []string{ort.PNGDataURL}, ChoiceError: &ort.ErrorBody{Code: 502, Message: "Provider disconnected"}})
	_, err = c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x"})
	assertSentinels(t, err, "ErrServer", "ErrMaybeBilled")
	srv.Enqueue(ort.RawReply(200, `<html><title>Bad gateway</title></html>`))
	_, err = c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x"})
	assertSentinels(t, err, "ErrServer", "ErrMaybeBilled")
}

func TestGenerateLargeImage(t *testing.T) {
	t.Parallel()
	big := ort.LargePNG(8 << 20)
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ImageReply("", ort.DataURL("image/png", big)))
	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Images[0].Data, big) || res.Images[0].Width != 1449 {
		t.Errorf("8 MB image: %d bytes, %d wide", len(res.Images[0].Data), res.Images[0].Width)
	}
}

func TestImageWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	img := openrouter.Image{Data: ort.PNG, MIME: "image/png"}
	for base, want := range map[string]string{"cover": "cover.png", "cover.png": "cover.png", "photo.PNG": "photo.PNG"} {
		path, err := img.WriteFile(filepath.Join(dir, base))
		if err != nil || path != filepath.Join(dir, want) {
			t.Errorf("WriteFile(%q) = %q, %v", base, path, err)
			continue
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, ort.PNG) {
			t.Errorf("%s holds %d bytes", path, len(got))
		}
	}
	var buf bytes.Buffer
	if n, err := img.WriteTo(&buf); err != nil || n != int64(len(ort.PNG)) {
		t.Errorf("WriteTo = %d, %v", n, err)
	}
}
