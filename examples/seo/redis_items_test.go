package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/routerkit/openrouter"
)

// A job name in Redis given to another folder of articles: the worker,
// and -report, are refused before any article is run or reported, rather
// than sharing a job whose reports each cover a different list.
func TestWorkerOfOtherArticlesRefused(t *testing.T) {
	mr := miniredis.RunT(t)
	cfg := config{out: t.TempDir(), progressWriter: io.Discard, redis: mr.Addr(), job: "shared", worker: true, workers: 2, cover: defaultCover}
	var first bytes.Buffer
	if err := run(context.Background(), &first, "", cfg); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "another.md"), []byte("# Another\n\nAn article of another job.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.in = other
	for _, report := range []bool{false, true} {
		cfg.worker, cfg.report = !report, report
		var out bytes.Buffer
		if err := run(context.Background(), &out, "", cfg); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("report %v: a run of other articles under the job's name: %v, want ErrInvalidRequest\n%s", report, err, out.String())
		}
	}
}
