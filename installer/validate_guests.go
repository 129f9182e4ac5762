package installer

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/xennix/xennix/disko"
	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
)

var (
	uuidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	cpusRE   = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)
	volumeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	vdevRE   = regexp.MustCompile(`^(xvd|hd|sd)[a-z]{1,2}$`)
)

// minGuestMemory is the least memory a guest is given: below it no Linux boots.
const minGuestMemory = 64 * MiB

// guests checks the guests section: each guest on its own, the names, MACs and PCI devices
// across guests, and with a hardware report that the devices exist and are free and that
// the guests' memory and vCPUs fit beside dom0.
func (v *validator) guests() {
	names := map[string]int{}
	macs := map[string]string{}
	addrs := map[netip.Addr]string{}
	pcis := map[guests.PCIAddress]string{}
	for i, g := range v.a.Guests {
		f := fmt.Sprintf("guests[%d]", i)
		switch {
		case g.Name == "":
			v.bad(f+".name", "missing; want a name like web")
		case !guests.ValidName(g.Name):
			v.bad(f+".name", "%q is not a guest name (one lower-case DNS label: a-z, 0-9 and inner -, at most 63)", g.Name)
		default:
			if j, dup := names[g.Name]; dup {
				v.bad(f+".name", "%s is defined twice (first as guests[%d])", g.Name, j)
			} else {
				names[g.Name] = i
			}
		}
		v.guest(f, g)
		for j, n := range g.Network {
			if n.MAC.IsZero() {
				continue
			}
			nf := fmt.Sprintf("%s.network[%d].mac", f, j)
			if other, dup := macs[n.MAC.String()]; dup {
				v.bad(nf, "%s is also %s", n.MAC, other)
			}
			macs[n.MAC.String()] = nf
		}
		// Two guests with one static address would fight over it on the bridge (ARP).
		for j, n := range g.Network {
			if a := n.IPv4.Address.Addr(); n.IPv4.Address.IsValid() {
				af := fmt.Sprintf("%s.network[%d].ipv4.address", f, j)
				if other, dup := addrs[a]; dup {
					v.bad(af, "%s is also %s's address", a, other)
				} else {
					addrs[a] = g.Name
				}
			}
		}
		for j, p := range g.PCI {
			pf := fmt.Sprintf("%s.pci[%d]", f, j)
			if other, dup := pcis[p]; dup {
				v.bad(pf, "%s is also given to %s: a device can be passed to one guest only", p, other)
			}
			pcis[p] = f + " (" + g.Name + ")"
		}
	}
	for i, g := range v.a.Guests {
		for j, a := range g.After {
			if _, ok := names[a]; !ok || a == g.Name {
				v.bad(fmt.Sprintf("guests[%d].after[%d]", i, j), "%q is not another guest of this section", a)
			}
		}
	}
	v.guestsFit()
}

