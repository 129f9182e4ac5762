package guests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// ErrNotAdoptable: the domain cannot become a guest the tool manages as it runs.
var ErrNotAdoptable = errors.New("cannot be adopted")

// xlConfig is the part of a domain's libxl_domain_config, as `xl list -l` prints it, that
// adopting reads. The key names are libxl's JSON (libxl_types.idl, generated
// libxl_domain_config_to_json; checked against Debian's libxenlight 4.17): a keyed union
// is "type.hvm", and fields at their zero value are left out (readwrite 0, domain 0).
type xlConfig struct {
	CInfo struct {
		Type string `json:"type"`
		Name string `json:"name"`
		UUID string `json:"uuid"`
	} `json:"c_info"`
	BInfo struct {
		MaxVCPUs    int    `json:"max_vcpus"`
		MaxMemKB    int64  `json:"max_memkb"`
		TargetMemKB int64  `json:"target_memkb"`
		Kernel      string `json:"kernel"`
		Bootloader  string `json:"bootloader"`
		HVM         *struct {
			BIOS string `json:"bios"`
			Boot string `json:"boot"`
		} `json:"type.hvm"`
	} `json:"b_info"`
	Disks []struct {
		PDevPath  string `json:"pdev_path"`
		VDev      string `json:"vdev"`
		Format    string `json:"format"`
		ReadWrite int    `json:"readwrite"`
		IsCDROM   int    `json:"is_cdrom"`
	} `json:"disks"`
	NICs []struct {
		MAC    string `json:"mac"`
		Bridge string `json:"bridge"`
	} `json:"nics"`
	PCIDevs []struct {
		Domain int `json:"domain"`
		Bus    int `json:"bus"`
		Dev    int `json:"dev"`
		Func   int `json:"func"`
	} `json:"pcidevs"`
	OnCrash string `json:"on_crash"`
}

// Adoptable reads the running domain name from `xl list -l` and returns it as a guest the
// tool can manage (kind image: it keeps its disks and boots its own boot loader), and
// notes on what the guest does not keep. Only HVM domains booting from their disks can be
// taken as they are: a PV or PVH domain boots a kernel xl hands it, which a guest of kind
// image does not carry (ErrNotAdoptable).
func Adoptable(ctx context.Context, r Runner, name string) (Guest, []string, error) {
	out, err := run(ctx, r, []string{"xl", "list", "-l"})
	if err != nil {
		return Guest{}, nil, fmt.Errorf("read the domains: %w", err)
	}
	if i := bytes.Index(out, []byte("\n[")); !bytes.HasPrefix(bytes.TrimSpace(out), []byte("[")) && i >= 0 {
		out = out[i+1:] // libxl's warnings before the JSON
	}
	var doms []struct {
		Config xlConfig `json:"config"`
	}
	if err := json.Unmarshal(out, &doms); err != nil {
		return Guest{}, nil, fmt.Errorf("read xl list -l: %w", err)
	}
	for _, d := range doms {
		if d.Config.CInfo.Name == name && name != "Domain-0" {
			return adoptConfig(d.Config)
		}
	}
	return Guest{}, nil, fmt.Errorf("%s: %w: no running domain of that name (start it, e.g. xl create, then adopt it)", name, ErrNoGuest)
}

