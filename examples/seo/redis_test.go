package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

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
