package installer

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xennix/xennix/assets"
	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
)

// installedTree writes what an example's install leaves in /etc/nixos and /var/lib/xennix
// into a temporary root, by running the plan's file steps with a recording runner.
func installedTree(t *testing.T, example string) (string, *hwdetect.Report) {
	t.Helper()
	a, r, p := examplePlan(t, example, PlanOptions{Inputs: testInputs, HostModules: shippedModules(t)})
	dir := t.TempDir()
	var calls []string
	if err := Execute(context.Background(), p, &recorder{failAt: -1}, ExecOptions{StateFile: filepath.Join(dir, "state.json"), Root: dir, Hooks: noopHooks(p, &calls)}); err != nil {
		t.Fatal(err)
	}
	_ = a
	return filepath.Join(dir, TargetDir), &r
}

// shippedModules are the host modules the binary embeds and installs.
func shippedModules(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(assets.NixOS, "nixos")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// snapshot reads every file under root, for byte-for-byte comparisons.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[strings.TrimPrefix(p, root)] = string(b)
		}
		return nil
	})
	return out
}

type rebuildRunner struct {
	ran  [][]string
	fail bool
}

func (r *rebuildRunner) Run(_ context.Context, argv []string) ([]byte, error) {
	r.ran = append(r.ran, argv)
	if r.fail {
		return []byte("error: attribute 'xennix.nope' does not exist\n"), &CommandError{Argv: argv, ExitCode: 1, Err: errors.New("exit status 1")}
	}
	return []byte("building the system configuration...\n"), nil
}

// setupExample is the installed example the setup edits start from.
const setupExample = "zfs-mirror-impermanence"

