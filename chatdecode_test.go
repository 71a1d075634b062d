package openrouter

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// fastAnswers are answers decodeChatFast reads itself: the benchmark's,
// and OpenRouter's usual members (cost details, nulls, escapes, unknown
// members, whitespace).
var fastAnswers = []string{
	`{"id":"gen-1727282430-aBcDeFgHiJkLmNoPqRsT","provider":"OpenAI","model":"openai/gpt-4o-mini","object":"chat.completion","created":1727282430,"system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"stop","logprobs":null,"message":{"role":"assistant","content":"Go's errors.Is walks the chain.","refusal":null,"reasoning":null}}],"usage":{"prompt_tokens":24,"completion_tokens":46,"total_tokens":70,"cost":0.0000312,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`,
	"{ \"id\" : \"g\",\n\t\"choices\" : [ { \"index\" : 1 , \"message\" : { \"role\" : \"assistant\", \"content\" : \"line\\none \\\"q\\\" \\u00e9\\ud83d\\ude00 caf\xc3\xa9\" } } ] ,\r\n \"usage\" : null }",
	`{"id":"g","choices":[],"usage":{"cost":1e-7,"is_byok":true,"cost_details":{"upstream_inference_cost":0.5,"upstream_inference_prompt_cost":0.25,"upstream_inference_completions_cost":-0}}}`,
	`{"id":"g","choices":[{"message":{"content":null,"refusal":"no","reasoning":"r"},"finish_reason":null}],"usage":{"cost_details":{"upstream_inference_cost":null},"prompt_tokens_details":null},"x":{"a":[1,{"b":"]"}],"c":"\"}"},"y":[],"z":-1.5E+3,"w":true}`,
	`{"error":{"code":502,"message":"m"},"choices":[{"index":0,"finish_reason":"error","message":{"content":""}}]}`,
	`{"created":-0,"service_tier":"default","choices":[{"index":-7}]}`,
	"{\"id\":\"bad \xff utf-8\",\"choices\":[{\"message\":{\"content\":\"\xed\xa0\x80\"}}]}",
}

// declined are answers decodeChatFast leaves to json.Unmarshal: every
// one either has a member it does not read, or breaks a rule of its own.
var declined = []string{
	`{"ID":"g","choices":[]}`, // a field's name in another case
	`{"id":"a","id":"b"}`,     // a member twice
	`{"choices":[{"message":{"content":[{"type":"text","text":"a"}]}}]}`, // content parts
	`{"choices":[{"message":{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}`,
	`{"choices":[{"message":{"content":"x","images":[{"type":"image_url","image_url":{"url":"data:,"}}]}}]}`,
	`{"choices":[{"error":{"code":502},"finish_reason":"error"}]}`,
	`{"choices":[{"logprobs":{"content":[]}}]}`,
	`{"choices":[null]}`,
	`{"usage":{"server_tool_use_details":{"web_search_requests":1}}}`,
	`{"openrouter_metadata":{"strategy":"s"}}`,
	`{"created":1.5}`,
	`{"created":"1"}`,
	`{"usage":{"prompt_tokens":12345678901}}`,
	`{"usage":{"cost":1e400}}`,
	`{"id":"g"} x`,
	`{"id":"g",}`,
	`{"x":01}`,
	`{"x":"\q"}`,
	`{"x":tru}`,
	`{"\u0069d":"g"}`,
	`null`,
	`[]`,
	// nested 9998 deep under a message: valid alone, too deep for
	// json.Unmarshal, which counts the four levels above it
	`{"choices":[{"message":{"x":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}}]}`,
	`{"x":` + strings.Repeat("[", maxSkipDepth+1) + strings.Repeat("]", maxSkipDepth+1) + `}`,
}

