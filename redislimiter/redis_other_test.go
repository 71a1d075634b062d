//go:build !unix

package redislimiter

// canStopProcess: without SIGSTOP, a proxy stands in for a hung
// redis-server (see startHangableRedis).
const canStopProcess = false

func (s *redisServer) pause() { s.t.Fatal("no SIGSTOP on this system") }

func (s *redisServer) resume() {}
