package openrouter

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
)

// fuzzKey is the key of the fuzzed client: an answer may echo it, no
// error may show it.
const fuzzKey = "sk-or-v1-fuzz0123456789abcdef0123456789abcdef"

// fuzzClient is the client whose key the answers echo.
var fuzzClient = NewClient(fuzzKey)

// decode200 decodes a 200 answer as getJSON does: decodeBody, then the
// call state's annotation (which redacts the key).
func decode200(b []byte, out any) error {
	st := &callState{client: fuzzClient}
	return st.annotate(decodeJSON(&http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, b, out))
}

// FuzzBatchResultsPage decodes a page of batch results, and a batch, as
// Batches.Results and Batches.Get do, and reads every result as a caller
// would: no panic, exactly one of completion and error, a typed error,
// and never the key in an error.
func FuzzBatchResultsPage(f *testing.F) {
	f.Add([]byte(`{"data":[{"id":"r1","custom_id":"a","response":{"status_code":200,"request_id":"q","body":{"id":"gen-batch-1","model":"m/x","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":0.1}}},"error":null}],"has_more":true,"next_cursor":"c1"}`))
	f.Add([]byte(`{"data":[{"id":"r2","custom_id":"b","response":{"status_code":402,"body":{"error":{"code":402,"message":"Insufficient credits for ` + fuzzKey + `"}}}}],"has_more":false,"next_cursor":null}`))
	f.Add([]byte(`{"data":[{"id":"r3","custom_id":"c","error":{"code":"expired","message":"the batch expired ` + fuzzKey + `"}}],"has_more":false}`))
	f.Add([]byte(`{"data":[{"custom_id":"d","response":{"status_code":200,"body":{"error":{"code":502,"message":"upstream"}}}}]}`))
	f.Add([]byte(`{"data":[{"custom_id":"e","response":{"status_code":200,"body":"<html>"}},{"custom_id":"e","response":null,"error":null}]}`))
	f.Add([]byte(`{"data":[{"custom_id":"f","response":{"status_code":-1,"body":{"choices":[{"message":{"content":[{"type":"text","text":"x"}]}}]}}}]}`))
	f.Add([]byte(`{"id":"batch_1","status":"completed","created_at":"2026-11-26T00:00:00Z","finalized_at":1e300,"expires_at":null,"provider":null,"request_counts":{"total":-5,"completed":9e18,"failed":1},"usage":{"cost":-1},"results":[{"custom_id":"a","error":{"message":"x"}}]}`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`{"data":[null, {"custom_id":null}]}`))
	c := fuzzClient
	f.Fuzz(func(t *testing.T, body []byte) {
		var page batchResultsPage
		if err := decode200(body, &page); err != nil {
			checkFuzzError(t, err)
		} else {
			for i := range page.Data {
				r := &page.Data[i]
				r.redact = c.redactError
				res, err := r.Chat()
				if (res == nil) == (err == nil) {
					t.Fatalf("result %d: completion %v and error %v", i, res, err)
				}
				if err != nil {
					checkFuzzError(t, err)
					if !errors.Is(err, ErrServer) && !errors.Is(err, ErrEmptyContent) && kindOf(err) == 0 {
						t.Fatalf("result %d: untyped error %T %v", i, err, err)
					}
				}
			}
		}
		var b Batch
		if err := decode200(body, &b); err != nil {
			checkFuzzError(t, err)
			return
		}
		if err := b.Err(); err != nil {
			_ = err.Error()
		}
		for i := range b.Results {
			b.Results[i].redact = c.redactError
			if err := b.Results[i].Err(); err != nil {
				checkFuzzError(t, err)
			}
		}
	})
}

// kindOf returns how many sentinels err's *APIError matches (0 when it
// is none).
func kindOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return len(e.kind)
	}
	return 0
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, fuzzKey) {
			t.Fatalf("the key is in the error: %s", s)
		}
	}
}

