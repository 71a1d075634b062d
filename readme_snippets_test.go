package openrouter_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmePrelude declares what README.md's Go snippets use without
// declaring it: each snippet becomes the body of a function of its own.
const readmePrelude = `package readmesnippets

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
	"github.com/routerkit/openrouter/redislimiter"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

var (
	_ = context.Background
	_ = errors.Is
	_ = fmt.Println
	_ = log.Println
	_ = os.Getenv
	_ = time.Second
	_ = redis.NewClient
	_ = bulk.OpenJournal
	_ = openroutertest.NewServer
	_ = redislimiter.New
	_ = orotel.New
)

type Article struct{ Path, Text string }

type Page struct {
	Title string
	Meta  string
	Tags  []string
}

var (
	ctx      = context.Background()
	c        *openrouter.Client
	req      *openrouter.ChatRequest
	key      string
	keyHash  string
	article  string
	slug     string
	articles []Article
	journal  bulk.Journal
	page     Page

	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
)

func rewrite(context.Context, Article) (*openrouter.RewriteResult, error) { return nil, nil }

func lookUp(context.Context, string) (string, error)                       { return "", nil }
func rewriteRequest(part string, i, n int) *openrouter.ChatRequest           { return nil }
func joinPages(parts []Page) Page                                           { return Page{} }
`

// TestReadmeSnippetsCompile type-checks every Go block of README.md against
// the real API: a snippet that names a function, field or option that does
// not exist, or calls one with the wrong types, fails it. Each block is the
// body of a function of its own after a prelude that declares the variables
// the prose assumes (ctx, c, req, article, ...); "declared and not used" is
// forgiven, since a snippet is a fragment of a program.
func TestReadmeSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a package with the go command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?ms)^```go\n(.*?)^```").FindAllSubmatch(readme, -1)
	if len(blocks) < 10 {
		t.Fatalf("found %d Go blocks in README.md; the extraction is broken", len(blocks))
	}
	var src bytes.Buffer
	src.WriteString(readmePrelude)
	for i, b := range blocks {
		// Blocks redeclare c, page, ...: shadowing inside the function is fine.
		body := string(b[1])
		fmt.Fprintf(&src, "\nfunc snippet%02d() error {\n//line README.md:snippet%02d:1\n%s\nreturn nil\n}\n", i+1, i+1, body)
	}
	// A directory starting with "_" is outside ./... but inside the module
	// (and the workspace, for redislimiter), so no go.mod is needed.
	dir, err := os.MkdirTemp(".", "_readme_snippets")
	if err != nil {
		t.Skipf("the source tree is read-only (a module cache?): %v", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "snippets.go"), src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "build", "-gcflags=-e", "-o", os.DevNull, "./"+filepath.Base(dir))
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly") // never the network
	out, _ := cmd.CombinedOutput()
	var problems []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.Contains(line, "declared and not used") {
			continue
		}
		problems = append(problems, line)
	}
	if len(problems) > 0 {
		t.Errorf("README.md's Go snippets do not compile against the API:\n%s", strings.Join(problems, "\n"))
	}
}