// hostile are bodies at the edges of JSON and of the answer's shape
// (BOM, control bytes, numbers out of range, lone surrogates, null for
// every field, names of unexported or "-" fields, broken syntax in
// skipped members): the fuzz seeds hold decodeChatFast to json.Unmarshal
// on each, whether it reads them or declines.
var hostile = []string{
	"\xef\xbb\xbf{\"id\":\"g\"}",
	"{\"id\":\"g\"}\x00",
	"{\"id\":\"g\"}\u00a0",
	`{"created":1e400}`, `{"created":-0}`, `{"created":007}`, `{"created":999999999999999999}`, `{"created":-999999999999999999}`,
	`{"usage":{"cost":-0}}`, `{"usage":{"cost":1e-400}}`, `{"usage":{"cost":4.9e-324}}`, `{"usage":{"cost":1.7976931348623157e309}}`,
	`{"usage":{"prompt_tokens":1.0}}`, `{"usage":{"prompt_tokens":-0}}`, `{"usage":{"prompt_tokens":999999999}}`,
	`{"id":null,"model":null,"provider":null,"created":null,"system_fingerprint":null,"service_tier":null,"choices":null,"usage":null}`,
	`{"choices":[{"index":null,"finish_reason":null,"native_finish_reason":null,"logprobs":null,"message":{"role":null,"content":null,"refusal":null,"reasoning":null}}],"usage":{"prompt_tokens":null,"completion_tokens":null,"total_tokens":null,"cost":null,"is_byok":null,"prompt_tokens_details":{"cached_tokens":null},"completion_tokens_details":{"reasoning_tokens":null},"cost_details":{"upstream_inference_cost":null,"upstream_inference_prompt_cost":null,"upstream_inference_completions_cost":null}}}`,
	`{"choices":{}}`, `{"choices":"x"}`, `{"usage":[]}`, `{"":1}`, `{"":1,"":2}`,
	`{"id":"\ud800"}`, `{"id":"\udc00\ud800"}`, "{\"id\":\"\xed\xa0\x80\"}", "{\"id\":\"\xef\xbf\xbd\"}", "{\"id\":\"a\x7f\"}",
	`{"id":"\u0000"}`, "{\"id\":\"\x01\"}", `{"x":"\u00"}`, `{"x":"\uD83D\uDE00"}`,
	`{"MaybeBilled":3,"Recovered":true,"raw":"x","Raw":"y","Parts":[1],"-":1}`,
	`{"maybebilled":3}`, `{"choices":[{"message":{"parts":1,"Parts":2}}]}`,
	`{"x":1 }`, `{"x":[1 , 2 ] , "y" : { } }`, `{"x":+1}`, `{"x":.5}`, `{"x":1.}`, `{"x":1e}`, `{"x":-}`, `{"x":0x1}`, `{"x":Infinity}`, `{"x":NaN}`,
	`{"x":"a"}`, `{"x":'a'}`, `{"x":[}`, `{"x":{]}`, `{"x":{"a"}}`, `{"x":{"a":}}`, `{"x":[1,]}`, `{"x":{"a":1,}}`,
	`{"is_byok":true}`, `{"usage":{"is_byok":true,"IS_BYOK":false}}`, `{"usage":{"is_byok":"true"}}`, `{"usage":{"is_byok":1}}`,
	`{"choices":[{"logprobs":null,"logprobs":null}]}`, `{"choices":[{"Logprobs":null}]}`, `{"choices":[{"error":null}]}`,
	`{"choices":[{"message":{"content":"a"}},{"message":{"content":"b"}}]}`, `{"choices":[ ]}`, `{"choices":[{}]}`, `{"choices":[{},]}`,
	`{"usage":{"cost_details":{"upstream_inference_cost":-0}}}`, `{"usage":{"cost_details":null,"prompt_tokens_details":{},"completion_tokens_details":{}}}`,
	`{"openrouter_metadata":null}`, `{"OpenRouter_Metadata":null}`, `{"server_tool_use_details":1}`, `{"usage":{"server_tool_use_details":null}}`,
	" \t\r\n{ \t\r\n\"id\" \t\r\n: \t\r\n\"g\" \t\r\n} \t\r\n", "{\"id\":\"g\"}\f", "\v{}",
	`{"x":"\"","id":"g"}`, `{"x":"\\","id":"g"}`, `{"x":["\\\"]"],"id":"g"}`,
	`{"usage":{"prompt_tokens":1,"usage":2}}`, `{"choices":[{"message":{"role":"assistant","role":"user"}}]}`,
	`{"x":true,"y":false,"z":null,"w":nul}`, `{"x":truex}`, `{"x":1}}`, `{"x":1}]`, `{}`, `{`, `{"id"`, `{"id":`, `{"id":"g"`, `{"id":"g",`,
}

// TestChatFastDecodeAsUnmarshal holds decodeChatFast to json.Unmarshal's
// value on the answers it reads, and checks that it leaves the others.
func TestChatFastDecodeAsUnmarshal(t *testing.T) {
	for _, body := range fastAnswers {
		var fast ChatResponse
		if !decodeChatFast([]byte(body), &fast) {
			t.Errorf("declined: %s", body)
			continue
		}
		var want ChatResponse
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatalf("json.Unmarshal: %v on %s", err, body)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Errorf("%s\nfast %+v\nwant %+v", body, fast, want)
		}
	}
	for _, body := range declined {
		var fast ChatResponse
		if decodeChatFast([]byte(body), &fast) {
			t.Errorf("read, should decline: %s", body)
		}
		if !reflect.ValueOf(fast).IsZero() {
			t.Errorf("declined but changed its answer: %s", body)
		}
	}
}

// TestChatFastDecodeKeepsNothingBack checks that the answers it declines
// still arrive whole through decodeJSON: tool calls, images and content
// parts are filled in.
func TestChatFastDecodeKeepsNothingBack(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   func(*ChatResponse) bool
	}{
		{declined[2], func(r *ChatResponse) bool { return len(r.Choices[0].Message.Parts) == 1 }},
		{declined[3], func(r *ChatResponse) bool { return len(r.Choices[0].Message.ToolCalls) == 1 }},
		{declined[4], func(r *ChatResponse) bool { return len(r.Choices[0].Message.Images) == 1 }},
		{declined[8], func(r *ChatResponse) bool { return r.Usage.ServerToolUse.WebSearchRequests == 1 }},
		{fastAnswers[0], func(r *ChatResponse) bool { return string(r.Raw()) == fastAnswers[0] && r.Usage.Cost == 0.0000312 }},
	} {
		var r ChatResponse
		if err := decodeJSON(&http.Response{StatusCode: 200, Header: http.Header{}}, []byte(tc.body), &r); err != nil || !tc.ok(&r) {
			t.Errorf("%s: %v, %+v", tc.body, err, r)
		}
	}
}

// FuzzChatFastDecode: on any body, decodeChatFast either declines or
// gives exactly what json.Unmarshal gives, which then succeeds.
// Seeds: testdata/fuzz/FuzzChatFastDecode.
func FuzzChatFastDecode(f *testing.F) {
	for _, s := range append(append(fastAnswers, declined...), hostile...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast ChatResponse
		if !decodeChatFast(body, &fast) {
			if !reflect.ValueOf(fast).IsZero() {
				t.Fatalf("declined but changed its answer")
			}
			return
		}
		var want ChatResponse
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("read what json.Unmarshal refuses (%v)", err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("fast %+v\nwant %+v", fast, want)
		}
	})
}
