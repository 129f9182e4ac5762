package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
	"github.com/xennix/xennix/installer/tui"
)

// TestInteractiveDryRun wires the TUI's planner and installer as the command does and runs
// a confirmed plan as a dry run: the files and the transcript land under --out, and
// progress comes back as events.
func TestInteractiveDryRun(t *testing.T) {
	rep, a := interactiveFixture(t)
	out := t.TempDir()
	o, err := interactiveOptions(installFlags{dryRun: true, out: out}, rep, a)
	if err != nil {
		t.Fatal(err)
	}
	if o.Reboot != nil {
		t.Error("a dry run offers a reboot")
	}
	plan, err := o.Plan(a)
	if err != nil {
		t.Fatal(err)
	}
	var started, outputs int
	res, err := o.Install(context.Background(), tui.InstallRequest{
		Answers: a, Plan: plan, Confirmed: a.Disks.IDs,
		Events: func(e installer.Event) {
			switch e.Kind {
			case installer.StepStarted:
				started++
			case installer.StepOutput:
				outputs++
			}
		},
	})
	if err != nil {
		t.Fatalf("Install = %v", err)
	}
	if started != len(plan.Steps) || outputs == 0 {
		t.Errorf("events: %d steps started of %d, %d output lines", started, len(plan.Steps), outputs)
	}
	for _, p := range []string{"transcript.txt", "answers.yaml", "install.log", "mnt/etc/nixos/flake.nix"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("dry run did not write %s: %v", p, err)
		}
	}
	if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "transcript.txt") {
		t.Errorf("result notes = %q, want where the transcript is", res.Notes)
	}
}

// TestInteractiveInstallNeedsResumableAnswers: when the answers that --resume needs cannot
// be saved, the install does not start (no step runs, nothing is written).
func TestInteractiveInstallNeedsResumableAnswers(t *testing.T) {
	rep, a := interactiveFixture(t)
	out := t.TempDir()
	o, err := interactiveOptions(installFlags{dryRun: true, out: out}, rep, a)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := o.Plan(a)
	if err != nil {
		t.Fatal(err)
	}
	// A directory where the answers file must go: it cannot be written.
	if err := os.Mkdir(filepath.Join(out, "answers.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	started := 0
	_, err = o.Install(context.Background(), tui.InstallRequest{
		Answers: a, Plan: plan, Confirmed: a.Disks.IDs,
		Events: func(e installer.Event) {
			if e.Kind == installer.StepStarted {
				started++
			}
		},
	})
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("Install with unsavable answers = %v, want an error about --resume", err)
	}
	if started != 0 {
		t.Errorf("%d steps started", started)
	}
	if _, err := os.Stat(filepath.Join(out, "mnt")); err == nil {
		t.Error("files were written")
	}
}

// interactiveFixture is the UEFI ext4 machine with the answers an operator gives on the
// screens: a name, the disk, a root key.
func interactiveFixture(t *testing.T) (hwdetect.Report, installer.Answers) {
	t.Helper()
	fh, err := os.Open("../../assets/examples/hardware/uefi-ext4-dhcp.json")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rep, err := hwdetect.Load(fh)
	if err != nil {
		t.Fatal(err)
	}
	a := installer.Defaults(&rep)
	a.Host.Hostname = "xen-01"
	a.Disks.IDs = []string{"/dev/disk/by-id/nvme-eui.0025385b71b2c3d4"}
	a.Users.Root.SSHKeys = []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"}
	return rep, a
}
