// Package schema derives a JSON Schema from a Go type, in the strict form
// structured outputs need, and validates decoded JSON against it with a
// JSON-pointer path for each violation.
//
// Struct tags: `json` names the property (omitempty, or a pointer type,
// makes it optional: nullable, and not required by Validate); `description`
// describes it; `jsonschema` sets bounds, as a comma list:
// enum=a|b|c, minimum=0, maximum=10, minLength=1, maxLength=160,
// minItems=1, maxItems=5, format=date-time, pattern=^[a-z]+$ (pattern
// last: it runs to the end of the tag).
package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Schema is a JSON Schema node.
type Schema struct {
	Type                 any                `json:"type,omitempty"` // "string", or ["string","null"]
	Description          string             `json:"description,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"` // false, or a *Schema for maps
	Items                *Schema            `json:"items,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	MaxLength            *int               `json:"maxLength,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	Format               string             `json:"format,omitempty"`

	base     string           // the type without null
	nullable bool             // null is allowed
	needed   map[string]bool  // properties that must be present
	fields   map[string][]int // property name -> Go field index path
	pattern  *regexp.Regexp
	raw      bool // a json.RawMessage: its numbers keep their text only through Decode
	// quick: json.Unmarshal's values may serve Load (no raw JSON below).
	quick bool
	// Strict reports whether the schema fits strict structured outputs
	// (no maps and no free-form values anywhere below).
	Strict bool `json:"-"`
}

// For returns the schema of t.
func For(t reflect.Type) (*Schema, error) {
	s, err := build(t, map[reflect.Type]bool{})
	if err != nil {
		return nil, err
	}
	s.Strict = strictAll(s)
	s.quick = !holdsRaw(s)
	return s, nil
}

var timeType = reflect.TypeOf(time.Time{})
var rawType = reflect.TypeOf(json.RawMessage{})

