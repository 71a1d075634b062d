package openrouter_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// fullAnswer is a chat answer with every field the API documents, shaped
// after the OpenAPI document's examples (ChatResult, ChatUsage,
// ChatTokenLogprobs, OpenRouterMetadata, ReasoningDetailUnion).
const fullAnswer = `{"id":"gen-1","provider":"Anthropic","model":"anthropic/claude-sonnet-4.5","object":"chat.completion",
"created":1677652288,"system_fingerprint":"fp_44709d6fcb","service_tier":"default","future_field":{"x":1},
"openrouter_metadata":{"attempt":1,"endpoints":{"available":[{"model":"anthropic/claude-sonnet-4.5","provider":"Google","selected":false},{"model":"anthropic/claude-sonnet-4.5","provider":"Anthropic","selected":true}],"total":2},
 "is_byok":true,"region":"iad","requested":"anthropic/claude-sonnet-4.5","strategy":"direct","summary":"available=2, selected=Anthropic","pipeline":[]},
"choices":[{"index":0,"finish_reason":"stop","native_finish_reason":"end_turn",
 "logprobs":{"content":[{"token":" Hello","logprob":-0.612345,"bytes":[32,72],"top_logprobs":[{"token":" Hi","logprob":-1.5,"bytes":null}]}],"refusal":null},
 "message":{"role":"assistant","content":"Paris [1].","refusal":"I would rather not.","reasoning":"Let me think.",
  "reasoning_details":[{"type":"reasoning.text","text":"Let me think.","signature":"sig==","format":"anthropic-claude-v1","index":0},{"type":"reasoning.encrypted","data":"b64 data","id":"r1"}],
  "annotations":[{"type":"url_citation","url_citation":{"url":"https://en.wikipedia.org/wiki/Paris","title":"Paris","content":"Paris is the capital","start_index":7,"end_index":10}}],
  "audio":{"id":"audio_abc123","data":"UklG","expires_at":1677652400,"transcript":"Paris."}}}],
"usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"cost":0.00005,"is_byok":true,
 "prompt_tokens_details":{"cached_tokens":80,"cache_write_tokens":10,"audio_tokens":3,"video_tokens":4},
 "completion_tokens_details":{"reasoning_tokens":5,"audio_tokens":1,"image_tokens":2,"accepted_prediction_tokens":6,"rejected_prediction_tokens":7},
 "cost_details":{"upstream_inference_cost":0.001,"upstream_inference_prompt_cost":0.0006,"upstream_inference_completions_cost":0.0004},
 "server_tool_use_details":{"web_search_requests":2,"tool_calls_requested":3,"tool_calls_executed":3}}}`

func TestAnswerKeepsEveryDocumentedField(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithCredits(10), openroutertest.WithKeyLimit(10)})
	if _, err := c.CheckKey(context.Background()); err != nil { // reads the balance
		t.Fatal(err)
	}
	srv.Enqueue(openroutertest.RawReply(200, fullAnswer))
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	if res.SystemFingerprint != "fp_44709d6fcb" || res.ServiceTier != "default" {
		t.Errorf("fingerprint %q, tier %q", res.SystemFingerprint, res.ServiceTier)
	}
	if p := res.RouterMetadata.SelectedProvider(); p != "Anthropic" || res.RouterMetadata.Region != "iad" || !strings.Contains(string(res.RouterMetadata.Raw), `"pipeline":[]`) {
		t.Errorf("router metadata %+v, selected %q", res.RouterMetadata, p)
	}
	ch := res.Choices[0]
	wantLP := &openrouter.Logprobs{Content: []openrouter.TokenLogprob{{Token: " Hello", Logprob: -0.612345, Bytes: []int{32, 72},
		TopLogprobs: []openrouter.TopLogprob{{Token: " Hi", Logprob: -1.5}}}}}
	if diff := cmp.Diff(wantLP, ch.Logprobs); diff != "" {
		t.Errorf("logprobs (-want +got):\n%s", diff)
	}
	m := ch.Message
	if m.Refusal != "I would rather not." || m.Reasoning != "Let me think." || len(m.ReasoningDetails) != 2 {
		t.Errorf("message %+v", m)
	}
	wantAnn := []openrouter.Annotation{{Type: "url_citation", URLCitation: &openrouter.URLCitation{URL: "https://en.wikipedia.org/wiki/Paris", Title: "Paris", Content: "Paris is the capital", StartIndex: 7, EndIndex: 10}}}
	if diff := cmp.Diff(wantAnn, m.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if m.Audio == nil || m.Audio.Transcript != "Paris." || m.Audio.ExpiresAt != 1677652400 {
		t.Errorf("audio %+v", m.Audio)
	}
	u := res.Usage
	wantUsage := &openrouter.Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120, Cost: 0.00005, IsBYOK: true,
		PromptTokensDetails:     &openrouter.PromptTokensDetails{CachedTokens: 80, CacheWriteTokens: 10, AudioTokens: 3, VideoTokens: 4},
		CompletionTokensDetails: &openrouter.CompletionTokensDetails{ReasoningTokens: 5, AudioTokens: 1, ImageTokens: 2, AcceptedPredictionTokens: 6, RejectedPredictionTokens: 7},
		CostDetails:             &openrouter.CostDetails{UpstreamInferenceCost: openrouter.Ptr(0.001), UpstreamInferencePromptCost: 0.0006, UpstreamInferenceCompletionsCost: 0.0004},
		ServerToolUse:           &openrouter.ServerToolUse{WebSearchRequests: 2, ToolCallsRequested: 3, ToolCallsExecuted: 3}}
	if diff := cmp.Diff(wantUsage, u); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	// BYOK: the total is OpenRouter's fee plus the provider's charge; only
	// the fee comes out of the credits.
	if got := res.Cost(); math.Abs(got-0.00105) > 1e-12 {
		t.Errorf("Cost() = %v, want 0.00105", got)
	}
	if got := c.Spent(); math.Abs(got-0.00105) > 1e-12 {
		t.Errorf("Spent() = %v, want 0.00105", got)
	}
	if bal, ok := c.Balance(); !ok || math.Abs(bal-(10-0.00005)) > 1e-9 {
		t.Errorf("Balance() = %v, %v; want 10 less the fee", bal, ok)
	}
	if string(res.Raw()) != fullAnswer {
		t.Errorf("Raw() is not the body received:\n%s", res.Raw())
	}
}

