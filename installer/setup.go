package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/vishvananda/netlink"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
)

// The files of an installed host that xennix-setup owns, relative to /etc/nixos. It never
// touches configuration.nix (the user's), flake.nix, disko.nix or the host modules.
const (
	SettingsFile = "xennix/settings.nix"
	NetworkFile  = "xennix/network.nix"
	AnswersFile  = "xennix/answers.yaml"
	etcNixos     = "etc/nixos"
	// AppliedFile (under the root, not /etc/nixos) is the answers as last applied, which
	// xennix-setup compares new answers with. It is machine state, kept in /var/lib/xennix
	// (persisted by every impermanence preset).
	AppliedFile = "var/lib/xennix/applied-answers.yaml"
)

// ErrLayoutChange is returned when new answers would change the disk layout, which
// xennix-setup shows but cannot change on an installed host.
var ErrLayoutChange = errors.New("the disk layout cannot be changed on an installed host")

// InstalledHost is an installed XenNix host as xennix-setup sees it: its root directory, the answers
// last applied, the answers as they stand in /etc/nixos/xennix/answers.yaml (which an
// operator may edit), and its hardware.
type InstalledHost struct {
	Root    string
	Applied Answers
	Answers Answers
	Report  *hwdetect.Report
	// NoApplied is set when the host has no record of the applied answers (installed by an
	// older xennix): changes are then activated at the next boot, to be safe.
	NoApplied bool
	// SecretInAnswers is set when answers.yaml holds a password (plaintext, or a hash): the
	// next apply moves it into its PasswordFile and rewrites answers.yaml without it, so
	// that it is hashed once and applied once.
	SecretInAnswers bool
	// Manifest is the running system's guests (/etc/xen/xennix/guests.json): those that
	// are not the tool's own (Applied.Guests) are declared by the user, read-only here.
	Manifest guests.Manifest
}

// Declared reports whether the guest name is declared outside xennix/guests.nix (in the
// user's configuration.nix or a module it imports): the tool never changes such a guest.
func (h InstalledHost) Declared(name string) bool {
	if _, ok := h.Manifest.Guests[name]; !ok {
		return false
	}
	_, _, mine := h.Applied.GuestByName(name)
	return !mine
}

// checkDeclared refuses answers whose guests take the name of a guest the user declares.
func (h InstalledHost) checkDeclared(a Answers) error {
	var p problems
	for i, g := range a.Guests {
		if h.Declared(g.Name) {
			f := fmt.Sprintf("guests[%d].name", i)
			p.add(a.file, a.pos[f], f, "%s is defined twice: it is %w; choose another name", g.Name, guests.ErrDeclared)
		}
	}
	return p.join()
}

// LoadHost reads the host under root: its saved answers and the answers last applied.
func LoadHost(root string, r *hwdetect.Report) (InstalledHost, error) {
	a, err := Load(filepath.Join(root, etcNixos, AnswersFile), Defaults(r))
	if err != nil {
		return InstalledHost{}, err
	}
	m, err := guests.ReadManifest(root)
	if err != nil {
		return InstalledHost{}, err
	}
	h := InstalledHost{Root: root, Answers: a, Applied: a, Report: r, SecretInAnswers: a.holdsSecret(), Manifest: m}
	applied, err := Load(filepath.Join(root, AppliedFile), Defaults(r))
	switch {
	case err == nil:
		h.Applied = applied
	case errors.Is(err, os.ErrNotExist):
		h.NoApplied = true
	default:
		return InstalledHost{}, fmt.Errorf("the record of the applied answers: %w", err)
	}
	if err := errors.Join(h.KeepPasswords(&h.Answers), h.KeepPasswords(&h.Applied)); err != nil {
		return InstalledHost{}, err
	}
	return h, nil
}

// file is where a path of Render's lives under the host's root: under /etc/nixos, or, for
// an absolute path (a password file), at that path.
func (h InstalledHost) file(p string) string {
	if path.IsAbs(p) {
		return filepath.Join(h.Root, p)
	}
	return filepath.Join(h.Root, etcNixos, p)
}

