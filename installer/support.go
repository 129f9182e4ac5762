package installer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"sort"
	"time"
)

// SupportBundle packs what a failed install leaves for whoever looks into it — the log, the
// hardware report, the answers (secrets only as hashes), the plan, the kernel's last messages
// — into a .tar.gz written atomically at path. Entries are sorted by name.
func SupportBundle(path string, entries map[string][]byte, now time.Time) error {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := entries[n]
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o600, Size: int64(len(b)), ModTime: now}); err != nil {
			return fmt.Errorf("support bundle: %w", err)
		}
		if _, err := tw.Write(b); err != nil {
			return fmt.Errorf("support bundle: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("support bundle: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("support bundle: %w", err)
	}
	return WriteFileAtomic(path, buf.Bytes(), 0o600)
}
