module github.com/routerkit/openrouter

go 1.24.0

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/time v0.14.0
)
