package openrouter

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// declared returns the names a package directory declares (types,
// functions, constants, variables, and Type.Member for methods and
// fields), and the comments of its non-test files.
func declared(t *testing.T, dir string) (map[string]bool, []*ast.CommentGroup) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var comments []*ast.CommentGroup
	for _, p := range pkgs {
		for _, f := range p.Files {
			comments = append(comments, f.Comments...)
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil {
						names[d.Name.Name] = true
						continue
					}
					rt := d.Recv.List[0].Type
					if s, ok := rt.(*ast.StarExpr); ok {
						rt = s.X
					}
					if ix, ok := rt.(*ast.IndexListExpr); ok {
						rt = ix.X
					}
					if ix, ok := rt.(*ast.IndexExpr); ok {
						rt = ix.X
					}
					if id, ok := rt.(*ast.Ident); ok {
						names[id.Name+"."+d.Name.Name] = true
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							names[s.Name.Name] = true
							var fields *ast.FieldList
							switch tt := s.Type.(type) {
							case *ast.StructType:
								fields = tt.Fields
							case *ast.InterfaceType:
								fields = tt.Methods
							}
							if fields != nil {
								for _, fl := range fields.List {
									for _, n := range fl.Names {
										names[s.Name.Name+"."+n.Name] = true
									}
									if len(fl.Names) == 0 { // embedded: its members are promoted
										if id, ok := fl.Type.(*ast.Ident); ok {
											names[s.Name.Name+"."+id.Name] = true
										}
									}
								}
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								names[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return names, comments
}

var (
	// docLinkRe is a doc link: [Name], [Type.Member], [pkg.Name].
	docLinkRe = regexp.MustCompile(`\[\*?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\]`)
	// backtickRe is a backticked Go expression in Markdown: `c.Method(...)`,
	// `openrouter.Name`, `Name`.
	backtickRe = regexp.MustCompile("`([^`\n]+)`")
	// camelRe is a CamelCase identifier of at least two words.
	camelRe = regexp.MustCompile(`^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$`)
)

// externalDocNames are names from other packages and from OpenRouter that
// the docs mention.
var externalDocNames = map[string]bool{
	"OpenTelemetry": true, "SpanRecorder": true, "ManualReader": true, "CheckRetry": true, "ErrorHandler": true, "DecodeString": true, "UseNumber": true, "ReadFrom": true,
	"OpenRouter": true, "OpenAI": true, "OpenAPI": true, "JavaScript": true, "TypeScript": true, "WebP": true,
	"GitHub": true, "PostgreSQL": true, "DeepSeek": true, "MiniMax": true, "GoDoc": true, "MarshalJSON": true,
	"UnmarshalJSON": true, "ReadAll": true, "RoundTrip": true, "CloseIdleConnections": true, "AfterFunc": true,
	"NewRequestWithContext": true, "WroteRequest": true, "GotConn": true, "WithClientTrace": true, "ClientTrace": true,
	"CheckRedirect": true, "Transport": true, "Timeout": true, "NaN": true, "DeepInfra": true, "ModelsListResponse": true, "LockFileEx": true, "MiB": true, "ReadFull": true, "T.Validate": true, "a.Path": true, "a.City": true, "DefaultTransport": true, "DefaultRetryPolicy": true,
	"ImageGenerationRequest": true, "ImageGenerationResponse": true, "ImagePricingEntry": true, // OpenAPI schemas of the image API
}

// receivers are the variable names the docs give the main types.
var receivers = map[string]string{"c": "Client", "client": "Client", "srv": "ort:Server"}

// pendingNames are names other changes of the same release add; remove
// each once it exists.
var pendingNames = map[string]bool{
	"WithAnswerLimits": true, // the answer-bounds change
}

// externalPackages are the packages whose qualified names are not checked.
var externalPackages = map[string]bool{
	"io": true, "json": true, "bufio": true, "context": true, "http": true, "errors": true, "time": true, "strings": true,
	"bytes": true, "sync": true, "slog": true, "rate": true, "retryablehttp": true, "os": true, "iter": true, "fmt": true,
	"httptest": true, "base64": true, "runtime": true, "testing": true, "atomic": true, "url": true, "cmp": true,
	"ctx": true, "hc": true, "httptrace": true, "utf8": true, "reflect": true, "math": true, "redis": true, "log": true, "sort": true, "slices": true, "tracetest": true, "orotel": true,
}

var (
	prefixedRe  = regexp.MustCompile(`(?:^|[^.\w])((?:With|Call|JSON|Err)[A-Z][A-Za-z0-9]*|[A-Za-z]+\.[A-Z][A-Za-z0-9]*)\b`)
	camelWordRe = regexp.MustCompile(`(?:^|[^.\w/-])([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+)\b`)
)

// TestDocNamesExist checks that every identifier the doc comments, the
// README and BENCHMARKS.md name exists: doc links, option constructors,
// sentinels, Type.Member and other CamelCase names, and backticked Go
// names in Markdown. go vet checks none of them.
func TestDocNamesExist(t *testing.T) {
	names, comments := declared(t, ".")
	for _, dir := range []string{".", "internal/dataurl", "internal/schema", "internal/jsonx"} {
		testNames, _ := declaredTests(t, dir)
		for n := range testNames {
			names[n] = true
		}
	}
	ortNames, ortComments := declared(t, "openroutertest")
	for n := range ortNames {
		names["ort:"+n] = true
	}
	rlNames, rlComments := declared(t, "redislimiter")
	for n := range rlNames {
		names["rl:"+n] = true
	}
	bulkNames, bulkComments := declared(t, "bulk")
	for n := range bulkNames {
		names["bulk:"+n] = true
	}
	check := func(where, name string, home string) {
		name = strings.TrimPrefix(name, "*")
		if pkg, rest, ok := strings.Cut(name, "."); ok {
			switch {
			case pkg == "openroutertest":
				name = "ort:" + rest
			case pkg == "redislimiter":
				name = "rl:" + rest
			case pkg == "bulk":
				name = "bulk:" + rest
			case pkg == "openrouter":
				name = rest
			case externalPackages[pkg]:
				return
			}
		}
		if externalDocNames[name] || pendingNames[name] || names[home+name] || names[name] {
			return
		}
		if !strings.Contains(name, ":") && (names["ort:"+name] || names["rl:"+name] || names["bulk:"+name]) {
			return // a name of a sibling package, written bare in prose
		}
		if typ, member, ok := strings.Cut(name, "."); ok && receivers[typ] != "" {
			name = receivers[typ] + "." + member
		}
		if names[name] {
			return
		}
		if typ, member, ok := strings.Cut(name, "."); ok && !strings.Contains(member, ".") {
			if names[home+typ] || home == "" && names[typ] || strings.HasPrefix(typ, "ort:") || strings.HasPrefix(typ, "rl:") || strings.HasPrefix(typ, "bulk:") {
				t.Errorf("%s names %s, which does not exist", where, name)
				return
			}
			name = member // c.Method, srv.Field: a member of some type
		}
		for n := range names {
			if strings.HasSuffix(n, "."+name) {
				return
			}
		}
		t.Errorf("%s names %s, which does not exist", where, name)
	}
	for _, set := range []struct {
		home     string
		comments []*ast.CommentGroup
	}{{"", comments}, {"ort:", ortComments}, {"rl:", rlComments}, {"bulk:", bulkComments}} {
		for _, cg := range set.comments {
			text := cg.Text()
			where := "a doc comment (" + clipLine(text) + ")"
			for _, m := range docLinkRe.FindAllStringSubmatch(text, -1) {
				last := m[1][strings.LastIndex(m[1], ".")+1:]
				if strings.ToUpper(m[1]) != m[1] && last[0] >= 'A' && last[0] <= 'Z' { // not [DONE], not "[redacted]"
					check(where, m[1], set.home)
				}
			}
			for _, re := range []*regexp.Regexp{prefixedRe, camelWordRe} {
				for _, m := range re.FindAllStringSubmatch(text, -1) {
					check(where, m[1], set.home)
				}
			}
		}
	}
	for _, doc := range []string{"README.md", "BENCHMARKS.md"} {
		b, err := os.ReadFile(filepath.Clean(doc))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, m := range prefixedRe.FindAllStringSubmatch(text, -1) {
			check(doc, m[1], "")
		}
		for _, m := range backtickRe.FindAllStringSubmatch(text, -1) {
			expr, _, _ := strings.Cut(m[1], "(")
			if camelRe.MatchString(expr) || regexp.MustCompile(`^[a-z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*$`).MatchString(expr) {
				check(doc, expr, "")
			}
		}
	}
}

// declaredTests returns the names of the test, benchmark and example
// functions of a directory, which the docs may cite.
func declaredTests(t *testing.T, dir string) (map[string]bool, error) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
					names[fd.Name.Name] = true
				}
			}
		}
	}
	return names, nil
}

func clipLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}
