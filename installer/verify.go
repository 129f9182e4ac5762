package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
)

// Check is one verification with its outcome in words.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Verification is the result of VerifyTarget or VerifyHost. OK only when every check passed.
type Verification struct {
	Mode   string  `json:"mode"` // "target" or "host"
	Root   string  `json:"root"`
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
}

func (v *Verification) add(name string, ok bool, format string, args ...any) {
	v.Checks = append(v.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

func (v *Verification) finish() Verification {
	v.OK = len(v.Checks) > 0
	for _, c := range v.Checks {
		v.OK = v.OK && c.OK
	}
	return *v
}

// String is the human form: one line per check, then the verdict.
func (v Verification) String() string {
	var b strings.Builder
	for _, c := range v.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s %-22s %s\n", mark, c.Name, c.Detail)
	}
	switch {
	case v.Mode == "host" && v.OK:
		b.WriteString("verdict: this host is a working Xen dom0\n")
	case v.Mode == "host":
		b.WriteString("verdict: this host is NOT a working Xen dom0\n")
	case v.OK:
		fmt.Fprintf(&b, "verdict: the system installed in %s will boot Xen\n", v.Root)
	default:
		fmt.Fprintf(&b, "verdict: the system installed in %s is NOT ready to boot Xen\n", v.Root)
	}
	return b.String()
}

// resolveIn follows symlinks in p as if root were /, so that absolute links in an installed
// system (/nix/var/nix/profiles/system -> /nix/store/…) resolve inside /mnt.
func resolveIn(root, p string) (string, error) {
	p = path.Clean("/" + p)
	for hops := 0; hops < 40; hops++ {
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		cur := "/"
		changed := false
		for i, part := range parts {
			next := path.Join(cur, part)
			fi, err := os.Lstat(filepath.Join(root, next))
			if err != nil {
				return "", err
			}
			if fi.Mode()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(filepath.Join(root, next))
				if err != nil {
					return "", err
				}
				if !path.IsAbs(target) {
					target = path.Join(cur, target)
				}
				p = path.Join(append([]string{target}, parts[i+1:]...)...)
				changed = true
				break
			}
			cur = next
		}
		if !changed {
			return filepath.Join(root, p), nil
		}
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", p)
}

// xenBootspec is the part of boot.json that Xen's NixOS module adds: v1 on nixpkgs 24.11 and
// 25.05 (xen, xenParams), v2 since nixpkgs PR #393287 (efiPath, multibootPath, params,
// version).
type xenBootspec struct {
	V1 *struct {
		Xen       string   `json:"xen"`
		XenParams []string `json:"xenParams"`
	} `json:"org.xenproject.bootspec.v1"`
	V2 *struct {
		EFIPath       string   `json:"efiPath"`
		MultibootPath string   `json:"multibootPath"`
		Params        []string `json:"params"`
		Version       string   `json:"version"`
	} `json:"org.xenproject.bootspec.v2"`
}

// VerifyTarget checks, before the first boot, that the system installed under root (/mnt)
// will boot Xen: the system profile's boot.json carries the Xen bootspec; with systemd-boot
// a xen-*.conf entry exists, is the default, and its xen-*.efi is on the ESP; with Limine
// (BIOS) a "with Xen" entry using multiboot exists and its files are there; and the
// xennix-verify unit is enabled.
func VerifyTarget(root string, loader Loader, firmware Firmware) Verification {
	v := &Verification{Mode: "target", Root: root}
	top, err := resolveIn(root, "/nix/var/nix/profiles/system")
	if err != nil {
		v.add("system profile", false, "no installed system: %v", err)
		return v.finish()
	}
	v.add("system profile", true, "%s", strings.TrimPrefix(top, root))
	b, err := os.ReadFile(filepath.Join(top, "boot.json"))
	var bs xenBootspec
	switch {
	case err != nil:
		v.add("xen bootspec", false, "boot.json: %v", err)
	case json.Unmarshal(b, &bs) != nil:
		v.add("xen bootspec", false, "boot.json is not valid JSON")
	case bs.V2 != nil:
		v.add("xen bootspec", true, "org.xenproject.bootspec.v2, Xen %s, params %q", bs.V2.Version, strings.Join(bs.V2.Params, " "))
	case bs.V1 != nil:
		v.add("xen bootspec", true, "org.xenproject.bootspec.v1, params %q", strings.Join(bs.V1.XenParams, " "))
	default:
		v.add("xen bootspec", false, "boot.json has no org.xenproject.bootspec extension: virtualisation.xen is not enabled")
	}
	switch loader {
	case LoaderLimine:
		verifyLimine(v, root, firmware, bs)
	default:
		verifySystemdBoot(v, root)
	}
	unit := "/etc/systemd/system/multi-user.target.wants/xennix-verify.service"
	if _, err := resolveIn(root, path.Join(strings.TrimPrefix(top, root), unit)); err != nil {
		v.add("verify unit", false, "xennix-verify.service is not enabled in the new system")
	} else {
		v.add("verify unit", true, "xennix-verify.service enabled")
	}
	return v.finish()
}

var entryRE = regexp.MustCompile(`(?m)^efi\s+(\S+)\s*$`)

func verifySystemdBoot(v *Verification, root string) {
	esp := filepath.Join(root, "boot")
	entries, _ := filepath.Glob(filepath.Join(esp, "loader", "entries", "xen-*.conf"))
	sort.Strings(entries)
	if len(entries) == 0 {
		v.add("xen boot entry", false, "no loader/entries/xen-*.conf on the ESP: the Xen boot builder did not run")
		return
	}
	v.add("xen boot entry", true, "%d entr%s, newest %s", len(entries), plural(len(entries), "y", "ies"), filepath.Base(entries[len(entries)-1]))
	conf, err := os.ReadFile(filepath.Join(esp, "loader", "loader.conf"))
	def := ""
	for _, l := range strings.Split(string(conf), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "default" {
			def = f[1]
		}
	}
	switch {
	case err != nil:
		v.add("default entry", false, "loader/loader.conf: %v", err)
	case strings.HasPrefix(def, "xen-"):
		v.add("default entry", true, "loader.conf default %s", def)
	default:
		v.add("default entry", false, "loader.conf default is %q, not a xen-* entry: the machine would boot NixOS without Xen (nixpkgs#350051)", def)
	}
	missing := 0
	for _, e := range entries {
		b, _ := os.ReadFile(e)
		m := entryRE.FindSubmatch(b)
		if m == nil || !existsFold(esp, string(m[1])) {
			missing++
		}
	}
	if missing > 0 {
		v.add("xen efi binary", false, "%d xen entr%s name an EFI binary that is not on the ESP", missing, plural(missing, "y", "ies"))
	} else {
		v.add("xen efi binary", true, "every xen entry's EFI/nixos/xen-*.efi is on the ESP")
	}
}

var limineXenRE = regexp.MustCompile(`(?m)^/+Generation \S+ with Xen .*$`)

func verifyLimine(v *Verification, root string, fw Firmware, bs xenBootspec) {
	var conf []byte
	var where string
	for _, p := range []string{"boot/limine/limine.conf", "boot/efi/limine/limine.conf"} {
		if b, err := os.ReadFile(filepath.Join(root, p)); err == nil {
			conf, where = b, p
			break
		}
	}
	if conf == nil {
		v.add("xen boot entry", false, "no limine/limine.conf on the boot partition: Limine was not installed")
		return
	}
	entries := limineXenRE.FindAll(conf, -1)
	if len(entries) == 0 {
		v.add("xen boot entry", false, "%s has no \"Generation … with Xen\" entry", where)
		return
	}
	v.add("xen boot entry", true, "%d Xen entr%s in %s", len(entries), plural(len(entries), "y", "ies"), where)
	if fw == FirmwareBIOS {
		if bs.V2 == nil || bs.V2.MultibootPath == "" {
			v.add("multiboot binary", false, "the bootspec names no Xen multiboot binary: this nixpkgs cannot boot Xen by BIOS")
		} else if !strings.Contains(string(conf), "protocol: multiboot") {
			v.add("multiboot binary", false, "no Limine entry boots Xen with protocol multiboot")
		} else {
			v.add("multiboot binary", true, "Xen is booted by multiboot from %s", path.Base(bs.V2.MultibootPath))
		}
	}
	if dirs, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Join(root, where)), "xen", "*")); len(dirs) == 0 {
		v.add("xen files", false, "nothing under limine/xen/: the Xen binaries were not copied")
	} else {
		v.add("xen files", true, "limine/xen/ holds %d generation(s)", len(dirs))
	}
}

