//go:build unix

package redislimiter

import "syscall"

// canStopProcess: a hung redis-server is one stopped with SIGSTOP.
const canStopProcess = true

// pause hangs the server (SIGSTOP) until resume or the test's end.
func (s *redisServer) pause() {
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(s.resume)
}

func (s *redisServer) resume() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}
