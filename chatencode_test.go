package openrouter

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

// plainSamples are values for each kind of field: texts with and without
// the characters encoding/json escapes, and floats of each of its
// formats.
var (
	plainTexts  = []string{"plain text", "a<b", "b>a", "a&b", "a\nb", "é", "\u2028", "a<b>&c \"q\" \\ \n\t\x01 é \u2028 \xff end"}
	plainFloats = []float64{0, 0.5, -2, 1e-7, 1.5e-300, 1e21, 123456789.125, 1e20, 0.000001}
	plainInts   = []int{0, 7, -1}
)

// fieldSamples returns values for a field of type t: one each
// for the kinds appendPlain writes, and a non-zero value of any other.
func fieldSamples(t reflect.Type) []reflect.Value {
	var out []reflect.Value
	switch {
	case t.Kind() == reflect.String:
		for _, s := range plainTexts {
			out = append(out, reflect.ValueOf(s))
		}
	case t == reflect.TypeOf(0):
		for _, n := range plainInts {
			out = append(out, reflect.ValueOf(n))
		}
	case t == reflect.TypeOf(Ptr(0)):
		for _, n := range plainInts {
			out = append(out, reflect.ValueOf(Ptr(n)))
		}
	case t == reflect.TypeOf(Ptr(0.0)):
		for _, f := range plainFloats {
			out = append(out, reflect.ValueOf(Ptr(f)))
		}
	case t.Kind() == reflect.Bool:
		out = append(out, reflect.ValueOf(true), reflect.ValueOf(false))
	case t == reflect.TypeOf(Ptr(true)):
		out = append(out, reflect.ValueOf(Ptr(true)), reflect.ValueOf(Ptr(false)))
	case t == reflect.TypeOf([]string(nil)):
		out = append(out, reflect.ValueOf(plainTexts), reflect.ValueOf([]string{}))
	case t.Kind() == reflect.Pointer:
		out = append(out, reflect.New(t.Elem()))
	case t.Kind() == reflect.Slice:
		out = append(out, reflect.MakeSlice(t, 1, 1))
	case t.Kind() == reflect.Map:
		m := reflect.MakeMap(t)
		m.SetMapIndex(reflect.ValueOf("1").Convert(t.Key()), reflect.Zero(t.Elem()))
		out = append(out, m)
	case t.Kind() == reflect.Interface:
		out = append(out, reflect.ValueOf("auto"))
	default:
		panic("no sample for " + t.String())
	}
	return out
}

// checkPlain holds appendPlain to marshal's bytes for req, when it takes
// the request, and reports whether it did.
func checkPlain(t *testing.T, name string, req *ChatRequest) bool {
	t.Helper()
	took := false
	for _, mode := range [][2]bool{{false, false}, {true, true}, {true, false}} {
		got, ok := req.appendPlain(nil, mode[0], mode[1])
		want, err := req.marshal(mode[0], mode[1])
		if !ok {
			continue
		}
		took = true
		if err != nil {
			t.Errorf("%s: written plain, but json.Marshal fails: %v", name, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s (stream %v):\nplain   %s\nmarshal %s", name, mode, got, want)
		}
	}
	return took
}

// TestPlainEncodeMatchesMarshal sets each field of ChatRequest and of
// Message in turn (fields added later included) and holds the plain
// encoder to encoding/json's bytes, or to leaving the request to it.
func TestPlainEncodeMatchesMarshal(t *testing.T) {
	base := func() *ChatRequest {
		return &ChatRequest{Model: "openai/gpt-4o-mini", Messages: []Message{UserMessage("hi")}}
	}
	if !checkPlain(t, "base", base()) {
		t.Fatal("the plain request was left to json.Marshal")
	}
	rt := reflect.TypeOf(ChatRequest{})
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.Name == "Messages" || f.Name == "Extra" {
			continue
		}
		for j, v := range fieldSamples(f.Type) {
			req := base()
			reflect.ValueOf(req).Elem().Field(i).Set(v)
			took := checkPlain(t, f.Name, req)
			if scalar := f.Type.Kind() != reflect.Pointer && f.Type.Kind() != reflect.Map && f.Type.Kind() != reflect.Interface &&
				(f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() == reflect.String); scalar && !took {
				t.Errorf("%s sample %d: left to json.Marshal", f.Name, j)
			}
		}
	}
	mt := reflect.TypeOf(Message{})
	for i := 0; i < mt.NumField(); i++ {
		f := mt.Field(i)
		for _, v := range fieldSamples(f.Type) {
			req := base()
			req.Messages = append(req.Messages, Message{Role: "assistant"})
			reflect.ValueOf(&req.Messages[1]).Elem().Field(i).Set(v)
			checkPlain(t, "Message."+f.Name, req)
		}
	}
}

// TestPlainEncodeRefusesNaN: a NaN goes to json.Marshal, whose error
// checkFinite turns into ErrInvalidRequest naming the field.
func TestPlainEncodeRefusesNaN(t *testing.T) {
	req := &ChatRequest{Model: "m", Messages: []Message{UserMessage("hi")}, TopP: Ptr(math.Inf(1))}
	_, err := req.encode(false)
	if err == nil || !strings.Contains(err.Error(), "top_p") {
		t.Fatalf("err = %v, want one naming top_p", err)
	}
}

// TestPlainEncodeAllocatesOnce: a plain request's body is one allocation
// (json.Marshal of the wire struct made four).
func TestPlainEncodeAllocatesOnce(t *testing.T) {
	req := &ChatRequest{Model: "openai/gpt-4o-mini", Temperature: Ptr(0.2),
		Messages: []Message{SystemMessage("Be brief."), UserMessage("What does errors.Is do?")}}
	n := testing.AllocsPerRun(100, func() {
		if _, err := req.encode(false); err != nil {
			t.Fatal(err)
		}
	})
	if n != 1 {
		t.Fatalf("encode allocates %v times, want 1", n)
	}
}
