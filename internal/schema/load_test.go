package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type loadDoc struct {
	ID    int64             `json:"id"`
	N     uint16            `json:"n"`
	F     float64           `json:"f" jsonschema:"minimum=0"`
	Title string            `json:"title" jsonschema:"minLength=2,maxLength=8"`
	Tags  []string          `json:"tags"`
	Any   any               `json:"any"`
	Meta  map[string]uint8  `json:"meta"`
	Inner *struct{ X int }  `json:"inner"`
	Opt   string            `json:"opt,omitempty"`
	Flags map[string][]bool `json:"flags,omitempty"`
}

// TestLoadAgreesWithExactRoad checks schema.Load, json.Unmarshal's quick
// road, against Decode + Validate + Assign: where Load says yes, the
// value stored is the exact road's; where the quick road could differ
// (an integer past 2^53, a number past a float64, a violation) Load says
// no and leaves it to the exact road.
func TestLoadAgreesWithExactRoad(t *testing.T) {
	s, err := For(reflect.TypeOf(loadDoc{}))
	if err != nil {
		t.Fatal(err)
	}
	base := `"n":7,"f":1.5,"title":"日本語","tags":["a"],"any":{"x":[1,2.5]},"meta":{"k":3},"inner":{"X":-4}`
	for text, quick := range map[string]bool{
		`{"id":9007199254740991,` + base + `}`:  true,  // 2^53-1: exact in a float64
		`{"id":-12345678901234,` + base + `}`:   true,  // large, below 2^53
		`{"id":3.0,` + base + `}`:               true,  // an integer written as a float
		`{"id":9007199254740993,` + base + `}`:  false, // 2^53+1: a float64 would round it
		`{"id":-9007199254740993,` + base + `}`: false,
		`{"id":1,"big":1e400,` + base + `}`:     false, // past a float64 (an unknown field: a violation too)
		`{"id":1.5,` + base + `}`:               false, // not an integer: a violation
		`{"id":1,` + base + `,"x":1}`:           false, // unknown field
		`{"id":1,` + base + `} trailing`:        false, // not JSON
	} {
		var got loadDoc
		ok := s.Load([]byte(text), false, reflect.ValueOf(&got).Elem())
		if ok != quick {
			t.Errorf("%s: Load = %v, want %v", text, ok, quick)
		}
		if !ok {
			continue
		}
		var want loadDoc
		v, err := Decode([]byte(text))
		if err != nil || len(s.Validate(v, false)) > 0 || s.Assign(reflect.ValueOf(&want).Elem(), v) != nil {
			t.Fatalf("%s: the exact road failed where Load succeeded", text)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Load stored %+v, the exact road %+v", text, got, want)
		}
	}
	raw, err := For(reflect.TypeOf(struct {
		R json.RawMessage `json:"r"`
	}{}))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		R json.RawMessage `json:"r"`
	}
	if raw.Load([]byte(`{"r":1.0}`), false, reflect.ValueOf(&r).Elem()) {
		t.Error("Load took a json.RawMessage: 1.0 would be kept as 1")
	}
}

// TestValidateValidAllocatesNoPointers holds issue 26's cut: a valid
// value costs no JSON-pointer string per member or item (the walk keeps
// its place as a stack of steps, written out only for a violation), and
// a long string within its bounds is not counted character by character
// (not measurable by allocations: TestLengthBounds checks the verdicts).
func TestValidateValidAllocatesNoPointers(t *testing.T) {
	s, err := For(reflect.TypeOf(loadDoc{}))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	text := `{"id":1,"n":7,"f":1.5,"title":"abc","tags":["a","b","c","d"],"any":null,"meta":{"a":1,"b":2},"inner":{"X":1},"flags":{"f":[true]}}`
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(50, func() {
		if vs := s.Validate(v, false); len(vs) > 0 {
			t.Fatal(vs)
		}
	}); n > 1 {
		t.Errorf("Validate of a valid value: %v allocations, want at most 1 (the path's stack of 8 steps)", n)
	}
	vs := s.Validate(map[string]any{"id": 1.0, "n": 7.0, "f": 1.0, "title": "abc", "tags": []any{"a", 3.0}, "any": nil,
		"meta": map[string]any{"a/b": "x"}, "inner": map[string]any{"X": 1.0}}, false)
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	for _, want := range []string{"/tags/1: want a string, got a number", "/meta/a~1b: want an integer, got a string"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("violations %q lack %q", got, want)
		}
	}
}

// TestLengthBounds checks the character bounds where the length in
// bytes cannot decide them (multi-byte characters) and where it can.
func TestLengthBounds(t *testing.T) {
	two, three := 2, 3
	for _, c := range []struct {
		s        string
		min, max *int
		want     int // violations
	}{
		{"日本", &three, nil, 1},           // 6 bytes, 2 characters: under 3
		{"日本", nil, &two, 0},             // 6 bytes, 2 characters: not over 2
		{"日本語", nil, &two, 1},            // 3 characters: over 2
		{"abc", &three, &three, 0},       // decided by bytes
		{"\xff\xff\xff", &three, nil, 0}, // invalid bytes count one each
		{strings.Repeat("é", 40), &three, nil, 0},
	} {
		s := &Schema{base: "string", MinLength: c.min, MaxLength: c.max}
		if got := len(s.Validate(c.s, false)); got != c.want {
			t.Errorf("%q within [%v, %v]: %d violations, want %d", c.s, c.min, c.max, got, c.want)
		}
	}
}
