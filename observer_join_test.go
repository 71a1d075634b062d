package openrouter_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// joinLog is an Observer that writes each event it sees, with its name,
// to a shared log; it returns ctx with its name added to the names seen.
type joinLog struct {
	name string
	log  *[]string
}

type joinNamesKey struct{}

func (o joinLog) add(event string) { *o.log = append(*o.log, o.name+" "+event) }

func (o joinLog) CallStart(ctx context.Context, _ openrouter.CallStart) context.Context {
	prev, _ := ctx.Value(joinNamesKey{}).(string)
	o.add("call start after [" + prev + "]")
	return context.WithValue(ctx, joinNamesKey{}, prev+o.name)
}
func (o joinLog) AttemptStart(context.Context, openrouter.AttemptStart) { o.add("attempt start") }
func (o joinLog) AttemptEnd(context.Context, openrouter.AttemptEnd)     { o.add("attempt end") }
func (o joinLog) RetryWait(context.Context, openrouter.RetryWait)       { o.add("retry wait") }
func (o joinLog) CallEnd(ctx context.Context, _ openrouter.CallEnd) {
	names, _ := ctx.Value(joinNamesKey{}).(string)
	o.add("call end in [" + names + "]")
}

// joinAll is a joinLog with every extension; its trace is tr.
type joinAll struct {
	joinLog
	tr *openrouter.Trace
}

func (o joinAll) LimiterWait(context.Context, openrouter.LimiterWait) { o.add("limiter wait") }
func (o joinAll) RateChange(context.Context, openrouter.RateChange)   { o.add("rate change") }
func (o joinAll) FirstChunk(context.Context, openrouter.FirstChunk)   { o.add("first chunk") }
func (o joinAll) Recovery(context.Context, openrouter.Recovery)       { o.add("recovery") }
func (o joinAll) BroadcastTrace(context.Context) *openrouter.Trace {
	o.add("trace")
	return o.tr
}

// nilStart is a joinLog whose CallStart returns nil.
type nilStart struct{ joinLog }

func (o nilStart) CallStart(context.Context, openrouter.CallStart) context.Context {
	o.add("call start")
	return nil
}

// Every event goes to the members in their order; an extension's only to
// the members that implement it; CallStart threads the context through
// them (a nil return leaves it), and CallEnd gets the last one.
func TestJoinObserversForwards(t *testing.T) {
	var log []string
	a, b, c := joinAll{joinLog: joinLog{"a", &log}}, joinLog{"b", &log}, nilStart{joinLog{"c", &log}}
	d := joinAll{joinLog: joinLog{"d", &log}}
	j := openrouter.JoinObservers(a, b, c, d)
	ctx := j.CallStart(context.Background(), openrouter.CallStart{})
	j.AttemptStart(ctx, openrouter.AttemptStart{})
	j.(openrouter.LimiterObserver).LimiterWait(ctx, openrouter.LimiterWait{})
	j.(openrouter.LimiterObserver).RateChange(ctx, openrouter.RateChange{})
	j.AttemptEnd(ctx, openrouter.AttemptEnd{})
	j.RetryWait(ctx, openrouter.RetryWait{})
	j.(openrouter.StreamObserver).FirstChunk(ctx, openrouter.FirstChunk{})
	j.(openrouter.RecoveryObserver).Recovery(ctx, openrouter.Recovery{})
	j.CallEnd(ctx, openrouter.CallEnd{})
	want := []string{
		"a call start after []", "b call start after [a]", "c call start", "d call start after [ab]",
		"a attempt start", "b attempt start", "c attempt start", "d attempt start",
		"a limiter wait", "d limiter wait", "a rate change", "d rate change",
		"a attempt end", "b attempt end", "c attempt end", "d attempt end",
		"a retry wait", "b retry wait", "c retry wait", "d retry wait",
		"a first chunk", "d first chunk", "a recovery", "d recovery",
		"a call end in [abd]", "b call end in [abd]", "c call end in [abd]", "d call end in [abd]",
	}
	if !slices.Equal(log, want) {
		t.Errorf("events:\n%q\nwant\n%q", log, want)
	}
}

