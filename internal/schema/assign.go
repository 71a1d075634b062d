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
	return s.assign(dst, v, "")
}

func (s *Schema) assign(dst reflect.Value, v any, ptr string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", orRoot(ptr), fmt.Sprintf(format, args...))
	}
	if v == nil {
		dst.SetZero()
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return s.assign(dst.Elem(), v, ptr)
	}
	if dst.Type() == rawType || dst.Kind() == reflect.Interface {
		if dst.Kind() == reflect.Interface {
			dst.Set(reflect.ValueOf(plain(v)))
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fail("%v", err)
		}
		dst.SetBytes(b)
		return nil
	}
	if dst.Type() == timeType {
		str, _ := v.(string)
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			return fail("%q is not an RFC 3339 date-time", clip(str))
		}
		dst.Set(reflect.ValueOf(t))
		return nil
	}
	switch dst.Kind() {
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return fail("want a boolean, got %s", kind(v))
		}
		dst.SetBool(b)
	case reflect.String:
		str, ok := v.(string)
		if !ok {
			return fail("want a string, got %s", kind(v))
		}
		dst.SetString(str)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := number(v)
		i, exact := asInt(n)
		if !ok || !exact || dst.OverflowInt(i) {
			return fail("%v does not fit %s", v, dst.Type())
		}
		dst.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := number(v)
		u, exact := asUint(n)
		if !ok || !exact || dst.OverflowUint(u) {
			return fail("%v does not fit %s", v, dst.Type())
		}
		dst.SetUint(u)
	case reflect.Float32, reflect.Float64:
		n, ok := number(v)
		f, finite := asFloat(n)
		if !ok || !finite || math.IsInf(f, 0) || dst.OverflowFloat(f) {
			return fail("%v does not fit %s", v, dst.Type())
		}
		dst.SetFloat(f)
	case reflect.Slice:
		if dst.Type().Elem().Kind() == reflect.Uint8 {
			str, _ := v.(string)
			b, err := base64.StdEncoding.DecodeString(str)
			if err != nil {
				return fail("not base64: %v", err)
			}
			dst.SetBytes(b)
			return nil
		}
		a, ok := v.([]any)
		if !ok {
			return fail("want an array, got %s", kind(v))
		}
		out := reflect.MakeSlice(dst.Type(), len(a), len(a))
		for i, x := range a {
			if err := s.Items.assign(out.Index(i), x, ptr+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
	case reflect.Array:
		a, ok := v.([]any)
		if !ok || len(a) > dst.Len() {
			return fail("want an array of at most %d items", dst.Len())
		}
		for i, x := range a {
			if err := s.Items.assign(dst.Index(i), x, ptr+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		o, ok := v.(map[string]any)
		if !ok {
			return fail("want an object, got %s", kind(v))
		}
		vals, _ := s.AdditionalProperties.(*Schema)
		m := reflect.MakeMapWithSize(dst.Type(), len(o))
		for k, x := range o {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := vals.assign(ev, x, ptr+"/"+escape(k)); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		dst.Set(m)
	case reflect.Struct:
		o, ok := v.(map[string]any)
		if !ok {
			return fail("want an object, got %s", kind(v))
		}
		for k, x := range o {
			idx, known := s.fields[k]
			if !known {
				continue // allowed unknown field: dropped, as encoding/json does
			}
			if err := s.Properties[k].assign(dst.FieldByIndex(idx), x, ptr+"/"+escape(k)); err != nil {
				return err
			}
		}
	default:
		return fail("cannot store into %s", dst.Type())
	}
	return nil
}

func orRoot(ptr string) string {
	if ptr == "" {
		return "(root)"
	}
	return ptr
}
