package schema

import (
	"reflect"
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
