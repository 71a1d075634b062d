//go:build race

package sse

// The race detector allocates beside the code it watches: memory bounds
// are checked with room for it.
const allocSlack = 1.5
