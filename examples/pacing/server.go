package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/routerkit/openrouter/openroutertest"
)

// -server-process runs the fake server in a child process of its own, as
// the real OpenRouter runs on machines of its own: a collection, a
// scheduling delay or a stall of the measuring process then holds back
// the client alone, and the figures tell the client's delays from the
// server's. (The child still shares the machine's cores.)

// serverEnv carries the child server's settings, as JSON.
const serverEnv = "PACING_SERVER"

// serverSettings is what the child server enforces.
type serverSettings struct {
	Rate          float64
	Burst         int
	MaxConcurrent int
	Latency       time.Duration
}

func newFakeServer(s serverSettings) *openroutertest.Server {
	return openroutertest.NewServer(
		openroutertest.WithRateLimit(s.Rate, s.Burst),
		openroutertest.WithMaxConcurrent(s.MaxConcurrent),
		openroutertest.WithLatency(s.Latency),
		openroutertest.WithRetryAfter("1"),
		openroutertest.WithoutRecording(),
	)
}

// serveChild is the child process: it prints the server's URL, then
// answers each line of stdin with the server's Stats as JSON, and ends
// when stdin closes.
func serveChild(settings string) {
	var s serverSettings
	if err := json.Unmarshal([]byte(settings), &s); err != nil {
		fmt.Fprintln(os.Stderr, "pacing server:", err)
		os.Exit(2)
	}
	srv := newFakeServer(s)
	defer srv.Close()
	fmt.Println(srv.URL)
	in := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		_ = enc.Encode(srv.Stats())
	}
}

// childServer is a fake server running in a child process.
type childServer struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startChildServer(s serverSettings) (*childServer, error) {
	b, _ := json.Marshal(s)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serverEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server process: %w", err)
	}
	c := &childServer{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	url, err := c.out.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("the server process gave no URL: %w", err)
	}
	c.URL = url[:len(url)-1]
	return c, nil
}

// Stats asks the child for its server's Stats.
func (c *childServer) Stats() (openroutertest.Stats, error) {
	var st openroutertest.Stats
	if _, err := io.WriteString(c.stdin, "stats\n"); err != nil {
		return st, err
	}
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		return st, fmt.Errorf("the server process gave no stats: %w", err)
	}
	return st, json.Unmarshal(line, &st)
}

// Close ends the child and waits for it.
func (c *childServer) Close() {
	c.stdin.Close()
	_ = c.cmd.Wait()
}
