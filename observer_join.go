package openrouter

import "context"

// JoinObservers returns one Observer that tells every event to each of
// obs in turn, in the order given: a progress display and the
// OpenTelemetry module's observer, say, on one client.
//
// CallStart threads the call's context through the members: each one's
// CallStart gets the context the one before it returned (a member that
// returns nil leaves it as it was), and every later event of the call
// gets the last one, so each member finds its own values (its span) in
// it.
//
// The joined Observer has the methods of [LimiterObserver],
// [StreamObserver], [RecoveryObserver], [TraceObserver] and
// [ContentObserver] (a member counts for it when its WantsContent is
// true); an event of
// one of them goes only to the members that implement it, and
// [WithObserver] sees only the extensions some member has (the client
// does no work for the others). BroadcastTrace returns the first non-nil
// trace, in the members' order.
//
// Nil members are skipped, and a member that JoinObservers returned
// counts as its members. JoinObservers returns nil (no observer) when no
// member is left, and the member itself when one is.
func JoinObservers(obs ...Observer) Observer {
	j := &joinedObservers{}
	for _, o := range obs {
		if inner, ok := o.(*joinedObservers); ok {
			for _, m := range inner.all {
				j.add(m)
			}
		} else if o != nil {
			j.add(o)
		}
	}
	switch len(j.all) {
	case 0:
		return nil
	case 1:
		return j.all[0]
	}
	return j
}

// add adds o to j's members, and to those of each extension it has.
func (j *joinedObservers) add(o Observer) {
	j.all = append(j.all, o)
	if lo, ok := o.(LimiterObserver); ok {
		j.limiter = append(j.limiter, lo)
	}
	if so, ok := o.(StreamObserver); ok {
		j.stream = append(j.stream, so)
	}
	if ro, ok := o.(RecoveryObserver); ok {
		j.recovery = append(j.recovery, ro)
	}
	if to, ok := o.(TraceObserver); ok {
		j.trace = append(j.trace, to)
	}
	if co, ok := o.(ContentObserver); ok && co.WantsContent() {
		j.content = append(j.content, co)
	}
}

// joinedObservers is JoinObservers' Observer: its members, and those of
// them that implement each extension.
type joinedObservers struct {
	all      []Observer
	limiter  []LimiterObserver
	stream   []StreamObserver
	recovery []RecoveryObserver
	trace    []TraceObserver
	content  []ContentObserver // those whose WantsContent is true
}

// extensions returns the extensions that at least one member has, for
// WithObserver: the others stay nil, as for a single observer without
// them.
func (j *joinedObservers) extensions() observers {
	var x observers
	if len(j.limiter) > 0 {
		x.limiter = j
	}
	if len(j.stream) > 0 {
		x.stream = j
	}
	if len(j.recovery) > 0 {
		x.recovery = j
	}
	if len(j.trace) > 0 {
		x.trace = j
	}
	if len(j.content) > 0 {
		x.content = j
	}
	return x
}

// CallStart implements [Observer].
func (j *joinedObservers) CallStart(ctx context.Context, e CallStart) context.Context {
	for _, o := range j.all {
		if c := o.CallStart(ctx, e); c != nil {
			ctx = c
		}
	}
	return ctx
}

// AttemptStart implements [Observer].
func (j *joinedObservers) AttemptStart(ctx context.Context, e AttemptStart) {
	for _, o := range j.all {
		o.AttemptStart(ctx, e)
	}
}

// AttemptEnd implements [Observer].
func (j *joinedObservers) AttemptEnd(ctx context.Context, e AttemptEnd) {
	for _, o := range j.all {
		o.AttemptEnd(ctx, e)
	}
}

// RetryWait implements [Observer].
func (j *joinedObservers) RetryWait(ctx context.Context, e RetryWait) {
	for _, o := range j.all {
		o.RetryWait(ctx, e)
	}
}

// CallEnd implements [Observer].
func (j *joinedObservers) CallEnd(ctx context.Context, e CallEnd) {
	for _, o := range j.all {
		o.CallEnd(ctx, e)
	}
}

// LimiterWait implements [LimiterObserver] for the members that do.
func (j *joinedObservers) LimiterWait(ctx context.Context, e LimiterWait) {
	for _, o := range j.limiter {
		o.LimiterWait(ctx, e)
	}
}

// RateChange implements [LimiterObserver] for the members that do.
func (j *joinedObservers) RateChange(ctx context.Context, e RateChange) {
	for _, o := range j.limiter {
		o.RateChange(ctx, e)
	}
}

// FirstChunk implements [StreamObserver] for the members that do.
func (j *joinedObservers) FirstChunk(ctx context.Context, e FirstChunk) {
	for _, o := range j.stream {
		o.FirstChunk(ctx, e)
	}
}

// Recovery implements [RecoveryObserver] for the members that do.
func (j *joinedObservers) Recovery(ctx context.Context, e Recovery) {
	for _, o := range j.recovery {
		o.Recovery(ctx, e)
	}
}

// BroadcastTrace implements [TraceObserver]: the first non-nil trace of
// the members that implement it.
func (j *joinedObservers) BroadcastTrace(ctx context.Context) *Trace {
	for _, o := range j.trace {
		if t := o.BroadcastTrace(ctx); t != nil {
			return t
		}
	}
	return nil
}

// WantsContent implements [ContentObserver]: whether a member records
// content.
func (j *joinedObservers) WantsContent() bool { return len(j.content) > 0 }

// CallContent implements [ContentObserver] for the members that record
// content.
func (j *joinedObservers) CallContent(ctx context.Context, e CallContent) {
	for _, o := range j.content {
		o.CallContent(ctx, e)
	}
}