// existsFold reports whether rel exists under dir, ignoring case as FAT does.
func existsFold(dir, rel string) bool {
	cur := dir
	for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
		ents, err := os.ReadDir(cur)
		if err != nil {
			return false
		}
		found := ""
		for _, e := range ents {
			if strings.EqualFold(e.Name(), part) {
				found = e.Name()
			}
		}
		if found == "" {
			return false
		}
		cur = filepath.Join(cur, found)
	}
	_, err := os.Stat(cur) // a dangling link is no binary
	return err == nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// HostChecks are the probes VerifyHost needs beyond files: injectable for tests.
type HostChecks struct {
	// XLInfo runs `xl info`.
	XLInfo func() ([]byte, error)
	// UnitActive reports whether a systemd unit is active (systemctl is-active).
	UnitActive func(unit string) (bool, error)
	// XLDryRun runs `xl -N create FILE` (the domain config it would create, as JSON), for
	// the names of the domains in /etc/xen/auto; nil reads their name = "…" lines.
	XLDryRun func(file string) ([]byte, error)
}

// xenUnits must be active in a working dom0 (upstream Xen units; without Xen they are
// skipped by ConditionPathExists, not failed).
var xenUnits = []string{"xenstored.service", "xenconsoled.service"}

// ErrNotXen is wrapped by VerifyHost's error when the machine is not a Xen dom0.
var ErrNotXen = errors.New("not a working Xen dom0")

