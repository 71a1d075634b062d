package openrouter

// WebSearchParams configures the openrouter:web_search server tool:
// ServerTool(ServerToolWebSearch, WebSearchParams{MaxResults: 5}).
type WebSearchParams struct {
	// Engine is "auto", "native" (the provider's own search), "exa",
	// "parallel", "firecrawl" or "perplexity".
	Engine          string `json:"engine,omitempty"`
	MaxResults      int    `json:"max_results,omitempty"`
	MaxTotalResults int    `json:"max_total_results,omitempty"`
	MaxUses         int    `json:"max_uses,omitempty"`
	MaxCharacters   int    `json:"max_characters,omitempty"`
	// SearchContextSize is "low", "medium" or "high".
	SearchContextSize string        `json:"search_context_size,omitempty"`
	AllowedDomains    []string      `json:"allowed_domains,omitempty"`
	ExcludedDomains   []string      `json:"excluded_domains,omitempty"`
	UserLocation      *UserLocation `json:"user_location,omitempty"`
}

// UserLocation is an approximate location for web search results.
type UserLocation struct {
	Type     string `json:"type"` // "approximate"
	City     string `json:"city,omitempty"`
	Region   string `json:"region,omitempty"`
	Country  string `json:"country,omitempty"` // "US"
	Timezone string `json:"timezone,omitempty"`
}

// WebFetchParams configures the openrouter:web_fetch server tool.
type WebFetchParams struct {
	Engine           string   `json:"engine,omitempty"`
	MaxUses          int      `json:"max_uses,omitempty"`
	MaxContentTokens int      `json:"max_content_tokens,omitempty"`
	AllowedDomains   []string `json:"allowed_domains,omitempty"`
	BlockedDomains   []string `json:"blocked_domains,omitempty"`
}

// DatetimeParams configures the openrouter:datetime server tool: the IANA
// time zone of the answer ("Europe/Paris").
type DatetimeParams struct {
	Timezone string `json:"timezone,omitempty"`
}