// hostReport is the report with the installed disks in it, as the layout settings need:
// on a running host the disks are in use and may not be found by a filter, but their by-id
// paths are in the saved answers.
func (h InstalledHost) hostReport() hwdetect.Report {
	var r hwdetect.Report
	if h.Report != nil {
		r = *h.Report
	}
	for _, id := range h.Applied.Disks.IDs {
		if _, ok := r.DiskByID(id); !ok {
			r.Disks = append(r.Disks, hwdetect.Disk{Name: filepath.Base(id), ByID: id, ByIDLinks: []string{id}})
		}
	}
	return r
}

// validationReport is what new answers are validated against: nil without hardware (the
// form alone is checked), else this machine with the installed disks in it. A disk of the
// layout that the scan did not find (its by-id name changed) gets no size floor: the layout
// exists already and cannot change here.
func (h InstalledHost) validationReport() *hwdetect.Report {
	if h.Report == nil {
		return nil
	}
	r := h.hostReport()
	for i, d := range r.Disks {
		if _, found := h.Report.DiskByID(d.ByID); !found && d.SizeBytes == 0 {
			r.Disks[i].SizeBytes = math.MaxUint64
		}
	}
	return &r
}

// Resolve validates answers for this host (against its machine when the hardware is known)
// and resolves them on it, its installed disks standing in the machine as recorded.
func (h InstalledHost) Resolve(a Answers) (Resolved, error) {
	machine := h.hostReport()
	return resolveOn(a, h.validationReport(), &machine)
}

// Render returns the files xennix-setup writes for the resolved host, keyed by their path
// under /etc/nixos (a password file by its absolute path): the machine-owned files of
// Render, and the user's NixOS guest modules (written only when missing). answers.yaml is
// among them only with writeAnswers (the answers come from elsewhere than that file) or
// when that file holds a secret to move out.
func (h InstalledHost) Render(r Resolved, writeAnswers bool) (map[string][]byte, error) {
	_, err := os.Stat(filepath.Join(h.Root, etcNixos, GuestsFile))
	tree, err := Render(r, RenderOptions{StateVersion: h.stateVersion(), KeepGuestsFile: err == nil})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, f := range tree {
		switch {
		case f.Path == AnswersFile && !writeAnswers && !h.SecretInAnswers:
		case MachineOwned(f.Path), userOwned(f.Path):
			out[f.Path] = f.Data
		}
	}
	return out, nil
}

// Change is one file xennix-setup would write, with its current and new contents.
type Change struct {
	Path     string // under /etc/nixos
	Old, New []byte // Old is nil when the file does not exist yet
}

// Changes compares what a renders with the files on the host and returns those that differ,
// sorted by path. It refuses answers that change the disk layout.
func (h InstalledHost) Changes(a Answers, writeAnswers bool) ([]Change, error) {
	_, out, err := h.changes(a, writeAnswers)
	return out, err
}

func (h InstalledHost) changes(a Answers, writeAnswers bool) (Resolved, []Change, error) {
	// Validated against this machine when its hardware is known: an uplink that does not
	// exist would take a remote host off the network at the switch.
	r, err := h.Resolve(a)
	if err != nil {
		return Resolved{}, nil, err
	}
	if err := h.checkDeclared(a); err != nil {
		return Resolved{}, nil, err
	}
	if fields := layoutDiff(h.Applied, a); len(fields) > 0 {
		return Resolved{}, nil, fmt.Errorf("%w: %s differ from the installed system's (shown in xennix-setup, changed only by reinstalling)", ErrLayoutChange, strings.Join(fields, ", "))
	}
	files, err := h.Render(r, writeAnswers)
	if err != nil {
		return Resolved{}, nil, err
	}
	var out []Change
	for path, data := range files {
		old, err := os.ReadFile(h.file(path))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return Resolved{}, nil, err
		}
		if err == nil && userOwned(path) {
			continue // the user's once written
		}
		if !bytes.Equal(old, data) {
			out = append(out, Change{Path: path, Old: old, New: data})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return r, out, nil
}

// layoutDiff names the answers sections that decide the disk layout and differ.
func layoutDiff(installed, next Answers) []string {
	var out []string
	if !reflect.DeepEqual(installed.Disks, next.Disks) {
		out = append(out, "disks")
	}
	if !reflect.DeepEqual(installed.Storage, next.Storage) {
		out = append(out, "storage")
	}
	if installed.Impermanence.Preset != next.Impermanence.Preset {
		out = append(out, "impermanence.preset")
	}
	if installed.Boot.Firmware != next.Boot.Firmware || installed.Boot.Loader != next.Boot.Loader {
		out = append(out, "boot.firmware/boot.loader")
	}
	return out
}

// Diff is the unified diff of the changes, as `xennix-setup diff` prints it.
func Diff(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		if path.IsAbs(c.Path) {
			// A password file: say that it changes, never what it holds.
			fmt.Fprintf(&b, "changes %s (a password hash, mode 0600; contents not shown)\n", c.Path)
			continue
		}
		b.WriteString(udiff.Unified("a/etc/nixos/"+c.Path, "b/etc/nixos/"+c.Path, redactPasswords(c.Old), redactPasswords(c.New)))
	}
	return b.String()
}

