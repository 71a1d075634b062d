package openrouter_test

import (
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
)

// TestInsufficientFundsErrorTellsAmountsApart: both amounts printed as
// "$0.0001" (four decimals); now each has the digits that tell them
// apart.
func TestInsufficientFundsErrorTellsAmountsApart(t *testing.T) {
	for _, tc := range []struct {
		cost, avail float64
		want        []string
	}{
		{0.00012, 0.00009, []string{"up to $0.00012 ", "but $0.000090 is available", "key limit left: $0.000090"}},
		{0.000123456, 0.000123451, []string{"$0.00012346 ", "$0.00012345 is available"}},
		{0.003, 0.001, []string{"up to $0.0030 ", "$0.0010 is available"}},
		{25, 12.5, []string{"up to $25.0000 ", "$12.5000 is available"}},
	} {
		avail := tc.avail
		e := &openrouter.InsufficientFundsError{Estimate: &openrouter.CostEstimate{Requests: 3, Cost: tc.cost},
			Funds: openrouter.Funds{KeyRemaining: &avail}}
		msg := e.Error()
		for _, s := range tc.want {
			if !strings.Contains(msg, s) {
				t.Errorf("%q does not say %q", msg, s)
			}
		}
	}
}
