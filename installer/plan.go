package installer

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/xennix/xennix/hwdetect"
)

// Where the install works: the live system's scratch directory and the target's mount point.
const (
	WorkDir   = "/tmp/xennix"
	TargetDir = "/mnt"
)

// Bounds of the long steps' commands; every other command has DefaultTimeout. disko wipes,
// formats (mkfs on a large disk, mdadm) and mounts; nixos-install may build and download a
// whole system when the image's store does not carry it.
const (
	DiskoTimeout        = 2 * time.Hour
	NixosInstallTimeout = 6 * time.Hour
)

// Plan is an install as plain data: the disks it will erase and the ordered steps (files to
// write and commands to run). NewPlan makes it without touching anything; --dry-run prints
// it, the review screen shows it, and Execute carries it out.
type Plan struct {
	Steps []Step
	// Notes are things the operator should know about this plan (unlocked inputs, …).
	Notes []string
	// Summary is the one-line description of what is installed.
	Summary string
	// Host is what the plan installs, resolved on the machine: its name, its disks (the
	// targets, in layout order).
	Host Resolved
}

// Destroys lists every disk (by-id path) the plan erases.
func (p Plan) Destroys() []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Destroys...)
	}
	return out
}

// Files lists every file the plan writes, in order.
func (p Plan) Files() []File {
	var out []File
	for _, s := range p.Steps {
		out = append(out, s.Files...)
	}
	return out
}

// PlanOptions are what NewPlan needs beyond the answers and the machine.
type PlanOptions struct {
	// Inputs are the image's locked flake inputs; nil means unlocked (a dry run outside the
	// image), which NewPlan notes.
	Inputs Inputs
	// HostModules holds the XenNix host modules (assets/nixos) to copy into
	// /etc/nixos/xennix/.
	HostModules fs.FS
}

// ErrNoHostModules is returned when NewPlan has no host modules to install.
var ErrNoHostModules = errors.New("no XenNix host modules to install")

// NewPlan turns a resolved host into the install plan: pure data, nothing is touched. Its
// write-config step writes what Render renders.
func NewPlan(h Resolved, o PlanOptions) (Plan, error) {
	if !h.Machine {
		return Plan{}, errors.New("an install plan needs the machine: the answers were resolved without one")
	}
	if o.HostModules == nil {
		return Plan{}, ErrNoHostModules
	}
	a := h.Answers
	tree, err := Render(h, RenderOptions{Install: true, Inputs: o.Inputs, HostModules: o.HostModules})
	if err != nil {
		return Plan{}, err
	}
	etc := path.Join(TargetDir, "etc/nixos")
	var files []File
	var diskoNix []byte
	mods := 0
	for _, f := range tree {
		switch {
		case f.Path == DiskoFile:
			diskoNix = f.Data
		case strings.HasPrefix(f.Path, "xennix/") && !MachineOwned(f.Path):
			mods++
		}
		rendered := f.Path
		if path.IsAbs(f.Path) {
			f.Path = path.Join(TargetDir, f.Path)
		} else {
			f.Path = path.Join(etc, f.Path)
		}
		files = append(files, f)
		if rendered == AnswersFile {
			// The applied record starts as the answers installed with.
			files = append(files, File{Path: path.Join(TargetDir, AppliedFile), Data: f.Data, Mode: 0o600})
		}
	}
	if mods == 0 {
		return Plan{}, ErrNoHostModules
	}
	host := a.Host.Hostname
	disks, layout, im := h.Disks, h.Layout, h.Implied

	var notes []string
	if o.Inputs == nil {
		notes = append(notes, fmt.Sprintf("flake inputs are not locked (no %s: not running from a XenNix image); nixos-install will need the network to fetch nixpkgs, disko and impermanence", InputsPath))
	}
	var ids []string
	for _, d := range layout.Disks {
		ids = append(ids, d.ID)
	}
	diskoFile := WorkDir + "/disko.nix"
	install := []string{"nixos-install", "--root", TargetDir, "--flake", etc + "#" + host, "--no-root-passwd", "--no-channel-copy"}
	if a.Install.Offline {
		install = append(install, "--option", "substituters", "")
	}
	// The passphrase file the installer itself wrote (the TUI's, under WorkDir) is removed as
	// soon as disko has used it; a file the operator provided elsewhere is theirs to keep.
	var scrub []string
	if e := a.Storage.Encryption; e.Enabled && strings.HasPrefix(e.PassphraseFile, WorkDir+"/") {
		scrub = []string{e.PassphraseFile}
	}
	steps := []Step{
		{Name: "notify-started", Title: "Tell the webhook the install started", Action: ActionWebhook, MayFail: true},
		{Name: "preflight", Title: "Check the machine", Action: ActionPreflight, Rerun: true},
	}
	if a.Network.IPv4.Mode == IPv4Static || a.Network.IPv6.Mode == IPv6Static {
		// Rerun: a resume after the live system restarted has lost the live network, and
		// nixos-install needs it; applying it again when it is up changes nothing.
		steps = append(steps, Step{Name: "network", Title: "Bring up the static network", Action: ActionNetwork, Rerun: true})
	}
	steps = append(steps,
		Step{Name: "write-layout", Title: "Write the disk layout", Files: []File{{Path: diskoFile, Data: diskoNix}}},
		Step{Name: "partition", Title: "Partition, format and mount " + strings.Join(diskNames(disks), ", "),
			Commands: [][]string{{"disko", "--mode", "destroy,format,mount", "--yes-wipe-all-disks", diskoFile}},
			Destroys: ids,
			OnResume: [][]string{{"disko", "--mode", "mount", diskoFile}},
			UndoneBy: "unmount", Timeout: DiskoTimeout, Scrub: scrub},
		Step{Name: "hardware-config", Title: "Detect hardware for NixOS",
			Commands: [][]string{{"nixos-generate-config", "--no-filesystems", "--root", TargetDir}}},
		Step{Name: "write-config", Title: "Write /etc/nixos", Files: files},
		Step{Name: "install", Title: "Install NixOS with Xen", Commands: [][]string{install}, Timeout: NixosInstallTimeout},
		Step{Name: "verify", Title: "Check the new system will boot Xen", Action: ActionVerify},
		Step{Name: "save-log", Title: "Save the install log on the new system", Action: ActionSaveLog},
	)
	finish := [][]string{{"swapoff", "-a"}, {"umount", "-R", TargetDir}}
	for _, p := range im.Pools {
		finish = append(finish, []string{"zpool", "export", p})
	}
	steps = append(steps,
		Step{Name: "unmount", Title: "Unmount the new system", Commands: finish},
		Step{Name: "notify-succeeded", Title: "Tell the webhook the install succeeded", Action: ActionWebhook, MayFail: true},
	)
	if a.Reboot() {
		steps = append(steps, Step{Name: "reboot", Title: "Reboot into XenNix", Commands: [][]string{{"systemctl", "reboot"}}})
	}
	if a.Install.Webhook == "" {
		steps = withoutWebhooks(steps)
	}
	return Plan{Steps: steps, Notes: notes, Summary: h.Summary(), Host: h}, nil
}

