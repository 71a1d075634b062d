package openrouter

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// embeddingAnswerJSON is an answer of n vectors of dims numbers each, as
// a provider sends them.
func embeddingAnswerJSON(n, dims int) []byte {
	r := rand.New(rand.NewSource(1))
	var sb strings.Builder
	sb.WriteString(`{"id":"gen-emb-1","model":"openai/text-embedding-3-small","object":"list","data":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"object":"embedding","index":%d,"embedding":[`, i)
		for j := range dims {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatFloat(r.Float64()*0.2-0.1, 'g', -1, 32))
		}
		sb.WriteString(`]}`)
	}
	fmt.Fprintf(&sb, `],"usage":{"prompt_tokens":%d,"total_tokens":%d,"cost":0.0001}}`, 4*n, 4*n)
	return []byte(sb.String())
}

// plainEmbeddings is what a program decoding the answer by hand would
// write: encoding/json into [][]float32.
type plainEmbeddings struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

// TestEmbeddingDecodeAllocatesAsUnmarshal holds issue 26's bound: an
// answer's vectors are decoded in one pass, with no more allocations
// than json.Unmarshal into [][]float32, and to the same values.
func TestEmbeddingDecodeAllocatesAsUnmarshal(t *testing.T) {
	body := embeddingAnswerJSON(100, 64)
	var plain plainEmbeddings
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatal(err)
	}
	var ans embeddingAnswer
	if err := decode200(body, &ans); err != nil {
		t.Fatal(err)
	}
	vecs, err := ans.vectors("m/e", 100, 64)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range plain.Data {
		for j, f := range d.Embedding {
			if vecs[i][j] != f {
				t.Fatalf("vector %d value %d: %v, encoding/json gives %v", i, j, vecs[i][j], f)
			}
		}
	}
	base := testing.AllocsPerRun(20, func() {
		var p plainEmbeddings
		_ = json.Unmarshal(body, &p)
	})
	sdk := testing.AllocsPerRun(20, func() {
		var a embeddingAnswer
		_ = json.Unmarshal(body, &a)
		_, _ = a.vectors("m/e", 100, 64)
	})
	t.Logf("100 vectors of 64: %v allocations, json.Unmarshal %v", sdk, base)
	if sdk > base {
		t.Fatalf("decoding 100 vectors: %v allocations, json.Unmarshal into [][]float32 %v", sdk, base)
	}
}

// TestEmbeddingVectorRejects checks that the one-pass decoder refuses
// what json.Unmarshal into []float32 refuses, and a null inside a vector
// (which encoding/json would have left as a silent 0), keeping the error
// for the embedding it concerns.
func TestEmbeddingVectorRejects(t *testing.T) {
	for _, emb := range []string{`[]`, `[1,"2"]`, `[1,null]`, `[[1]]`, `[1e39]`, `[-1e39]`, `[{"a":1}]`, `[true]`, `5`, `null`, `"@@"`, `""`} {
		body := []byte(`{"data":[{"index":0,"embedding":` + emb + `}]}`)
		var ans embeddingAnswer
		if err := decode200(body, &ans); err != nil {
			t.Fatalf("%s: the answer itself failed: %v", emb, err)
		}
		if _, err := ans.vectors("m/e", 1, 0); err == nil {
			t.Errorf("%s: accepted", emb)
		}
	}
	body := []byte(`{"data":[{"index":0,"embedding":[ 1 , -2.5e-3,0 ]}]}`)
	var ans embeddingAnswer
	if err := decode200(body, &ans); err != nil {
		t.Fatal(err)
	}
	v, err := ans.vectors("m/e", 1, 3)
	if err != nil || v[0][0] != 1 || v[0][1] != -2.5e-3 || v[0][2] != 0 {
		t.Fatalf("got %v, %v", v, err)
	}
	var missing embeddingAnswer
	if err := decode200([]byte(`{"data":[{"index":0}]}`), &missing); err != nil {
		t.Fatal(err)
	}
	if _, err := missing.vectors("m/e", 1, 0); err == nil {
		t.Error("an answer without its embedding was accepted")
	}
}
