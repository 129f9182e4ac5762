package installer

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the installer image may lack /usr/share/zoneinfo

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
	"github.com/xennix/xennix/nixexpr"
)

var (
	keymapRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	localeRE = regexp.MustCompile(`^([a-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[a-z]+)?|C|C\.UTF-8|POSIX)$`)
	tzRE     = regexp.MustCompile(`^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$`)
	// Xen knows com1 to com4 (xen-command-line: comN), which the host modules map from ttyS0
	// to ttyS3 (assets/nixos/xen.nix asserts it).
	serialRE  = regexp.MustCompile(`^ttyS[0-3](,[0-9]{3,7}([noe][5-8])?)?$`)
	xenArgRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.,:=/+-]*$`)
	userRE    = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	pkgAttrRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$`)
	// Persisted paths: no @, which btrfs and zfs give meaning, and nothing a bind mount
	// unit's name or a Nix string would read otherwise.
	safePathRE = regexp.MustCompile(`^(/[A-Za-z0-9._+-]+)+$`)
)

// reservedUsers cannot be the admin user's name: NixOS or Xen already use them.
var reservedUsers = []string{"root", "nobody", "daemon", "bin", "sys", "sshd", "messagebus", "systemd-network", "systemd-resolve", "systemd-timesync", "nixbld", "xen"}

// Validate checks the answers and, when r is not nil, checks them against that machine. It
// returns every problem at once (see Problems), each naming its field and, for answers read
// from a file, its line and column. Sections listed in Interactive are not required to be
// complete.
//
// Each rule lives in one place. What the answers convert to is checked by its own package
// (disko the storage layout, netsetup the network, guests the PCI addresses), and its
// problems are placed at the answers' fields through leafFields; here are only the rules
// about the answers themselves (names, users, Xen, impermanence paths, how disks are chosen).
func (a Answers) Validate(r *hwdetect.Report) error {
	return (&validator{a: a, r: r}).validate()
}

func (v *validator) validate() error {
	v.host()
	v.boot()
	v.disks()
	v.storage()
	v.impermanence()
	v.network()
	v.xen()
	v.users()
	v.install()
	v.guests()
	v.leaves()
	return v.p.join()
}

type validator struct {
	a Answers
	r *hwdetect.Report
	p problems
	// What the answers resolve to on r, decided once (onMachine): the checks read it, and
	// Resolve takes it.
	on onMachine
}

