package installer

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the installer image may lack /usr/share/zoneinfo

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/nixexpr"
)

var (
	// RFC 1123 label; NixOS networking.hostName must be a single label (no dots).
	labelRE  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	keymapRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	localeRE = regexp.MustCompile(`^([a-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[a-z]+)?|C|C\.UTF-8|POSIX)$`)
	tzRE     = regexp.MustCompile(`^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$`)
	// Xen knows com1 to com4 (xen-command-line: comN), which the host modules map from ttyS0
	// to ttyS3 (assets/nixos/xen.nix asserts it).
	serialRE   = regexp.MustCompile(`^ttyS[0-3](,[0-9]{3,7}([noe][5-8])?)?$`)
	byIDRE     = regexp.MustCompile(`^/dev/disk/by-id/[A-Za-z0-9._:+@-]+$`)
	pciRE      = regexp.MustCompile(`^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$`)
	xenArgRE   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.,:=/+-]*$`)
	userRE     = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	pkgAttrRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$`)
	safePathRE = regexp.MustCompile(`^(/[A-Za-z0-9._+-]+)+$`) // as disko's: no @, which btrfs and zfs give meaning
)

// reservedUsers cannot be the admin user's name: NixOS or Xen already use them.
var reservedUsers = []string{"root", "nobody", "daemon", "bin", "sys", "sshd", "messagebus", "systemd-network", "systemd-resolve", "systemd-timesync", "nixbld", "xen"}

// Validate checks the answers and, when r is not nil, checks them against that machine. It
// returns every problem at once (see Problems), each naming its field and, for answers read
// from a file, its line and column. Sections listed in Interactive are not required to be
// complete.
func (a Answers) Validate(r *hwdetect.Report) error {
	v := &validator{a: a, r: r}
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
	case !labelRE.MatchString(h.Hostname):
		v.bad("host.hostname", "%q is not a valid host name (RFC 1123: letters, digits and inner hyphens, at most 63; put a domain in host.domain)", h.Hostname)
	}
	if h.Domain != "" && !isDomain(h.Domain) {
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

func isDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !labelRE.MatchString(l) {
			return false
		}
	}
	return true
}

// Firmware resolves boot.firmware: auto becomes what the report found (UEFI when unknown).
func (a Answers) Firmware(r *hwdetect.Report) Firmware {
	if a.Boot.Firmware != "" && a.Boot.Firmware != FirmwareAuto {
		return a.Boot.Firmware
	}
	if r != nil && r.Firmware.Mode == hwdetect.FirmwareBIOS {
		return FirmwareBIOS
	}
	return FirmwareUEFI
}

// Loader resolves boot.loader: auto becomes systemd-boot on UEFI and Limine on BIOS, the
// only loaders NixOS's Xen module accepts (nixos/modules/virtualisation/xen-dom0.nix).
func (a Answers) Loader(r *hwdetect.Report) Loader {
	if a.Boot.Loader != "" && a.Boot.Loader != LoaderAuto {
		return a.Boot.Loader
	}
	if a.Firmware(r) == FirmwareBIOS {
		return LoaderLimine
	}
	return LoaderSystemdBoot
}