func build(t reflect.Type, seen map[reflect.Type]bool) (*Schema, error) {
	if t.Kind() == reflect.Pointer {
		s, err := build(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		s.nullable = true
		s.Type = []string{s.base, "null"}
		return s, nil
	}
	switch {
	case t == timeType:
		return leaf("string", "date-time"), nil
	case t == rawType || t.Kind() == reflect.Interface:
		return &Schema{raw: t == rawType}, nil // any value
	}
	switch t.Kind() {
	case reflect.Bool:
		return leaf("boolean", ""), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return leaf("integer", ""), nil
	case reflect.Float32, reflect.Float64:
		return leaf("number", ""), nil
	case reflect.String:
		return leaf("string", ""), nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return leaf("string", ""), nil // []byte is base64 text
		}
		items, err := build(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		return &Schema{Type: "array", base: "array", Items: items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key %s is not a string", t.Key())
		}
		vals, err := build(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		return &Schema{Type: "object", base: "object", AdditionalProperties: vals}, nil
	case reflect.Struct:
		if seen[t] {
			return nil, fmt.Errorf("%s refers to itself", t)
		}
		seen[t] = true
		defer delete(seen, t)
		s := &Schema{Type: "object", base: "object", Properties: map[string]*Schema{}, AdditionalProperties: false,
			needed: map[string]bool{}, fields: map[string][]int{}}
		if err := addFields(s, t, nil, seen); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s cannot be described in JSON Schema", t)
}

func leaf(typ, format string) *Schema { return &Schema{Type: typ, base: typ, Format: format} }

func addFields(s *Schema, t reflect.Type, index []int, seen map[reflect.Type]bool) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fi := append(append([]int(nil), index...), i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if err := addFields(s, f.Type, fi, seen); err != nil { // embedded: flattened, as encoding/json does
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p, err := build(f.Type, seen)
		if err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		p.Description = f.Tag.Get("description")
		if err := foreignTag(f.Tag); err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		if err := p.applyTag(f.Tag.Get("jsonschema")); err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		optional := strings.Contains(","+opts+",", ",omitempty,") || f.Type.Kind() == reflect.Pointer
		if optional && !p.nullable && p.base != "" {
			p.nullable = true
			p.Type = []string{p.base, "null"}
		}
		s.Properties[name] = p
		s.Required = append(s.Required, name) // strict form: every property listed
		s.needed[name] = !optional
		s.fields[name] = fi
	}
	return nil
}

// foreignKeys are tags that look like bounds but that only other
// libraries read (go-playground/validator's validate, gin's binding), or
// a key of the jsonschema tag written as a tag of its own: a bound a
// reader believes is checked, and is not, is refused.
var foreignKeys = []string{"validate", "binding", "jsonschema_extras",
	"enum", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "format", "pattern"}

func foreignTag(tag reflect.StructTag) error {
	for _, k := range foreignKeys {
		if v, ok := tag.Lookup(k); ok {
			return fmt.Errorf("the tag %s:%q is not read: bounds go in the jsonschema tag, as jsonschema:\"maxLength=160,minLength=1\" (keys: enum, minimum, maximum, minLength, maxLength, minItems, maxItems, format, pattern)", k, v)
		}
	}
	return nil
}

func (s *Schema) applyTag(tag string) error {
	for tag != "" {
		var item string
		if strings.HasPrefix(tag, "pattern=") {
			item, tag = tag, ""
		} else {
			item, tag, _ = strings.Cut(tag, ",")
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("jsonschema tag item %q is not key=value", item)
		}
		num := func() (*float64, error) {
			f, err := strconv.ParseFloat(v, 64)
			return &f, err
		}
		count := func() (*int, error) {
			n, err := strconv.Atoi(v)
			if n < 0 {
				err = fmt.Errorf("negative")
			}
			return &n, err
		}
		var err error
		switch k {
		case "enum":
			s.Enum = strings.Split(v, "|")
		case "minimum":
			s.Minimum, err = num()
		case "maximum":
			s.Maximum, err = num()
		case "minLength":
			s.MinLength, err = count()
		case "maxLength":
			s.MaxLength, err = count()
		case "minItems":
			s.MinItems, err = count()
		case "maxItems":
			s.MaxItems, err = count()
		case "format":
			s.Format = v
		case "pattern":
			s.Pattern = v
			s.pattern, err = regexp.Compile(v)
		default:
			return fmt.Errorf("unknown jsonschema key %q (keys: enum, minimum, maximum, minLength, maxLength, minItems, maxItems, format, pattern)", k)
		}
		if err != nil {
			return fmt.Errorf("jsonschema %s=%q: %v", k, v, err)
		}
	}
	return nil
}

// holdsRaw reports whether s or a schema below it is a json.RawMessage.
func holdsRaw(s *Schema) bool {
	if vals, isMap := s.AdditionalProperties.(*Schema); s.raw || isMap && holdsRaw(vals) || s.Items != nil && holdsRaw(s.Items) {
		return true
	}
	for _, p := range s.Properties {
		if holdsRaw(p) {
			return true
		}
	}
	return false
}

func strictAll(s *Schema) bool {
	if s.base == "" {
		return false // a free-form value
	}
	if _, isMap := s.AdditionalProperties.(*Schema); isMap {
		return false
	}
	for _, p := range s.Properties {
		if !strictAll(p) {
			return false
		}
	}
	return s.Items == nil || strictAll(s.Items)
}

// Violation is one way a value breaks the schema.
type Violation struct {
	Pointer string // RFC 6901: "/sections/2/title"; "" for the root
	Message string
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "(root)"
	}
	return p + ": " + v.Message
}

// Validate checks v (decoded by [Decode], or by json.Unmarshal into an
// any) against the schema. With allowUnknown, properties the schema does not name are
// accepted.
func (s *Schema) Validate(v any, allowUnknown bool) []Violation {
	var out []Violation
	s.validate(v, newPath(), allowUnknown, &out)
	return out
}

// validate adds to out the ways v, at the place at of the whole value,
// breaks s.
func (s *Schema) validate(v any, at *path, allowUnknown bool, out *[]Violation) {
	add := func(format string, args ...any) {
		*out = append(*out, Violation{at.String(), fmt.Sprintf(format, args...)})
	}
	if v == nil {
		if !s.nullable && s.base != "" {
			add("null where %s is required", s.base)
		}
		return
	}
	switch s.base {
	case "":
		return
	case "string":
		str, ok := v.(string)
		if !ok {
			add("want a string, got %s", kind(v))
			return
		}
		if !s.lengthFits(str) {
			n := utf8.RuneCountInString(str)
			if s.MinLength != nil && n < *s.MinLength {
				add("%d characters, under the minimum of %d", n, *s.MinLength)
			}
			if s.MaxLength != nil && n > *s.MaxLength {
				add("%d characters, over the maximum of %d", n, *s.MaxLength)
			}
		}
		if s.pattern != nil && !s.pattern.MatchString(str) {
			add("%q does not match the pattern %s", clip(str), s.Pattern)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			add("%q is not one of %s", clip(str), strings.Join(s.Enum, ", "))
		}
		if s.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				add("%q is not an RFC 3339 date-time", clip(str))
			}
		}
	case "integer", "number":
		s.validateNumber(v, add)
	case "boolean":
		if _, ok := v.(bool); !ok {
			add("want a boolean, got %s", kind(v))
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			add("want an array, got %s", kind(v))
			return
		}
		if s.MinItems != nil && len(a) < *s.MinItems {
			add("%d items, under the minimum of %d", len(a), *s.MinItems)
		}
		if s.MaxItems != nil && len(a) > *s.MaxItems {
			add("%d items, over the maximum of %d", len(a), *s.MaxItems)
		}
		for i, x := range a {
			at.item(i)
			s.Items.validate(x, at, allowUnknown, out)
			at.pop()
		}
	case "object":
		o, ok := v.(map[string]any)
		if !ok {
			add("want an object, got %s", kind(v))
			return
		}
		if vals, isMap := s.AdditionalProperties.(*Schema); isMap {
			for k, x := range o {
				at.member(k)
				vals.validate(x, at, allowUnknown, out)
				at.pop()
			}
			return
		}
		for _, name := range s.Required {
			if _, ok := o[name]; !ok && s.needed[name] {
				at.member(name)
				*out = append(*out, Violation{at.String(), "missing required field"})
				at.pop()
			}
		}
		for k, x := range o {
			p, known := s.Properties[k]
			at.member(k)
			if !known && !allowUnknown {
				*out = append(*out, Violation{at.String(), "unknown field"})
			} else if known {
				p.validate(x, at, allowUnknown, out)
			}
			at.pop()
		}
	}
}