// bad records a problem at field, placed where field (or its nearest parent) was written.
func (v *validator) bad(field, format string, args ...any) {
	pos, f := Position{}, field
	for f != "" {
		if p, ok := v.a.pos[f]; ok {
			pos = p
			break
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	v.p.add(v.a.file, pos, field, format, args...)
}

func (v *validator) asked(s Section) bool { return slices.Contains(v.a.Interactive, s) }

func (v *validator) host() {
	h := v.a.Host
	switch {
	case h.Hostname == "":
		if !v.asked("host") {
			v.bad("host.hostname", "missing; want a name like xen-01")
		}
	case !netsetup.IsLabel(h.Hostname): // NixOS's networking.hostName is one label, no dots
		v.bad("host.hostname", "%q is not a valid host name (RFC 1123: letters, digits and inner hyphens, at most 63; put a domain in host.domain)", h.Hostname)
	}
	if h.Domain != "" && !netsetup.IsDomain(h.Domain) {
		v.bad("host.domain", "%q is not a valid DNS domain", h.Domain)
	}
	if h.Timezone != "" {
		if _, err := time.LoadLocation(h.Timezone); err != nil || !tzRE.MatchString(h.Timezone) || strings.EqualFold(h.Timezone, "local") {
			v.bad("host.timezone", "%q is not an IANA time zone (e.g. UTC, Europe/Berlin)", h.Timezone)
		}
	}
	if h.Keymap != "" && !keymapRE.MatchString(h.Keymap) {
		v.bad("host.keymap", "%q is not a console keymap name (e.g. us, de-latin1)", h.Keymap)
	}
	if h.Locale != "" && !localeRE.MatchString(h.Locale) {
		v.bad("host.locale", "%q is not a locale (e.g. en_US.UTF-8)", h.Locale)
	}
}

// firmware resolves boot.firmware: auto becomes what the report found (UEFI when unknown).
func (a Answers) firmware(r *hwdetect.Report) Firmware {
	if a.Boot.Firmware != "" && a.Boot.Firmware != FirmwareAuto {
		return a.Boot.Firmware
	}
	if r != nil && r.Firmware.Mode == hwdetect.FirmwareBIOS {
		return FirmwareBIOS
	}
	return FirmwareUEFI
}

// loader resolves boot.loader: auto becomes systemd-boot on UEFI and Limine on BIOS, the
// only loaders NixOS's Xen module accepts (nixos/modules/virtualisation/xen-dom0.nix).
func (a Answers) loader(r *hwdetect.Report) Loader {
	if a.Boot.Loader != "" && a.Boot.Loader != LoaderAuto {
		return a.Boot.Loader
	}
	if a.firmware(r) == FirmwareBIOS {
		return LoaderLimine
	}
	return LoaderSystemdBoot
}

func (v *validator) boot() {
	b := v.a.Boot
	if b.SecureBoot {
		v.bad("boot.secure_boot", "Xen cannot boot with Secure Boot yet (Lanzaboote has no Xen support): set it to false and turn Secure Boot off in the firmware")
	}
	if v.r != nil && b.Firmware == FirmwareUEFI && v.r.Firmware.Mode == hwdetect.FirmwareBIOS {
		v.bad("boot.firmware", "uefi, but this machine booted the installer by legacy BIOS: boot it in UEFI mode or use bios")
	}
	if b.SerialConsole != "" && !serialRE.MatchString(b.SerialConsole) {
		v.bad("boot.serial_console", "%q is not a serial console Xen can use (want ttyS0 to ttyS3 with an optional baud rate, e.g. ttyS0,115200)", b.SerialConsole)
	}
}

func (v *validator) disks() {
	d := v.a.Disks
	need := v.a.DiskCount()
	switch {
	case len(d.IDs) > 0 && d.Filter != nil:
		v.bad("disks", "give ids or filter, not both")
		return
	case len(d.IDs) == 0 && d.Filter == nil:
		if !v.asked("disks") {
			v.bad("disks", "missing: give disks.ids (by-id paths) or a disks.filter")
		}
		return
	}
	// The ids' form, count and repetition are disko's (leaves).
	if f := d.Filter; f != nil {
		if f.MinSize != 0 && f.MaxSize != 0 && f.MinSize > f.MaxSize {
			v.bad("disks.filter.max_size", "%s is below min_size %s", f.MaxSize, f.MinSize)
		}
		for _, g := range []struct{ field, pattern string }{{"model", f.Model}, {"serial", f.Serial}, {"vendor", f.Vendor}} {
			if _, err := path.Match(g.pattern, ""); err != nil {
				v.bad("disks.filter."+g.field, "%q is not a valid glob: %v", g.pattern, err)
			}
		}
		if f.Count < 0 || f.Count > 2 {
			v.bad("disks.filter.count", "%d: a layout uses 1 or 2 disks", f.Count)
		} else if f.Count != 0 && f.Count != need {
			v.bad("disks.filter.count", "%d, but the %s layout uses %d", f.Count, v.preset(), need)
		}
	}
	if v.r != nil {
		if _, err := v.targetDisks(); err != nil {
			field := "disks.filter"
			if len(d.IDs) > 0 {
				field = "disks.ids"
			}
			v.bad(field, "%v", err)
		}
	}
}

func (v *validator) preset() Preset {
	if v.a.Storage.Preset == "" {
		return PresetExt4
	}
	return v.a.Storage.Preset
}

func (v *validator) storage() {
	if v.a.Storage.Mirror && v.preset() == PresetTmpfsRoot {
		v.bad("storage.mirror", "not available with the tmpfs-root preset; use btrfs or zfs with impermanence instead")
	}
	// The rest of the layout, and whether the disks are large enough, is disko's (leaves).
}

func (v *validator) impermanence() {
	im := v.a.Impermanence
	// Which impermanence preset fits which storage preset is disko's (leaves).
	if im.Preset == ImpermanenceNone || im.Preset == "" {
		if len(im.Directories)+len(im.Files) > 0 {
			v.bad("impermanence", "directories or files are listed but the preset is none")
		}
	}
	seen := map[string]string{}
	for _, l := range []struct {
		field string
		paths []string
	}{{"impermanence.directories", im.Directories}, {"impermanence.files", im.Files}} {
		for i, p := range l.paths {
			f := fmt.Sprintf("%s[%d]", l.field, i)
			if !safePathRE.MatchString(p) || path.Clean(p) != p || p == "/" {
				v.bad(f, "%q is not a clean absolute path of plain characters", p)
				continue
			}
			if first, ok := seen[p]; ok {
				// nix-community/impermanence asserts that every persisted path is unique.
				v.bad(f, "%s is listed twice (also %s)", p, first)
				continue
			}
			seen[p] = f
			if slices.Contains(xennixPersisted, p) {
				v.bad(f, "%s is persisted by XenNix already; list only your own paths", p)
			}
			for _, fs := range unpersistable {
				if p == fs || strings.HasPrefix(p, fs+"/") {
					v.bad(f, "%s is on %s, a filesystem of its own that survives reboots; it cannot be persisted", p, fs)
				}
			}
		}
	}
}

// xennixPersisted are the paths the host modules persist on every impermanent host
// (defaultDirectories and defaultFiles in assets/nixos/impermanence.nix; a test keeps the two
// lists equal). Listing one again makes impermanence's module refuse the duplicate.
var xennixPersisted = []string{
	"/etc/nixos", "/etc/xen/auto", "/var/lib/nixos", "/var/lib/xen", "/var/lib/systemd",
	"/var/lib/xennix", "/var/log",
	"/etc/machine-id", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub",
	"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub",
}

// unpersistable are filesystems of every impermanent layout that are not reset, and where a
// bind mount from /persist would hide the real thing: the store, the persistent filesystem
// itself and the ESP.
var unpersistable = []string{"/nix", "/persist", "/boot"}

// network checks what netsetup cannot: that a bridge port given by MAC exists (netsetup
// is given the MAC either way), and that the host keeps an address family. The bridge,
// uplinks, bond, VLAN, MTU, addresses and DNS are netsetup's (leaves).
func (v *validator) network() {
	n := v.a.Network
	if n.IPv4.Mode == IPv4Off && n.IPv6.Mode == IPv6Off {
		v.bad("network", "both ipv4 and ipv6 are off: the host would be unreachable")
	}
}

func (v *validator) xen() {
	x := v.a.Xen
	if x.Dom0Memory != 0 && x.Dom0Memory < 512*MiB {
		v.bad("xen.dom0_memory", "%s is too little for dom0 (at least 512MiB)", x.Dom0Memory)
	}
	if x.Dom0MaxMemory != 0 && x.Dom0MaxMemory < x.Dom0Memory {
		v.bad("xen.dom0_max_memory", "%s is below dom0_memory %s", x.Dom0MaxMemory, x.Dom0Memory)
	}
	if x.Dom0VCPUs < 0 {
		v.bad("xen.dom0_vcpus", "%d is negative", x.Dom0VCPUs)
	}
	for i, c := range x.Cmdline {
		f := fmt.Sprintf("xen.cmdline[%d]", i)
		if !xenArgRE.MatchString(c) {
			v.bad(f, "%q is not a single Xen command-line parameter (no spaces or quotes)", c)
		}
		name, _, _ := strings.Cut(c, "=")
		switch name {
		case "dom0_mem", "dom0_max_vcpus":
			v.bad(f, "set %s through xen.dom0_memory / xen.dom0_vcpus instead", name)
		}
	}
	// An address is parsed where the answers are read (guests.PCIAddress), so 03:00.0 and
	// 0000:03:00.0 are one device here.
	seen := map[guests.PCIAddress]string{}
	for i, d := range x.Passthrough {
		f := fmt.Sprintf("xen.passthrough[%d]", i)
		if first, ok := seen[d]; ok {
			v.bad(f, "%s is listed twice (also %s)", d, first)
			continue
		}
		seen[d] = f
		if v.r != nil {
			dev, ok := v.r.PCIDevice(d.String())
			if !ok {
				v.bad(f, "no PCI device %s on this machine", d)
			} else if !v.r.IOMMU.Active {
				v.bad(f, "%s cannot be passed through: this machine has no active IOMMU", d)
			} else if strings.HasPrefix(dev.Class, "0600") || strings.HasPrefix(dev.Class, "0604") {
				v.bad(f, "%s is a PCI bridge: it cannot be passed through", d)
			}
		}
	}
	if v.r != nil {
		total := Size(v.r.Memory.TotalBytes)
		if x.Dom0Memory != 0 && total != 0 && x.Dom0Memory >= total {
			v.bad("xen.dom0_memory", "%s is all of this machine's memory (%s): guests would have none", x.Dom0Memory, total.Human())
		}
		if t := v.r.CPU.Threads; t > 0 && x.Dom0VCPUs > t {
			v.bad("xen.dom0_vcpus", "%d, but this machine has %d CPUs", x.Dom0VCPUs, t)
		}
		if x.IOMMU == "required" && !v.r.IOMMU.Active {
			v.bad("xen.iommu", "required, but this machine has no active IOMMU (enable VT-d / AMD-Vi in the firmware)")
		}
	}
}

func (v *validator) users() {
	u := v.a.Users
	for _, acc := range []struct {
		field string
		a     Account
	}{{"users.root", u.Root}, {"users.admin", u.Admin}} {
		if h := acc.a.HashedPassword; h != "" {
			if err := checkCryptHash(h); err != nil {
				v.bad(acc.field+".hashed_password", "%v (make one with mkpasswd, or give password to have it hashed)", err)
			}
		}
		for i, k := range acc.a.SSHKeys {
			if err := checkAuthorizedKey(k); err != nil {
				v.bad(fmt.Sprintf("%s.ssh_keys[%d]", acc.field, i), "%v", err)
			}
		}
	}
	if u.Root.Name != "" && u.Root.Name != "root" {
		v.bad("users.root.name", "the root account is always named root")
	}
	a := u.Admin
	if a.Name == "" && (a.HashedPassword != "" || len(a.SSHKeys) > 0) {
		v.bad("users.admin.name", "missing: the admin user has credentials but no name")
	}
	if a.Name != "" {
		if !userRE.MatchString(a.Name) {
			v.bad("users.admin.name", "%q is not a user name (lower case letters, digits, _ and -)", a.Name)
		} else if slices.Contains(reservedUsers, a.Name) {
			v.bad("users.admin.name", "%q is a system account", a.Name)
		}
	}
	if !v.asked("users") && !hasLogin(u.Root) && !hasLogin(u.Admin) {
		v.bad("users", "neither root nor an admin user has a password or an SSH key: nobody could log in")
	}
	if v.a.SSHEnabled() && !v.asked("users") && !v.a.canSSH(u.Root, true) && !v.a.canSSH(u.Admin, false) {
		v.bad("ssh", "SSH is on but nobody could log in by it (PermitRootLogin %s, PasswordAuthentication %t): add ssh_keys to users.root or users.admin, or set ssh.password_auth with a password", v.a.SSH.RootLogin, v.a.SSH.PasswordAuth)
	}
}

// canSSH reports whether an account could log in through the generated sshd: with a key
// (root only unless PermitRootLogin is no), or with a password only when
// PasswordAuthentication is on (root only with PermitRootLogin yes).
func (a Answers) canSSH(acc Account, root bool) bool {
	if root && a.SSH.RootLogin == "no" || !root && acc.Name == "" {
		return false
	}
	if len(acc.SSHKeys) > 0 {
		return true
	}
	return hasPassword(acc) && a.SSH.PasswordAuth && (!root || a.SSH.RootLogin == "yes")
}

func hasLogin(a Account) bool { return hasPassword(a) || len(a.SSHKeys) > 0 }

// hasPassword reports whether the account has a usable password ("!" and "*" lock it).
func hasPassword(a Account) bool {
	return a.HashedPassword != "" && a.HashedPassword != "!" && a.HashedPassword != "*"
}

// MaxFirstBootCommand bounds one first-boot command, in bytes: far more than a command line
// needs, well under what settings.nix and the journal handle comfortably.
const MaxFirstBootCommand = 64 << 10

// SSHEnabled reports whether the SSH server runs (default true).
func (a Answers) SSHEnabled() bool { return a.SSH.Enable == nil || *a.SSH.Enable }

// Reboot reports whether the installer reboots after success (default true).
func (a Answers) Reboot() bool { return a.Install.Reboot == nil || *a.Install.Reboot }

func (v *validator) install() {
	in := v.a.Install
	if in.Webhook != "" {
		u, err := url.Parse(in.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.bad("install.webhook", "%q is not an http(s) URL", in.Webhook)
		}
	}
	for i, c := range in.FirstBoot {
		f := fmt.Sprintf("install.first_boot[%d]", i)
		switch {
		case strings.TrimSpace(c) == "":
			v.bad(f, "empty command")
		case strings.ContainsRune(c, 0):
			// A NUL cannot be in a Nix string, a shell script or a command line.
			v.bad(f, "contains a NUL byte")
		case len(c) > MaxFirstBootCommand:
			v.bad(f, "%d bytes; a first-boot command may have at most %d (put a longer script in a file, e.g. with environment.etc in configuration.nix, and run that)", len(c), MaxFirstBootCommand)
		case slices.Index(in.FirstBoot, c) < i:
			// Each command runs once, known by its text (first-boot.nix): a second copy never would.
			v.bad(f, "the same command as install.first_boot[%d]: each command runs once", slices.Index(in.FirstBoot, c))
		}
	}
	for i, p := range in.ExtraPackages {
		if !pkgAttrRE.MatchString(p) {
			v.bad(fmt.Sprintf("install.extra_packages[%d]", i), "%q is not a nixpkgs attribute name (e.g. htop, python3Packages.requests)", p)
			continue
		}
		for _, part := range strings.Split(p, ".") {
			if !nixexpr.IsIdent(part) {
				v.bad(fmt.Sprintf("install.extra_packages[%d]", i), "%q is not a nixpkgs attribute name: %q is a Nix keyword", p, part)
				break
			}
		}
	}
	for i, s := range v.a.Interactive {
		if slices.Index(v.a.Interactive, s) < i {
			v.bad(fmt.Sprintf("interactive[%d]", i), "%s is listed twice", s)
		}
	}
}