func TestReasoningDetailsGoBackUnmodified(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(openroutertest.RawReply(200, fullAnswer))
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	req := hello()
	req.Messages = append(req.Messages, res.Choices[0].Message, openrouter.UserMessage("And Spain?"))
	if _, err := c.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	raw := string(srv.Requests()[1].Raw)
	for _, want := range []string{
		`"reasoning_details":[{"type":"reasoning.text","text":"Let me think.","signature":"sig==","format":"anthropic-claude-v1","index":0},{"type":"reasoning.encrypted","data":"b64 data","id":"r1"}]`,
		`"refusal":"I would rather not."`,
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("next turn's body lacks %s:\n%s", want, raw)
		}
	}
	for _, not := range []string{"annotations", "transcript"} {
		if strings.Contains(raw, not) {
			t.Errorf("next turn's body sends %s back:\n%s", not, raw)
		}
	}
}

func TestUsageTotalCost(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		u    *openrouter.Usage
		want float64
	}{
		"nil":              {nil, 0},
		"credits":          {&openrouter.Usage{Cost: 0.01}, 0.01},
		"credits, details": {&openrouter.Usage{Cost: 0.01, CostDetails: &openrouter.CostDetails{UpstreamInferenceCost: openrouter.Ptr(0.01)}}, 0.01},
		"byok":             {&openrouter.Usage{Cost: 0.001, IsBYOK: true, CostDetails: &openrouter.CostDetails{UpstreamInferenceCost: openrouter.Ptr(0.02)}}, 0.021},
		"byok, null":       {&openrouter.Usage{Cost: 0.001, IsBYOK: true, CostDetails: &openrouter.CostDetails{}}, 0.001},
	} {
		if got := tc.u.TotalCost(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: TotalCost() = %v, want %v", name, got, tc.want)
		}
	}
}

func TestAccumulatorFoldsAnswerFields(t *testing.T) {
	t.Parallel()
	chunks := []string{
		`{"id":"gen-2","model":"m","created":1,"system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","reasoning":"Hm","reasoning_details":[{"type":"reasoning.text","text":"Hm","index":0}]},
		  "logprobs":{"content":[{"token":"Pa","logprob":-0.1,"bytes":null,"top_logprobs":[]}]}}]}`,
		`{"id":"gen-2","model":"m","choices":[{"index":0,"delta":{"content":"Paris","reasoning_details":[{"type":"reasoning.encrypted","data":"xyz"}]},
		  "logprobs":{"content":[{"token":"ris","logprob":-0.2,"bytes":null,"top_logprobs":[]}]}}]}`,
		`{"id":"gen-2","model":"m","service_tier":"flex","openrouter_metadata":{"requested":"m","strategy":"direct","region":null,"summary":"s","attempt":1,"is_byok":false,"endpoints":{"total":1,"available":[{"model":"m","provider":"P","selected":true}]}},
		  "choices":[{"index":0,"delta":{"annotations":[{"type":"url_citation","url_citation":{"url":"https://example.com","title":"Ex"}}]},"finish_reason":"stop"}],
		  "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cost":0.1,"is_byok":true,"cost_details":{"upstream_inference_cost":0.2,"upstream_inference_prompt_cost":0,"upstream_inference_completions_cost":0}}}`,
	}
	var acc openrouter.Accumulator
	for _, s := range chunks {
		var ch openrouter.Chunk
		if err := json.Unmarshal([]byte(s), &ch); err != nil {
			t.Fatal(err)
		}
		acc.Add(ch)
	}
	r := acc.Response()
	if r.SystemFingerprint != "fp_1" || r.ServiceTier != "flex" || r.RouterMetadata.SelectedProvider() != "P" {
		t.Errorf("answer fields: %q %q %+v", r.SystemFingerprint, r.ServiceTier, r.RouterMetadata)
	}
	m := r.Choices[0].Message
	var details []string
	for _, d := range m.ReasoningDetails {
		details = append(details, string(d))
	}
	want := []string{`{"type":"reasoning.text","text":"Hm","index":0}`, `{"type":"reasoning.encrypted","data":"xyz"}`}
	if diff := cmp.Diff(want, details); diff != "" {
		t.Errorf("reasoning details (-want +got):\n%s", diff)
	}
	if len(m.Annotations) != 1 || m.Annotations[0].URLCitation.URL != "https://example.com" {
		t.Errorf("annotations %+v", m.Annotations)
	}
	lp := r.Choices[0].Logprobs
	if lp == nil || len(lp.Content) != 2 || lp.Content[0].Token != "Pa" || lp.Content[1].Token != "ris" {
		t.Errorf("logprobs %+v", lp)
	}
	if got := r.Cost(); math.Abs(got-0.3) > 1e-12 {
		t.Errorf("Cost() = %v, want 0.3 (fee and BYOK upstream)", got)
	}
	if r.Raw() != nil {
		t.Errorf("Raw() of a folded answer = %s, want nil", r.Raw())
	}
}