// VerifyHost checks the running system under root: Xen is the hypervisor and this is dom0
// (/proc/xen/capabilities has control_d), `xl info` answers, the Xen units are active, the
// bridge is up with a port, and no domain in /etc/xen/auto has the name of a guest of the
// host's configuration.
func VerifyHost(root, bridge string, hc HostChecks) Verification {
	v := &Verification{Mode: "host", Root: root}
	typ, _ := os.ReadFile(filepath.Join(root, "sys/hypervisor/type"))
	caps, _ := os.ReadFile(filepath.Join(root, "proc/xen/capabilities"))
	switch {
	case strings.TrimSpace(string(typ)) != "xen":
		v.add("hypervisor", false, "not running on Xen: the boot loader started NixOS without Xen (check the default boot entry; nixpkgs#350051)")
		return v.finish()
	case !strings.Contains(string(caps), "control_d"):
		v.add("hypervisor", false, "running on Xen but as a guest (domU), not as dom0")
		return v.finish()
	}
	v.add("hypervisor", true, "Xen dom0 (control_d)")
	rep, err := hwdetect.ScanWith(root, hwdetect.ScanOptions{XLInfo: hc.XLInfo, PCIIDs: "-"})
	switch {
	case err != nil:
		v.add("xl info", false, "%v", err)
	case rep.Xen == nil || rep.Xen.Version == "":
		v.add("xl info", false, "xl info gave no xen_version: the toolstack cannot talk to Xen")
	default:
		directio := "no IOMMU passthrough (virt_caps lacks hvm_directio)"
		if strings.Contains(rep.Xen.VirtCaps, "hvm_directio") {
			directio = "IOMMU passthrough available"
		}
		v.add("xl info", true, "Xen %s, %d MiB total, %d MiB free, %s", rep.Xen.Version, rep.Xen.TotalMemoryMiB, rep.Xen.FreeMemoryMiB, directio)
	}
	for _, u := range xenUnits {
		if hc.UnitActive == nil {
			v.add(u, false, "cannot ask systemd")
			continue
		}
		ok, err := hc.UnitActive(u)
		switch {
		case err != nil:
			v.add(u, false, "%v", err)
		case !ok:
			v.add(u, false, "not active")
		default:
			v.add(u, true, "active")
		}
	}
	if bridge == "" {
		bridge = "xenbr0"
	}
	state, err := os.ReadFile(filepath.Join(root, "sys/class/net", bridge, "operstate"))
	ports, _ := os.ReadDir(filepath.Join(root, "sys/class/net", bridge, "brif"))
	var names []string
	for _, p := range ports {
		names = append(names, p.Name())
	}
	switch {
	case err != nil:
		v.add("bridge", false, "%s does not exist", bridge)
	case len(names) == 0:
		v.add("bridge", false, "%s has no ports: guests would have no uplink", bridge)
	case strings.TrimSpace(string(state)) != "up":
		v.add("bridge", false, "%s is %s (ports %s)", bridge, strings.TrimSpace(string(state)), strings.Join(names, ", "))
	default:
		v.add("bridge", true, "%s up with %s", bridge, strings.Join(names, ", "))
	}
	verifyAutoNames(v, root, hc)
	return v.finish()
}

