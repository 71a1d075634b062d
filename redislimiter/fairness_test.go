package redislimiter

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

// Item 5: waiters are served in the order they came, across processes.
// Each waiter joins the queue only once the one before it has been told
// to wait, so the order they came in is known; the slot is then handed on
// one at a time.
func TestWaitersServedInOrder(t *testing.T) {
	s := startRedis(t)
	// A long Redis timeout: on a loaded machine a slow answer must not
	// send a waiter to the in-process fallback, which keeps no order.
	a := newLimiter(t, client(t, s.addr()), "fair", LimitInFlight(1), WithRedisTimeout(10*time.Second))
	b := newLimiter(t, client(t, s.addr()), "fair", LimitInFlight(1), WithRedisTimeout(10*time.Second))
	var mu sync.Mutex
	seen := map[string]bool{}
	queued := make(chan struct{}, 1)
	hook := func(id string) {
		mu.Lock()
		defer mu.Unlock()
		if !seen[id] {
			seen[id] = true
			queued <- struct{}{}
		}
	}
	a.waitHook, b.waitHook = hook, hook
	holder, err := a.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	var order []int
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		l := []*Limiter{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			r(openrouter.Outcome{StatusCode: 200})
		}()
		<-queued // waiter i is in the queue
	}
	holder(openrouter.Outcome{StatusCode: 200})
	wg.Wait()
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(order, want) {
		t.Errorf("served in the order %v, want %v", order, want)
	}
}
