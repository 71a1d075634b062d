package schema

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// Assign stores v, a value decoded by [Decode] (or json.Unmarshal into an any) and
// valid against s, in dst, as encoding/json would have decoded the same text:
// one decode serves both validation and the typed value.
func (s *Schema) Assign(dst reflect.Value, v any) error {
	return s.assign(dst, v, newPath())
}

// assign stores v in dst, at the place at of the whole value: the step
// for what dst is (a pointer followed, a free-form value, a time, a
// scalar, a list, an object).
func (s *Schema) assign(dst reflect.Value, v any, at *path) error {
	switch {
	case v == nil:
		dst.SetZero()
		return nil
	case dst.Kind() == reflect.Pointer:
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return s.assign(dst.Elem(), v, at)
	case dst.Kind() == reflect.Interface:
		dst.Set(reflect.ValueOf(plain(v)))
		return nil
	case dst.Type() == rawType:
		return assignRaw(dst, v, at)
	case dst.Type() == timeType:
		return assignTime(dst, v, at)
	}
	switch dst.Kind() {
	case reflect.Bool, reflect.String:
		return assignText(dst, v, at)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return assignNumber(dst, v, at)
	case reflect.Slice, reflect.Array:
		return s.assignList(dst, v, at)
	case reflect.Map:
		return s.assignMap(dst, v, at)
	case reflect.Struct:
		return s.assignStruct(dst, v, at)
	}
	return fail(at, "cannot store into %s", dst.Type())
}

// fail is an error of Assign at the place at.
func fail(at *path, format string, args ...any) error {
	return fmt.Errorf("%s: %s", orRoot(at.String()), fmt.Sprintf(format, args...))
}

// assignRaw stores a value as its JSON text (a json.RawMessage).
func assignRaw(dst reflect.Value, v any, at *path) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fail(at, "%v", err)
	}
	dst.SetBytes(b)
	return nil
}

// assignTime stores an RFC 3339 date-time string in a time.Time.
func assignTime(dst reflect.Value, v any, at *path) error {
	str, _ := v.(string)
	t, err := time.Parse(time.RFC3339, str)
	if err != nil {
		return fail(at, "%q is not an RFC 3339 date-time", clip(str))
	}
	dst.Set(reflect.ValueOf(t))
	return nil
}

// assignText stores a boolean or a string.
func assignText(dst reflect.Value, v any, at *path) error {
	if dst.Kind() == reflect.Bool {
		b, ok := v.(bool)
		if !ok {
			return fail(at, "want a boolean, got %s", kind(v))
		}
		dst.SetBool(b)
		return nil
	}
	str, ok := v.(string)
	if !ok {
		return fail(at, "want a string, got %s", kind(v))
	}
	dst.SetString(str)
	return nil
}

// assignNumber stores a number in an integer or float field: an integer
// exactly, or not at all. A float64 (json.Unmarshal's) is read as it is;
// past 2^53 it is refused for an integer field: its text may have been
// rounded.
func assignNumber(dst reflect.Value, v any, at *path) error {
	isFloat := dst.Kind() == reflect.Float32 || dst.Kind() == reflect.Float64
	if f, ok := v.(float64); ok && !isFloat {
		if math.Abs(f) >= 1<<53 {
			return fail(at, "%v may have been rounded: decode with Decode", v)
		}
		if f != math.Trunc(f) {
			return fail(at, "%v does not fit %s", v, dst.Type())
		}
		v = json.Number(strconv.FormatInt(int64(f), 10))
	}
	if f, ok := v.(float64); ok {
		return setFloat(dst, f, v, at)
	}
	n, ok := v.(json.Number)
	if !ok {
		return fail(at, "%v does not fit %s", v, dst.Type())
	}
	switch dst.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, exact := asInt(n)
		if !exact || dst.OverflowInt(i) {
			return fail(at, "%v does not fit %s", v, dst.Type())
		}
		dst.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, exact := asUint(n)
		if !exact || dst.OverflowUint(u) {
			return fail(at, "%v does not fit %s", v, dst.Type())
		}
		dst.SetUint(u)
	default:
		f, finite := asFloat(n)
		if !finite {
			return fail(at, "%v does not fit %s", v, dst.Type())
		}
		return setFloat(dst, f, v, at)
	}
	return nil
}

// setFloat stores f, read from v, in a float field.
func setFloat(dst reflect.Value, f float64, v any, at *path) error {
	if math.IsInf(f, 0) || dst.OverflowFloat(f) {
		return fail(at, "%v does not fit %s", v, dst.Type())
	}
	dst.SetFloat(f)
	return nil
}

// assignList stores an array in a slice or an array, or base64 text in
// a []byte.
func (s *Schema) assignList(dst reflect.Value, v any, at *path) error {
	if dst.Kind() == reflect.Slice && dst.Type().Elem().Kind() == reflect.Uint8 {
		str, _ := v.(string)
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return fail(at, "not base64: %v", err)
		}
		dst.SetBytes(b)
		return nil
	}
	a, ok := v.([]any)
	if dst.Kind() == reflect.Array {
		if !ok || len(a) > dst.Len() {
			return fail(at, "want an array of at most %d items", dst.Len())
		}
		return s.assignItems(dst, a, at)
	}
	if !ok {
		return fail(at, "want an array, got %s", kind(v))
	}
	out := reflect.MakeSlice(dst.Type(), len(a), len(a))
	if err := s.assignItems(out, a, at); err != nil {
		return err
	}
	dst.Set(out)
	return nil
}

// assignItems stores the items of a in the first len(a) elements of dst.
func (s *Schema) assignItems(dst reflect.Value, a []any, at *path) error {
	for i, x := range a {
		at.item(i)
		if err := s.Items.assign(dst.Index(i), x, at); err != nil {
			return err
		}
		at.pop()
	}
	return nil
}

// assignMap stores an object in a map, each value by the schema of the
// map's values.
func (s *Schema) assignMap(dst reflect.Value, v any, at *path) error {
	o, ok := v.(map[string]any)
	if !ok {
		return fail(at, "want an object, got %s", kind(v))
	}
	vals, _ := s.AdditionalProperties.(*Schema)
	m := reflect.MakeMapWithSize(dst.Type(), len(o))
	for k, x := range o {
		ev := reflect.New(dst.Type().Elem()).Elem()
		at.member(k)
		if err := vals.assign(ev, x, at); err != nil {
			return err
		}
		at.pop()
		m.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
	}
	dst.Set(m)
	return nil
}

// assignStruct stores an object's members in the struct's fields; a
// member with no field is dropped, as encoding/json does.
func (s *Schema) assignStruct(dst reflect.Value, v any, at *path) error {
	o, ok := v.(map[string]any)
	if !ok {
		return fail(at, "want an object, got %s", kind(v))
	}
	for k, x := range o {
		idx, known := s.fields[k]
		if !known {
			continue
		}
		at.member(k)
		if err := s.Properties[k].assign(dst.FieldByIndex(idx), x, at); err != nil {
			return err
		}
		at.pop()
	}
	return nil
}

func orRoot(ptr string) string {
	if ptr == "" {
		return "(root)"
	}
	return ptr
}
