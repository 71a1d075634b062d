package openrouter

import "encoding/json"

// Cost returns what the request's answer says it cost, in USD (as
// Usage.TotalCost: a BYOK answer's upstream cost included), whatever
// the answer was: an empty completion, an error object inside a 200 or
// an unusable body is billed as much as a good one, so a report must
// count it. 0 when the request has no answer (it expired or was
// cancelled before it ran) or the answer gives no cost.
func (r *BatchResult) Cost() float64 {
	if r == nil || r.Response == nil || !hasJSON(r.Response.Body) {
		return 0
	}
	var body struct {
		Usage *Usage `json:"usage"`
	}
	if json.Unmarshal(r.Response.Body, &body) != nil {
		return 0
	}
	return body.Usage.TotalCost()
}
