package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDryRunFailsAtPreflight: a dry run on a machine whose target disk is mounted exits
// non-zero with the message a real install would print, and writes no later step's files.
func TestDryRunFailsAtPreflight(t *testing.T) {
	dir := t.TempDir()
	hw, err := os.ReadFile("../../assets/examples/hardware/bios-limine-static.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(hw, &rep); err != nil {
		t.Fatal(err)
	}
	for _, d := range rep["disks"].([]any) {
		d.(map[string]any)["mounted"] = true
	}
	hw, _ = json.Marshal(rep)
	hwPath := filepath.Join(dir, "hw.json")
	os.WriteFile(hwPath, hw, 0o644)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"xennix", "install", "--dry-run", "--out", out,
		"--answers", "../../assets/examples/bios-limine-static.yaml", "--hardware", hwPath}, strings.NewReader(""), &stdout, &stderr)
	got := stdout.String() + stderr.String()
	if code == 0 || !strings.Contains(got, "INSTALL FAILED: step preflight failed: preflight failed:") || !strings.Contains(got, "is in use (mounted") {
		t.Errorf("dry run on a mounted disk: exit %d, output\n%s\nwant a non-zero exit and the preflight failure", code, got)
	}
	if strings.Contains(got, "Check the machine: done") || strings.Contains(got, "dry run done") {
		t.Errorf("the dry run claims success:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(out, "tmp/xennix/disko.nix")); err == nil {
		t.Error("the dry run went on past the failed preflight")
	}
}
