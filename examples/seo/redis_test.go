package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/routerkit/openrouter"
)

// TestRedisJournal runs the job with its journal in Redis (-redis): a
// second run, from anywhere with the same Redis and -job, takes every
// article from it and pays nothing again; another -job starts afresh.
func TestRedisJournal(t *testing.T) {
	mr := miniredis.RunT(t)
	dir := t.TempDir()
	cfg := config{out: dir, progressWriter: io.Discard, redis: mr.Addr(), job: "seo-test", cover: defaultCover}
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "12 articles: 12 done, 0 failed, 0 not attempted") || strings.Contains(out.String(), "(from the journal)") {
		t.Fatalf("first run:\n%s", out.String())
	}
	if n := len(mr.Keys()); n == 0 {
		t.Fatal("nothing kept in Redis")
	}
	out.Reset()
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "(from the journal)") != 12 || !strings.Contains(out.String(), "cost $0.0000") {
		t.Errorf("second run, same job:\n%s", out.String())
	}
	out.Reset()
	cfg.job = "another"
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "(from the journal)") {
		t.Errorf("another job took the first one's records:\n%s", out.String())
	}
}

// TestRedisAndJournalFileRefused: -journal and -redis together are a
// mistake, refused before anything is sent.
func TestRedisAndJournalFileRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := config{out: dir, progressWriter: io.Discard, redis: "127.0.0.1:1", journal: dir + "/j.jsonl", cover: defaultCover}
	var out bytes.Buffer
	err := run(context.Background(), &out, "", cfg)
	if !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Fatalf("err = %v, want ErrInvalidRequest", err)
	}
	if out.Len() != 0 {
		t.Errorf("the run began before refusing:\n%s", out.String())
	}
}

// TestTwoWorkersShareTheJob runs two workers (-worker) on one job at
// once, as two processes would: every article is rewritten by one of
// them only, each worker's report covers the whole job, and -report
// prints it from Redis, running nothing.
func TestTwoWorkersShareTheJob(t *testing.T) {
	mr := miniredis.RunT(t)
	dir := t.TempDir()
	cfg := config{out: dir, progressWriter: io.Discard, redis: mr.Addr(), job: "shared", worker: true, workers: 2, cover: defaultCover}
	outs := make([]bytes.Buffer, 2)
	errs := make(chan error, 2)
	for i := range outs {
		go func() { errs <- run(context.Background(), &outs[i], "", cfg) }()
	}
	for range outs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	articles, err := readArticles("")
	if err != nil {
		t.Fatal(err)
	}
	own := 0
	for i := range outs {
		out := outs[i].String()
		if !strings.Contains(out, "12 articles: 12 done, 0 failed, 0 not attempted") {
			t.Errorf("worker %d's report does not cover the job:\n%s", i, out)
		}
		for _, a := range articles {
			if strings.Contains(out, "done    "+a.Name) && !strings.Contains(out, "done    "+pad(a.Name)+" -> Rewritten") {
				t.Errorf("worker %d: %s without its rewrite:\n%s", i, a.Name, out)
			}
		}
		own += 12 - strings.Count(out, "(from the journal)")
	}
	if own != 12 {
		t.Errorf("the two workers rewrote %d articles between them, want each of the 12 once:\n%s\n%s", own, outs[0].String(), outs[1].String())
	}
	if len(mr.Keys()) == 0 || !slices.ContainsFunc(mr.Keys(), func(k string) bool { return strings.Contains(k, "seo-pace:shared") }) {
		t.Errorf("the workers did not pace through Redis: keys %v", mr.Keys())
	}
	var rep bytes.Buffer
	cfg.worker, cfg.report = false, true
	if err := run(context.Background(), &rep, "", cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.String(), "12 articles: 12 done, 0 failed, 0 not attempted") || strings.Count(rep.String(), "-> Rewritten: ") != 12 {
		t.Errorf("-report:\n%s", rep.String())
	}
}

func pad(name string) string { return fmt.Sprintf("%-40s", name) }

// TestWorkerFlagsRefused: -worker and -report need -redis, and -worker
// does not share batches; each is refused before anything is sent.
func TestWorkerFlagsRefused(t *testing.T) {
	for _, cfg := range []config{
		{worker: true},
		{report: true},
		{worker: true, redis: "127.0.0.1:1", batch: true},
		{redis: "127.0.0.1:1", lease: -time.Second},
	} {
		var out bytes.Buffer
		cfg.out, cfg.progressWriter = t.TempDir(), io.Discard
		if err := run(context.Background(), &out, "", cfg); !errors.Is(err, openrouter.ErrInvalidRequest) || out.Len() != 0 {
			t.Errorf("%+v: err %v, output %q; want ErrInvalidRequest and nothing done", cfg, err, out.String())
		}
	}
}