func TestStreamedAnswerKeepsAskedFields(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	req := hello()
	req.Logprobs, req.TopLogprobs = true, 1
	req.Reasoning = &openrouter.Reasoning{Effort: "low"}
	req.Tools = []openrouter.Tool{openrouter.ServerTool(openrouter.ServerToolWebSearch, nil)}
	s := c.ChatStream(context.Background(), req)
	if _, err := collect(s); err != nil {
		t.Fatal(err)
	}
	r := s.Response()
	m := r.Choices[0].Message
	if r.SystemFingerprint != openroutertest.Fingerprint || m.Content != "You said: Hello" {
		t.Errorf("fingerprint %q, content %q", r.SystemFingerprint, m.Content)
	}
	if len(m.ReasoningDetails) != 1 || !strings.Contains(string(m.ReasoningDetails[0]), `"type":"reasoning.text"`) || m.Reasoning == "" {
		t.Errorf("reasoning %q, details %s", m.Reasoning, m.ReasoningDetails)
	}
	if len(m.Annotations) != 1 || m.Annotations[0].URLCitation == nil {
		t.Errorf("annotations %+v", m.Annotations)
	}
	if lp := r.Choices[0].Logprobs; lp == nil || len(lp.Content) == 0 || len(lp.Content[0].TopLogprobs) != 1 {
		t.Errorf("logprobs %+v", lp)
	}
	if u := r.Usage; u == nil || u.ServerToolUse == nil || u.ServerToolUse.WebSearchRequests != 1 || u.CostDetails == nil {
		t.Errorf("usage %+v", u)
	}
}

func TestStreamAnsweredWithJSONKeepsFields(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(openroutertest.RawReply(200, fullAnswer))
	s := c.ChatStream(context.Background(), hello())
	if _, err := collect(s); err != nil {
		t.Fatal(err)
	}
	r := s.Response()
	m := r.Choices[0].Message
	if r.SystemFingerprint != "fp_44709d6fcb" || r.ServiceTier != "default" || r.RouterMetadata.SelectedProvider() != "Anthropic" ||
		len(m.ReasoningDetails) != 2 || len(m.Annotations) != 1 || r.Choices[0].Logprobs == nil || math.Abs(r.Cost()-0.00105) > 1e-12 {
		t.Errorf("answer folded from a JSON answer lost fields: %+v", r)
	}
}

func TestSpentCountsBYOKFromTheFake(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(openroutertest.Reply{Content: "Hi", Cost: 0.001, UpstreamCost: 0.02, CachedTokens: 3})
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	u := res.Usage
	if !u.IsBYOK || u.CostDetails == nil || u.CostDetails.UpstreamInferenceCost == nil || *u.CostDetails.UpstreamInferenceCost != 0.02 ||
		u.PromptTokensDetails == nil || u.PromptTokensDetails.CachedTokens != 3 {
		t.Errorf("usage %+v", u)
	}
	if got := c.Spent(); math.Abs(got-0.021) > 1e-12 {
		t.Errorf("Spent() = %v, want 0.021", got)
	}
	g, err := c.Generation(context.Background(), res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.TotalCost != 0.001 || !g.IsBYOK || g.UpstreamInferenceCost == nil || *g.UpstreamInferenceCost != 0.02 ||
		g.NativeTokensCached != 3 || g.UpstreamID == "" {
		t.Errorf("generation %+v", g)
	}
}
