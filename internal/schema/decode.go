package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
)

// Decode decodes the JSON text b into generic values for Validate and
// Assign, as json.Unmarshal into an any would, except that numbers are
// kept as json.Number: an integer past 2^53 (an order ID, say) reaches an
// int64 field exactly instead of rounded through a float64. Text after the
// value is an error, as for json.Unmarshal.
func Decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &json.SyntaxError{Offset: dec.InputOffset()}
	}
	return v, nil
}

// Load decodes the JSON text b, checks it against s and stores it in
// dst, the road of json.Unmarshal into an any: quicker than Decode's
// json.Decoder, whose numbers it does not keep exact. It reports true
// when all went well; false leaves the work, and its errors, to Decode,
// Validate and Assign, which then give what they always gave: when b is
// not JSON (or a number overflows a float64), when it breaks the schema
// (the messages quote numbers as written), when Assign fails (an integer
// past 2^53 may have been rounded), or when the schema holds a
// json.RawMessage (whose numbers keep their text only through Decode).
// Below 2^53 a float64 holds an integer exactly, so Validate's verdicts
// are the same for both roads. dst may have been partly set when Load
// reports false.
func (s *Schema) Load(b []byte, allowUnknown bool, dst reflect.Value) bool {
	if !s.quick {
		return false
	}
	var v any
	if json.Unmarshal(b, &v) != nil || len(s.Validate(v, allowUnknown)) > 0 {
		return false
	}
	return s.Assign(dst, v) == nil
}

// number reads a decoded JSON number: a json.Number from Decode, or a
// float64 from json.Unmarshal.
func number(v any) (json.Number, bool) {
	switch n := v.(type) {
	case json.Number:
		return n, true
	case float64:
		return json.Number(strconv.FormatFloat(n, 'g', -1, 64)), true
	}
	return "", false
}

// asFloat is the number's value as a float64 (rounded past 2^53), for
// bounds and float fields.
func asFloat(n json.Number) (float64, bool) {
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil || isRange(err)
}

// asInt is the number's exact value as an int64: written as an integer
// ("9007199254740993"), or as a float with no fraction ("3.0", "1e3")
// within ±2^53, where a float64 is exact.
func asInt(n json.Number) (int64, bool) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// asUint is asInt for unsigned fields.
func asUint(n json.Number) (uint64, bool) {
	if u, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		return u, true
	}
	i, ok := asInt(n)
	return uint64(i), ok && i >= 0
}

// isInteger reports whether the number has no fraction (any size).
func isInteger(n json.Number) bool {
	if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return true
	}
	f, ok := asFloat(n)
	return ok && !math.IsInf(f, 0) && f == math.Trunc(f)
}

func isRange(err error) bool {
	var ne *strconv.NumError
	return errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange)
}

// plain turns the json.Numbers of a decoded value into float64s, as
// json.Unmarshal gives them, for a destination of type any.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := asFloat(x)
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}
