package openrouter_test

import (
	"context"
	"fmt"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

func ExampleClient_ImageModels() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	models, err := c.ImageModels(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range models[:2] {
		fmt.Println(m.ID, m.Architecture.OutputModalities)
	}
	// Output:
	// black-forest-labs/flux.2-pro [image]
	// bytedance-seed/seedream-4.5 [image]
}

func ExampleClient_EmbeddingModels() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	models, err := c.EmbeddingModels(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range models {
		fmt.Println(m.ID, m.ContextLength)
	}
	// Output:
	// openai/text-embedding-3-small 8192
	// openai/text-embedding-3-large 8192
}

func ExampleClient_Providers() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	providers, err := c.Providers(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range providers[:2] {
		fmt.Println(p.Name, p.Slug, p.Headquarters)
	}
	// Output:
	// OpenAI openai US
	// Azure azure US
}

func ExampleClient_UserModels() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	// The catalogue with the account's privacy and provider settings
	// applied: what this key can really use.
	ctx := context.Background()
	usable, err := c.UserModels(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	all, err := c.ModelCount(ctx, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d models usable with this account's settings\n", len(usable), all)
	// Output:
	// 9 of 9 models usable with this account's settings
}

func ExampleKeysService_Update() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	admin := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL))

	ctx := context.Background()
	k, err := admin.Keys.Create(ctx, openrouter.NewKey{Name: "nightly job", Limit: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Raise the job's budget, then switch the key off once the job is done.
	if _, err := admin.Keys.Update(ctx, k.Hash, openrouter.KeyUpdate{Limit: openrouter.Ptr(25.0)}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := admin.Keys.Update(ctx, k.Hash, openrouter.KeyUpdate{Disabled: openrouter.Ptr(true)}); err != nil {
		fmt.Println(err)
		return
	}
	got, err := admin.Keys.Get(ctx, k.Hash)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: limit $%.2f, disabled %v\n", got.Name, *got.Limit, got.Disabled)
	active, err := admin.Keys.List(ctx, openrouter.KeyListOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	all, err := admin.Keys.List(ctx, openrouter.KeyListOptions{IncludeDisabled: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d active key(s), %d in all\n", len(active), len(all))
	// Output:
	// nightly job: limit $25.00, disabled true
	// 0 active key(s), 1 in all
}
