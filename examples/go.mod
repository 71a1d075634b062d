module github.com/routerkit/openrouter/examples

go 1.24.0

require (
	github.com/alicebob/miniredis/v2 v2.40.0
	github.com/redis/go-redis/v9 v9.17.3
	github.com/routerkit/openrouter v0.0.0
	github.com/routerkit/openrouter/redislimiter v0.0.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
	github.com/yuin/gopher-lua v1.1.1 // indirect
)

require (
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	golang.org/x/time v0.14.0 // indirect
)

replace github.com/routerkit/openrouter => ../

replace github.com/routerkit/openrouter/redislimiter => ../redislimiter
