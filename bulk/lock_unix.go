//go:build unix

package bulk

import (
	"os"
	"syscall"
	"time"
)

// lockFile takes an exclusive advisory lock on f, failing when another
// open file holds it. A child process that this program is starting
// shares every open file between its fork and its exec (O_CLOEXEC closes
// them only at the exec), so a lock that a Close gave up a moment ago may
// still be held for that moment: lockFile tries again for about a second
// (lockBackoff) before it fails. A lock another process holds is still
// reported, that much later.
func lockFile(f *os.File) error {
	for try := 0; ; try++ {
		err := flock(f)
		if err != syscall.EWOULDBLOCK || try == len(lockBackoff) {
			return err
		}
		lockSleep(lockBackoff[try])
	}
}

// lockBackoff are lockFile's waits between its tries (1.04 s in all).
var lockBackoff = []time.Duration{
	time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 600 * time.Millisecond,
}

// lockSleep is lockFile's wait (a test replaces it).
var lockSleep = time.Sleep

// flock tries the lock once, without blocking.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
