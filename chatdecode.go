package openrouter

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The chat answer's fast decoding. json.Unmarshal of a 700-byte answer
// into a ChatResponse costs about as much as the rest of the call's own
// work: a validation pass over the body, then reflection for every
// member. decodeChatFast reads the usual shape of an answer in one pass
// and declines anything else, which json.Unmarshal then decodes as
// before: it is a shortcut, never a second decoder with rules of its
// own. Where it answers, the result is the one json.Unmarshal gives
// (FuzzChatFastDecode holds the two to the same value on any body):
//
//   - the members it reads are the top level's id, model, provider,
//     created, system_fingerprint, service_tier, choices and usage; a
//     choice's index, finish_reason, native_finish_reason, message and a
//     null logprobs; a message's role, content (a string), refusal and
//     reasoning; usage's counts, cost, is_byok and its three detail
//     objects. Any other member of a type the SDK decodes (tool calls,
//     images, logprobs, a choice's error...) declines, so nothing the
//     server sent is left out;
//   - a member the types do not have is checked as JSON and skipped,
//     as json.Unmarshal skips it; one whose name matches a field but for
//     case, a repeated member, an escaped or non-ASCII name, a value of
//     another type and any syntax error decline;
//   - a string with an escape or with bytes that are not UTF-8 is
//     decoded by json.Unmarshal itself, and numbers by strconv as
//     encoding/json does.

// decodeChatFast decodes body into r, which must be the zero value, and
// reports whether it could; r is unchanged when it could not.
func decodeChatFast(body []byte, r *ChatResponse) bool {
	d := fastDec{b: body}
	var v ChatResponse
	d.ws()
	if !d.chat(&v) {
		return false
	}
	d.ws()
	if d.i != len(d.b) {
		return false
	}
	*r = v
	return true
}

// The JSON names of each decoded type's fields, for the case-folded
// matching of encoding/json: a member that is not read here but that
// json.Unmarshal would match declines.
var (
	chatNames    = jsonNames(reflect.TypeFor[ChatResponse]())
	choiceNames  = jsonNames(reflect.TypeFor[Choice]())
	messageNames = jsonNames(reflect.TypeFor[Message]())
	usageNames   = jsonNames(reflect.TypeFor[Usage]())
	promptNames  = jsonNames(reflect.TypeFor[PromptTokensDetails]())
	complNames   = jsonNames(reflect.TypeFor[CompletionTokensDetails]())
	costNames    = jsonNames(reflect.TypeFor[CostDetails]())
)