var passwordLineRE = regexp.MustCompile(`(?m)^(\s*(?:hashed_)?password:).*$`)

// redactPasswords hides the values of password and hashed_password lines of an answers
// file, so that a diff never shows the plaintext password an operator typed into it.
func redactPasswords(b []byte) string {
	return passwordLineRE.ReplaceAllString(string(b), "$1 [redacted]")
}

// RebuildMode is how nixos-rebuild activates a change: switch now, or boot (at next reboot)
// when the change only takes effect then.
type RebuildMode string

// Rebuild modes.
const (
	RebuildSwitch RebuildMode = "switch"
	RebuildBoot   RebuildMode = "boot"
)

// Activation says how a change from old to next answers must be activated, and why: changes
// to what Xen reads at boot (its command line, dom0 memory and vCPUs, the IOMMU policy, PCI
// devices hidden from dom0, the serial console) take effect only after a reboot, so the new
// generation becomes the boot default instead of being switched to.
func Activation(old, next Answers) (RebuildMode, []string) {
	var why []string
	if !reflect.DeepEqual(old.Xen, next.Xen) || addsDevice(old.Passthrough(), next.Passthrough()) {
		for _, f := range []struct {
			name string
			same bool
		}{
			{"dom0 memory", old.Xen.Dom0Memory == next.Xen.Dom0Memory && old.Xen.Dom0MaxMemory == next.Xen.Dom0MaxMemory},
			{"dom0 vCPUs", old.Xen.Dom0VCPUs == next.Xen.Dom0VCPUs},
			{"the Xen command line", reflect.DeepEqual(old.Xen.Cmdline, next.Xen.Cmdline) && old.Xen.IOMMU == next.Xen.IOMMU},
			// xen.passthrough changed, or a guest needs a device not hidden yet. A device
			// no longer needed by a removed guest stays with pciback until the next boot,
			// which harms nothing: that removal is switched to, and the guest stopped, now.
			{"PCI passthrough", reflect.DeepEqual(old.Xen.Passthrough, next.Xen.Passthrough) && !addsDevice(old.Passthrough(), next.Passthrough())},
		} {
			if !f.same {
				why = append(why, f.name)
			}
		}
	}
	if old.Boot.SerialConsole != next.Boot.SerialConsole {
		why = append(why, "the serial console")
	}
	if len(why) > 0 {
		return RebuildBoot, why
	}
	return RebuildSwitch, nil
}

// RebuildTimeout bounds nixos-rebuild in Apply: like nixos-install it may build and download
// a whole system.
const RebuildTimeout = NixosInstallTimeout

// addsDevice reports whether next hides a PCI device that old does not.
func addsDevice(old, next []string) bool {
	for _, d := range next {
		if !slices.Contains(old, d) {
			return true
		}
	}
	return false
}

// ApplyResult says what Apply did.
type ApplyResult struct {
	Changes []Change
	Mode    RebuildMode
	Why     []string // reasons for RebuildBoot
	Output  []byte   // nixos-rebuild's output
}

// Preview is what applying answers would do: the files that change, and how the change is
// activated (switch, or boot with the reasons). Apply does exactly this.
type Preview struct {
	Changes []Change
	Mode    RebuildMode
	Why     []string
	// Guests is what the switch does to the tool's guests.
	Guests GuestEffects
	record Answers
}

