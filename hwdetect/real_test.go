package hwdetect

import (
	"os"
	"testing"
)

// TestScanRealMachine scans the machine the tests run on. In a container without
// disks or network interfaces it skips, except in CI (CI=true), where the runner is
// expected to be a VM.
func TestScanRealMachine(t *testing.T) {
	rep, err := Scan("/")
	if err != nil {
		t.Fatalf("Scan(/) error %v", err)
	}
	var phys int
	for _, n := range rep.NICs {
		if !n.Virtual {
			phys++
		}
	}
	if len(rep.Disks) == 0 || phys == 0 {
		msg := "this machine shows no disk or no physical NIC (a container?)"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: Scan(/) found %d disks, %d physical NICs; warnings %q", msg, len(rep.Disks), phys, rep.Warnings)
		}
		t.Skip(msg)
	}
	render(t, rep)
	t.Logf("found %d disks, %d NICs (%d physical), %d PCI devices, %d warnings",
		len(rep.Disks), len(rep.NICs), phys, len(rep.PCI), len(rep.Warnings))
}
