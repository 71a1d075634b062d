package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// megaCatalogue is a /models answer of about a megabyte: entries in the
// documented shape whose descriptions hold many quotes (escaped), with
// a \u escape in every entry when escaped is set (a server that escapes
// HTML characters or non-ASCII, as Go's encoder does).
func megaCatalogue(escaped bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i := 0; b.Len() < 1<<20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		desc := `Model \"number\" ` + fmt.Sprint(i) + `: \"fast\", \"cheap\", \"good\" at \"code\" and \"prose\"; see [docs](https://example.com/\"x\").`
		if escaped {
			desc += ` Q\u0026A \u2019s`
		}
		fmt.Fprintf(&b, `{"id":"vendor/model-%d","canonical_slug":"vendor/model-%d-2026","hugging_face_id":null,"name":"Vendor: Model %d","created":1750000000,`+
			`"description":"%s","context_length":128000,"architecture":{"modality":"text+image->text","input_modalities":["text","image","file"],`+
			`"output_modalities":["text"],"tokenizer":"GPT","instruct_type":null},"pricing":{"prompt":"0.0000025","completion":"0.00001","request":"0",`+
			`"image":"0.003613","web_search":"0.01","internal_reasoning":"0","input_cache_read":"0.00000125","input_cache_write":"0","audio":"0","discount":0},`+
			`"top_provider":{"context_length":128000,"max_completion_tokens":16384,"is_moderated":true},"per_request_limits":null,`+
			`"supported_parameters":["frequency_penalty","max_tokens","response_format","seed","stop","structured_outputs","temperature","tool_choice","tools","top_p"],`+
			`"default_parameters":{"temperature":null,"top_p":null,"frequency_penalty":null},"expiration_date":null,"knowledge_cutoff":null,`+
			`"reasoning":{"mandatory":false,"supported_efforts":["high","medium","low"],"default_effort":"medium","default_enabled":false},`+
			`"links":{"details":"/api/v1/models/vendor/model-%d/endpoints"}}`, i, i, i, desc, i)
	}
	b.WriteString(`],"total_count":350,"links":{"next":null}}`)
	if !json.Valid(b.Bytes()) {
		panic("megaCatalogue: invalid JSON")
	}
	return b.Bytes()
}

// BenchmarkErrorMemberCatalogue measures the check of a megabyte
// catalogue for an error member (errorMember) against the exact bytes
// check it replaced, and a whole Models() fetch of it, to which the
// check's cost is compared.
func BenchmarkErrorMemberCatalogue(b *testing.B) {
	for _, escaped := range []bool{false, true} {
		body := megaCatalogue(escaped)
		name := fmt.Sprintf("escaped=%v", escaped)
		b.Run(name+"/exact", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if bytes.Contains(body, []byte(`"error"`)) {
					b.Fatal("found")
				}
			}
		})
		b.Run(name+"/errorMember", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if errorMember(body) != nil {
					b.Fatal("found")
				}
			}
		})
		b.Run(name+"/Models", func(b *testing.B) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write(body)
			}))
			defer hs.Close()
			c := NewClient("sk-or-v1-bench", WithBaseURL(hs.URL), WithLimiter(nil))
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := c.fetchModels(context.Background(), "", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestErrorMemberAsEncodingJSON: errorMember finds the top-level member
// encoding/json takes for "error" however it is spelled, finds nothing
// elsewhere (nested, in a string, another name), and takes the first
// non-null one of two (encoding/json keeps the last: a null after the
// error hid it, and the answer passed for a success).
func TestErrorMemberAsEncodingJSON(t *testing.T) {
	const obj = `{"code":502,"message":"x"}`
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{"error":` + obj + `}`, obj},
		{`{"ERROR":` + obj + `}`, obj},
		{`{"eRrOr"` + " \t\r\n:\n " + obj + ` }`, obj},
		{`{"\u0065rror":` + obj + `}`, obj},
		{`{"\u0045\u0052\u0052\u004F\u0052":` + obj + `}`, obj},
		{`{"err\u006fr":` + obj + `,"choices":[]}`, obj},
		{` {"id":"x","choices":[{"message":{"content":"a:b"}}],"error":` + obj + `}`, obj},
		{`{"error":` + obj + `,"Error":null}`, obj},
		{`{"error":null,"error":` + obj + `}`, obj},
		{`{"error":` + obj + `,"error":{"code":400}}`, obj},
		{`{"error":null}`, ""},
		{`{}`, ""},
		{`{"choices":[{"error":` + obj + `}]}`, ""},
		{`{"x":"\"error\":{}"}`, ""},
		{`{"errors":` + obj + `}`, ""},
		{`{"\u0065rrors":` + obj + `}`, ""},
		{`{"err\"or":` + obj + `}`, ""},
		{`{"error":` + obj, ""}, // not JSON
		{`[{"error":` + obj + `}]`, ""},
		{`{"a":1,"error":` + obj + `,}`, ""}, // not JSON
	} {
		got := string(errorMember([]byte(tc.body)))
		if got != tc.want {
			t.Errorf("errorMember(%s) = %q, want %q", tc.body, got, tc.want)
		}
		var env struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal([]byte(tc.body), &env) == nil && string(env.Error) != "null" && len(env.Error) > 0 && got == "" {
			t.Errorf("errorMember(%s) found nothing; encoding/json finds %s", tc.body, env.Error)
		}
	}
}

// FuzzMayHoldErrorKey: mayHoldErrorKey never says no to a body in
// which encoding/json finds an error member.
func FuzzMayHoldErrorKey(f *testing.F) {
	for _, s := range []string{`{"error":{}}`, `{"ERROR" : 1}`, `{"\u0065rror":2}`, `{"a":"b:c","Error":[]}`, `{"x":{"error":1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var env struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal([]byte(body), &env) != nil || len(env.Error) == 0 {
			return
		}
		if !mayHoldErrorKey([]byte(body)) {
			t.Fatalf("mayHoldErrorKey(%q) = false; encoding/json finds %s", body, env.Error)
		}
		if string(env.Error) != "null" && errorMember([]byte(body)) == nil {
			t.Fatalf("errorMember(%q) = nil; encoding/json finds %s", body, env.Error)
		}
	})
}