// jsonNames returns the names encoding/json decodes into a struct type
// without embedded fields.
func jsonNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			panic("openrouter: jsonNames: embedded field " + f.Name) // decodeChatFast would miss its fields
		}
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// fastDec reads b from i.
type fastDec struct {
	b []byte
	i int
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next reports whether the next byte is c, and if so reads it.
func (d *fastDec) next(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// members reads an object, calling member for each member with the
// value's first byte next.
func (d *fastDec) members(member func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	d.ws()
	if d.next('}') {
		return true
	}
	for {
		k, ok := d.key()
		if !ok {
			return false
		}
		d.ws()
		if !d.next(':') {
			return false
		}
		d.ws()
		if !member(k) {
			return false
		}
		d.ws()
		if d.next(',') {
			d.ws()
			continue
		}
		return d.next('}')
	}
}

// key reads a member's name: printable ASCII without escapes.
func (d *fastDec) key() ([]byte, bool) {
	if !d.next('"') {
		return nil, false
	}
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// once marks bit in seen, and declines a member read twice.
func once(seen *uint16, bit uint16) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// other skips the value of a member that names no field of the type
// whose JSON names are names. A name that matches one but for case
// declines, as does a value that is not valid JSON.
func (d *fastDec) other(key []byte, names []string) bool {
	for _, n := range names {
		if len(n) == len(key) && asciiFold(n, key) {
			return false
		}
	}
	return d.skip()
}

func asciiFold(s string, b []byte) bool {
	for i := range len(s) {
		x, y := s[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// maxSkipDepth bounds the nesting of a skipped value. json.Valid checks
// the value alone, while json.Unmarshal counts the nesting from the top
// of the body, up to 10000: a value nested 9998 deep under a message
// passes the one and fails the other. Far below that, it declines.
const maxSkipDepth = 1000

// skip reads any one value, checked by json.Valid, no deeper than
// maxSkipDepth.
func (d *fastDec) skip() bool {
	start := d.i
	return d.skipRaw(maxSkipDepth) && json.Valid(d.b[start:d.i])
}

// skipRaw reads any one value, unchecked (skip checks it; errorMember
// checks the whole body once it found an error member), no deeper than
// maxDepth (0: any depth).
func (d *fastDec) skipRaw(maxDepth int) bool {
	if d.i >= len(d.b) {
		return false
	}
	switch d.b[d.i] {
	case '"':
		return d.skipString()
	case '{', '[':
		depth := 0
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case '"':
				if !d.skipString() {
					return false
				}
				continue
			case '{', '[':
				if depth++; maxDepth > 0 && depth > maxDepth {
					return false
				}
			case '}', ']':
				depth--
			}
			d.i++
			if depth == 0 {
				return true
			}
		}
		return false
	}
	for d.i < len(d.b) { // a number or a literal: up to the next delimiter
		switch d.b[d.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return true
		}
		d.i++
	}
	return true
}

// skipString reads a string up to its closing quote, unchecked.
func (d *fastDec) skipString() bool {
	for d.i++; d.i < len(d.b); d.i++ {
		switch d.b[d.i] {
		case '\\':
			d.i++
		case '"':
			d.i++
			return true
		}
	}
	return false
}

// null reads the literal null, which leaves every field decodeChatFast
// reads at its zero value, as json.Unmarshal does.
func (d *fastDec) null() bool {
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// str reads a string or null into p.
func (d *fastDec) str(p *string) bool {
	if d.null() {
		return true
	}
	if !d.next('"') {
		return false
	}
	start, esc, high := d.i, false, false
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			s := d.b[start : d.i-1]
			if esc || high && !utf8.Valid(s) { // as encoding/json unquotes it
				return json.Unmarshal(d.b[start-1:d.i], p) == nil
			}
			*p = known(s)
			return true
		case c == '\\':
			esc = true
			d.i++
		case c < 0x20:
			return false
		case c >= 0x80:
			high = true
		}
	}
	return false
}

// known returns the usual values of roles and finish reasons without
// allocating.
func known(b []byte) string {
	switch string(b) {
	case "assistant":
		return "assistant"
	case "stop":
		return "stop"
	case "length":
		return "length"
	case "tool_calls":
		return "tool_calls"
	}
	return string(b)
}

// number reads a JSON number.
func (d *fastDec) number() ([]byte, bool) {
	b, i := d.b, d.i
	digits := func() int {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	start := d.i
	d.i = i
	return b[start:i], true
}

// integer reads an integer of at most 18 digits, or null, into p.
func (d *fastDec) integer(p *int64) bool {
	if d.null() {
		return true
	}
	n, ok := d.number()
	if !ok || len(n) > 18 {
		return false
	}
	v, err := strconv.ParseInt(string(n), 10, 64) // "1.0" and "1e3" fail, as in encoding/json
	*p = v
	return err == nil
}

// count reads an int of at most 9 digits (an int of any platform), or null, into p.
func (d *fastDec) count(p *int) bool {
	var v int64
	if !d.integer(&v) || v > 999_999_999 || v < -999_999_999 {
		return false
	}
	*p = int(v)
	return true
}

// float reads a float64, or null, into p, as encoding/json does.
func (d *fastDec) float(p *float64) bool {
	if d.null() {
		return true
	}
	n, ok := d.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(string(n), 64)
	*p = v
	return err == nil
}

func (d *fastDec) boolean(p *bool) bool {
	switch {
	case d.null():
	case len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "true":
		d.i += 4
		*p = true
	case len(d.b)-d.i >= 5 && string(d.b[d.i:d.i+5]) == "false":
		d.i += 5
	default:
		return false
	}
	return true
}

// object reads an object into a new *T with read, or null (p stays nil).
func object[T any](d *fastDec, p **T, read func(*T) bool) bool {
	if d.null() {
		return true
	}
	v := new(T)
	*p = v
	return read(v)
}

func (d *fastDec) chat(r *ChatResponse) bool {
	var seen uint16
	return d.members(func(k []byte) bool {
		switch string(k) {
		case "id":
			return once(&seen, 1<<0) && d.str(&r.ID)
		case "model":
			return once(&seen, 1<<1) && d.str(&r.Model)
		case "provider":
			return once(&seen, 1<<2) && d.str(&r.Provider)
		case "created":
			return once(&seen, 1<<3) && d.integer(&r.Created)
		case "system_fingerprint":
			return once(&seen, 1<<4) && d.str(&r.SystemFingerprint)
		case "service_tier":
			return once(&seen, 1<<5) && d.str(&r.ServiceTier)
		case "choices":
			return once(&seen, 1<<6) && d.choices(&r.Choices)
		case "usage":
			return once(&seen, 1<<7) && object(d, &r.Usage, d.usage)
		}
		return d.other(k, chatNames)
	})
}

// choices reads an array of choice objects, or null.
func (d *fastDec) choices(p *[]Choice) bool {
	if d.null() {
		return true
	}
	if !d.next('[') {
		return false
	}
	cs := []Choice{} // [] decodes to an empty slice, not nil
	d.ws()
	if !d.next(']') {
		for {
			cs = append(cs, Choice{})
			if !d.choice(&cs[len(cs)-1]) {
				return false
			}
			d.ws()
			if d.next(']') {
				break
			}
			if !d.next(',') {
				return false
			}
			d.ws()
		}
	}
	*p = cs
	return true
}

func (d *fastDec) choice(c *Choice) bool {
	var seen uint16
	return d.members(func(k []byte) bool {
		switch string(k) {
		case "index":
			return once(&seen, 1<<0) && d.count(&c.Index)
		case "finish_reason":
			return once(&seen, 1<<1) && d.str(&c.FinishReason)
		case "native_finish_reason":
			return once(&seen, 1<<2) && d.str(&c.NativeFinishReason)
		case "logprobs":
			return once(&seen, 1<<3) && d.null()
		case "message":
			return once(&seen, 1<<4) && d.message(&c.Message)
		}
		return d.other(k, choiceNames)
	})
}

func (d *fastDec) message(m *Message) bool {
	var seen uint16
	return d.members(func(k []byte) bool {
		switch string(k) {
		case "role":
			return once(&seen, 1<<0) && d.str(&m.Role)
		case "content": // an array of parts declines: decodeContentParts reads it
			return once(&seen, 1<<1) && d.str(&m.Content)
		case "refusal":
			return once(&seen, 1<<2) && d.str(&m.Refusal)
		case "reasoning":
			return once(&seen, 1<<3) && d.str(&m.Reasoning)
		}
		return d.other(k, messageNames)
	})
}

func (d *fastDec) usage(u *Usage) bool {
	var seen uint16
	return d.members(func(k []byte) bool {
		switch string(k) {
		case "prompt_tokens":
			return once(&seen, 1<<0) && d.count(&u.PromptTokens)
		case "completion_tokens":
			return once(&seen, 1<<1) && d.count(&u.CompletionTokens)
		case "total_tokens":
			return once(&seen, 1<<2) && d.count(&u.TotalTokens)
		case "cost":
			return once(&seen, 1<<3) && d.float(&u.Cost)
		case "is_byok":
			return once(&seen, 1<<4) && d.boolean(&u.IsBYOK)
		case "prompt_tokens_details":
			return once(&seen, 1<<5) && object(d, &u.PromptTokensDetails, d.promptDetails)
		case "completion_tokens_details":
			return once(&seen, 1<<6) && object(d, &u.CompletionTokensDetails, d.completionDetails)
		case "cost_details":
			return once(&seen, 1<<7) && object(d, &u.CostDetails, d.costDetails)
		}
		return d.other(k, usageNames)
	})
}

func (d *fastDec) promptDetails(p *PromptTokensDetails) bool {
	var seen uint16
	return d.members(func(k []byte) bool {
		switch string(k) {
		case "cached_tokens":
			return once(&seen, 1<<0) && d.count(&p.CachedTokens)
		case "cache_write_tokens":
			return once(&seen, 1<<1) && d.count(&p.CacheWriteTokens)
		case "audio_tokens":
			return once(&seen, 1<<2) && d.count(&p.AudioTokens)
		case "video_tokens":
			return once(&seen, 1<<3) && d.count(&p.VideoTokens)
		}
		return d.other(k, promptNames)
	})
}

func (d *fastDec) completionDetails(c *CompletionTokensDetails) bool {
	var seen uint16
	return d.members(func(k []byte) bool {
		switch string(k) {
		case "reasoning_tokens":
			return once(&seen, 1<<0) && d.count(&c.ReasoningTokens)
		case "image_tokens":
			return once(&seen, 1<<1) && d.count(&c.ImageTokens)
		case "audio_tokens":
			return once(&seen, 1<<2) && d.count(&c.AudioTokens)
		case "accepted_prediction_tokens":
			return once(&seen, 1<<3) && d.count(&c.AcceptedPredictionTokens)
		case "rejected_prediction_tokens":
			return once(&seen, 1<<4) && d.count(&c.RejectedPredictionTokens)
		}
		return d.other(k, complNames)
	})
}

func (d *fastDec) costDetails(c *CostDetails) bool {
	var seen uint16
	return d.members(func(k []byte) bool {
		switch string(k) {
		case "upstream_inference_cost":
			return once(&seen, 1<<0) && object(d, &c.UpstreamInferenceCost, d.float)
		case "upstream_inference_prompt_cost":
			return once(&seen, 1<<1) && d.float(&c.UpstreamInferencePromptCost)
		case "upstream_inference_completions_cost":
			return once(&seen, 1<<2) && d.float(&c.UpstreamInferenceCompletionsCost)
		}
		return d.other(k, costNames)
	})
}
