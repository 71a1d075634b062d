package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/routerkit/openrouter/openroutertest"
)

// TestWorkersKill9 is the multi-process measurement of several workers on
// one job (BENCHMARKS.md, "Several workers on one job"): it builds this
// program and the fake server (openroutertest/cmd/fakeopenrouter), starts
// Redis (redis-server, or miniredis in this process when it is not
// installed), the fake, and N worker processes on one job of
// WORKERS_ITEMS articles; kills a worker chosen from the seed with
// SIGKILL at a moment drawn from the seed, WORKERS_KILLS times, starting
// it again each time; and once the job is done checks the job's report
// (the -report of this program): every article exactly once, with its own
// answer, the counts adding up, and every completion the fake billed in
// the job's cost or counted as maybe paid twice. It runs only with
// WORKERS_MEASURE=1 (scripts/workers-kill9.sh):
//
//	WORKERS_MEASURE=1 WORKERS_N=2,4 WORKERS_ITEMS=1000 WORKERS_KILLS=5 WORKERS_SEEDS=3 go test -run TestWorkersKill9 -v -timeout 60m ./examples/seo
func TestWorkersKill9(t *testing.T) {
	if os.Getenv("WORKERS_MEASURE") != "1" {
		t.Skip("a measurement of several processes: WORKERS_MEASURE=1 runs it (scripts/workers-kill9.sh)")
	}
	ns := envInts(t, "WORKERS_N", []int{2, 4})
	items := envInts(t, "WORKERS_ITEMS", []int{1000})[0]
	kills := envInts(t, "WORKERS_KILLS", []int{5})[0]
	seeds := envInts(t, "WORKERS_SEEDS", []int{1})[0]
	bin := t.TempDir()
	build(t, bin, "seo", ".")
	build(t, bin, "fake", "github.com/routerkit/openrouter/openroutertest/cmd/fakeopenrouter")
	in := filepath.Join(bin, "in")
	writeItems(t, in, items)
	redisAddr := startRedis(t, bin)
	for _, n := range ns {
		for seed := 1; seed <= seeds; seed++ {
			m := &measure{t: t, bin: bin, in: in, redis: redisAddr, n: n, items: items, kills: kills, seed: uint64(seed)}
			m.run()
		}
	}
}

// measure is one run: n workers on one job, killed kills times.
type measure struct {
	t                   testing.TB
	bin, in, redis, api string
	n, items, kills     int
	seed                uint64
}

// price is what the fake bills a completion.
const price = 0.001

func (m *measure) run() {
	t := m.t
	job := fmt.Sprintf("kill9-n%d-seed%d-%d", m.n, m.seed, time.Now().UnixNano())
	dir := t.TempDir()
	billedURL := m.startFake(dir)
	rng := rand.New(rand.NewPCG(m.seed, uint64(m.n)))
	args := []string{"-in", m.in, "-out", filepath.Join(dir, "out"), "-images=false", "-redis", m.redis, "-job", job,
		"-worker", "-lease", "2s"}
	start := time.Now()
	procs := make([]*worker, m.n)
	launch := func(i, gen int) {
		w, err := startWorker(filepath.Join(m.bin, "seo"), args, m.env(), filepath.Join(dir, fmt.Sprintf("worker%d.%d.log", i, gen)))
		if err != nil {
			t.Fatal(err)
		}
		procs[i] = w
	}
	for i := range m.n {
		launch(i, 0)
	}
	// The kills: at moments drawn from the seed (a measurement of real
	// processes, on real time), a worker drawn from the seed dies
	// (SIGKILL) and is started again.
	killed := 0
	for k := range m.kills {
		time.Sleep(time.Duration(100+rng.IntN(1500)) * time.Millisecond)
		i := rng.IntN(m.n)
		if !procs[i].kill() {
			continue // it had ended: the job is done
		}
		killed++
		launch(i, k+1)
	}
	deadline := time.After(20 * time.Minute)
	for i, w := range procs {
		select {
		case <-w.done:
		case <-deadline:
			t.Fatalf("n=%d seed %d: the workers did not finish within 20 minutes (logs in %s)", m.n, m.seed, dir)
		}
		if w.err != nil {
			t.Errorf("n=%d seed %d: worker %d ended with %v (its log: %s)", m.n, m.seed, i, w.err, w.log)
		}
	}
	wall := time.Since(start)
	rep := m.report(job, dir)
	billed := fetchBilled(t, billedURL)
	var logs []string
	for _, w := range procs {
		logs = append(logs, w.log)
	}
	flag := flagged(t, logs)
	unaccounted := m.check(rep, billed, flag, killed)
	t.Logf("n=%d seed %d: %d items, %d kills, wall %v: %d done, %d failed, %d not attempted; %d completions billed ($%.3f), %d items billed more than once; job cost $%.3f; the job's records: %d paid twice, %d requests not in the cost, %d billed without an answer; flagged by the workers' surviving reports %d; beyond the cost and the records %d",
		m.n, m.seed, m.items, killed, wall.Round(10*time.Millisecond), rep.done, rep.failed, rep.notAttempted,
		billed.Total, billed.Spent, billed.twice(), rep.cost, rep.paidTwice, rep.uncosted, rep.maybeBilled, flag, unaccounted)
}