func adoptConfig(c xlConfig) (Guest, []string, error) {
	name := c.CInfo.Name
	refuse := func(format string, args ...any) (Guest, []string, error) {
		return Guest{}, nil, fmt.Errorf("%s %w: %s", name, ErrNotAdoptable, fmt.Sprintf(format, args...))
	}
	switch {
	case c.CInfo.Type != "hvm":
		return refuse("it is a %s domain, which boots a kernel xl hands it; xennix runs pv and pvh guests as NixOS guests only: declare it in your Nix, or add a NixOS guest with xennix guest add", c.CInfo.Type)
	case c.BInfo.Kernel != "" || c.BInfo.Bootloader != "":
		return refuse("it boots a kernel or boot loader given by xl (kernel= or bootloader=), which a guest of kind image does not carry")
	}
	g := Guest{Name: name, Enable: true, Kind: KindImage, Type: TypeHVM, UUID: strings.ToLower(c.CInfo.UUID),
		VCPUs: c.BInfo.MaxVCPUs, Autostart: true, RestartIfChanged: true}
	var notes []string
	g.Memory = int(c.BInfo.TargetMemKB / 1024)
	if c.BInfo.MaxMemKB > c.BInfo.TargetMemKB {
		g.MaxMem = int(c.BInfo.MaxMemKB / 1024)
	}
	if h := c.BInfo.HVM; h != nil {
		if h.BIOS == "ovmf" {
			g.Firmware = FirmwareUEFI
		}
		letters := map[rune]BootDevice{'c': BootDisk, 'd': BootCDROM, 'n': BootNetwork}
		for _, l := range h.Boot {
			if b, ok := letters[l]; ok && !containsBoot(g.BootOrder, b) {
				g.BootOrder = append(g.BootOrder, b)
			}
		}
	}
	for i, d := range c.Disks {
		var f DiskFormat
		switch d.Format {
		case "", "raw":
		case "qcow2":
			f = FormatQCOW2
		case "empty":
			notes = append(notes, fmt.Sprintf("its empty CD-ROM drive %s is not kept", d.VDev))
			continue
		default:
			return refuse("disk %d (%s) is in the %s format; xennix guests take raw and qcow2", i, d.PDevPath, d.Format)
		}
		g.Disks = append(g.Disks, Disk{Target: d.PDevPath, VDev: d.VDev, Format: f, ReadOnly: d.ReadWrite == 0 && d.IsCDROM == 0, CDROM: d.IsCDROM != 0})
	}
	for _, n := range c.NICs {
		iface := Interface{Bridge: n.Bridge}
		if n.MAC != "" {
			m, err := ParseMAC(n.MAC)
			if err != nil {
				return refuse("interface MAC %q: %v", n.MAC, err)
			}
			iface.MAC = m
		}
		g.Network = append(g.Network, iface)
	}
	if len(c.NICs) == 0 {
		g.NoNetwork = true
	}
	for _, p := range c.PCIDevs {
		a, err := ParsePCIAddress(fmt.Sprintf("%04x:%02x:%02x.%x", p.Domain, p.Bus, p.Dev, p.Func))
		if err != nil {
			return refuse("PCI device: %v", err)
		}
		g.PCI = append(g.PCI, a)
	}
	switch oc := OnCrash(strings.ReplaceAll(c.OnCrash, "_", "-")); {
	case oc == "" || oc == "restart":
	case containsCrash(oc):
		g.OnCrash = oc
	default:
		notes = append(notes, fmt.Sprintf("on_crash %s is not kept (xennix guests take %s): it restarts", c.OnCrash, joinCrashes()))
	}
	notes = append(notes, "settings of its xl.cfg other than its type, memory, vCPUs, disks, interfaces, PCI devices, firmware, boot order and on_crash are not kept: add any it needs with xennix guest set "+name+" extra_config.KEY=VALUE")
	return g, notes, nil
}

func containsBoot(l []BootDevice, b BootDevice) bool {
	for _, x := range l {
		if x == b {
			return true
		}
	}
	return false
}

func containsCrash(o OnCrash) bool {
	for _, x := range OnCrashes {
		if x == o {
			return true
		}
	}
	return false
}

func joinCrashes() string {
	var s []string
	for _, o := range OnCrashes {
		s = append(s, string(o))
	}
	return strings.Join(s, ", ")
}

// AutoDir is where xendomains finds the domains it starts at boot (/etc/xen/auto).
const AutoDir = "etc/xen/auto"

// AdoptedDir is where adopting keeps the /etc/xen/auto files it takes out of xendomains'
// way, so that a guest is not started twice.
const AdoptedDir = "var/lib/xennix/adopted"

// AutoFiles are the files under root's /etc/xen/auto that create the domain name: those
// whose name = "…" line names it. (xendomains reads the name with `xl -N create`; a cfg
// computing its name some other way is not recognised.)
func AutoFiles(root, name string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(root, AutoDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	re := regexp.MustCompile(`(?m)^\s*name\s*=\s*["']` + regexp.QuoteMeta(name) + `["']\s*(#.*)?$`)
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, AutoDir, e.Name()))
		if err != nil {
			return nil, err
		}
		if re.Match(b) {
			out = append(out, filepath.Join("/", AutoDir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// MoveAutoFile moves /etc/xen/auto/<file> (a path as AutoFiles returns it) under root into
// /var/lib/xennix/adopted, and returns where it went.
func MoveAutoFile(root, file string) (string, error) {
	dst := filepath.Join("/", AdoptedDir, filepath.Base(file))
	if err := os.MkdirAll(filepath.Join(root, AdoptedDir), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(root, file), filepath.Join(root, dst)); err != nil {
		return "", fmt.Errorf("move %s out of xendomains' way: %w", file, err)
	}
	return dst, nil
}

// autoNameRE is a cfg's name = "…" line (xl.cfg(5)).
var autoNameRE = regexp.MustCompile(`(?m)^\s*name\s*=\s*["']([^"'\n]*)["']\s*(#.*)?$`)

// AutoName is the name of the domain an /etc/xen/auto file creates. dryRun is what
// `xl -N create FILE` printed (xendomains reads the name so: the domain config as JSON,
// libxl_domain_config's c_info.name), or nil when it could not run; then the file's
// name = "…" line is read. ok is false when neither gives a name. xl's own lines before
// the JSON ("Parsing config from …", on stderr) are skipped.
func AutoName(cfg, dryRun []byte) (name string, ok bool) {
	if i := bytes.IndexByte(dryRun, '{'); i >= 0 {
		var c xlConfig
		if json.NewDecoder(bytes.NewReader(dryRun[i:])).Decode(&c) == nil && c.CInfo.Name != "" {
			return c.CInfo.Name, true
		}
	}
	if m := autoNameRE.FindSubmatch(cfg); m != nil && len(m[1]) > 0 {
		return string(m[1]), true
	}
	return "", false
}