// Preview says what Apply would do with next, changing nothing. Nothing to change is no
// error: an empty Changes.
func (h InstalledHost) Preview(next Answers, writeAnswers bool) (Preview, error) {
	resolved, changes, err := h.changes(next, writeAnswers)
	if err != nil {
		return Preview{}, err
	}
	// Compared as the host records them, so that "auto" resolved to the size installed
	// with is no change.
	mode, why := Activation(h.Applied, resolved.Record)
	if h.NoApplied {
		mode, why = RebuildBoot, []string{"this host has no record of the answers last applied, so what changed cannot be told"}
	}
	return Preview{Changes: changes, Mode: mode, Why: why, Guests: EffectsOnGuests(h.Applied, next), record: resolved.Record}, nil
}

// Apply writes the changed files atomically (each previous version kept as <file>.prev),
// then runs nixos-rebuild switch — or boot, when the change only takes effect after a
// reboot. If the rebuild fails, every file is restored byte for byte and the error returned.
// With nothing to change it writes nothing and runs nothing.
func (h InstalledHost) Apply(ctx context.Context, next Answers, writeAnswers bool, runner Runner) (ApplyResult, error) {
	pv, err := h.Preview(next, writeAnswers)
	changes := pv.Changes
	if err != nil || len(changes) == 0 {
		return ApplyResult{Changes: changes}, err
	}
	mode := pv.Mode
	res := ApplyResult{Changes: changes, Mode: mode, Why: pv.Why}
	restore := func() error {
		var errs []error
		for _, c := range changes {
			dst := h.file(c.Path)
			if c.Old == nil {
				if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
				continue
			}
			if err := WriteFileAtomic(dst, c.Old, fileMode(c.Path)); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	for _, c := range changes {
		dst := h.file(c.Path)
		if c.Old != nil {
			if err := WriteFileAtomic(dst+".prev", c.Old, fileMode(c.Path)); err != nil {
				return res, err
			}
		}
		if err := WriteFileAtomic(dst, c.New, fileMode(c.Path)); err != nil {
			return res, errors.Join(err, restore())
		}
	}
	argv := []string{"nixos-rebuild", string(mode), "--flake", "/etc/nixos#" + next.Host.Hostname}
	rctx, cancel := context.WithTimeoutCause(ctx, RebuildTimeout, ErrTimeout)
	defer cancel()
	out, err := runner.Run(rctx, argv)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(rctx), ErrTimeout) {
		err = fmt.Errorf("nixos-rebuild %w after %s", ErrTimeout, RebuildTimeout)
	}
	res.Output = out
	if err != nil {
		if rerr := restore(); rerr != nil {
			return res, fmt.Errorf("%w; restoring the previous files also failed: %v", err, rerr)
		}
		return res, fmt.Errorf("the rebuild failed, the previous files are back in place: %w", err)
	}
	rec, err := pv.record.withoutHashes().Marshal(answersHeader...)
	if err == nil {
		err = WriteFileAtomic(filepath.Join(h.Root, AppliedFile), rec, 0o600)
	}
	if err != nil {
		return res, fmt.Errorf("the change is applied, but recording it failed: %w", err)
	}
	return res, nil
}

func fileMode(p string) os.FileMode {
	if p == AnswersFile || path.IsAbs(p) {
		return 0o600
	}
	return 0o644
}

// TryNetwork applies a network configuration live (through h; nil is the current network
// namespace), then asks confirm, which returns true only when the operator confirms in time.
// Without a confirmation everything is reverted to the state before, so a wrong address
// over SSH does not lock the operator out. It returns whether the change was kept and the
// changes made.
func TryNetwork(ctx context.Context, h *netlink.Handle, c netsetup.Config, confirm func(context.Context) bool) (bool, []string, error) {
	snap, changes, err := netsetup.Apply(ctx, h, c)
	if err != nil {
		return false, changes, fmt.Errorf("try the network live: %w", err)
	}
	if confirm(ctx) {
		return true, changes, nil
	}
	if _, err := netsetup.Revert(context.WithoutCancel(ctx), h, snap); err != nil {
		return false, changes, fmt.Errorf("revert the network after no confirmation: %w", err)
	}
	return false, changes, nil
}