func (v *validator) guest(f string, g Guest) {
	kind := g.Kind
	if kind == "" {
		kind = guests.KindNixOS
	}
	if g.UUID != "" && !uuidRE.MatchString(g.UUID) {
		v.bad(f+".uuid", "%q is not a lower-case UUID like 212f4fa2-02e9-50af-ac41-fbd56f887cc7", g.UUID)
	}
	if g.Memory != 0 && g.Memory < minGuestMemory {
		v.bad(f+".memory", "%s is too little for a guest (at least %s)", g.Memory, minGuestMemory)
	}
	if g.Memory%MiB != 0 {
		v.bad(f+".memory", "%s is not a whole number of MiB", g.Memory)
	}
	mem := g.Memory
	if mem == 0 {
		mem = GiB
	}
	if g.MaxMemory != 0 && g.MaxMemory < mem {
		v.bad(f+".max_memory", "%s is below memory %s", g.MaxMemory, mem)
	}
	if g.MaxMemory%MiB != 0 {
		v.bad(f+".max_memory", "%s is not a whole number of MiB", g.MaxMemory)
	}
	if g.VCPUs < 0 {
		v.bad(f+".vcpus", "%d is negative", g.VCPUs)
	}
	if g.CPUs != "" && !cpusRE.MatchString(g.CPUs) {
		v.bad(f+".cpus", "%q is not a CPU list like 2-5 or 1,3", g.CPUs)
	}
	if g.ShutdownTimeout < 0 {
		v.bad(f+".shutdown_timeout", "%d is negative", g.ShutdownTimeout)
	}
	typ := g.Type
	switch kind {
	case guests.KindISO:
		if g.ISO == "" {
			v.bad(f+".iso", "missing: kind iso boots an installer ISO; give its path, e.g. /var/lib/xen/iso/debian.iso")
		}
	case guests.KindImage:
		if len(g.Disks) == 0 {
			v.bad(f+".disks", "missing: kind image boots from an existing disk; give at least one target")
		}
	}
	if kind != guests.KindNixOS {
		if typ != "" && typ != guests.TypeHVM {
			v.bad(f+".type", "%s: kind %s guests run their own boot loader, which needs hvm", typ, kind)
		}
		typ = guests.TypeHVM
		if len(g.SSHKeys) > 0 {
			v.bad(f+".ssh_keys", "only NixOS guests are configured by XenNix; put the keys into the %s guest's own system", kind)
		}
	}
	if len(g.PCI) > 0 && typ == guests.TypePVH {
		v.bad(f+".type", "pvh guests cannot have PCI devices (Xen passes devices to pv and hvm guests only); use hvm or drop pci")
	}
	if typ == "" && len(g.PCI) > 0 {
		typ = guests.TypeHVM
	}
	if v.r != nil && !v.r.CPU.HVM() && (typ == guests.TypeHVM || (typ == guests.TypePVH && g.Type != "")) {
		v.bad(f+".type", "%s needs hardware virtualisation (VT-x or AMD-V), which this machine does not offer; use pv", typ)
	}
	if g.ISO != "" {
		if err := checkHostPath(g.ISO); err != nil {
			v.bad(f+".iso", "%v", err)
		} else if typ != guests.TypeHVM {
			// An ISO is an emulated CD-ROM, which only an HVM guest's device model has: a
			// PVH or PV NixOS guest would start without it, or not at all.
			t := string(typ)
			if t == "" {
				t = "pvh (the default)"
			}
			v.bad(f+".iso", "an ISO is a CD-ROM of an hvm guest; this %s guest is %s: set type: hvm, or remove iso", kind, t)
		}
	}
	for i, k := range g.SSHKeys {
		if err := checkAuthorizedKey(k); err != nil {
			v.bad(fmt.Sprintf("%s.ssh_keys[%d]", f, i), "%v", err)
		}
	}
	if g.VNC != nil && g.VNC.Listen.IsValid() && g.VNC.Listen.Zone() != "" {
		v.bad(f+".vnc.listen", "%s: an address with a zone cannot be listened on by QEMU's VNC", g.VNC.Listen)
	}
	vdevs := map[string]bool{}
	for i, d := range g.Disks {
		v.guestDisk(fmt.Sprintf("%s.disks[%d]", f, i), d)
		if d.VDev != "" {
			if vdevs[d.VDev] {
				v.bad(fmt.Sprintf("%s.disks[%d].vdev", f, i), "%s is used by another disk of this guest", d.VDev)
			}
			vdevs[d.VDev] = true
		}
	}
	if g.NoNetwork && len(g.Network) > 0 {
		v.bad(f+".no_network", "set, but network lists interfaces")
	}
	for i, n := range g.Network {
		nf := fmt.Sprintf("%s.network[%d]", f, i)
		if n.Bridge != "" {
			if err := netsetup.CheckIfName(n.Bridge); err != nil {
				v.bad(nf+".bridge", "%v", err)
			}
		}
		if n.VLAN != 0 {
			if err := netsetup.CheckVLAN(n.VLAN); err != nil {
				v.bad(nf+".vlan", "%v", err)
			}
		}
		// A guest's static address follows the host's own rules (netsetup's); without
		// one the guest takes DHCP, and a gateway alone means nothing.
		addr, gw := n.IPv4.Address, n.IPv4.Gateway
		switch {
		case addr.IsValid():
			v.fieldErrors(netsetup.CheckStaticIPv4(nf+".ipv4", "the guest's own address", "its address", addr, gw))
		case gw.IsValid():
			v.bad(nf+".ipv4.gateway", "given without ipv4.address")
		}
		if addr.IsValid() && v.a.Network.IPv4.Address.IsValid() && v.a.Network.IPv4.Address.Addr() == addr.Addr() {
			v.bad(nf+".ipv4.address", "%s is the host's own address (network.ipv4.address)", addr.Addr())
		}
	}
	v.guestPCI(f, g)
	v.guestExtraConfig(f, g)
}

// guestExtraConfig checks the free xl.cfg keys: each key as xl reads keys and not one the
// guest's unit depends on, each value one the module's xl writer can print.
func (v *validator) guestExtraConfig(f string, g Guest) {
	keys := make([]string, 0, len(g.ExtraConfig))
	for k := range g.ExtraConfig {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kf := mapKeyPath(f+".extra_config", k)
		if err := guests.CheckXLKey(k); err != nil {
			v.bad(kf, "%v", err)
			continue
		}
		if err := g.ExtraConfig[k].Check(); err != nil {
			v.bad(kf, "%v", err)
		}
	}
}

// checkHostPath accepts an absolute, clean path on the host with no control characters.
func checkHostPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q is not an absolute path", p)
	case path.Clean(p) != p:
		return fmt.Errorf("%q is not a clean path (no //, /./, /../ or trailing /)", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%q contains control characters", p)
	}
	return nil
}

