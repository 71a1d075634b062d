package openroutertest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter/openroutertest"
)

// TestKeysAPIRefusesBadValues: POST /keys refuses an expires_at that is
// not a UTC date-time, PATCH /keys/{hash} refuses a field of the wrong
// type (and leaves the key as it was: "disabled": "true" must not
// enable it), and GET /keys refuses a negative or non-integer offset
// (RULES.md K1-K3).
func TestKeysAPIRefusesBadValues(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	m := srv.ManagementKey
	for _, exp := range []string{"tomorrow", "2030-01-01", "2030-01-01T00:00:00+02:00"} {
		if st, _ := keyCall(t, srv, "POST", "/keys", m, `{"name":"a","expires_at":"`+exp+`"}`); st != 400 {
			t.Errorf("POST /keys expires_at %q: %d, want 400", exp, st)
		}
	}
	for _, exp := range []string{"2030-01-01T00:00:00Z", "2030-01-01T00:00:00.5+00:00"} {
		if st, _ := keyCall(t, srv, "POST", "/keys", m, `{"name":"a","expires_at":"`+exp+`"}`); st != 201 {
			t.Errorf("POST /keys expires_at %q: %d, want 201", exp, st)
		}
	}
	st, created := keyCall(t, srv, "POST", "/keys", m, `{"name":"b"}`)
	hash, _ := created["data"].(map[string]any)["hash"].(string)
	if st != 201 || hash == "" {
		t.Fatalf("POST /keys: %d %v", st, created)
	}
	if st, _ := keyCall(t, srv, "PATCH", "/keys/"+hash, m, `{"disabled":true}`); st != 200 {
		t.Fatalf("PATCH disabled true: %d", st)
	}
	for _, body := range []string{`{"disabled":"false"}`, `{"name":""}`, `{"name":7}`, `{"limit":-1}`, `{"limit":"5"}`,
		`{"include_byok_in_limit":1}`, `{"limit_reset":"yearly"}`} {
		if st, _ := keyCall(t, srv, "PATCH", "/keys/"+hash, m, body); st != 400 {
			t.Errorf("PATCH %s: %d, want 400", body, st)
		}
	}
	_, got := keyCall(t, srv, "GET", "/keys/"+hash, m, "")
	if d, _ := got["data"].(map[string]any); d == nil || d["disabled"] != true || d["name"] != "b" {
		t.Errorf("a refused PATCH changed the key: %v", d)
	}
	for _, q := range []string{"-1", "abc", "1.5"} {
		if st, _ := keyCall(t, srv, "GET", "/keys?offset="+q, m, ""); st != 400 {
			t.Errorf("GET /keys?offset=%s: %d, want 400", q, st)
		}
	}
	if st, _ := keyCall(t, srv, "GET", "/keys?offset=1", m, ""); st != 200 {
		t.Errorf("GET /keys?offset=1: %d, want 200", st)
	}
}

// TestManagementKeyCannotSubmitBatches: POST /batches with the management
// key is 403, like every inference route, and creates no batch
// (RULES.md A3).
func TestManagementKeyCannotSubmitBatches(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	body := `{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","requests":[{"custom_id":"a","body":{"messages":` + hello + `}}]}`
	if st, ans := send(t, srv, "POST", "/batches", body, srv.ManagementKey, nil); st != 403 {
		t.Errorf("POST /batches with the management key: %d %s, want 403", st, ans)
	}
	if st, ans := send(t, srv, "GET", "/batches", "", srv.Key, nil); st != 200 || !strings.Contains(ans, `"data":[]`) {
		t.Errorf("a refused submission left a batch: %d %s", st, ans)
	}
	if st, ans := send(t, srv, "POST", "/batches", body, srv.Key, nil); st != 202 {
		t.Errorf("POST /batches with the ordinary key: %d %s, want 202", st, ans)
	}
}

// TestBatchTakesAtMost5000Requests: a submission of 5,001 requests is
// refused with a 400 and stores no batch; 5,000 are accepted (RULES.md
// T22).
func TestBatchTakesAtMost5000Requests(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	submission := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","requests":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"custom_id":"r%d","body":{"messages":[{"role":"user","content":"hi"}]}}`, i)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	if st, ans := send(t, srv, "POST", "/batches", submission(openroutertest.MaxBatchRequests+1), srv.Key, nil); st != 400 {
		t.Errorf("5,001 requests: %d %.200s, want 400", st, ans)
	}
	if _, ans := send(t, srv, "GET", "/batches", "", srv.Key, nil); !strings.Contains(ans, `"data":[]`) {
		t.Errorf("a refused submission was stored: %.200s", ans)
	}
	if st, ans := send(t, srv, "POST", "/batches", submission(openroutertest.MaxBatchRequests), srv.Key, nil); st != 202 {
		t.Errorf("5,000 requests: %d %.200s, want 202", st, ans)
	}
}

