module github.com/routerkit/openrouter/examples

go 1.24.0

require github.com/routerkit/openrouter v0.0.0

require (
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	golang.org/x/time v0.14.0 // indirect
)

replace github.com/routerkit/openrouter => ../