func (v *validator) guestDisk(f string, d GuestDisk) {
	switch {
	case d.Target == "" && d.Volume == "":
		v.bad(f, "give target (an existing file or /dev/disk/by-id/ disk) or volume (a new volume) and size")
		return
	case d.Target != "" && d.Volume != "":
		v.bad(f, "give target or volume, not both")
		return
	}
	if d.VDev != "" && !vdevRE.MatchString(d.VDev) {
		v.bad(f+".vdev", "%q is not a guest device name like xvdb", d.VDev)
	}
	if d.Volume != "" {
		if !volumeRE.MatchString(d.Volume) {
			v.bad(f+".volume", "%q is not a volume name (a-z, 0-9, _ and -, starting with a letter or digit)", d.Volume)
		}
		switch {
		case d.Size == 0:
			v.bad(f+".size", "missing: a new volume needs a size, e.g. 20GiB")
		case d.Size%KiB != 0:
			v.bad(f+".size", "%s is not a whole number of KiB", d.Size)
		}
		if v.a.GuestKind() == GuestNone {
			v.bad(f+".volume", "storage.guests.kind is none: there is nowhere to create volumes; give a target instead")
		}
		return
	}
	if d.Size != 0 {
		v.bad(f+".size", "only a new volume has a size; a target is used as it is")
	}
	if err := checkHostPath(d.Target); err != nil {
		v.bad(f+".target", "%v", err)
		return
	}
	if !strings.HasPrefix(d.Target, "/dev/") {
		return // a disk image file
	}
	if !disko.IsDiskID(d.Target) {
		v.bad(f+".target", "%q: give a whole disk by a stable /dev/disk/by-id/ path (names like /dev/sdb change between boots)", d.Target)
		return
	}
	if v.r == nil {
		return
	}
	disk, ok := v.r.DiskByID(d.Target)
	switch {
	case !ok:
		v.bad(f+".target", "no disk %s on this machine", d.Target)
	case disk.InstallerMedium:
		v.bad(f+".target", "%s is the installer medium", d.Target)
	case v.hostDisk(disk.Name):
		v.bad(f+".target", "%s is one of the host's own disks (disks)", d.Target)
	case disk.Mounted:
		v.bad(f+".target", "%s is in use on this machine (mounted, swap or stacked)", d.Target)
	}
}

// hostDisk reports whether the disk named name is one the host is (or will be) installed on.
func (v *validator) hostDisk(name string) bool {
	disks, err := v.targetDisks()
	if err != nil {
		return false
	}
	return slices.ContainsFunc(disks, func(d hwdetect.Disk) bool { return d.Name == name })
}

func (v *validator) guestPCI(f string, g Guest) {
	if v.r == nil {
		return
	}
	used := v.hostPCI()
	for i, p := range g.PCI {
		pf := fmt.Sprintf("%s.pci[%d]", f, i)
		dev, ok := v.r.PCIDevice(p.String())
		switch {
		case !ok:
			v.bad(pf, "no PCI device %s on this machine", p)
		case !v.r.IOMMU.Active:
			v.bad(pf, "%s cannot be passed through: this machine has no active IOMMU (enable VT-d / AMD-Vi in the firmware)", p)
		case dev.IOMMUGroup < 0 && v.r.IOMMU.Source != "xl-info":
			v.bad(pf, "%s is in no IOMMU group, so it cannot be isolated for a guest", p)
		case strings.HasPrefix(dev.Class, "0600") || strings.HasPrefix(dev.Class, "0604"):
			v.bad(pf, "%s is a PCI bridge: it cannot be passed through", p)
		case used[p.String()] != "":
			v.bad(pf, "%s is used by the host: %s", p, used[p.String()])
		}
	}
}

// hostPCI names the PCI functions the host itself needs: the NICs of its uplinks.
func (v *validator) hostPCI() map[string]string {
	out := map[string]string{}
	c, _ := v.netOnMachine() // a network that does not convert is reported by leaves
	for _, u := range c.Uplinks {
		if n, ok := v.r.NIC(u.Name); ok && n.PCIAddress != "" {
			if p, err := guests.ParsePCIAddress(n.PCIAddress); err == nil {
				out[p.String()] = "the network uplink " + u.Name
			}
		}
	}
	return out
}

// guestsFit checks, against the machine, that the guests that start with the host fit
// beside dom0 in memory, and that no guest has more vCPUs than the machine has CPUs.
func (v *validator) guestsFit() {
	if v.r == nil {
		return
	}
	var sum Size
	last := ""
	for i, g := range v.a.Guests {
		f := fmt.Sprintf("guests[%d]", i)
		if t := v.r.CPU.Threads; t > 0 && g.VCPUs > t {
			v.bad(f+".vcpus", "%d, but this machine has %d CPUs", g.VCPUs, t)
		}
		if !boolOr(g.Enable, true) || !boolOr(g.Autostart, true) {
			continue
		}
		m := g.Memory
		if m == 0 {
			m = GiB
		}
		sum += m
		last = f + ".memory"
	}
	total := Size(v.r.Memory.TotalBytes)
	if total == 0 || last == "" {
		return
	}
	dom0 := v.a.dom0Memory(v.r)
	if sum+dom0 > total {
		v.bad(last, "the guests that start with the host need %s, dom0 %s: more than this machine's %s", sum.Human(), dom0.Human(), total.Human())
	}
}

// fieldErrors adds a leaf's problems that are already at answers fields.
func (v *validator) fieldErrors(err error) {
	for _, e := range splitErrors(err) {
		var fe *netsetup.FieldError
		if errors.As(e, &fe) {
			v.bad(fe.Field, "%s", fe.Msg)
		} else {
			v.bad("", "%v", e)
		}
	}
}
