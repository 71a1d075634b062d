package redislimiter

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
)

// WithJobItems gives OpenSharedJournal the keys of the job's items (as
// bulk.Runner's Key makes them), in any order: the first worker of the
// job records their fingerprint, and a worker that opens the same job
// name with other items is refused (openrouter.ErrInvalidRequest) rather
// than sharing a job whose reports would each cover a different list.
// Workers opened without it are not checked.
func WithJobItems(keys []string) JournalOption {
	fp := itemsFingerprint(keys)
	return func(c *journalConfig) error {
		c.items = fp
		return nil
	}
}

// itemsFingerprint is the SHA-256 of the sorted keys, each preceded by
// its length (so that no two lists share it by their concatenation).
func itemsFingerprint(keys []string) string {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	h := sha256.New()
	var n [8]byte
	for _, k := range sorted {
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		h.Write(n[:])
		h.Write([]byte(k))
	}
	return hex.EncodeToString(h.Sum(nil))
}