// verifyAutoNames flags the domain configs in /etc/xen/auto whose domain has the name of a
// guest the host's configuration starts (the manifest's, declared or tool-managed): at
// boot xendomains and the guest's unit would both create it, and the second fails
// (docs/design/guests.md §7.6). The names are read as xendomains reads them, with
// `xl -N create`. A host with neither auto files nor guests has nothing to check.
func verifyAutoNames(v *Verification, root string, hc HostChecks) {
	const check = "/etc/xen/auto"
	m, merr := guests.ReadManifest(root)
	ents, err := os.ReadDir(filepath.Join(root, guests.AutoDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ents = nil
	case err != nil:
		v.add(check, false, "%v", err)
		return
	}
	var files []string
	for _, e := range ents {
		if st, err := os.Stat(filepath.Join(root, guests.AutoDir, e.Name())); err == nil && st.Mode().IsRegular() {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		return
	}
	if merr != nil {
		v.add(check, false, "%d domain %s, but %v", len(files), plural(len(files), "config", "configs"), merr)
		return
	}
	var clashes, unknown []string
	for _, f := range files {
		path := filepath.Join(root, guests.AutoDir, f)
		cfg, err := os.ReadFile(path)
		if err != nil {
			v.add(check, false, "%v", err)
			return
		}
		var out []byte
		if hc.XLDryRun != nil {
			out, _ = hc.XLDryRun(path)
		}
		name, ok := guests.AutoName(cfg, out)
		if !ok {
			unknown = append(unknown, f)
			continue
		}
		if e, dup := m.Guests[name]; dup {
			unit := e.Unit
			if unit == "" {
				unit = guests.UnitName(name)
			}
			clashes = append(clashes, fmt.Sprintf("%s creates %s, which %s starts too", f, name, unit))
		}
	}
	note := ""
	if len(unknown) > 0 {
		note = fmt.Sprintf(" (no domain name found in %s)", strings.Join(unknown, ", "))
	}
	if len(clashes) > 0 {
		v.add(check, false, "%s: at boot xendomains would create %s a second time; move the %s out of /etc/xen/auto, or rename the %s in %s%s",
			strings.Join(clashes, "; "), plural(len(clashes), "it", "them"), plural(len(clashes), "file", "files"), plural(len(clashes), "domain", "domains"), plural(len(clashes), "it", "them"), note)
		return
	}
	v.add(check, true, "%d domain %s, none named as a guest of this host%s", len(files), plural(len(files), "config", "configs"), note)
}
