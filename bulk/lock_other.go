//go:build !unix

package bulk

import "os"

// lockFile does nothing here: without flock (and without a new dependency
// for LockFileEx), only the in-process check of OpenJournal guards the
// file. See JSONLJournal.
func lockFile(*os.File) error { return nil }