func (v *validator) boot() {
	b := v.a.Boot
	if b.SecureBoot {
		v.bad("boot.secure_boot", "Xen cannot boot with Secure Boot yet (Lanzaboote has no Xen support): set it to false and turn Secure Boot off in the firmware")
	}
	fw := v.a.Firmware(v.r)
	if fw == FirmwareBIOS && v.a.Loader(v.r) == LoaderSystemdBoot {
		v.bad("boot.loader", "systemd-boot needs UEFI, and this install boots by BIOS: use limine (or auto)")
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
	for i, id := range d.IDs {
		f := fmt.Sprintf("disks.ids[%d]", i)
		if !byIDRE.MatchString(id) {
			v.bad(f, "%q is not a /dev/disk/by-id/ path (kernel names like /dev/sda change between boots)", id)
		}
		if slices.Index(d.IDs, id) < i {
			v.bad(f, "%s is listed twice", id)
		}
	}
	if len(d.IDs) > 0 && len(d.IDs) != need {
		if need == 2 && len(d.IDs) == 1 {
			v.bad("storage.mirror", "needs two disks, got 1 in disks.ids")
		} else {
			v.bad("disks.ids", "%d disks given; the %s layout uses %d", len(d.IDs), v.preset(), need)
		}
	}
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
		if _, err := v.a.SelectDisks(*v.r); err != nil {
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
	s := v.a.Storage
	p := v.preset()
	if s.Mirror && p == PresetTmpfsRoot {
		v.bad("storage.mirror", "not available with the tmpfs-root preset; use btrfs or zfs with impermanence instead")
	}
	if s.Encryption.PassphraseFile != "" && (!safePathRE.MatchString(s.Encryption.PassphraseFile) || path.Clean(s.Encryption.PassphraseFile) != s.Encryption.PassphraseFile) {
		v.bad("storage.encryption.passphrase_file", "%q is not an absolute path of plain characters without . or .. parts", s.Encryption.PassphraseFile)
	}
	if s.Encryption.PassphraseFile != "" && !s.Encryption.Enabled {
		v.bad("storage.encryption.passphrase_file", "given, but encryption is not enabled")
	}
	if s.ESPSize != 0 && s.ESPSize < 256*MiB {
		v.bad("storage.esp_size", "%s is too small: Xen, kernels and initrds of several generations need at least 256MiB (1GiB recommended)", s.ESPSize)
	}
	if s.RootSize != 0 && p != PresetLVM {
		v.bad("storage.root_size", "only used by the lvm preset, not %s", p)
	}
	if s.RootSize != 0 && s.RootSize < 8*GiB {
		v.bad("storage.root_size", "%s is too small for a NixOS root (at least 8GiB)", s.RootSize)
	}
	if s.TmpfsSize != 0 && p != PresetTmpfsRoot {
		v.bad("storage.tmpfs_size", "only used by the tmpfs-root preset, not %s", p)
	}
	if s.Swap != 0 && s.Swap < 64*MiB {
		v.bad("storage.swap", "%s is too small to be useful (0 for no swap)", s.Swap)
	}
	g := s.Guests
	switch v.a.GuestKind() {
	case GuestThinPool:
		if p != PresetLVM {
			v.bad("storage.guests.kind", "thin-pool needs the lvm preset, not %s", p)
		}
	case GuestZvol:
		if p != PresetZFS {
			v.bad("storage.guests.kind", "zvol needs the zfs preset, not %s", p)
		}
	}
	if g.Path != "" && (!safePathRE.MatchString(g.Path) || path.Clean(g.Path) != g.Path) {
		v.bad("storage.guests.path", "%q is not a clean absolute path", g.Path)
	}
	if g.Path != "" && v.a.GuestKind() != GuestDirectory {
		v.bad("storage.guests.path", "only used with kind directory")
	}
	if g.Size != 0 && (v.a.GuestKind() != GuestDirectory || p != PresetLVM) {
		v.bad("storage.guests.size", "a dedicated guest volume needs kind directory on the lvm preset")
	}
	if v.r != nil {
		if disks, err := v.a.SelectDisks(*v.r); err == nil {
			min := v.minDiskSize()
			for _, d := range disks {
				if Size(d.SizeBytes) < min {
					v.bad("disks", "%s (%s) is %s; the %s layout needs at least %s", d.ByID, d.Name, Size(d.SizeBytes).Human(), p, min.Human())
				}
			}
		}
	}
}

// minDiskSize is a floor below which a layout cannot hold a NixOS dom0 with room to update.
func (v *validator) minDiskSize() Size {
	s := v.a.Storage
	esp := s.ESPSize
	if esp == 0 {
		esp = GiB
	}
	base := 16 * GiB
	if v.preset() == PresetLVM {
		root := s.RootSize
		if root == 0 {
			root = 64 * GiB
		}
		base = root + 4*GiB
	}
	return esp + s.Swap + base
}

func (v *validator) impermanence() {
	im := v.a.Impermanence
	p := v.preset()
	want := map[ImpermanencePreset]Preset{ImpermanenceTmpfs: PresetTmpfsRoot, ImpermanenceBtrfs: PresetBtrfs, ImpermanenceZFS: PresetZFS}
	if need, ok := want[im.Preset]; ok && need != p {
		v.bad("impermanence.preset", "%s needs storage.preset %s, not %s", im.Preset, need, p)
	}
	if p == PresetTmpfsRoot && im.Preset != ImpermanenceTmpfs && !v.asked("impermanence") {
		v.bad("impermanence.preset", "storage.preset tmpfs-root loses / at every boot: it needs impermanence.preset tmpfs")
	}
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

func (v *validator) network() {
	n := v.a.Network
	ifname := func(field, name string) {
		if !isIfName(name) {
			v.bad(field, "%q is not an interface name (up to 15 letters, digits, '-', '_' or '.', not starting with '-' or '.')", name)
		}
	}
	if n.Bridge != "" {
		ifname("network.bridge", n.Bridge)
	}
	port := func(field, s string) {
		if _, err := net.ParseMAC(s); err == nil {
			if v.r != nil {
				if _, ok := v.r.NICByMAC(s); !ok {
					v.bad(field, "no network interface has MAC %s on this machine", s)
				}
			}
			return
		}
		ifname(field, s)
		if v.r != nil && isIfName(s) {
			if nic, ok := v.r.NIC(s); !ok {
				v.bad(field, "no network interface %s on this machine (have: %s)", s, nicNames(v.r))
			} else if nic.Wireless {
				v.bad(field, "%s is wireless: a Wi-Fi interface cannot be a bridge port", s)
			}
		}
	}
	seen := map[string]string{}
	dup := func(field, s string) {
		k := strings.ToLower(s)
		if first, ok := seen[k]; ok {
			v.bad(field, "%s is already used in %s", s, first)
		}
		seen[k] = field
	}
	for i, u := range n.Uplinks {
		f := fmt.Sprintf("network.uplinks[%d]", i)
		port(f, u)
		dup(f, u)
	}
	if b := n.Bond; b != nil {
		if len(n.Uplinks) > 0 {
			v.bad("network.bond", "give uplinks or a bond, not both (the bond is the bridge's uplink)")
		}
		if b.Name != "" {
			ifname("network.bond.name", b.Name)
		}
		if len(b.Members) < 2 {
			v.bad("network.bond.members", "a bond needs at least two members, got %d", len(b.Members))
		}
		for i, m := range b.Members {
			f := fmt.Sprintf("network.bond.members[%d]", i)
			port(f, m)
			dup(f, m)
		}
		if b.MIIMon < 0 {
			v.bad("network.bond.miimon", "%d is negative", b.MIIMon)
		}
		if b.LACPRate != "" && b.LACPRate != "slow" && b.LACPRate != "fast" {
			v.bad("network.bond.lacp_rate", "%q is not one of slow, fast", b.LACPRate)
		}
		if b.LACPRate != "" && b.Mode != "802.3ad" {
			v.bad("network.bond.lacp_rate", "only used with mode 802.3ad")
		}
	}
	if n.VLAN < 0 || n.VLAN > 4094 {
		v.bad("network.vlan", "%d is not a VLAN id (1-4094, or 0 for none)", n.VLAN)
	}
	if n.MTU != 0 && (n.MTU < 1280 || n.MTU > 9216) {
		v.bad("network.mtu", "%d is outside 1280-9216", n.MTU)
	}
	v.ipConfig("network.ipv4", n.IPv4.Mode == IPv4Static, n.IPv4.Address, n.IPv4.Gateway, true)
	v.ipConfig("network.ipv6", n.IPv6.Mode == IPv6Static, n.IPv6.Address, n.IPv6.Gateway, false)
	if n.IPv4.Mode == IPv4Off && n.IPv6.Mode == IPv6Off {
		v.bad("network", "both ipv4 and ipv6 are off: the host would be unreachable")
	}
	for i, s := range n.Search {
		if !isDomain(s) {
			v.bad(fmt.Sprintf("network.search[%d]", i), "%q is not a DNS domain", s)
		}
	}
	for i, d := range n.DNS {
		if d.IsUnspecified() || d.IsMulticast() {
			v.bad(fmt.Sprintf("network.dns[%d]", i), "%s cannot be a DNS server", d)
		}
	}
}

func (v *validator) ipConfig(field string, static bool, addr netip.Prefix, gw netip.Addr, is4 bool) {
	if !static {
		if addr.IsValid() {
			v.bad(field+".address", "only used with mode static")
		}
		if gw.IsValid() {
			v.bad(field+".gateway", "only used with mode static")
		}
		return
	}
	family := "IPv6"
	if is4 {
		family = "IPv4"
	}
	if !addr.IsValid() {
		v.bad(field+".address", "missing; mode static needs an %s address with prefix length", family)
		return
	}
	if addr.Addr().Is4() != is4 {
		v.bad(field+".address", "%s is not an %s address", addr, family)
		return
	}
	if addr.Addr() == addr.Masked().Addr() && addr.Bits() < addr.Addr().BitLen()-1 && is4 {
		v.bad(field+".address", "%s is the network address of its subnet, not a host address", addr)
	}
	if gw.IsValid() {
		switch {
		case gw.Is4() != is4:
			v.bad(field+".gateway", "%s is not an %s address", gw, family)
		case gw == addr.Addr():
			v.bad(field+".gateway", "%s is the host's own address", gw)
		case !addr.Masked().Contains(gw) && !(gw.Is6() && gw.IsLinkLocalUnicast()):
			v.bad(field+".gateway", "%s is outside %s", gw, addr.Masked())
		}
	}
}

// ifNameRE is netsetup's rule for interface names (netsetup/validate.go): a name also
// lands in systemd [Match] Name=, which takes globs and a leading '!' (systemd.network(5)),
// so only plain characters pass, with or without the machine.
var ifNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$`)

func isIfName(s string) bool {
	return ifNameRE.MatchString(s) && s != "." && s != ".."
}

func nicNames(r *hwdetect.Report) string {
	var names []string
	for _, n := range r.NICs {
		names = append(names, n.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
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
	for i, d := range x.Passthrough {
		f := fmt.Sprintf("xen.passthrough[%d]", i)
		if !pciRE.MatchString(d) {
			v.bad(f, "%q is not a PCI address (want e.g. 0000:03:00.0)", d)
			continue
		}
		if slices.Index(x.Passthrough, d) < i {
			v.bad(f, "%s is listed twice", d)
		}
		if v.r != nil {
			dev, ok := v.r.PCIDevice(d)
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

// leaves runs the checks of disko and netsetup on what the answers convert to, so that a
// layout or network those packages would refuse is refused here, at the answers' lines.
func (v *validator) leaves() {
	if v.r == nil {
		v.formLeaves()
		return
	}
	v.leafProblems("network", v.a.NetConfig(v.r).ValidateFor(netNICs(*v.r)))
	disks, err := v.a.SelectDisks(*v.r)
	if err != nil {
		return // already reported by disks()
	}
	v.leafProblems("storage", v.a.DiskoLayout(disks, v.r).Validate())
}
