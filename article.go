package openrouter

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/routerkit/openrouter/internal/split"
)

// RewriteRequest asks for an article rewritten for the web.
type RewriteRequest struct {
	// Article is the text to rewrite; required.
	Article string
	// Format is "markdown", "html" or "text"; empty means detected.
	Format string
	// Instructions say how to rewrite ("friendlier, for beginners").
	Instructions string
	// Language of the result; empty means the article's own.
	Language string
	// TargetWords is the length to aim for; 0 means about the same.
	TargetWords int
	// Model defaults to the client's Roles.Rewrite.
	Model string
	// MaxTokens bounds each request's answer; 0 means estimated from the
	// article (with room to spare, under the model's maximum output).
	MaxTokens int
}

// RewriteResult is a rewritten article, in the article's format.
type RewriteResult struct {
	Title           string
	MetaDescription string
	Content         string
	Format          string
	Model           string
	// Sections is how many parts the article was rewritten in: 1 unless
	// it was too long for the model in one request.
	Sections int
	// Attempts and Cost cover every request made.
	Attempts int
	Cost     float64
}

// SectionError is a failed section of an article rewritten in parts; it
// wraps the section's error (errors.Is sees through it).
type SectionError struct {
	Index    int    // from 0
	Sections int    // how many there were
	Heading  string // the section's first line
	Err      error
	// Cost is what all sections cost, the failed one included, in USD.
	Cost float64
	// Answers holds, by section, the valid answer of each section that
	// succeeded (nil for one that failed): paid for, and not to be
	// bought again. ChatJSONFrom reads one's value back.
	Answers []*ChatResponse
}

// Error names the section that failed and the cause.
func (e *SectionError) Error() string {
	return fmt.Sprintf("openrouter: rewriting section %d of %d (%q): %v", e.Index+1, e.Sections, clip(e.Heading, 60), e.Err)
}

// Unwrap returns the section's cause, for errors.Is and errors.As.
func (e *SectionError) Unwrap() error { return e.Err }

type rewriteAnswer struct {
	Title           string `json:"title" description:"The new title, without markup" jsonschema:"minLength=3,maxLength=120"`
	MetaDescription string `json:"meta_description" description:"A search-result summary of at most 160 characters" jsonschema:"minLength=20,maxLength=160"`
	Content         string `json:"content" description:"The whole rewritten article, in the format asked for" jsonschema:"minLength=1"`
}

type sectionAnswer struct {
	Content string `json:"content" description:"The rewritten section, in the format asked for, its heading kept" jsonschema:"minLength=1"`
}

type headAnswer struct {
	Title           string `json:"title" description:"The new title, without markup" jsonschema:"minLength=3,maxLength=120"`
	MetaDescription string `json:"meta_description" description:"A search-result summary of at most 160 characters" jsonschema:"minLength=20,maxLength=160"`
}

// Defaults used when the client's catalogue does not have the model.
const (
	defaultContextTokens = 32_000
	defaultMaxOutput     = 8_000
	promptOverhead       = 800 // tokens of instructions around the article
)

var (
	htmlRe     = regexp.MustCompile(`(?i)<(p|h[1-6]|div|article|section|ul|ol|li|table)[ >]`)
	markdownRe = regexp.MustCompile("(?m)^(#{1,6} |```|[-*] |\\d+\\. )")
)

func detectFormat(s string) string {
	switch {
	case htmlRe.MatchString(s):
		return "html"
	case markdownRe.MatchString(s):
		return "markdown"
	}
	return "text"
}

// estimateTokens is a conservative token count: three bytes a token.
func estimateTokens(s string) int { return (len(s) + 2) / 3 }

