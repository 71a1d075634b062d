package openrouter

// What each answer other than a chat completion tells the observer's
// CallEnd (see callState.endAnswer): its ID, model and usage, in the
// chat answer's form that CallEnd reads.

// answer is the response as the observer's CallEnd reads an answer: its
// ID, model and usage.
func (r *Response) answer() *ChatResponse {
	return &ChatResponse{ID: r.ID, Model: r.Model, Usage: r.Usage.usage(), MaybeBilled: r.MaybeBilled}
}

// answer is the rerank as the observer's CallEnd reads an answer.
func (r *RerankResult) answer() *ChatResponse {
	return &ChatResponse{ID: r.ID, Model: r.Model, Provider: r.Provider, Usage: &Usage{Cost: r.Usage.Cost, TotalTokens: r.Usage.TotalTokens}}
}

// answer is the transcription as the observer's CallEnd reads an answer.
func (t *Transcription) answer() *ChatResponse {
	u := &t.Usage
	return &ChatResponse{ID: t.GenerationID, Usage: &Usage{Cost: u.Cost, PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.TotalTokens}}
}

// answer is the embeddings' answer as the observer's CallEnd reads one.
func (ans *embeddingAnswer) answer() *ChatResponse {
	r := &ChatResponse{ID: ans.ID, Model: ans.Model}
	if u := ans.Usage; u != nil {
		r.Usage = &Usage{PromptTokens: u.PromptTokens, TotalTokens: u.TotalTokens, Cost: u.Cost, IsBYOK: u.IsBYOK}
	}
	return r
}
