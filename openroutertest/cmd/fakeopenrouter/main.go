// Command fakeopenrouter serves the openroutertest fake OpenRouter API on
// a TCP address, for programs that cannot embed it: several worker
// processes of one bulk job, a program in another language, a manual
// try. Point a client at the URL it prints, with its key:
//
//	go run github.com/routerkit/openrouter/openroutertest/cmd/fakeopenrouter -addr 127.0.0.1:8089 -key fake-key
//	OPENROUTER_BASE_URL=http://127.0.0.1:8089/api/v1 OPENROUTER_API_KEY=fake-key go run ./examples/seo
//
// It answers as openroutertest.NewServer does, accepting the key of -key
// (default openroutertest.DefaultKey), with each chat completion priced at -price
// USD when -price is set, and after -latency. Beside the API it serves
// GET /fake/billed: the chat completions it answered (and billed), by
// item, an item being what -item (a regular expression with one group)
// finds in the request's last user message: a checker compares it with
// what the job reported. That path is this program's, not OpenRouter's.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/routerkit/openrouter/openroutertest"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "address to listen on")
	flag.StringVar(&cfg.urlFile, "url-file", "", "write the API's URL to this file once listening")
	flag.DurationVar(&cfg.latency, "latency", 0, "time each chat completion takes")
	flag.Float64Var(&cfg.price, "price", 0, "USD each chat completion costs (0: the model's pricing)")
	flag.StringVar(&cfg.key, "key", openroutertest.DefaultKey, "the API key the fake accepts")
	flag.StringVar(&cfg.item, "item", `ITEM\[([^\]]+)\]`, "regular expression whose group names the item a request is about")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fakeopenrouter:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, urlFile, item string
	key                 string // the key the fake accepts; "" for openroutertest.DefaultKey
	latency             time.Duration
	price               float64
}

// billing counts the chat completions the fake answered, by item.
type billing struct {
	re    *regexp.Regexp
	price float64

	mu     sync.Mutex
	byItem map[string]int
	total  int
}

// Billed is the answer of GET /fake/billed.
type Billed struct {
	// Generations is every chat completion answered, by item ("" for
	// those that name none).
	Generations map[string]int `json:"generations"`
	Total       int            `json:"total"`
	// Spent is what the fake billed in all, in USD (every path).
	Spent float64 `json:"spent"`
}

// respond answers as the fake does by default, priced, and counts.
func (b *billing) respond(r openroutertest.Request) openroutertest.Reply {
	rep := r.DefaultReply()
	if b.price > 0 {
		rep.Cost = b.price
	}
	item := ""
	if m := b.re.FindStringSubmatch(r.LastUserText()); len(m) > 1 {
		item = m[1]
	}
	b.mu.Lock()
	b.byItem[item]++
	b.total++
	b.mu.Unlock()
	return rep
}

// serve runs the fake on cfg.addr until ctx ends, printing its URL on out.
func serve(ctx context.Context, out io.Writer, cfg config) error {
	re, err := regexp.Compile(cfg.item)
	if err != nil || re.NumSubexp() != 1 {
		return fmt.Errorf("-item %q: want a regular expression with one group (%v)", cfg.item, err)
	}
	b := &billing{re: re, price: cfg.price, byItem: map[string]int{}}
	opts := []openroutertest.Option{openroutertest.WithResponder(b.respond)}
	if cfg.key != "" {
		opts = append(opts, openroutertest.WithKey(cfg.key))
	}
	fake := openroutertest.NewServer(append(opts, openroutertest.WithLatency(cfg.latency), openroutertest.WithoutRecording())...)
	defer fake.Close()
	target, err := url.Parse(fake.URL)
	if err != nil {
		return err
	}
	target.Path = ""
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // streams as they come
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil { // a client that left (killed, say) needs no answer, nor a log line
			fmt.Fprintf(os.Stderr, "fakeopenrouter: %s %s: %v\n", r.Method, r.URL.Path, err)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", proxy)
	mux.HandleFunc("GET /fake/billed", func(w http.ResponseWriter, _ *http.Request) {
		b.mu.Lock()
		ans := Billed{Generations: make(map[string]int, len(b.byItem)), Total: b.total}
		for k, n := range b.byItem {
			ans.Generations[k] = n
		}
		b.mu.Unlock()
		ans.Spent = fake.Spent()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ans)
	})
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	api := "http://" + ln.Addr().String() + "/api/v1"
	if cfg.urlFile != "" {
		if err := os.WriteFile(cfg.urlFile, []byte(api+"\n"), 0o644); err != nil {
			ln.Close()
			return err
		}
	}
	fmt.Fprintf(out, "fake OpenRouter at %s (the key of -key); billing at http://%s/fake/billed\n", api, ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		return err
	}
}
