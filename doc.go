// Package openrouter is a client for the OpenRouter API (an HTTP gateway
// to hundreds of language models) built for programs that run long jobs:
// typed errors for every failure OpenRouter really returns, retries that
// follow the server's hints, pacing that learns the rate the server
// allows, and a fake server (package openroutertest) for testing offline.
//
// What is where:
//
//   - [Client.Chat], [Client.ChatStream]: completions, whole or streamed.
//   - [ChatJSON], [Client.Rewrite]: JSON answers as valid Go values, and
//     article rewriting (long articles in sections).
//   - [Client.GenerateImage]: images decoded to bytes, or [ErrNoImage].
//   - package bulk: many items at the rate the server allows, resumable;
//     [TrackCost] counts what a context's requests cost.
//   - [Client.Models], [Client.Model], [Client.Key], [Client.Credits],
//     [Client.Generation], [Client.CheckRoles]: catalogue and account.
//   - [AdaptiveLimiter], [Limiter]: pacing, shared between clients.
//
// # Quick start
//
//	c := openrouter.NewClient(os.Getenv("OPENROUTER_API_KEY"))
//	res, err := c.Chat(ctx, &openrouter.ChatRequest{
//		Model:    "openai/gpt-4o-mini",
//		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
//	})
//	if errors.Is(err, openrouter.ErrInsufficientCredits) {
//		log.Fatal(openrouter.Hint(err)) // "The balance is too low ...: top up ..."
//	}
//	fmt.Println(res.Content())
//
// A [Client] is safe for concurrent use; create one and reuse it.
//
// # Retries
//
// A request is retried on 408, 429, 5xx (52x included), connection
// errors, and a 402 that carries Retry-After (the in-flight budget); never
// on 400, 401, 403, 404 or another 402. The wait is the server's
// Retry-After when it sends one (up to the maximum wait, beyond which a 429
// is returned at once as [ErrQuotaExhausted]), otherwise exponential
// backoff with jitter; see [WithRetry]. Errors inside a 200 (an "error"
// object, a choice that finished with "error") are typed like HTTP errors
// and not retried.
//
// # Errors
//
// Check errors with [errors.Is]; [errors.As] with *[APIError] gives the
// status, OpenRouter's message, the upstream provider's own reason and the
// attempts made; [Hint] gives the remediation to show a user.
//
//	Sentinel                status and message                            what to do
//	ErrUnauthorized         401; an empty or malformed key (not sent)     check or replace the key
//	ErrInsufficientCredits  402                                           top up, or lower max_tokens
//	ErrModelNotFound        400 "<id> is not a valid model ID"            pick an ID from the catalogue
//	ErrNoEndpoints          404 "No endpoints found" (+ErrModelNotFound)  change provider or privacy settings
//	ErrModerated            403 with moderation reasons                   reword the input
//	ErrForbidden            other 403 (guardrail, management key)         see the message
//	ErrRateLimited          429                                           slow down, lower concurrency
//	ErrQuotaExhausted       429 daily quota (+ErrRateLimited)             wait for the reset
//	ErrContextLength        400 context length (+ErrBadRequest)           shorter prompt, larger model
//	ErrBadRequest           400, 412, 413, 422                            fix the request
//	ErrTimeout              408, a stalled stream                         retry later
//	ErrServer               5xx, a provider failure inside a 200          retry in minutes
//	ErrEmptyContent         200 with nothing in it                        see EmptyContentError.Cause
//	ErrUnparseable          not the JSON asked for (ChatJSON)             see UnparseableError
//	ErrNoImage              no image in the answer (GenerateImage)        a model with image output
//	ErrModelUnsuitable      a role's model lacks a capability             see CheckRoles
//	ErrInvalidRequest       refused before sending                        fix the request
//
// The API key never appears in an error, a log line or a panic.
package openrouter
