package openrouter

import (
	"context"
	"testing"
)

// TestLowBalanceAlertRearms: the alert fires once per crossing under the
// threshold, and again after the balance has risen back above it.
func TestLowBalanceAlertRearms(t *testing.T) {
	t.Parallel()
	var fired []float64
	c := NewClient(testKey, WithLowBalanceAlert(1, func(b float64) { fired = append(fired, b) }))
	c.account.setBalance(c, 0.5, BalanceCredits) // under: fires
	c.spend(context.Background(), &Usage{Cost: 0.1})
	c.account.setBalance(c, 0.4, BalanceCredits) // still under: does not fire again
	c.account.setBalance(c, 5, BalanceCredits)   // back above: re-armed
	c.account.setBalance(c, 0.3, BalanceCredits) // under again: fires
	if len(fired) != 2 || fired[0] != 0.5 || fired[1] != 0.3 {
		t.Errorf("alerts %v, want [0.5 0.3]", fired)
	}
}
