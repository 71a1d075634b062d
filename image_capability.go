package openrouter

import (
	"encoding/json"
	"strconv"
)

// UnmarshalJSON decodes a capability descriptor leniently: a field not of
// its documented JSON type (min given as a string, values as an object,
// the descriptor not an object at all) is left empty instead of making
// the whole image catalogue unreadable. An empty enum or range says
// nothing the SDK enforces: the server decides.
func (c *ImageCapability) UnmarshalJSON(b []byte) error {
	*c = ImageCapability{}
	var w struct {
		Type, Values, Min, Max json.RawMessage
	}
	if json.Unmarshal(b, &w) != nil {
		return nil // not an object: the parameter is listed, its shape unknown
	}
	_ = json.Unmarshal(w.Type, &c.Type)
	if json.Unmarshal(w.Values, &c.Values) != nil {
		c.Values = nil
	}
	c.Min, c.Max = lenientNumber(w.Min), lenientNumber(w.Max)
	if c.Max != 0 && c.Min > c.Max || len(w.Max) > 0 && c.Max == 0 && c.Min > 0 {
		c.Min, c.Max = 0, 0 // an empty range: nothing to enforce
	}
	return nil
}

// lenientNumber reads a JSON number, or a string holding one; anything
// else is 0.
func lenientNumber(raw json.RawMessage) float64 {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return 0
}