// withoutWebhooks drops the webhook steps of a plan whose answers name no webhook.
func withoutWebhooks(steps []Step) []Step {
	out := steps[:0]
	for _, s := range steps {
		if s.Action != ActionWebhook {
			out = append(out, s)
		}
	}
	return out
}

func diskNames(ds []hwdetect.Disk) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

// Transcript is the plan as text: each step with the disks it erases, the files it writes
// (size and SHA-256) and the commands it runs. It is what --dry-run writes and what the
// golden tests compare.
func (p Plan) Transcript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# XenNix install plan for %s\n# %s\n", p.Host.Answers.Host.Hostname, p.Summary)
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "# note: %s\n", n)
	}
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "\n## %d. %s (%s)\n", i+1, s.Title, s.Name)
		for _, d := range s.Destroys {
			fmt.Fprintf(&b, "# ERASES %s\n", d)
		}
		for _, f := range s.Files {
			mode := f.Mode
			if mode == 0 {
				mode = 0o644
			}
			if f.Secret {
				fmt.Fprintf(&b, "write %s (secret, mode %04o)\n", f.Path, mode)
				continue
			}
			fmt.Fprintf(&b, "write %s (%d bytes, mode %04o, sha256 %x)\n", f.Path, len(f.Data), mode, sha256.Sum256(f.Data))
		}
		for _, c := range s.Commands {
			fmt.Fprintf(&b, "$ %s\n", shellJoin(c))
		}
		if s.Action != "" {
			fmt.Fprintf(&b, "> %s\n", s.Action)
		}
		if s.Timeout > 0 && len(s.Commands) > 0 {
			fmt.Fprintf(&b, "# (each command is stopped after %s)\n", s.Timeout)
		}
		for _, f := range s.Scrub {
			fmt.Fprintf(&b, "# removes %s when done\n", f)
		}
		if s.MayFail {
			b.WriteString("# (a failure here is reported and the install goes on)\n")
		}
	}
	return b.String()
}
