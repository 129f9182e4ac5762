package hwdetect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestXLInfoTimeout: an xl that never answers (a wedged xenstored) fails the call after the
// limit instead of hanging the probe.
func TestXLInfoTimeout(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "xl"), []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	old := xlInfoTimeout
	xlInfoTimeout = 300 * time.Millisecond
	t.Cleanup(func() { xlInfoTimeout = old })
	start := time.Now()
	_, err := runXLInfo()
	if err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("runXLInfo returned after %s: the sleeping xl was not stopped", d)
	}
}

// TestXLInfoRuns: a working xl's output is returned as it is.
func TestXLInfoRuns(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "xl"), []byte("#!/bin/sh\necho \"xen_version : 4.17.5\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := runXLInfo()
	if err != nil || !strings.Contains(string(out), "4.17.5") {
		t.Fatalf("runXLInfo = %q, %v", out, err)
	}
}
