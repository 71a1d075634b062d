package openrouter

import (
	"context"
	"errors"
)

// ErrorName names the most specific sentinel of this package that err
// matches ("ErrRateLimited", "ErrQuotaExhausted", "ErrUnparseable", ...),
// for logs, reports and metrics: the same order as [Hint], so a quota is
// named as a quota, not as the rate limit it also is. A context's end is
// "context.Canceled" or "context.DeadlineExceeded"; nil is ""; an error of
// another kind is "error".
//
//	for key, err := range report.Failed {
//		log.Printf("%s: %s: %v", key, openrouter.ErrorName(err), err)
//	}
func ErrorName(err error) string {
	if err == nil {
		return ""
	}
	for _, h := range hints {
		if errors.Is(err, h.sentinel) {
			return sentinelNames[h.sentinel]
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	}
	return "error"
}

// sentinelNames gives each sentinel of the hint catalogue its Go name.
var sentinelNames = map[error]string{
	ErrUnauthorized: "ErrUnauthorized", ErrInsufficientCredits: "ErrInsufficientCredits",
	ErrNoEndpoints: "ErrNoEndpoints", ErrModelNotFound: "ErrModelNotFound", ErrNotFound: "ErrNotFound",
	ErrModerated: "ErrModerated", ErrForbidden: "ErrForbidden", ErrQuotaExhausted: "ErrQuotaExhausted",
	ErrRateLimited: "ErrRateLimited", ErrContextLength: "ErrContextLength", ErrTimeout: "ErrTimeout",
	ErrServer: "ErrServer", ErrBadRequest: "ErrBadRequest", ErrUnparseable: "ErrUnparseable",
	ErrEmptyContent: "ErrEmptyContent", ErrModelUnsuitable: "ErrModelUnsuitable",
	ErrInvalidRequest: "ErrInvalidRequest", ErrUnreachable: "ErrUnreachable",
	ErrMaybeBilled: "ErrMaybeBilled", ErrTooLarge: "ErrTooLarge", ErrNoImage: "ErrNoImage",
	ErrModelDeprecated: "ErrModelDeprecated", ErrBudgetExceeded: "ErrBudgetExceeded",
}
