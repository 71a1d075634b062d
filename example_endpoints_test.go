package openrouter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

func ExampleClient_Embed() {
	srv := openroutertest.NewServer() // a fake OpenRouter; its vectors are hashed bags of words
	defer srv.Close()
	c := srv.Client()

	titles := []string{
		"How to feed a sourdough starter",
		"Index funds for beginners",
		"Baking sourdough bread with a starter",
	}
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{
		Model: "openai/text-embedding-3-small",
		Input: titles,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	best, pair := -1.0, [2]int{}
	for i := range titles {
		for j := i + 1; j < len(titles); j++ {
			if s := openrouter.Cosine(res.Vectors[i], res.Vectors[j]); s > best {
				best, pair = s, [2]int{i, j}
			}
		}
	}
	fmt.Printf("%d vectors of %d dimensions\n", len(res.Vectors), len(res.Vectors[0]))
	fmt.Printf("link %q with %q\n", titles[pair[0]], titles[pair[1]])
	// Output:
	// 3 vectors of 256 dimensions
	// link "How to feed a sourdough starter" with "Baking sourdough bread with a starter"
}

// A bulk job creates a key of its own, capped at its budget: OpenRouter
// enforces the cap across processes and crashes, where a client-side cap
// holds only in one process. Creating keys needs a management key.
func ExampleKeysService_Create() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	admin := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL))

	ctx := context.Background()
	k, err := admin.Keys.Create(ctx, openrouter.NewKey{Name: "nightly blog rewrite", Limit: 20, LimitReset: "daily"})
	if err != nil {
		fmt.Println(err, openrouter.Hint(err))
		return
	}
	fmt.Printf("key %q: limit $%.2f, reset %s\n", k.Name, *k.Limit, k.LimitReset)
	fmt.Println("printed, the secret is", k.Secret)

	job := openrouter.NewClient(k.Secret.Reveal()) // the job's client, pointed at OpenRouter
	_ = job

	// When the job is done, the key goes.
	if err := admin.Keys.Delete(ctx, k.Hash); err != nil {
		fmt.Println(err)
	}
	// Output:
	// key "nightly blog rewrite": limit $20.00, reset daily
	// printed, the secret is [redacted]
}

// Reconcile what a job counted with what OpenRouter billed.
func ExampleClient_Activity() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	yesterday := time.Now().UTC().AddDate(0, 0, -1)
	srv.AddActivity(
		openroutertest.ActivityRow{Date: yesterday.Format("2006-01-02"), Model: "openai/gpt-4o-mini", Usage: 1.20, Requests: 400},
		openroutertest.ActivityRow{Date: yesterday.Format("2006-01-02"), Model: "google/gemini-2.5-flash-image", Usage: 0.80, Requests: 20},
	)
	c := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL))

	rows, err := c.Activity(context.Background(), openrouter.ActivityFilter{Date: yesterday})
	if err != nil {
		fmt.Println(err, openrouter.Hint(err))
		return
	}
	counted := 1.95 // what the job's own Client.Spent said
	fmt.Printf("billed $%.2f, counted $%.2f, gap $%.2f\n", rows.Total(), counted, rows.Total()-counted)
	for _, r := range rows {
		fmt.Printf("  %s: %d requests, $%.2f\n", r.Model, r.Requests, r.Usage)
	}
	// Output:
	// billed $2.00, counted $1.95, gap $0.05
	//   google/gemini-2.5-flash-image: 20 requests, $0.80
	//   openai/gpt-4o-mini: 400 requests, $1.20
}

func ExampleClient_ModelEndpoints() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	m, err := c.ModelEndpoints(context.Background(), "mistralai/mistral-nemo")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range m.Endpoints {
		fmt.Printf("%-10s %-5s $%.2f/M input, %.0f%% off, up %.1f%%\n", e.ProviderName, e.Quantization,
			e.Pricing.Prompt*1e6, e.Discount*100, e.UptimeLast30m)
	}
	// Output:
	// Mistral    bf16  $0.02/M input, 0% off, up 99.9%
	// DeepInfra  fp8   $0.02/M input, 20% off, up 97.5%
}

// Image-only models are served by the image API alone; GenerateImage
// finds them there.
func ExampleClient_GenerateImage_imageOnlyModel() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{
		Model:  "bytedance-seed/seedream-4.5",
		Prompt: "a red panda astronaut, studio lighting",
		N:      2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d images, %s %dx%d, $%.2f\n", len(res.Images), res.Images[0].MIME, res.Images[0].Width, res.Images[0].Height, res.Cost())
	// Output:
	// 2 images, image/png 64x64, $0.08
}
