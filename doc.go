// Package openrouter is a client for the OpenRouter API (an HTTP gateway
// to hundreds of language models) built for programs that run long jobs:
// typed errors for every failure OpenRouter really returns, retries that
// follow the server's hints, pacing that learns the rate the server
// allows, and a fake server (package openroutertest) for testing offline.
//
// What is where:
//
//   - [Client.Chat], [Client.ChatStream]: completions, whole or streamed.
//   - Client.Responses ([ResponsesService.Create], [ResponsesService.Stream]):
//     the Responses API, whole or as typed events.
//   - [ChatJSON], [Client.Rewrite]: JSON answers as valid Go values, and
//     article rewriting (long articles in sections).
//   - [Client.GenerateImage]: images decoded to bytes, or [ErrNoImage].
//   - package bulk: many items at the rate the server allows, resumable;
//     [TrackCost] counts what a context's requests cost.
//   - [Client.Models], [Client.Model], [Client.CheckKey], [Client.Credits],
//     [Client.Generation], [Client.CheckRoles]: catalogue and account.
//   - [Client.RunTools], [NewTool], [SchemaFor]: a tool-calling loop with
//     typed, validated arguments.
//   - [CallOption]: per-call headers, timeout, retries and answer
//     metadata ([CallResponseInto], [ResponseInfo]), on every method.
//   - [AdaptiveLimiter], [Limiter]: pacing, shared between clients
//     (module redislimiter: across processes, through Redis).
//   - [BatchesService.Submit], [BatchesService.Wait], [Client.EstimateCost]:
//     the Batch API at about half price, and the bill before paying it.
//   - [Client.Embed], [Cosine]: embeddings, split into requests the model
//     accepts; [BatchesService.SubmitEmbeddings] and
//     [BatchesService.EmbeddingResults] for the same at the batch price.
//   - [Client.ImageModels], [Client.ModelEndpoints], [Client.Providers],
//     [Client.UserModels]: the catalogue in depth.
//   - [KeysService.Create], [KeysService.List], [Client.Activity]: keys with
//     limits and billed activity (management key).
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
// A request is retried on 408, 429, 5xx (52x included), and a 402 that
// carries Retry-After (the in-flight budget); never on 400, 401, 403, 404
// or another 402. The wait is the server's Retry-After when it sends one
// (decimal seconds or an HTTP date; anything else is ignored), otherwise
// exponential backoff with jitter; see [WithRetry]. A wait that would
// pass the context's deadline is not begun. Errors inside a 200 (an
// "error" object, a choice that finished with "error") are typed like HTTP
// errors and not retried.
//
// The client's maximum wait is the one line between a rate limit and a
// quota: a 429 that asks for a longer wait, or a daily quota, is returned
// at once as [ErrQuotaExhausted], and the limiter neither slows nor holds
// the other requests for it.
//
// OpenRouter has no idempotency key, and every generation it starts is
// billed, so a failure without an answer is retried only when it cannot
// cost twice:
//
//   - what provably never reached the server (DNS failure, connection
//     refused, TLS handshake failure, a connection lost before the request
//     was written; the client knows from net/http/httptrace) is sent
//     again freely; when it never gets through, the error matches
//     [ErrUnreachable];
//   - GET requests (catalogue, account), and the other idempotent methods
//     (PUT, DELETE), are sent again freely;
//   - a POST (or PATCH) that was written and got no answer before a
//     timeout (the http.Client's Timeout, a connection deadline,
//     [CallTimeout]) or the context's end is never sent again, since its
//     generation may still be running: the error matches
//     [ErrMaybeBilled], [ErrTimeout] and the context's error;
//   - a POST whose connection was cut after it was written, or whose
//     answer was cut off after its headers, is not sent again either:
//     the error matches [ErrMaybeBilled], and [TransportError] says how
//     many attempts were made and how many may have been billed. Only
//     [WithResendAfterCut] or [CallResendAfterCut] let a cut POST be sent
//     again, up to a bound; each resend may pay twice, and is counted in
//     MaybeBilled (of the answer, the error, [ResponseInfo] and a
//     [CostMeter]) and logged as a warning.
//
// A batch submission and a key's creation are not sent again even after
// an error answer, unless it proves the request was not processed; a
// creation whose answer was lost fails with [ErrKeyMaybeCreated], and
// [KeysService.Find] finds the key by name.
//
// The attempts are sent by a go-retryablehttp client made for the call;
// the rules above are its hooks, and it logs nothing of its own.
//
// A chat answer lost after OpenRouter began it (a stream cut mid-way, a
// body cut after its headers) is read back from its generation instead
// of being sent again, where the account stores content (Input & Output
// Logging): see [WithAnswerRecovery]. Otherwise the error carries the
// generation's ID and record.
//
// A call that fails without an HTTP answer returns a *[TransportError]
// (method, path, attempts, the cause). When the context ends during a
// wait, the error matches the context's error and still carries the last
// answer: [errors.As] with *[APIError] and [Hint] reach it.
//
// Redirects are followed only to the same origin (scheme, host and port)
// and without a change of method (a 307 or 308, whose body is replayed): a
// redirect elsewhere would send the API key there, and a 301, 302 or 303
// would turn the POST into a GET. Both are refused with an error.
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
//	ErrModelDeprecated      model_deprecated (+ErrModelNotFound)          move to APIError.Suggestions
//	ErrNoEndpoints          404 "No endpoints found" (+ErrModelNotFound)  change provider or privacy settings
//	ErrNotFound             other 404 (generation, batch, key)            check the ID and the base URL
//	ErrModerated            403 with moderation reasons                   reword the input
//	ErrBudgetExceeded       403 budget (+ErrForbidden; resets_at)         wait for the reset, raise it
//	ErrForbidden            other 403 (guardrail, management key)         see the message
//	ErrRateLimited          429                                           slow down, lower concurrency
//	ErrQuotaExhausted       429 daily quota (+ErrRateLimited)             wait for the reset
//	ErrContextLength        400 context length (+ErrBadRequest)           shorter prompt, larger model
//	ErrBadRequest           400, 412, 413, 422                            fix the request
//	ErrTimeout              408, a stalled stream                         retry later
//	ErrServer               5xx, a provider failure inside a 200          retry in minutes
//	ErrUnreachable          DNS, refused, TLS handshake (nothing sent)    check network, proxy, base URL
//	ErrMaybeBilled          sent, answer lost (timeout, cut)              check the activity, then resend
//	ErrTooLarge             answer past the bounds (WithAnswerLimits)     raise the bounds, ask for less
//	ErrEmptyContent         200 with nothing in it                        see EmptyContentError.Cause
//	ErrUnparseable          not the JSON asked for (ChatJSON)             see UnparseableError
//	ErrNoImage              no image in the answer (GenerateImage)        a model with image output
//	ErrModelUnsuitable      a role's model lacks a capability             see CheckRoles
//	ErrInvalidRequest       refused before sending                        fix the request
//
// An error that carries OpenRouter's error.availability (a model that
// cannot be served) is classified by its code, the same over HTTP and
// inside a stream, and retried as its retryable flag says: see
// [Availability] and the Availability* codes.
//
// The API key never appears in an error, a log line or a panic.
//
// Typed errors give more: *[APIError] (an HTTP answer), *[TransportError]
// (no HTTP answer), *[StreamError] (mid-stream, with the text so far),
// *[UnparseableError], *[EmptyContentError], *[BatchSubmitError],
// *[BatchStatusError], *[InsufficientFundsError], *[ToolRoundsError].
//
// # Options
//
// Four kinds of options, each with its own prefix, so that a name says
// where it goes:
//
//   - [Option] (With...): the client's settings, given to [NewClient]:
//     [WithBaseURL], [WithRetry], [WithLimiter], [WithAnswerLimits],
//     [WithStreamTimeouts], [WithModelCheck], ...
//   - [LimiterOption] (Limit...): an [AdaptiveLimiter]'s settings:
//     [LimitInFlight], [LimitRate], [LimitAdaptive], [LimitMaxGate]; the
//     Redis limiter takes the same names.
//   - [JSONOption] (JSON...): one [ChatJSON] or [Client.Rewrite] call:
//     [JSONRepair], [JSONFallbackModels], [JSONResponseHealing],
//     [JSONUnknownFields], [JSONOnlineModels].
//   - [CallOption] (Call...): any one call that sends a request, taken
//     last by every such method: [CallTimeout], [CallMaxRetries],
//     [CallHeader], [CallResponseCache], [CallProviderMetadata],
//     [CallCategories], [CallResponseInto] (the answer's [ResponseInfo],
//     filled on success and failure).
//
// A bad client option fails every call of that client, and a bad JSON or
// call option its call, with [ErrInvalidRequest] before anything is sent.
//
// # Bounds
//
// Nothing the server sends can make the client hold unbounded memory: a
// JSON answer, one server-sent event and a whole stream are bounded after
// decompression ([DefaultAnswerLimits]: 64 MiB, 32 MiB, 256 MiB; see
// [WithAnswerLimits]); past one, the error matches [ErrTooLarge]. Images
// are decoded from the answer as it streams in, into one buffer sized from
// its length.
//
// # Schema tags
//
// [ChatJSON], [Client.Rewrite], [NewTool] and [SchemaFor] derive a JSON
// Schema from a Go struct. The `json` tag names a property; omitempty, or
// a pointer type, makes it optional (null is allowed). The `description`
// tag describes it to the model. The `jsonschema` tag sets bounds, as a
// comma list of key=value:
//
//	type Article struct {
//		Title    string    `json:"title" description:"the page title" jsonschema:"minLength=10,maxLength=60"`
//		Tone     string    `json:"tone" jsonschema:"enum=plain|friendly|formal"`
//		Score    int       `json:"score" jsonschema:"minimum=0,maximum=10"`
//		Tags     []string  `json:"tags" jsonschema:"minItems=1,maxItems=5"`
//		Slug     string    `json:"slug" jsonschema:"pattern=^[a-z0-9-]+$"`
//		Updated  time.Time `json:"updated"` // format date-time
//		Subtitle *string   `json:"subtitle"` // optional
//	}
//
// The keys are enum (values split by |), minimum, maximum, minLength,
// maxLength (in characters), minItems, maxItems, format and pattern (last:
// it runs to the end of the tag). Any other key is an error, and so is a
// tag that only another library reads (validate, binding) or a key
// written as a tag of its own (`maxLength:"160"`): ChatJSON would check
// no such bound, so the schema is refused with [ErrInvalidRequest] naming
// the field. Answers are checked against every bound; integers keep their
// exact value past 2^53. A violation is a [Violation] with its JSON
// pointer, in [UnparseableError].Violations.
//
// # Streaming
//
// [Client.ChatStream] returns a [Stream] whose Chunks method is an
// iterator of typed chunks; leaving the loop closes the connection. The
// chunks are folded into a whole [ChatResponse] as they arrive, so
// Stream.Response holds what arrived even after an error. An error event
// from the server is typed like Chat's errors; a stream that is cut, ends
// without a finish reason or stalls fails with a *[StreamError].
// [WithStreamTimeouts] sets a watchdog for the first chunk and for a
// stall between chunks.
//
// # Batches
//
// [BatchesService.Submit] sends many chat completions to run in the
// background at about half price; [BatchesService.Wait] polls until the batch
// ends, and [BatchesService.ResultMap] gives each request's result by custom
// ID, whose [BatchResult.Chat] returns the completion or the error a Chat
// call would have. A batch of Responses or Anthropic Messages requests
// ([BatchItem] Responses, Messages) is read with [BatchResult.Responses]
// and [BatchResult.Messages]; a batch has one shape. A submission is never resent blindly: when its answer
// is lost the client looks the batch up ([BatchesService.Find]). Before a
// job, [Client.EstimateCost] bounds its cost (from the bodies as they
// would be sent: tools, schemas and images included;
// [Client.EstimateImageCost] and [Client.EstimateEmbeddingCost] for the
// other endpoints) and [Client.CheckFunds]
// refuses one the account cannot pay. [JSONRequest] and [ChatJSONFrom]
// ([Client.RewriteChat] and [Client.RewriteFrom]) put ChatJSON's (Rewrite's)
// request in a batch and validate and repair its answer as ChatJSON does.
// A whole job in batch mode, with its journal, sync fallback and bill, is
// the bulk package's Runner.RunBatch.
//
// # Bulk jobs
//
// Package github.com/routerkit/openrouter/bulk runs one function over
// many items at the rate the limiter allows, accounts for every item
// (done, failed with its error, not attempted), stops on errors that no
// retry can fix, and resumes a killed job from a journal without paying
// twice. It counts each item's cost with a [CostMeter] in the item's
// context ([TrackCost]); any caller can do the same.
package openrouter
