package bulk

import "context"

// JoinObservers returns one Observer that tells every event to each of
// obs in turn, in the order given: a progress display and the
// OpenTelemetry module's observer, say, on one Runner.
//
// The joined Observer implements [BatchObserver] and [HoldObserver] only
// when at least one member does, and an event of one of them goes only
// to the members that implement it.
//
// Nil members are skipped. JoinObservers returns nil (no observer) when
// no member is left, and the member itself when one is.
func JoinObservers(obs ...Observer) Observer {
	j := &joined{}
	for _, o := range obs {
		if o == nil {
			continue
		}
		j.all = append(j.all, o)
		if bo, ok := o.(BatchObserver); ok {
			j.batch = append(j.batch, bo)
		}
		if ho, ok := o.(HoldObserver); ok {
			j.hold = append(j.hold, ho)
		}
	}
	switch {
	case len(j.all) == 0:
		return nil
	case len(j.all) == 1:
		return j.all[0]
	case len(j.batch) > 0 && len(j.hold) > 0:
		return joinedBatchHold{j}
	case len(j.batch) > 0:
		return joinedBatch{j}
	case len(j.hold) > 0:
		return joinedHold{j}
	}
	return j
}

// joined is JoinObservers' Observer: its members, and those of them that
// implement each extension. The types below add the extensions its
// members have, so that the runner finds no other.
type joined struct {
	all   []Observer
	batch []BatchObserver
	hold  []HoldObserver
}

type (
	joinedBatch     struct{ *joined }
	joinedHold      struct{ *joined }
	joinedBatchHold struct{ *joined }
)

// ItemStarted implements [Observer].
func (j *joined) ItemStarted(ctx context.Context, e ItemStarted) {
	for _, o := range j.all {
		o.ItemStarted(ctx, e)
	}
}

// ItemEnded implements [Observer].
func (j *joined) ItemEnded(ctx context.Context, e ItemEnded) {
	for _, o := range j.all {
		o.ItemEnded(ctx, e)
	}
}

// RunEnded implements [Observer].
func (j *joined) RunEnded(ctx context.Context, e RunEnded) {
	for _, o := range j.all {
		o.RunEnded(ctx, e)
	}
}

func (j *joined) batchEvent(ctx context.Context, e BatchEvent) {
	for _, o := range j.batch {
		o.BatchEvent(ctx, e)
	}
}

func (j *joined) runHeld(ctx context.Context, e RunHeld) {
	for _, o := range j.hold {
		o.RunHeld(ctx, e)
	}
}

// BatchEvent implements [BatchObserver] for the members that do.
func (j joinedBatch) BatchEvent(ctx context.Context, e BatchEvent) { j.batchEvent(ctx, e) }

// RunHeld implements [HoldObserver] for the members that do.
func (j joinedHold) RunHeld(ctx context.Context, e RunHeld) { j.runHeld(ctx, e) }

// BatchEvent implements [BatchObserver] for the members that do.
func (j joinedBatchHold) BatchEvent(ctx context.Context, e BatchEvent) { j.batchEvent(ctx, e) }

// RunHeld implements [HoldObserver] for the members that do.
func (j joinedBatchHold) RunHeld(ctx context.Context, e RunHeld) { j.runHeld(ctx, e) }
