package openrouter

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// embeddingAnswer is the 200 answer of /embeddings.
type embeddingAnswer struct {
	ID    string `json:"id"`
	Model string `json:"model"`
	Data  []struct {
		Index     *int            `json:"index"`
		Embedding embeddingVector `json:"embedding"`
	} `json:"data"`
	Usage *EmbeddingUsage `json:"usage"`
}

// vectors returns the answer's want vectors in input order, checking
// that each input has exactly one, all of one size: dims values when
// dims > 0.
func (ans *embeddingAnswer) vectors(model string, want, dims int) ([][]float32, error) {
	if len(ans.Data) != want {
		return nil, malformed(model, "%d embeddings for %d inputs", len(ans.Data), want)
	}
	vecs := make([][]float32, want)
	for i, d := range ans.Data {
		idx := i
		if d.Index != nil {
			idx = *d.Index
		}
		if idx < 0 || idx >= want || vecs[idx] != nil {
			return nil, malformed(model, "embedding index %d out of range or repeated", idx)
		}
		v, err := d.Embedding.v, d.Embedding.err
		if err == nil && len(v) == 0 {
			err = errors.New("no embedding")
		}
		if err != nil {
			return nil, malformed(model, "embedding %d: %v", idx, err)
		}
		if dims > 0 && len(v) != dims {
			return nil, malformed(model, "embedding %d has %d dimensions, %d were asked for", idx, len(v), dims)
		}
		if dims == 0 {
			dims = len(v) // the others must have as many
		}
		vecs[idx] = v
	}
	return vecs, nil
}

// embeddingVector is one answer's embedding, decoded while the answer
// is: encoding/json hands it the value's bytes, which are read once. A
// vector that cannot be decoded keeps its error, so that the answer (and
// its cost) still arrives and vectors reports which embedding failed.
type embeddingVector struct {
	v   []float32
	err error
}

// UnmarshalJSON decodes an embedding sent as an array of numbers or as
// base64 of little-endian float32s. It never fails: see embeddingVector.
func (e *embeddingVector) UnmarshalJSON(raw []byte) error {
	e.v, e.err = decodeVector(raw)
	return nil
}

// decodeVector decodes an embedding sent as an array of numbers or as
// base64 of little-endian float32s.
func decodeVector(raw []byte) ([]float32, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		return decodeBase64Vector(raw)
	case len(raw) > 0 && raw[0] == '[':
		if v, ok := parseFloats(raw); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("neither a number array nor base64: %s", clip(string(raw), 40))
}

// parseFloats decodes a JSON array of numbers into a slice allocated
// once at its final size. encoding/json has checked that raw is valid
// JSON; any element that is not a number in float32's range fails.
func parseFloats(raw []byte) ([]float32, bool) {
	body := bytes.TrimSpace(raw[1 : len(raw)-1])
	if len(body) == 0 {
		return nil, false
	}
	v := make([]float32, 0, bytes.Count(body, []byte{','})+1)
	for len(body) > 0 {
		end := bytes.IndexByte(body, ',')
		if end < 0 {
			end = len(body)
		}
		tok := bytes.TrimSpace(body[:end])
		if len(tok) == 0 || tok[0] != '-' && (tok[0] < '0' || tok[0] > '9') {
			return nil, false // a string, null, object, array or bool
		}
		f, err := strconv.ParseFloat(string(tok), 32)
		if err != nil {
			return nil, false
		}
		v = append(v, float32(f))
		if end == len(body) {
			break
		}
		body = body[end+1:]
	}
	return v, true
}

// decodeBase64Vector decodes a JSON string of base64 of little-endian
// float32s.
func decodeBase64Vector(raw []byte) ([]float32, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("neither a number array nor base64: %s", clip(string(raw), 40))
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad base64: %v", err)
	}
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("%d bytes of base64 is not a float32 vector", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		f := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil, fmt.Errorf("value %d of the base64 vector is %v", i, f)
		}
		v[i] = f
	}
	return v, nil
}