// worker is one worker process.
type worker struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when it has ended; err is then set
	err  error
}

func startWorker(exe string, args, env []string, log string) (*worker, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	w := &worker{cmd: exec.Command(exe, args...), log: log, done: make(chan struct{})}
	w.cmd.Env, w.cmd.Stdout, w.cmd.Stderr = env, f, f
	if err := w.cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	go func() {
		w.err = w.cmd.Wait()
		f.Close()
		close(w.done)
	}()
	return w, nil
}

// kill sends SIGKILL and waits for the end; false when it had ended on
// its own (done, or crashed: its error is then w.err, which run reports).
func (w *worker) kill() bool {
	select {
	case <-w.done:
		return false
	default:
	}
	_ = w.cmd.Process.Kill()
	<-w.done
	return killedBySIGKILL(w.err)
}

// killedBySIGKILL reports whether a process's Wait error says SIGKILL
// ended it: not an exit of its own, with a status or without, which may
// have come just before the kill (a crash is not a kill).
func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// env is the workers' environment: the fake's URL and key.
func (m *measure) env() []string {
	return append(os.Environ(), "OPENROUTER_BASE_URL="+m.api, "OPENROUTER_API_KEY="+openroutertest.DefaultKey)
}

// startFake starts the fake server and returns its billing URL.
func (m *measure) startFake(dir string) string {
	cmd := exec.Command(filepath.Join(m.bin, "fake"), "-price", strconv.FormatFloat(price, 'f', -1, 64), "-latency", "5ms", "-item", `ITEM\[([^\]]+)\]`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		m.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		m.t.Fatalf("the fake: %v", err)
	}
	go io.Copy(io.Discard, out)
	f := strings.Fields(line)
	if len(f) < 4 {
		m.t.Fatalf("the fake said %q", line)
	}
	m.api = f[3]
	return f[len(f)-1]
}

// jobReport is what -report printed.
type jobReport struct {
	done, failed, notAttempted, total int
	cost                              float64
	running                           int
	paidTwice, uncosted, maybeBilled  int                 // the job's records: see bulk.JobState
	titles                            map[string][]string // done items' titles, by key
	failedKeys                        map[string]int
}

var (
	reportHead  = regexp.MustCompile(`(?m)^(\d+) articles: (\d+) done, (\d+) failed, (\d+) not attempted in .*; cost \$([0-9.]+)`)
	reportRun   = regexp.MustCompile(`(?m)^  running (\S+)`)
	reportTwice = regexp.MustCompile(`(?m)^  may have been paid twice: (\d+) articles?; billed without an answer: (\d+)`)
	reportDone  = regexp.MustCompile(`(?m)^  done    (\S+)\s+-> (.*?)(?: \(from the journal\))?$`)
	reportFail  = regexp.MustCompile(`(?m)^  FAILED  (\S+)`)
	reportJob   = regexp.MustCompile(`(?m)^  job: may have been paid twice: (\d+) articles; requests not in the cost: (\d+); billed without an answer: (\d+)`)
)

// report runs this program's -report on the job and parses it.
func (m *measure) report(job, dir string) jobReport {
	cmd := exec.Command(filepath.Join(m.bin, "seo"), "-in", m.in, "-out", filepath.Join(dir, "out"), "-images=false", "-redis", m.redis, "-job", job, "-report")
	cmd.Env = m.env()
	b, err := cmd.CombinedOutput()
	if err != nil {
		m.t.Fatalf("-report: %v\n%s", err, b)
	}
	out := string(b)
	h := reportHead.FindStringSubmatch(out)
	if h == nil {
		m.t.Fatalf("-report printed no counts:\n%.2000s", out)
	}
	r := jobReport{titles: map[string][]string{}, failedKeys: map[string]int{}}
	r.total, _ = strconv.Atoi(h[1])
	r.done, _ = strconv.Atoi(h[2])
	r.failed, _ = strconv.Atoi(h[3])
	r.notAttempted, _ = strconv.Atoi(h[4])
	r.cost, _ = strconv.ParseFloat(h[5], 64)
	for _, d := range reportDone.FindAllStringSubmatch(out, -1) {
		r.titles[d[1]] = append(r.titles[d[1]], d[2])
	}
	for _, f := range reportFail.FindAllStringSubmatch(out, -1) {
		r.failedKeys[f[1]]++
	}
	r.running = len(reportRun.FindAllString(out, -1))
	j := reportJob.FindStringSubmatch(out)
	if j == nil {
		m.t.Fatalf("-report printed no job flags:\n%.2000s", out)
	}
	r.paidTwice, _ = strconv.Atoi(j[1])
	r.uncosted, _ = strconv.Atoi(j[2])
	r.maybeBilled, _ = strconv.Atoi(j[3])
	return r
}