// TestActivityGroupBy: GET /activity refuses a group_by other than
// "workspace"; with group_by=workspace every row carries workspace_id,
// and without it none does (RULES.md K4).
func TestActivityGroupBy(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	day := time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")
	srv.AddActivity(openroutertest.ActivityRow{Date: day, Model: "openai/gpt-4o-mini", ModelPermaslug: "openai/gpt-4o-mini",
		EndpointID: "e1", ProviderName: "OpenAI", Usage: 0.5, Requests: 3})
	if st, _ := keyCall(t, srv, "GET", "/activity?group_by=model", srv.ManagementKey, ""); st != 400 {
		t.Errorf("group_by=model: %d, want 400", st)
	}
	for q, want := range map[string]bool{"": false, "?group_by=workspace": true} {
		st, ans := keyCall(t, srv, "GET", "/activity"+q, srv.ManagementKey, "")
		rows, _ := ans["data"].([]any)
		if st != 200 || len(rows) != 1 {
			t.Fatalf("/activity%s: %d %v", q, st, ans)
		}
		ws, has := rows[0].(map[string]any)["workspace_id"]
		if has != want || (want && ws == "") {
			t.Errorf("/activity%s: workspace_id %v (present %v), want present %v", q, ws, has, want)
		}
	}
}

// TestImagesRefusesWhatTheSchemaRefuses: POST /images refuses an
// aspect_ratio, background, output_format or quality outside the
// document's enumerations, an output_compression outside 0-100, more
// than 16 input_references, and a transparent background in jpeg, with
// 400 and no charge; the document's schema refuses the same bodies
// (RULES.md I1).
func TestImagesRefusesWhatTheSchemaRefuses(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := componentSchema(t, "ImageGenerationRequest")
	body := func(extra string) string {
		return `{"model":"black-forest-labs/flux.2-pro","prompt":"a lighthouse",` + extra + `}`
	}
	refs := strings.TrimSuffix(strings.Repeat(`{"type":"image_url","image_url":{"url":"`+openroutertest.PNGDataURL+`"}},`, 17), ",")
	for extra, docsOnly := range map[string]bool{
		`"aspect_ratio":"7:3"`:                              false,
		`"background":"clear"`:                              false,
		`"output_format":"gif"`:                             false,
		`"quality":"ultra"`:                                 false,
		`"output_compression":101`:                          true,
		`"input_references":[` + refs + `]`:                 false,
		`"background":"transparent","output_format":"jpeg"`: true,
	} {
		st, ans := send(t, srv, "POST", "/images", body(extra), srv.Key, nil)
		if st != 400 {
			t.Errorf("%.60s: %d %.200s, want 400", extra, st, ans)
		}
		v, _ := jsonschemaValue(body(extra))
		if !docsOnly && sch.Validate(v) == nil {
			t.Errorf("%.60s: the OpenAPI schema accepts it", extra)
		}
	}
	if srv.Spent() != 0 || srv.ImageRequests() != 0 {
		t.Errorf("refused image requests were billed: $%g, %d answered", srv.Spent(), srv.ImageRequests())
	}
	for _, extra := range []string{`"aspect_ratio":"16:9"`, `"background":"transparent","output_format":"webp"`, `"quality":"high","output_compression":80`} {
		if st, ans := send(t, srv, "POST", "/images", body(extra), srv.Key, nil); st != 200 {
			t.Errorf("%s: %d %.200s, want 200", extra, st, ans)
		}
	}
}

// TestEmbeddingsRequestRules: POST /embeddings refuses an unknown
// provider preference (400, nothing billed) and accepts the multimodal
// input form the OpenAPI document lists, one vector per input, while an
// empty content array or an empty text part is 400; the document's
// request schema agrees on each body (RULES.md M1, M2).
func TestEmbeddingsRequestRules(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := compileAt(t, "/paths/~1embeddings/post/requestBody/content/application~1json/schema")
	body := func(extra string) string {
		return `{"model":"openai/text-embedding-3-small",` + extra + `}`
	}
	for _, extra := range []string{`"input":"hi","provider":{"bogus":1}`, `"input":[{"content":[]}]`,
		`"input":[{"content":[{"type":"text","text":""}]}]`, `"input":[{"content":[{"type":"image_url"}]}]`} {
		if st, ans := send(t, srv, "POST", "/embeddings", body(extra), srv.Key, nil); st != 400 {
			t.Errorf("%s: %d %.200s, want 400", extra, st, ans)
		}
		if v, _ := jsonschemaValue(body(extra)); sch.Validate(v) == nil {
			t.Errorf("%s: the OpenAPI schema accepts it", extra)
		}
	}
	if srv.Spent() != 0 {
		t.Errorf("refused embeddings were billed: $%g", srv.Spent())
	}
	mm := `"input":[{"content":[{"type":"text","text":"a red fox"},{"type":"image_url","image_url":{"url":"` + openroutertest.PNGDataURL + `"}}]},
		{"content":[{"type":"input_audio","input_audio":{"data":"data:audio/wav;base64,UklGR","format":"wav"}}]}],"provider":{"only":["openai"]}`
	if v, _ := jsonschemaValue(body(mm)); sch.Validate(v) != nil {
		t.Fatalf("the OpenAPI schema refuses the multimodal body: %v", sch.Validate(v))
	}
	st, ans := send(t, srv, "POST", "/embeddings", body(mm), srv.Key, nil)
	var r struct{ Data []struct{ Index int } }
	if st != 200 || json.Unmarshal([]byte(ans), &r) != nil || len(r.Data) != 2 || r.Data[1].Index != 1 {
		t.Errorf("multimodal input: %d %.300s; want 200 with 2 vectors", st, ans)
	}
}