func b64Vector(fs ...float32) string {
	b := make([]byte, 4*len(fs))
	for i, v := range fs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// FuzzEmbeddingAnswer decodes an /embeddings answer and its vectors, as
// Embed does: either one finite vector per input, of the asked size, or
// an ErrServer error; never a panic.
func FuzzEmbeddingAnswer(f *testing.F) {
	f.Add([]byte(`{"id":"e1","model":"m/e","data":[{"index":1,"embedding":[0.5,1]},{"index":0,"embedding":[1,2]}],"usage":{"prompt_tokens":2,"total_tokens":2,"cost":0.001}}`), 2, 2)
	f.Add([]byte(`{"data":[{"index":0,"embedding":"`+b64Vector(1, 2, 3)+`"}]}`), 1, 0)
	f.Add([]byte(`{"data":[{"index":0,"embedding":"AAA"}]}`), 1, 0)
	f.Add([]byte(`{"data":[{"index":0,"embedding":"`+b64Vector(float32(math.NaN()))+`"}]}`), 1, 0)
	f.Add([]byte(`{"data":[{"index":-1,"embedding":[1]},{"index":null,"embedding":null}]}`), 2, 0)
	f.Add([]byte(`{"data":[{"index":0,"embedding":[1e39]}]}`), 1, 0)
	f.Add([]byte(`{"data":[{"index":0,"embedding":{"a":1}}],"usage":null}`), 1, 1)
	f.Add([]byte(`{"data":[{"index":9223372036854775807,"embedding":[1]}]}`), 1, 0)
	f.Fuzz(func(t *testing.T, body []byte, want, dims int) {
		if want < 0 || want > 1<<10 || dims < 0 {
			return
		}
		var ans embeddingAnswer
		if err := decode200(body, &ans); err != nil {
			if !errors.Is(err, ErrServer) && kindOf(err) == 0 {
				t.Fatalf("untyped decode error %T %v", err, err)
			}
			return
		}
		vecs, err := ans.vectors("m/e", want, dims)
		if err != nil {
			if !errors.Is(err, ErrServer) {
				t.Fatalf("error %v is not ErrServer", err)
			}
			return
		}
		if len(vecs) != want {
			t.Fatalf("%d vectors for %d inputs", len(vecs), want)
		}
		for i, v := range vecs {
			if len(v) == 0 || dims > 0 && len(v) != dims || len(v) != len(vecs[0]) {
				t.Fatalf("vector %d has %d values (dims %d)", i, len(v), dims)
			}
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("vector %d holds %v", i, x)
				}
			}
		}
		_ = json.Valid(body)
	})
}

// FuzzImagesAnswer decodes a POST /images answer as GenerateImage does:
// at least one identified image, or a *NoImageError; never a panic.
func FuzzImagesAnswer(f *testing.F) {
	png := "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	f.Add([]byte(`{"data":[{"b64_json":"` + png + `","media_type":"image/png"}],"usage":{"cost":0.04}}`))
	f.Add([]byte(`{"data":[{"b64_json":"` + png + `","media_type":"image/jpeg"},{"b64_json":"!!","media_type":""}]}`))
	f.Add([]byte(`{"data":[{"b64_json":"","media_type":null}],"usage":null}`))
	f.Add([]byte(`{"data":[{"b64_json":"R0lGODlhAQABAAAAACw=","media_type":"image/gif"}]}`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`{"error":{"code":402,"message":"no credits"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out imagesAnswer
		if err := decode200(body, &out); err != nil {
			return
		}
		res, err := out.result("black-forest-labs/flux")
		if (res == nil) == (err == nil) {
			t.Fatalf("result %v and error %v", res, err)
		}
		if err != nil {
			var ne *NoImageError
			if !errors.As(err, &ne) || !errors.Is(err, ErrNoImage) {
				t.Fatalf("error %T %v, want *NoImageError", err, err)
			}
			_ = err.Error()
			return
		}
		if len(res.Images) == 0 {
			t.Fatal("a result without images")
		}
		for i, im := range res.Images {
			if len(im.Data) == 0 || im.MIME == "" {
				t.Fatalf("image %d: %d bytes, MIME %q", i, len(im.Data), im.MIME)
			}
		}
	})
}