// flagged sums what the workers' own reports (those of the processes
// not killed: a killed one's dies with it) count as maybe paid twice or
// billed without an answer.
func flagged(t testing.TB, logs []string) int {
	n := 0
	for _, log := range logs {
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		if tw := reportTwice.FindSubmatch(b); tw != nil {
			a, _ := strconv.Atoi(string(tw[1]))
			c, _ := strconv.Atoi(string(tw[2]))
			n += a + c
		}
	}
	return n
}

// check verifies the invariants of the job's report against the fake's
// billing.
func (m *measure) check(r jobReport, billed billedAnswer, flagged, kills int) (unaccounted int) {
	t := m.t
	if r.running != 0 || r.notAttempted != 0 {
		t.Errorf("n=%d seed %d: the job ended with %d items running, %d not attempted", m.n, m.seed, r.running, r.notAttempted)
	}
	if r.total != m.items || r.done+r.failed+r.notAttempted != m.items {
		t.Errorf("n=%d seed %d: counts %d+%d+%d of %d, for %d items", m.n, m.seed, r.done, r.failed, r.notAttempted, r.total, m.items)
	}
	for i := range m.items {
		key := itemKey(i)
		titles, failed := r.titles[key], r.failedKeys[key]
		if len(titles)+failed != 1 {
			t.Errorf("n=%d seed %d: %s is in the report %d times done, %d failed", m.n, m.seed, key, len(titles), failed)
		}
		for _, title := range titles {
			if title != "Rewritten: ITEM["+key+"]" {
				t.Errorf("n=%d seed %d: %s ended with %q, not its own answer", m.n, m.seed, key, title)
			}
		}
	}
	// Every completion billed is in the job's cost, or in what the job's
	// records count beyond it: the requests a killed worker left in
	// flight (its "started" record, counted by the worker that took the
	// item over, in the item's outcome), those sent again after a cut,
	// and the articles failed billed without an answer. No tolerance: the
	// records prove each, whichever worker is killed (the workers' own
	// reports, flagged, die with them: logged only).
	unaccounted = int(math.Round((billed.Spent - r.cost) / price))
	if proven := r.uncosted + r.maybeBilled; unaccounted > proven {
		t.Errorf("n=%d seed %d: the fake billed $%.4f (%d completions); the job's cost is $%.4f and its records count %d requests beyond it (%d not in the cost, %d billed without an answer); %d kills; the workers' surviving reports flag %d",
			m.n, m.seed, billed.Spent, billed.Total, r.cost, proven, r.uncosted, r.maybeBilled, kills, flagged)
	}
	return max(unaccounted-r.uncosted-r.maybeBilled, 0)
}

// billedAnswer is the fake's GET /fake/billed.
type billedAnswer struct {
	Generations map[string]int `json:"generations"`
	Total       int            `json:"total"`
	Spent       float64        `json:"spent"`
}

// twice counts the items billed more than once.
func (b billedAnswer) twice() int {
	n := 0
	for _, g := range b.Generations {
		if g > 1 {
			n++
		}
	}
	return n
}

func fetchBilled(t testing.TB, url string) billedAnswer {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b billedAnswer
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(b.Spent) {
		t.Fatal("the fake's spending is NaN")
	}
	return b
}

func itemKey(i int) string { return fmt.Sprintf("a%04d", i) }

// writeItems writes n articles whose title names them: the fake's rewrite
// of each is titled "Rewritten: ITEM[key]", its own answer.
func writeItems(t testing.TB, dir string, n int) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		key := itemKey(i)
		text := fmt.Sprintf("# ITEM[%s]\n\nA short article, number %d, about keeping a bulk job's state in Redis.\n", key, i)
		if err := os.WriteFile(filepath.Join(dir, key+".md"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func build(t testing.TB, dir, name, pkg string) {
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
}

// startRedis starts redis-server on a free loopback port, or miniredis in
// this process when redis-server is not installed.
func startRedis(t testing.TB, dir string) string {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Log("redis-server is not installed: miniredis in the test process")
		return miniredis.RunT(t).Addr()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Logf("redis-server on %s", addr)
			return addr
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("redis-server did not start")
	return ""
}

func envInts(t testing.TB, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want positive integers, comma-separated", name, v)
		}
		out = append(out, n)
	}
	return out
}
