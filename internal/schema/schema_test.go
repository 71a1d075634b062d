package schema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type inner struct {
	Name string `json:"name" jsonschema:"minLength=1"`
}

type sample struct {
	Title   string            `json:"title" description:"the title" jsonschema:"maxLength=10"`
	Count   int               `json:"count" jsonschema:"minimum=1,maximum=3"`
	Ratio   float64           `json:"ratio"`
	OK      bool              `json:"ok"`
	Tags    []string          `json:"tags" jsonschema:"minItems=1,maxItems=2"`
	Kind    string            `json:"kind" jsonschema:"enum=a|b"`
	Slug    string            `json:"slug" jsonschema:"pattern=^[a-z,]+$"`
	Note    *string           `json:"note"`
	Extra   string            `json:"extra,omitempty"`
	When    time.Time         `json:"when"`
	Items   []inner           `json:"items"`
	Meta    map[string]int    `json:"meta"`
	Raw     json.RawMessage   `json:"raw"`
	Skipped string            `json:"-"`
	Nested  struct{ X uint8 } `json:"nested"`
	embedded
}

type embedded struct {
	Flat string `json:"flat"`
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

const valid = `{"title":"ok","count":2,"ratio":0.5,"ok":true,"tags":["x"],"kind":"a","slug":"a,b","note":null,
"when":"2026-11-25T10:00:00Z","items":[{"name":"n"}],"meta":{"k":1},"raw":{"any":[1]},"nested":{"X":255},"flat":"f"}`

func TestValidAndAssign(t *testing.T) {
	t.Parallel()
	s, err := For(reflect.TypeOf(sample{}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Strict {
		t.Error("a schema with a map and a free-form value is not strict")
	}
	v := decode(t, valid)
	if vs := s.Validate(v, false); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
	var got sample
	if err := s.Assign(reflect.ValueOf(&got).Elem(), v); err != nil {
		t.Fatal(err)
	}
	var want sample
	if err := json.Unmarshal([]byte(valid), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(sample{}), cmp.Comparer(func(a, b json.RawMessage) bool { return bytes.Equal(compact(a), compact(b)) })); diff != "" {
		t.Errorf("Assign differs from json.Unmarshal (-want +got):\n%s", diff)
	}
}

func compact(b []byte) []byte {
	var buf bytes.Buffer
	_ = json.Compact(&buf, b)
	return buf.Bytes()
}

func TestViolations(t *testing.T) {
	t.Parallel()
	s, _ := For(reflect.TypeOf(sample{}))
	v := decode(t, `{"title":"far too long a title","count":4.5,"ratio":"x","ok":1,"tags":[],"kind":"c","slug":"A",
"when":"yesterday","items":[{"name":""}],"meta":{"k":"v"},"raw":null,"nested":{"X":1},"flat":"f","bogus":1}`)
	var got []string
	for _, x := range s.Validate(v, false) {
		got = append(got, x.String())
	}
	for _, want := range []string{
		"/title: 20 characters, over the maximum of 10",
		"/count: 4.5 is not an integer",
		"/ratio: want a number, got a string",
		"/ok: want a boolean, got a number",
		"/tags: 0 items, under the minimum of 1",
		`/kind: "c" is not one of a, b`,
		`/slug: "A" does not match the pattern ^[a-z,]+$`,
		`/when: "yesterday" is not an RFC 3339 date-time`,
		"/items/0/name: 0 characters, under the minimum of 1",
		"/meta/k: want an integer, got a string",
		"/bogus: unknown field",
	} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("missing violation %q in %q", want, got)
		}
	}
	if vs := s.Validate(decode(t, `{}`), false); len(vs) != 13 { // 15 fields less the optional note and extra
		t.Errorf("missing fields: %d violations: %v", len(vs), vs)
	}
}

func TestStrictSchemaJSON(t *testing.T) {
	t.Parallel()
	s, err := For(reflect.TypeOf(inner{}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	if string(b) != `{"type":"object","properties":{"name":{"type":"string","minLength":1}},"required":["name"],"additionalProperties":false}` || !s.Strict {
		t.Errorf("schema = %s (strict %v)", b, s.Strict)
	}
}

func TestUnsupported(t *testing.T) {
	t.Parallel()
	type self struct{ Next *self }
	type badTag struct {
		A int `jsonschema:"minimum=x"`
	}
	type unknownKey struct {
		A int `jsonschema:"color=red"`
	}
	for _, v := range []any{self{}, badTag{}, unknownKey{}, map[int]string{}, make(chan int)} {
		if _, err := For(reflect.TypeOf(v)); err == nil {
			t.Errorf("For(%T) gave no error", v)
		}
	}
}

func TestEscapedPointer(t *testing.T) {
	t.Parallel()
	s, _ := For(reflect.TypeOf(map[string]int{}))
	vs := s.Validate(decode(t, `{"a/b~c":"x"}`), false)
	if len(vs) != 1 || vs[0].Pointer != "/a~1b~0c" {
		t.Errorf("violations = %v", vs)
	}
}
