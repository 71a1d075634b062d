//go:build !race

package sse

// allocSlack widens the memory bounds of tests run with the race
// detector, which allocates beside the code it watches.
const allocSlack = 1.0
