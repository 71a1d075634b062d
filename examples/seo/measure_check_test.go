package main

import (
	"fmt"
	"os/exec"
	"testing"
)

// The kill -9 harness's own checks (TestWorkersKill9 runs them on real
// processes, and only when asked): a crash is not counted as a kill, and
// a job report that breaks an invariant on purpose makes check fail.

// A worker that exits on its own with an error (a crash, a panic) just
// before the harness's SIGKILL is not a kill: the harness must not start
// it again as if it had killed it, which would hide the crash.
func TestKill9HarnessTellsCrashFromKill(t *testing.T) {
	for _, c := range []struct {
		script string
		killed bool
	}{
		{"exit 3", false}, // a crash
		{"exit 0", false}, // ended on its own
		{"kill -9 $$", true},
		{"kill -15 $$", false}, // a signal the harness does not send
	} {
		err := exec.Command("sh", "-c", c.script).Run()
		if got := killedBySIGKILL(err); got != c.killed {
			t.Errorf("sh -c %q ended with %v: killedBySIGKILL = %v, want %v", c.script, err, got, c.killed)
		}
	}
}

// failRecorder is a testing.TB whose Errorf is recorded, not reported.
type failRecorder struct {
	testing.TB
	errs []string
}

func (f *failRecorder) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

// check fails on every invariant broken on purpose: an item run twice
// and billed twice without a report flagging it, an item missing, one in
// the report twice, one ended with another's answer, counts that do not
// add up, an item left running.
func TestKill9HarnessCheckCatchesBreakage(t *testing.T) {
	const items = 4
	good := func() (jobReport, billedAnswer) {
		r := jobReport{total: items, done: items, cost: items * price, titles: map[string][]string{}, failedKeys: map[string]int{}}
		b := billedAnswer{Generations: map[string]int{}, Total: items, Spent: items * price}
		for i := range items {
			k := itemKey(i)
			r.titles[k] = []string{"Rewritten: ITEM[" + k + "]"}
			b.Generations[k] = 1
		}
		return r, b
	}
	for _, c := range []struct {
		name    string
		flagged int
		kills   int
		breakIt func(*jobReport, *billedAnswer)
		fails   bool
	}{
		{name: "good", breakIt: func(*jobReport, *billedAnswer) {}},
		{name: "run twice, not flagged", fails: true, breakIt: func(_ *jobReport, b *billedAnswer) { b.Total++; b.Spent += price }},
		{name: "missing", fails: true, breakIt: func(r *jobReport, _ *billedAnswer) { delete(r.titles, itemKey(1)) }},
		{name: "twice in the report", fails: true, breakIt: func(r *jobReport, _ *billedAnswer) { r.failedKeys[itemKey(2)]++ }},
		{name: "another's answer", fails: true, breakIt: func(r *jobReport, _ *billedAnswer) { r.titles[itemKey(0)] = r.titles[itemKey(3)] }},
		{name: "counts", fails: true, breakIt: func(r *jobReport, _ *billedAnswer) { r.done-- }},
		{name: "running", fails: true, breakIt: func(r *jobReport, _ *billedAnswer) { r.running = 1 }},
	} {
		r, b := good()
		c.breakIt(&r, &b)
		rec := &failRecorder{TB: t}
		m := &measure{t: rec, n: 2, items: items, seed: 1}
		m.check(r, b, c.flagged, c.kills)
		if failed := len(rec.errs) > 0; failed != c.fails {
			t.Errorf("%s: check reported %q, want a failure: %v", c.name, rec.errs, c.fails)
		}
	}
}