// validateNumber checks a number against s: a json.Number (Decode's),
// or a float64 (json.Unmarshal's) read as it is, not formatted and parsed
// again; %v shows both as written or as encoding/json would.
func (s *Schema) validateNumber(v any, add func(string, ...any)) {
	var f float64
	var integral bool
	switch n := v.(type) {
	case json.Number:
		f, _ = asFloat(n)
		integral = isInteger(n)
	case float64:
		f, integral = n, n == math.Trunc(n)
	default:
		add("want a%s %s, got %s", map[bool]string{true: "n"}[s.base == "integer"], s.base, kind(v))
		return
	}
	if math.IsInf(f, 0) {
		add("number %v does not fit a float64", v)
		return
	}
	if s.base == "integer" && !integral {
		add("%v is not an integer", v)
		return
	}
	if s.Minimum != nil && f < *s.Minimum {
		add("%v is under the minimum of %v", v, *s.Minimum)
	}
	if s.Maximum != nil && f > *s.Maximum {
		add("%v is over the maximum of %v", v, *s.Maximum)
	}
}

// lengthFits reports, without counting characters, that str is within
// the schema's bounds of characters when its length in bytes decides
// it: a string of n bytes has at most n characters, and at least n/4
// (rounded up; an invalid byte counts as one character). false means
// "count them".
func (s *Schema) lengthFits(str string) bool {
	return (s.MinLength == nil || (len(str)+3)/4 >= *s.MinLength) && (s.MaxLength == nil || len(str) <= *s.MaxLength)
}

func kind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func escape(k string) string { return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1") }

func clip(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "..."
	}
	return s
}