// setupEdits are the edits xennix-setup's tests make to an installed host; the same edits'
// trees are evaluated by TestGeneratedTreesOptions.
var setupEdits = []struct {
	name     string
	edit     func(*Answers)
	mode     RebuildMode
	whyWant  string
	touching []string
}{
	{"static-address", func(a *Answers) {
		a.Network.IPv4 = IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.30/24"), Gateway: netip.MustParseAddr("192.0.2.1")}
	}, RebuildSwitch, "", []string{AnswersFile, NetworkFile}},
	{"dom0-memory", func(a *Answers) { a.Xen.Dom0Memory = 6 * GiB }, RebuildBoot, "dom0 memory", []string{AnswersFile, SettingsFile}},
	// (Removing the device: the machine has no 0000:41:00.1, and edits are now validated
	// against it.)
	{"passthrough", func(a *Answers) { a.Xen.Passthrough = nil }, RebuildBoot, "PCI passthrough", []string{AnswersFile, SettingsFile}},
	{"persisted-path", func(a *Answers) {
		a.Impermanence.Directories = append(a.Impermanence.Directories, "/var/lib/prometheus")
	}, RebuildSwitch, "", []string{AnswersFile, SettingsFile}},
	{"rename", func(a *Answers) { a.Host.Hostname = "vault-02" }, RebuildSwitch, "", []string{AnswersFile, SettingsFile}},
	{"ssh-key", func(a *Answers) {
		a.Users.Root.SSHKeys = append(a.Users.Root.SSHKeys, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+IqCW83H93H5n5cCdhRhbYC6iCACKNqqZyCOEHd94Q admin@example.org")
	}, RebuildSwitch, "", []string{AnswersFile, SettingsFile}},
	{"add-guest", func(a *Answers) {
		a.Guests = append(a.Guests, Guest{Name: "web", Memory: 2 * GiB, VCPUs: 2,
			Disks:   []GuestDisk{{Volume: "var", Size: 10 * GiB}},
			Network: []GuestInterface{{IPv4: GuestIPv4{Address: netip.MustParsePrefix("192.0.2.20/24"), Gateway: netip.MustParseAddr("192.0.2.1")}}}})
	}, RebuildSwitch, "", []string{GuestModuleFile("web"), AnswersFile, GuestsFile}},
	{"guest-with-gpu", func(a *Answers) {
		// The GPU the example hides from dom0 already: a switch, no reboot.
		a.Guests = append(a.Guests, Guest{Name: "win", Kind: guests.KindImage, Memory: 8 * GiB,
			Disks: []GuestDisk{{Target: "/var/lib/xen/images/win.img"}},
			PCI:   []guests.PCIAddress{{Bus: 0x41}}})
	}, RebuildSwitch, "", []string{AnswersFile, GuestsFile}},
}

func TestSetupEdits(t *testing.T) {
	for _, e := range setupEdits {
		t.Run(e.name, func(t *testing.T) {
			root, rep := installedTree(t, setupExample)
			h, err := LoadHost(root, rep)
			if err != nil {
				t.Fatal(err)
			}
			next := h.Answers
			e.edit(&next)
			changes, err := h.Changes(next, true)
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, c := range changes {
				paths = append(paths, c.Path)
			}
			if strings.Join(paths, " ") != strings.Join(e.touching, " ") {
				t.Errorf("changes %v, want %v", paths, e.touching)
			}
			diff := Diff(changes)
			golden := filepath.Join("testdata", "setup", e.name+".diff")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				os.WriteFile(golden, []byte(diff), 0o644)
			}
			if want, err := os.ReadFile(golden); err != nil || string(want) != diff {
				t.Errorf("diff differs from %s (%v):\n%s", golden, err, diff)
			}
			run := &rebuildRunner{}
			res, err := h.Apply(context.Background(), next, true, run)
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != e.mode || !strings.Contains(strings.Join(res.Why, ", "), e.whyWant) {
				t.Errorf("Apply mode %s why %q, want %s and %q", res.Mode, res.Why, e.mode, e.whyWant)
			}
			if len(run.ran) != 1 || strings.Join(run.ran[0], " ") != "nixos-rebuild "+string(e.mode)+" --flake /etc/nixos#"+next.Host.Hostname {
				t.Errorf("ran %q", run.ran)
			}
			for _, c := range changes {
				if c.Old != nil {
					if b, _ := os.ReadFile(filepath.Join(root, "etc/nixos", c.Path+".prev")); !bytes.Equal(b, c.Old) {
						t.Errorf("%s.prev is not the previous version", c.Path)
					}
				}
			}
			// A second apply of the same answers finds nothing and runs nothing.
			h2, err := LoadHost(root, rep)
			if err != nil {
				t.Fatal(err)
			}
			run2 := &rebuildRunner{}
			res2, err := h2.Apply(context.Background(), h2.Answers, false, run2)
			if err != nil || len(res2.Changes) != 0 || len(run2.ran) != 0 {
				t.Errorf("second apply: %d changes, ran %q, err %v; want nothing", len(res2.Changes), run2.ran, err)
			}
		})
	}
}

func TestSetupRebuildFailureRestores(t *testing.T) {
	root, rep := installedTree(t, "lvm-thinpool-bond-vlan")
	before := snapshot(t, filepath.Dir(root))
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	next := h.Answers
	next.Xen.Dom0VCPUs = 2
	next.Network.MTU = 1500
	run := &rebuildRunner{fail: true}
	_, err = h.Apply(context.Background(), next, true, run)
	if err == nil || !strings.Contains(err.Error(), "previous files are back in place") {
		t.Fatalf("Apply = %v, want the rebuild failure", err)
	}
	after := snapshot(t, filepath.Dir(root))
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed after a failed rebuild", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok && !strings.HasSuffix(p, ".prev") {
			t.Errorf("%s appeared after a failed rebuild", p)
		}
	}
}

func TestSetupRefusesLayoutChange(t *testing.T) {
	root, rep := installedTree(t, "btrfs-impermanence")
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	next := h.Answers
	next.Storage.Swap = 16 * GiB
	if _, err := h.Changes(next, true); !errors.Is(err, ErrLayoutChange) || !strings.Contains(err.Error(), "storage") {
		t.Errorf("Changes(swap changed) = %v, want ErrLayoutChange naming storage", err)
	}
}

