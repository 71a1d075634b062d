package schema

import (
	"reflect"
	"strings"
	"testing"
)

type embeddedFirst struct {
	embedded
	After string `json:"after"`
}

type badEmbedded struct {
	X string `json:"x" validate:"required"`
}

type withBadEmbedded struct {
	badEmbedded
	Y string `json:"y"`
}

// TestEmbeddedFieldsThenOthers checks that the fields of an embedded
// struct that comes first are flattened and the fields after it kept, and
// that an error in an embedded struct's fields is the schema's error.
func TestEmbeddedFieldsThenOthers(t *testing.T) {
	s, err := For(reflect.TypeOf(embeddedFirst{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"flat", "after"} {
		if s.Properties[name] == nil {
			t.Errorf("property %q missing; have %v", name, s.Required)
		}
	}
	if _, err := For(reflect.TypeOf(withBadEmbedded{})); err == nil {
		t.Error("For accepted an embedded struct with a validate tag")
	}
}

type optionalFields struct {
	E string `json:"e,omitempty"`
	A any    `json:"a,omitempty"`
}

// TestOmitemptyIsNullable checks that an omitempty field of a type is
// nullable (["string","null"]), and that a field of no type (any) is not
// given a type.
func TestOmitemptyIsNullable(t *testing.T) {
	s, err := For(reflect.TypeOf(optionalFields{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Properties["e"].Type; !reflect.DeepEqual(got, []string{"string", "null"}) {
		t.Errorf("omitempty string has type %v, want [string null]", got)
	}
	if got := s.Properties["a"].Type; got != nil {
		t.Errorf("omitempty any has type %v, want none", got)
	}
}

// TestZeroCountsInTags checks that a count bound of 0 is accepted and a
// negative one refused.
func TestZeroCountsInTags(t *testing.T) {
	var s Schema
	if err := s.applyTag("minLength=0,maxItems=0"); err != nil || s.MinLength == nil || *s.MinLength != 0 {
		t.Errorf("applyTag(minLength=0) = %v, MinLength %v", err, s.MinLength)
	}
	if err := s.applyTag("minLength=-1"); err == nil {
		t.Error("applyTag accepted minLength=-1")
	}
}

type bounded struct {
	Tags  []string `json:"tags" jsonschema:"minItems=1,maxItems=2"`
	Count float64  `json:"count" jsonschema:"minimum=1,maximum=3"`
}

// TestBoundsAreInclusive checks that a value at a bound (maxItems,
// minimum, maximum) is valid, and one past it is not.
func TestBoundsAreInclusive(t *testing.T) {
	s, err := For(reflect.TypeOf(bounded{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, count := range []float64{1, 3} {
		v := map[string]any{"tags": []any{"a", "b"}, "count": count}
		if vs := s.Validate(v, false); len(vs) != 0 {
			t.Errorf("%v: %v; want valid (at the bounds)", v, vs)
		}
	}
	for _, v := range []map[string]any{
		{"tags": []any{"a", "b", "c"}, "count": 2.0},
		{"tags": []any{"a"}, "count": 0.5},
		{"tags": []any{"a"}, "count": 3.5},
	} {
		if vs := s.Validate(v, false); len(vs) != 1 {
			t.Errorf("%v: %v; want one violation", v, vs)
		}
	}
}

type lists struct {
	B []byte `json:"b"`
	N []int  `json:"n"`
}

// TestAssignBytesAndLists checks that Assign stores base64 text in a
// []byte (and refuses text that is not base64), and every item of an
// array, not only the first.
func TestAssignBytesAndLists(t *testing.T) {
	s, err := For(reflect.TypeOf(lists{}))
	if err != nil {
		t.Fatal(err)
	}
	var got lists
	if err := s.Assign(reflect.ValueOf(&got).Elem(), map[string]any{"b": "aGk=", "n": []any{1.0, 2.0, 3.0}}); err != nil {
		t.Fatal(err)
	}
	if string(got.B) != "hi" || !reflect.DeepEqual(got.N, []int{1, 2, 3}) {
		t.Errorf("Assign = %+v; want b \"hi\", n [1 2 3]", got)
	}
	if err := s.Assign(reflect.ValueOf(&lists{}).Elem(), map[string]any{"b": "not base64!", "n": []any{}}); err == nil {
		t.Error("Assign accepted text that is not base64 for a []byte")
	}
}

// TestClipKeepsFortyCharacters checks that clip leaves a string of 40
// characters whole and cuts one of 41.
func TestClipKeepsFortyCharacters(t *testing.T) {
	forty := strings.Repeat("é", 40)
	if got := clip(forty); got != forty {
		t.Errorf("clip(40 characters) = %q", got)
	}
	if got := clip(forty + "x"); got != forty+"..." {
		t.Errorf("clip(41 characters) = %q", got)
	}
}

type fixed struct {
	A [2]int `json:"a"`
}

// TestAssignArray checks that Assign fills a Go array from a JSON array
// of up to its length and refuses a longer one.
func TestAssignArray(t *testing.T) {
	s, err := For(reflect.TypeOf(fixed{}))
	if err != nil {
		t.Fatal(err)
	}
	var got fixed
	if err := s.Assign(reflect.ValueOf(&got).Elem(), map[string]any{"a": []any{4.0, 5.0}}); err != nil || got.A != [2]int{4, 5} {
		t.Errorf("Assign([4,5]) = %v, %v", got.A, err)
	}
	if err := s.Assign(reflect.ValueOf(&fixed{}).Elem(), map[string]any{"a": []any{1.0, 2.0, 3.0}}); err == nil {
		t.Error("Assign put 3 items in a [2]int")
	}
}

// TestNumberFromFloat checks that a float64 (json.Unmarshal's number)
// is read back with all its digits.
func TestNumberFromFloat(t *testing.T) {
	if n, ok := number(2.5); !ok || n != "2.5" {
		t.Errorf("number(2.5) = %q, %v", n, ok)
	}
}
