package schema

import (
	"reflect"
	"testing"
)

func TestDecodeKeepsNumbersExact(t *testing.T) {
	type T struct {
		I   int64   `json:"i"`
		U   uint8   `json:"u"`
		F   float32 `json:"f"`
		Any any     `json:"any"`
	}
	s, err := For(reflect.TypeOf(T{}))
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		`{"i":9007199254740993,"u":255,"f":1.5,"any":[1,{"x":2}]}`: "",
		`{"i":3.0,"u":1e2,"f":0,"any":null}`:                       "",
		`{"i":1.5,"u":0,"f":0,"any":null}`:                         "/i: 1.5 is not an integer",
		`{"i":1,"u":256,"f":0,"any":null}`:                         "/u: 256 does not fit uint8",
		`{"i":1,"u":-1,"f":0,"any":null}`:                          "/u: -1 does not fit uint8",
		`{"i":1,"u":0,"f":1e400,"any":null}`:                       "/f: number 1e400 does not fit a float64",
		`{"i":9223372036854775808,"u":0,"f":0,"any":null}`:         "/i: 9223372036854775808 does not fit int64",
	} {
		v, err := Decode([]byte(text))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		got := ""
		if vs := s.Validate(v, false); len(vs) > 0 {
			got = vs[0].String()
		} else {
			var out T
			if err := s.Assign(reflect.ValueOf(&out).Elem(), v); err != nil {
				got = err.Error()
			}
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", text, got, want)
		}
	}
}

func TestDecodeIntegerPast2To53(t *testing.T) {
	v, err := Decode([]byte(`9007199254740993`))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := For(reflect.TypeOf(int64(0)))
	var out int64
	if err := s.Assign(reflect.ValueOf(&out).Elem(), v); err != nil || out != 9007199254740993 {
		t.Errorf("got %d, %v", out, err)
	}
}

func TestDecodeAnyAsUnmarshalGivesIt(t *testing.T) {
	v, err := Decode([]byte(`{"a":[1,2.5]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := plain(v)
	want := map[string]any{"a": []any{1.0, 2.5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
}

func TestDecodeRefusesWhatUnmarshalRefuses(t *testing.T) {
	for _, text := range []string{``, `{"a":1} x`, `{"a":1}{}`, `{"a":`, `[1,]`} {
		if _, err := Decode([]byte(text)); err == nil {
			t.Errorf("%q: no error", text)
		}
	}
	if _, err := Decode([]byte(" {\"a\":1} \n")); err != nil {
		t.Errorf("white space around: %v", err)
	}
}