// TestSetupHandEdit: an operator edits answers.yaml in place; apply (without --answers)
// applies it, comparing with the record of what was applied.
func TestSetupHandEdit(t *testing.T) {
	root, rep := installedTree(t, "uefi-ext4-dhcp")
	p := filepath.Join(root, "etc/nixos", AnswersFile)
	b, _ := os.ReadFile(p)
	edited := regexp.MustCompile(`(?m)^  dom0_memory: .*$`).ReplaceAllString(string(b), "  dom0_memory: 3GiB")
	if edited == string(b) {
		t.Fatalf("no dom0_memory in the saved answers:\n%s", b)
	}
	os.WriteFile(p, []byte(edited), 0o600)
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	run := &rebuildRunner{}
	res, err := h.Apply(context.Background(), h.Answers, false, run)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != RebuildBoot || len(res.Changes) != 1 || res.Changes[0].Path != SettingsFile {
		t.Errorf("hand edit: mode %s, changes %d; want boot and settings.nix only", res.Mode, len(res.Changes))
	}
	if got, _ := os.ReadFile(p); string(got) != edited {
		t.Error("apply without --answers rewrote the operator's answers.yaml")
	}
}

// TestSetupRerendersInstalledTree: for every example, xennix-setup re-renders the tree the
// installer wrote byte for byte (the one renderer), so its first apply changes nothing.
func TestSetupRerendersInstalledTree(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			root, rep := installedTree(t, name)
			h, err := LoadHost(root, rep)
			if err != nil {
				t.Fatal(err)
			}
			r, err := h.Resolve(h.Answers)
			if err != nil {
				t.Fatal(err)
			}
			files, err := h.Render(r, true)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := files[SettingsFile]; !ok || len(files) < 3 {
				t.Fatalf("setup rendered %d files, without %s", len(files), SettingsFile)
			}
			for p, data := range files {
				got, err := os.ReadFile(h.file(p))
				if err != nil {
					t.Errorf("%s: rendered by setup, not written by the install: %v", p, err)
					continue
				}
				if string(got) != string(data) {
					t.Errorf("%s: setup renders\n%s\nthe install wrote\n%s", p, data, got)
				}
			}
			if changes, err := h.Changes(h.Answers, true); err != nil || len(changes) != 0 {
				t.Errorf("Changes right after the install: %d changes (%v)", len(changes), err)
			}
			if rec, err := os.ReadFile(filepath.Join(root, AppliedFile)); err != nil || string(rec) != string(files[AnswersFile]) {
				t.Errorf("the applied record is not answers.yaml as setup renders it (%v)", err)
			}
		})
	}
}

// TestPreviewIsWhatApplyDoes: the mode a diff announces is the mode apply runs. Answers
// that leave dom0's memory to the machine (auto) on a host installed with an explicit size
// are compared as the host records them: auto resolves on this machine, and the change is
// a reboot only when the size it resolves to differs.
func TestPreviewIsWhatApplyDoes(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			root, rep := installedTree(t, name)
			h, err := LoadHost(root, rep)
			if err != nil {
				t.Fatal(err)
			}
			next := h.Answers
			next.Xen.Dom0Memory, next.Xen.Dom0VCPUs = 0, 0 // auto
			next.Host.Timezone = "Pacific/Chatham"         // a change that needs no reboot
			pv, err := h.Preview(next, true)
			if err != nil || len(pv.Changes) == 0 {
				t.Fatalf("Preview = %d changes, %v", len(pv.Changes), err)
			}
			auto, vcpus := Dom0Sizes(next.Xen, rep)
			same := auto == h.Applied.Xen.Dom0Memory && vcpus == h.Applied.Xen.Dom0VCPUs
			if want := map[bool]RebuildMode{true: RebuildSwitch, false: RebuildBoot}[same]; pv.Mode != want {
				t.Errorf("Preview mode %s (%v); dom0 auto is %s/%d, installed %s/%d: want %s", pv.Mode, pv.Why, auto, vcpus, h.Applied.Xen.Dom0Memory, h.Applied.Xen.Dom0VCPUs, want)
			}
			res, err := h.Apply(context.Background(), next, true, &rebuildRunner{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != pv.Mode || strings.Join(res.Why, ",") != strings.Join(pv.Why, ",") {
				t.Errorf("Apply ran %s (%v), the preview said %s (%v)", res.Mode, res.Why, pv.Mode, pv.Why)
			}
		})
	}
}
