package bulk_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/routerkit/openrouter/bulk"
)

// joinLog is a bulk.Observer that writes each event it sees, with its
// name, to a shared log (not safe for concurrent use: a Runner of one
// worker).
type joinLog struct {
	name string
	log  *[]string
}

func (o joinLog) add(event string) { *o.log = append(*o.log, o.name+" "+event) }

func (o joinLog) ItemStarted(_ context.Context, e bulk.ItemStarted) { o.add("started " + e.Key) }
func (o joinLog) ItemEnded(_ context.Context, e bulk.ItemEnded)     { o.add("ended " + e.Key) }
func (o joinLog) RunEnded(_ context.Context, e bulk.RunEnded) {
	o.add(fmt.Sprint("run ended ", e.Done))
}

// joinBatch also sees batches, joinHold the run's waits, joinBoth both.
type (
	joinBatch struct{ joinLog }
	joinHold  struct{ joinLog }
	joinBoth  struct{ joinLog }
)

func (o joinBatch) BatchEvent(_ context.Context, e bulk.BatchEvent) {
	o.add("batch " + string(e.Phase))
}
func (o joinHold) RunHeld(_ context.Context, e bulk.RunHeld)       { o.add("held " + e.Cause) }
func (o joinBoth) BatchEvent(_ context.Context, e bulk.BatchEvent) { o.add("batch " + string(e.Phase)) }
func (o joinBoth) RunHeld(_ context.Context, e bulk.RunHeld)       { o.add("held " + e.Cause) }

// Every event goes to the members in their order; a BatchEvent or RunHeld
// only to the members that implement it.
func TestJoinObserversForwards(t *testing.T) {
	var log []string
	j := bulk.JoinObservers(joinBoth{joinLog{"a", &log}}, joinLog{"b", &log}, joinBatch{joinLog{"c", &log}}, joinHold{joinLog{"d", &log}})
	ctx := context.Background()
	j.ItemStarted(ctx, bulk.ItemStarted{Key: "k"})
	j.(bulk.BatchObserver).BatchEvent(ctx, bulk.BatchEvent{Phase: bulk.BatchSubmitted})
	j.(bulk.HoldObserver).RunHeld(ctx, bulk.RunHeld{Cause: bulk.HeldForRetry})
	j.ItemEnded(ctx, bulk.ItemEnded{Key: "k"})
	j.RunEnded(ctx, bulk.RunEnded{Done: 1})
	want := []string{
		"a started k", "b started k", "c started k", "d started k",
		"a batch submitted", "c batch submitted",
		"a held retry_pass", "d held retry_pass",
		"a ended k", "b ended k", "c ended k", "d ended k",
		"a run ended 1", "b run ended 1", "c run ended 1", "d run ended 1",
	}
	if !slices.Equal(log, want) {
		t.Errorf("events:\n%q\nwant\n%q", log, want)
	}
}

// The joined Observer has BatchObserver and HoldObserver only when a
// member does: the runner finds no extension that nobody listens to.
func TestJoinObserversExtensions(t *testing.T) {
	var log []string
	plain, batch, hold := joinLog{"p", &log}, joinBatch{joinLog{"b", &log}}, joinHold{joinLog{"h", &log}}
	for _, tc := range []struct {
		name        string
		obs         []bulk.Observer
		batch, hold bool
	}{
		{"plain", []bulk.Observer{plain, plain}, false, false},
		{"batch", []bulk.Observer{plain, batch}, true, false},
		{"hold", []bulk.Observer{hold, plain}, false, true},
		{"both", []bulk.Observer{batch, hold}, true, true},
	} {
		j := bulk.JoinObservers(tc.obs...)
		_, isBatch := j.(bulk.BatchObserver)
		_, isHold := j.(bulk.HoldObserver)
		if isBatch != tc.batch || isHold != tc.hold {
			t.Errorf("%s: BatchObserver %v, HoldObserver %v; want %v, %v", tc.name, isBatch, isHold, tc.batch, tc.hold)
		}
	}
}

// Nil members are skipped; none left is no observer, one is itself.
func TestJoinObserversNilAndOne(t *testing.T) {
	var log []string
	b := joinHold{joinLog{"b", &log}}
	if got := bulk.JoinObservers(nil, nil); got != nil {
		t.Errorf("JoinObservers(nil, nil) = %v, want nil", got)
	}
	if got := bulk.JoinObservers(nil, b); got != bulk.Observer(b) {
		t.Errorf("JoinObservers(nil, b) = %#v, want b itself", got)
	}
}

// On a Runner, both members see each item and the run's end.
func TestJoinObserversOnRunner(t *testing.T) {
	var log []string
	r := bulk.Runner[string, string]{Workers: 1, Key: func(s string) string { return s },
		Observer: bulk.JoinObservers(joinLog{"a", &log}, joinLog{"b", &log})}
	if _, err := r.Run(context.Background(), []string{"x"}, func(_ context.Context, s string) (string, error) { return s, nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{"a started x", "b started x", "a ended x", "b ended x", "a run ended 1", "b run ended 1"}
	if !slices.Equal(log, want) {
		t.Errorf("events %q, want %q", log, want)
	}
}

// A count of the items done, and a line at the run's end, on one Runner.
func ExampleJoinObservers() {
	counter := &doneCounter{}
	r := bulk.Runner[string, string]{Workers: 1, Observer: bulk.JoinObservers(counter, endPrinter{})}
	_, err := r.Run(context.Background(), []string{"a", "b"}, func(_ context.Context, s string) (string, error) {
		return s, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("items ended:", counter.n)
	// Output:
	// run ended: done 2, failed 0
	// items ended: 2
}

// quiet is a bulk.Observer that does nothing; the example's observers
// embed it and define only what they use.
type quiet struct{}

func (quiet) ItemStarted(context.Context, bulk.ItemStarted) {}
func (quiet) ItemEnded(context.Context, bulk.ItemEnded)     {}
func (quiet) RunEnded(context.Context, bulk.RunEnded)       {}

// doneCounter counts the items' ends (an example's: not safe for
// concurrent use; the Runner has one worker).
type doneCounter struct {
	quiet
	n int
}

func (o *doneCounter) ItemEnded(context.Context, bulk.ItemEnded) { o.n++ }

// endPrinter prints the run's end.
type endPrinter struct{ quiet }

func (endPrinter) RunEnded(_ context.Context, e bulk.RunEnded) {
	fmt.Printf("run ended: done %d, failed %d\n", e.Done, e.Failed)
}
