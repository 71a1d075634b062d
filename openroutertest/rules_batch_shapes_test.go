package openroutertest_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter/openroutertest"
)

// shapeBatch submits a batch of endpoint with the given request bodies
// (custom IDs r0, r1, ...), lets it finish, and returns the batch and
// the results' response bodies by custom ID.
func shapeBatch(t *testing.T, endpoint string, bodies ...string) (batchObject, map[string]json.RawMessage) {
	t.Helper()
	srv, clock := batchServer(t)
	reqs := make([]string, len(bodies))
	for i, b := range bodies {
		reqs[i] = `{"custom_id":"r` + string(rune('0'+i)) + `","body":` + b + `}`
	}
	body := `{"endpoint":"` + endpoint + `","model":"openai/gpt-4o-mini","requests":[` + strings.Join(reqs, ",") + `]}`
	status, ans := send(t, srv, "POST", "/batches", body, srv.Key, nil)
	var sub struct{ ID, Status, Endpoint string }
	if status != 202 || json.Unmarshal([]byte(ans), &sub) != nil || sub.Endpoint != endpoint {
		t.Fatalf("submit: %d %s; want 202 with endpoint %s", status, ans, endpoint)
	}
	clock.Advance(time.Hour)
	b := getBatch(t, srv, sub.ID)
	_, page := send(t, srv, "GET", "/batches/"+sub.ID+"/results?limit=100", "", srv.Key, nil)
	var rows struct {
		Data []struct {
			CustomID string `json:"custom_id"`
			Response *struct {
				StatusCode int             `json:"status_code"`
				Body       json.RawMessage `json:"body"`
			}
		}
	}
	if err := json.Unmarshal([]byte(page), &rows); err != nil {
		t.Fatalf("results: %v: %s", err, page)
	}
	out := map[string]json.RawMessage{}
	for _, r := range rows.Data {
		if r.Response != nil && r.Response.StatusCode == 200 {
			out[r.CustomID] = r.Response.Body
		}
	}
	return b, out
}

// answeredShapes is shapeBatch for a batch that must complete: it
// checks that each request was answered, with a body of the OpenAPI
// component schema, and returns the bodies by custom ID.
func answeredShapes(t *testing.T, endpoint, schema string, bodies ...string) map[string]json.RawMessage {
	t.Helper()
	b, answers := shapeBatch(t, endpoint, bodies...)
	if b.Status != "completed" || b.RequestCounts.Completed != len(bodies) || len(answers) != len(bodies) {
		t.Fatalf("batch %+v with %d answers; want completed with %d", b, len(answers), len(bodies))
	}
	sch := componentSchema(t, schema)
	for _, body := range answers {
		checkAgainst(t, sch, string(body))
	}
	return answers
}

// RULES.md T23: a Responses batch is answered with response objects, as
// POST /responses answers (OpenAPI schemas/OpenResponsesResult).
func TestBatchOfResponsesAnswersResponseObjects(t *testing.T) {
	t.Parallel()
	bodies := answeredShapes(t, "/v1/responses", "OpenResponsesResult",
		`{"input":"Say hello"}`,
		`{"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Say bye"}]}],"instructions":"Be brief"}`)
	for id, body := range bodies {
		var r struct {
			Object string
			Output []struct{ Content []struct{ Text string } }
		}
		if json.Unmarshal(body, &r) != nil || r.Object != "response" || len(r.Output) == 0 {
			t.Errorf("%s: %s; want a response object with output", id, body)
		}
	}
	var r0 struct {
		Output []struct{ Content []struct{ Text string } }
	}
	_ = json.Unmarshal(bodies["r0"], &r0)
	if len(r0.Output) == 0 || len(r0.Output[0].Content) == 0 || !strings.Contains(r0.Output[0].Content[0].Text, "Say hello") {
		t.Errorf("r0 answers %s; want the input echoed", bodies["r0"])
	}
}

// RULES.md T23: a Messages batch is answered with messages (OpenAPI
// schemas/MessagesResult).
func TestBatchOfMessagesAnswersMessages(t *testing.T) {
	t.Parallel()
	bodies := answeredShapes(t, "/v1/messages", "MessagesResult",
		`{"max_tokens":32,"messages":[{"role":"user","content":"Say hello."}]}`,
		`{"system":"Be brief","messages":[{"role":"user","content":[{"type":"text","text":"Say bye."}]}]}`)
	for id, body := range bodies {
		var m struct {
			Type    string
			Content []struct{ Type, Text string }
		}
		if json.Unmarshal(body, &m) != nil || m.Type != "message" || len(m.Content) == 0 || m.Content[0].Type != "text" {
			t.Errorf("%s: %s; want a message with a text block", id, body)
		}
	}
	if !strings.Contains(string(bodies["r0"]), "Say hello.") {
		t.Errorf("r0 answers %s; want the message echoed", bodies["r0"])
	}
}

// RULES.md T24: media parts of the Responses and Messages shapes fail
// the batch's validation; T4: a body's model must be the batch's.
func TestBatchShapesRefuseMediaAndAnotherModel(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ endpoint, body, want string }{
		"responses image": {"/v1/responses", `{"input":[{"role":"user","content":[{"type":"input_image","image_url":"` + openroutertest.PNGDataURL + `"}]}]}`, "input_image"},
		"responses file":  {"/v1/responses", `{"input":[{"role":"user","content":[{"type":"input_file","file_url":"https://example.com/a.pdf"}]}]}`, "input_file"},
		"messages image":  {"/v1/messages", `{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}]}`, "image"},
		"messages doc":    {"/v1/messages", `{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://example.com/a.pdf"}}]}]}`, "document"},
		"messages model":  {"/v1/messages", `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"Hi"}]}`, "differs"},
		"messages empty":  {"/v1/messages", `{"messages":[]}`, "messages is required"},
	} {
		b, _ := shapeBatch(t, c.endpoint, c.body)
		if b.Status != "failed" || b.Error == nil || !strings.Contains(b.Error.Message, c.want) {
			t.Errorf("%s: batch %+v; want failed naming %q", name, b, c.want)
		}
	}
}
