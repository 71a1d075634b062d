// Package openapischema compiles schemas of OpenRouter's OpenAPI document
// (a YAML file of test data) for the tests that validate requests and the
// fake server's answers against it. Only tests import it.
package openapischema

import (
	"bytes"
	"encoding/json"
	"os"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// docURL names the document for the compiler; no request is made to it.
const docURL = "https://openrouter.ai/openapi.json"

var (
	mu   sync.Mutex
	docs = map[string]any{} // by file path, decoded once
)

// Compile compiles the schema at pointer (a JSON Pointer such as
// "/components/schemas/ChatRequest") in the OpenAPI document at path,
// with its $refs to components resolved.
func Compile(path, pointer string) (*jsonschema.Schema, error) {
	doc, err := load(path)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(docURL + "#" + pointer)
}

// load decodes the document at path once, through JSON so that the
// validator sees JSON types only.
func load(path string) (any, error) {
	mu.Lock()
	defer mu.Unlock()
	if doc, ok := docs[path]; ok {
		return doc, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var y any
	if err := yaml.Unmarshal(b, &y); err != nil {
		return nil, err
	}
	j, err := json.Marshal(y)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return nil, err
	}
	docs[path] = doc
	return doc, nil
}
