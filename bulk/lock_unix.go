//go:build unix

package bulk

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, failing at once when
// another open file holds it. Closing f releases it.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
