// Command doctor checks that everything a long job needs works: the key,
// the balance, each role's model, and one tiny request. It prints a
// diagnosis with the fix for each problem it finds.
//
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/doctor
//
// The account's balance needs a management key (OpenRouter answers
// GET /credits to no other key): set OPENROUTER_MANAGEMENT_KEY too, or the
// doctor reads only the key's own limit, and says when it cannot know
// the balance at all.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
)

func main() {
	problems, err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), os.Getenv("OPENROUTER_MANAGEMENT_KEY"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if problems > 0 {
		os.Exit(2)
	}
}

// run returns how many problems it found. Offline (no key), any
// management key stands for the embedded server's.
func run(ctx context.Context, out io.Writer, key, mgmtKey string) (int, error) {
	srv := demo.Server(out, key)
	if srv != nil {
		defer srv.Close()
		if mgmtKey != "" {
			mgmtKey = srv.ManagementKey
		}
	}
	var opts []openrouter.Option
	if mgmtKey != "" {
		opts = append(opts, openrouter.WithManagementKey(mgmtKey))
	}
	c := demo.Client(key, srv, opts...)
	problems := 0
	bad := func(what string, err error) {
		problems++
		fmt.Fprintf(out, "  PROBLEM %s: %v\n    fix: %s\n", what, err, openrouter.Hint(err))
	}

	fmt.Fprintln(out, "1. The key")
	k, err := c.CheckKey(ctx)
	if err != nil {
		bad("the key does not work", err)
		fmt.Fprintln(out, "\nThe other checks need a working key.")
		return problems, nil
	}
	fmt.Fprintf(out, "  ok: %s, used $%.2f today, $%.2f in all", k.Label, k.UsageDaily, k.Usage)
	if k.LimitRemaining != nil {
		fmt.Fprintf(out, ", $%.2f left of its limit", *k.LimitRemaining)
	}
	fmt.Fprintln(out)
	if k.Limit != nil {
		reset := k.LimitReset
		if reset == "" {
			reset = "never"
		}
		fmt.Fprintf(out, "  limit: $%.2f, reset %s (OpenRouter enforces it across processes)\n", *k.Limit, reset)
	} else {
		fmt.Fprintln(out, "  limit: none (a job can cap its spending with a key of its own: Client.Keys.Create)")
	}

	fmt.Fprintln(out, "2. The balance (what the low-balance alert watches)")
	usd, src, err := c.ReadBalance(ctx)
	switch {
	case err != nil:
		bad("reading the balance", err)
	case src == openrouter.BalanceUnknown:
		fmt.Fprintf(out, "  %s; set OPENROUTER_MANAGEMENT_KEY to read the account's credits\n", src)
	default:
		fmt.Fprintf(out, "  ok: $%.2f remaining, from %s\n", usd, src)
		if usd < openrouter.DefaultLowBalance {
			bad("the balance is low", openrouter.ErrInsufficientCredits)
		}
	}
	if mgmtKey != "" {
		yesterday := time.Now().UTC().AddDate(0, 0, -1)
		if act, err := c.Activity(ctx, openrouter.ActivityFilter{Date: yesterday}); err == nil {
			fmt.Fprintf(out, "  billed yesterday (%s): $%.2f over %d model(s)\n", yesterday.Format("2006-01-02"), act.Total(), len(act.ByModel()))
		}
	}

	fmt.Fprintln(out, "3. The models of each role")
	checks, err := c.CheckRoles(ctx)
	if err != nil {
		bad("reading the model catalogue", err)
	}
	for _, ch := range checks {
		if ch.Err != nil {
			bad(ch.Role+" model "+ch.Model, ch.Err)
		} else {
			fmt.Fprintf(out, "  ok: %-8s %s\n", ch.Role, ch.Model)
		}
	}

	fmt.Fprintln(out, "4. The providers of each role's model")
	for _, ch := range checks {
		if ch.Err != nil {
			continue
		}
		m, err := c.Model(ctx, ch.Model)
		if err == nil && m.ImageAPIOnly {
			fmt.Fprintf(out, "  %-8s %s: served by the image API\n", ch.Role, ch.Model)
			continue
		}
		eps, err := c.ModelEndpoints(ctx, ch.Model)
		if err != nil {
			bad("the providers of "+ch.Model, err)
			continue
		}
		fmt.Fprintf(out, "  %-8s %s: %d provider(s)", ch.Role, ch.Model, len(eps.Endpoints))
		for _, e := range eps.Endpoints {
			fmt.Fprintf(out, "; %s (%s) $%.2f/M in, up %.1f%%", e.ProviderName, quantization(e.Quantization), e.Pricing.Prompt*1e6, e.UptimeLast30m)
		}
		fmt.Fprintln(out)
		if len(eps.Endpoints) == 0 {
			bad(ch.Model+" has no provider", openrouter.ErrNoEndpoints)
		}
	}

	fmt.Fprintln(out, "5. Image-only models (the image API)")
	if ims, err := c.ImageModels(ctx); err != nil {
		fmt.Fprintf(out, "  skipped: %v\n", err)
	} else {
		for _, m := range ims {
			fmt.Fprintf(out, "  %s (%s)\n", m.ID, m.Name)
		}
	}

	fmt.Fprintln(out, "6. One tiny request")
	start := time.Now()
	res, err := c.Chat(ctx, &openrouter.ChatRequest{MaxTokens: 5, Messages: []openrouter.Message{openrouter.UserMessage("Say OK.")}})
	if err != nil {
		bad("a chat completion", err)
	} else {
		fmt.Fprintf(out, "  ok: %s answered in %v for $%.6f\n", res.Model, time.Since(start).Round(time.Millisecond), res.Cost())
	}

	if problems == 0 {
		fmt.Fprintln(out, "\nDiagnosis: everything works.")
	} else {
		fmt.Fprintf(out, "\nDiagnosis: %d problem(s); fix them before a long run.\n", problems)
	}
	return problems, nil
}

// quantization says how an endpoint's weights are stored: "fp8",
// "bf16", ...; OpenRouter answers "unknown" (or nothing) when the
// provider does not say.
func quantization(q string) string {
	if q == "" || q == "unknown" {
		return "quantization not published"
	}
	return q
}
