package openrouter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Funds is what the account may spend: the credits left and the key's
// remaining limit, each nil when unknown (the credits need a management
// key; a key without a limit has no remaining limit).
type Funds struct {
	Credits      *float64 // total credits less total usage, USD
	KeyRemaining *float64 // the key's limit_remaining, USD
}

// Available returns the smaller of the known figures, and false when
// neither is known.
func (f *Funds) Available() (float64, bool) {
	switch {
	case f.Credits != nil && f.KeyRemaining != nil:
		return min(*f.Credits, *f.KeyRemaining), true
	case f.Credits != nil:
		return *f.Credits, true
	case f.KeyRemaining != nil:
		return *f.KeyRemaining, true
	}
	return 0, false
}

// InsufficientFundsError refuses a job whose estimate the account cannot
// cover. It matches [ErrInsufficientCredits]; nothing was sent.
type InsufficientFundsError struct {
	Estimate *CostEstimate
	Funds    Funds
}

// Error gives the estimate and both figures of the funds.
func (e *InsufficientFundsError) Error() string {
	avail, _ := e.Funds.Available()
	var cost float64
	var n int
	batch := false
	if e.Estimate != nil {
		cost, n, batch = e.Estimate.Cost, e.Estimate.Requests, e.Estimate.Batch
	}
	// Every amount is printed with the digits that tell the estimate
	// from what is available: $0.00012 and $0.00009, not $0.0001 twice.
	sig := distinctDigits(cost, avail)
	s := fmt.Sprintf("openrouter: insufficient credits: the job may cost up to %s (%d requests", money(cost, sig), n)
	if batch {
		s += ", batch price"
	}
	s += fmt.Sprintf(") but %s is available (credits left: %s; key limit left: %s)", money(avail, sig), usd(e.Funds.Credits, sig), usd(e.Funds.KeyRemaining, sig))
	return s
}

// Unwrap returns ErrInsufficientCredits.
func (e *InsufficientFundsError) Unwrap() error { return ErrInsufficientCredits }

// usd formats a known amount (see money), or says it is unknown.
func usd(v *float64, sig int) string {
	if v == nil {
		return "unknown"
	}
	return money(*v, sig)
}

// money formats USD with at least sig significant digits and at least
// four decimals: $0.0030, $0.00012, $12.5000.
func money(v float64, sig int) string {
	decimals := 4
	if a := math.Abs(v); a > 0 && !math.IsInf(a, 0) && !math.IsNaN(a) {
		decimals = max(decimals, sig-1-int(math.Floor(math.Log10(a))))
	}
	return "$" + strconv.FormatFloat(v, 'f', min(decimals, 15), 64)
}

// distinctDigits is the fewest significant digits, from 2, with which
// two different amounts print differently.
func distinctDigits(a, b float64) int {
	sig := 2
	for sig < 15 && a != b && money(a, sig) == money(b, sig) {
		sig++
	}
	return sig
}

// CheckFunds reads the key's remaining limit (Key) and the credits left
// (Credits, which needs a management key: a 403 leaves them unknown) and
// returns an *[InsufficientFundsError] when the smaller known figure is
// below est.Cost. When neither figure is known, it returns the empty
// Funds and no error: nothing says the job cannot be paid.
func (c *Client) CheckFunds(ctx context.Context, est *CostEstimate) (*Funds, error) {
	if est == nil {
		return nil, invalid("nil *CostEstimate")
	}
	if est.Cost < 0 || math.IsNaN(est.Cost) || math.IsInf(est.Cost, 0) {
		return nil, invalid("estimated cost %v is not an amount", est.Cost)
	}
	f := &Funds{}
	k, err := c.CheckKey(ctx)
	if err != nil {
		return nil, err
	}
	f.KeyRemaining = k.LimitRemaining
	cr, err := c.Credits(ctx)
	switch {
	case err == nil:
		left := cr.Remaining()
		f.Credits = &left
	case errors.Is(err, ErrForbidden):
	default:
		return nil, err
	}
	if avail, ok := f.Available(); ok && avail < est.Cost {
		return f, &InsufficientFundsError{Estimate: est, Funds: *f}
	}
	return f, nil
}