// BroadcastTrace returns the first non-nil trace, in the members' order,
// and asks no member after it.
func TestJoinObserversTraceFirstNonNil(t *testing.T) {
	var log []string
	first, second := &openrouter.Trace{TraceID: "first"}, &openrouter.Trace{TraceID: "second"}
	j := openrouter.JoinObservers(joinAll{joinLog: joinLog{"a", &log}}, joinLog{"b", &log},
		joinAll{joinLog{"c", &log}, first}, joinAll{joinLog{"d", &log}, second})
	if got := j.(openrouter.TraceObserver).BroadcastTrace(context.Background()); got != first {
		t.Errorf("trace = %+v, want the first non-nil (%+v)", got, first)
	}
	if want := []string{"a trace", "c trace"}; !slices.Equal(log, want) {
		t.Errorf("asked %q, want %q", log, want)
	}
	none := openrouter.JoinObservers(joinAll{joinLog: joinLog{"e", &log}}, joinLog{"f", &log})
	if got := none.(openrouter.TraceObserver).BroadcastTrace(context.Background()); got != nil {
		t.Errorf("trace with no member's = %+v, want nil", got)
	}
}

// Nil members are skipped; none left is no observer, one is itself.
func TestJoinObserversNilAndOne(t *testing.T) {
	var log []string
	b := joinLog{"b", &log}
	if got := openrouter.JoinObservers(); got != nil {
		t.Errorf("JoinObservers() = %v, want nil", got)
	}
	if got := openrouter.JoinObservers(nil, nil); got != nil {
		t.Errorf("JoinObservers(nil, nil) = %v, want nil", got)
	}
	got := openrouter.JoinObservers(nil, b, nil)
	if got != openrouter.Observer(b) {
		t.Errorf("JoinObservers(nil, b, nil) = %#v, want b itself", got)
	}
	if _, ok := got.(openrouter.LimiterObserver); ok {
		t.Error("one member without LimiterObserver: the join has it")
	}
}

// On a client, both members see a retried call, each with its own value
// in the call's context, and only the one with LimiterObserver sees the
// limiter's waits.
func TestJoinObserversOnClient(t *testing.T) {
	ext, plain := &extRecorder{}, &obsRecorder{}
	srv, c, _ := limiterSetup(t, openrouter.JoinObservers(ext, plain))
	chatAfter429(t, srv, c, "2", false)
	want := []string{"call POST /chat/completions openai/gpt-4o-mini", "attempt", "attempt end", "wait", "attempt", "attempt end", "end"}
	for _, r := range []*obsRecorder{&ext.obsRecorder, plain} {
		if !slices.Equal(r.events, want) || !r.ctxOK {
			t.Errorf("events %q (context kept: %v), want %q", r.events, r.ctxOK, want)
		}
	}
	if len(ext.limWaits) != 2 || ext.limWaits[1].Wait == 0 {
		t.Errorf("limiter waits = %+v, want two, the second the gate's", ext.limWaits)
	}
}

// A progress counter and a log line, joined on one client.
func ExampleJoinObservers() {
	srv := ort.NewServer()
	defer srv.Close()
	counter := &callCounter{}
	c := srv.Client(openrouter.WithObserver(openrouter.JoinObservers(counter, callPrinter{})))
	if _, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("calls ended:", counter.n)
	// Output:
	// POST /chat/completions ended with status 200
	// calls ended: 1
}

// quiet is an Observer that does nothing; the example's observers embed
// it and define only what they use.
type quiet struct{}

func (quiet) CallStart(ctx context.Context, _ openrouter.CallStart) context.Context { return ctx }
func (quiet) AttemptStart(context.Context, openrouter.AttemptStart)                 {}
func (quiet) AttemptEnd(context.Context, openrouter.AttemptEnd)                     {}
func (quiet) RetryWait(context.Context, openrouter.RetryWait)                       {}
func (quiet) CallEnd(context.Context, openrouter.CallEnd)                           {}

// callCounter counts the calls that ended (an example's: not safe for
// concurrent calls).
type callCounter struct {
	quiet
	n int
}

func (o *callCounter) CallEnd(context.Context, openrouter.CallEnd) { o.n++ }

// callPrinter prints each call's end.
type callPrinter struct{ quiet }

func (callPrinter) CallEnd(_ context.Context, e openrouter.CallEnd) {
	fmt.Println(e.Method, e.Path, "ended with status", e.Status)
}