// Rewrite rewrites an article for the web and returns its new title, meta
// description and content, in the article's format, validated as
// ChatJSON does (opts are ChatJSON's: repair, fallbacks, ...). An article
// too long for the model (its context window and maximum output, from the
// client's catalogue when cached, conservative defaults otherwise) is cut
// into sections at headings, then paragraphs (never inside a code block or
// an HTML element), rewritten concurrently through the client's limiter
// and put back in order; a section that fails fails the rewrite with a
// *[SectionError] naming it. ":online" models are refused before sending.
func (c *Client) Rewrite(ctx context.Context, req RewriteRequest, opts ...JSONOption) (*RewriteResult, error) {
	ctx, cancel, opts, plan, err := c.startRewrite(ctx, req, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	if plan.sections == nil {
		return c.rewriteWhole(ctx, plan.req, plan.chat, nil, opts)
	}
	return c.rewriteSections(ctx, plan.req, plan.sections, plan.maxOut, opts)
}

// startRewrite begins a Rewrite or RewriteFrom call: it checks the
// options, gives the call's context (call cancel when done; on an error
// there is nothing to cancel), folds the call options into opts, and plans
// the rewrite.
func (c *Client) startRewrite(ctx context.Context, req RewriteRequest, opts []JSONOption) (context.Context, context.CancelFunc, []JSONOption, *rewritePlan, error) {
	cfg, err := newJSONConfig(opts)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ctx, cancel, callOpts, err := prepareCall(ctx, cfg.call)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	plan, err := c.planRewrite(req)
	if err != nil {
		cancel()
		return nil, nil, nil, nil, err
	}
	return ctx, cancel, withCallOptions(opts, callOpts), plan, nil
}

// rewritePlan is how a rewrite is done: in one request (chat), or in
// sections.
type rewritePlan struct {
	req      RewriteRequest // with its format and model filled in
	chat     *ChatRequest   // the request of a rewrite in one piece
	sections []string       // the sections of a long article, nil otherwise
	maxOut   int
}

// planRewrite checks req and decides whether the article is rewritten
// in one request or in sections.
func (c *Client) planRewrite(req RewriteRequest) (*rewritePlan, error) {
	if strings.TrimSpace(req.Article) == "" {
		return nil, invalid("rewrite of an empty article")
	}
	switch req.Format {
	case "":
		req.Format = detectFormat(req.Article)
	case "markdown", "html", "text":
	default:
		return nil, invalid("format %q is not markdown, html or text", req.Format)
	}
	if req.TargetWords < 0 || req.MaxTokens < 0 {
		return nil, invalid("negative TargetWords or MaxTokens")
	}
	if req.Model == "" {
		req.Model = c.Roles().Rewrite
	}
	ctxTokens, maxOut := defaultContextTokens, defaultMaxOutput
	if m := c.catalog.entry(req.Model); m != nil {
		if m.ContextLength > 0 {
			ctxTokens = m.ContextLength
		}
		if m.TopProvider.MaxCompletionTokens > 0 {
			maxOut = m.TopProvider.MaxCompletionTokens
		} else {
			maxOut = ctxTokens / 4
		}
	}
	in := estimateTokens(req.Article)
	out := in * 6 / 5
	if req.TargetWords > 0 {
		out = req.TargetWords * 2
	}
	p := &rewritePlan{req: req, maxOut: maxOut}
	if in+out+promptOverhead <= ctxTokens && out <= maxOut {
		p.chat = rewriteChat(req, req.Article, "Return JSON with title, meta_description (at most 160 characters) and content (the whole rewritten article).", maxTokensFor(req, out, maxOut))
		return p, nil
	}
	budget := min((ctxTokens-promptOverhead)*5/11, maxOut*5/6) // tokens of article per request
	p.sections = split.Sections(req.Article, req.Format, max(budget, 500)*3)
	return p, nil
}

// rewriteWhole rewrites an article in one request; first, when set, is
// the answer to it obtained elsewhere (a batch).
func (c *Client) rewriteWhole(ctx context.Context, req RewriteRequest, creq *ChatRequest, first *ChatResponse, opts []JSONOption) (*RewriteResult, error) {
	v, res, err := chatJSON[rewriteAnswer](ctx, c, creq, first, opts)
	if err != nil {
		return nil, err
	}
	return &RewriteResult{Title: v.Title, MetaDescription: v.MetaDescription, Content: v.Content, Format: req.Format,
		Model: res.Model, Sections: 1, Attempts: res.Attempts, Cost: res.Cost}, nil
}

// rewriteSections rewrites each section at once (the limiter paces them),
// then asks for the title and meta description from the rewritten start.
func (c *Client) rewriteSections(ctx context.Context, req RewriteRequest, sections []string, maxOut int, opts []JSONOption) (*RewriteResult, error) {
	type done struct {
		text string
		res  *JSONResult
		err  error
	}
	results := make([]done, len(sections))
	var wg sync.WaitGroup
	for i, sec := range sections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task := fmt.Sprintf("This is section %d of %d of a longer article: rewrite only this section and keep its heading. Return JSON with content (the rewritten section).", i+1, len(sections))
			creq := rewriteChat(req, sec, task, maxTokensFor(req, estimateTokens(sec)*6/5, maxOut))
			v, res, err := ChatJSON[sectionAnswer](ctx, c, creq, opts...)
			results[i] = done{v.Content, res, err}
		}()
	}
	wg.Wait()
	out := &RewriteResult{Format: req.Format, Sections: len(sections)}
	var firstErr *SectionError
	for i, r := range results {
		if r.res != nil {
			out.Attempts += r.res.Attempts
			out.Cost += r.res.Cost
			if out.Model == "" {
				out.Model = r.res.Model
			}
		}
		if r.err != nil && firstErr == nil {
			head, _, _ := strings.Cut(strings.TrimSpace(sections[i]), "\n")
			firstErr = &SectionError{Index: i, Sections: len(sections), Heading: head, Err: r.err}
		}
	}
	if firstErr != nil {
		firstErr.Cost = out.Cost
		firstErr.Answers = make([]*ChatResponse, len(results))
		for i, r := range results {
			if r.err == nil && r.res != nil {
				firstErr.Answers[i] = r.res.Response
			}
		}
		return nil, firstErr
	}
	sep := "\n\n"
	if req.Format == "html" {
		sep = "\n"
	}
	parts := make([]string, len(results))
	for i, r := range results {
		parts[i] = strings.TrimSpace(r.text)
	}
	out.Content = strings.Join(parts, sep)
	head := rewriteChat(req, clip(out.Content, 6000), "Here is the start of a rewritten article. Return JSON with its title and meta_description (at most 160 characters).", 300)
	v, res, err := ChatJSON[headAnswer](ctx, c, head, opts...)
	if res != nil {
		out.Attempts += res.Attempts
		out.Cost += res.Cost
	}
	if err != nil {
		return nil, fmt.Errorf("openrouter: the title of a rewritten article: %w", err)
	}
	out.Title, out.MetaDescription = v.Title, v.MetaDescription
	return out, nil
}

func maxTokensFor(req RewriteRequest, estimate, maxOut int) int {
	if req.MaxTokens > 0 {
		return req.MaxTokens
	}
	return min(estimate*2+512, maxOut)
}

// rewriteChat is the request for a rewrite of text: the instructions, then
// the text between <article> tags.
func rewriteChat(req RewriteRequest, text, task string, maxTokens int) *ChatRequest {
	var b strings.Builder
	b.WriteString("Rewrite the article below for the web.\n")
	if req.Instructions != "" {
		b.WriteString("Instructions: " + req.Instructions + "\n")
	}
	if req.Language != "" {
		b.WriteString("Write in " + req.Language + ".\n")
	}
	if req.TargetWords > 0 {
		fmt.Fprintf(&b, "Aim for about %d words in all.\n", req.TargetWords)
	}
	fmt.Fprintf(&b, "The article is %s: keep that format, and keep its links, code blocks and facts.\n%s\n<article>\n%s\n</article>", req.Format, task, text)
	return &ChatRequest{Model: req.Model, MaxTokens: maxTokens, Messages: []Message{
		SystemMessage("You are a careful web editor. You answer with JSON only."),
		UserMessage(b.String()),
	}}
}
