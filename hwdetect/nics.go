package hwdetect

import (
	"path"
	"regexp"
	"sort"
	"strings"
)

// NICs are read from sysfs directly rather than through ghw's net package: ghw blanks
// the MAC of any interface whose address is not the permanent one (we need the current
// address to match answers files), runs the ethtool binary unless told not to, and
// reads neither carrier nor driver nor the wireless flag.

// pciAddr matches a PCI function address, domain:bus:device.function.
var pciAddr = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)

var virtioDev = regexp.MustCompile(`^virtio\d+$`)

func (s *scanner) nics() []NIC {
	var out []NIC
	for _, name := range s.readDir("sys/class/net", required) {
		// bonding_masters is a file, not an interface (Documentation/networking/bonding.rst).
		if name == "lo" || name == "bonding_masters" {
			continue
		}
		out = append(out, s.nic(name))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Virtual != out[j].Virtual {
			return !out[i].Virtual
		}
		return naturalLess(out[i].Name, out[j].Name)
	})
	return out
}

// nic reads /sys/class/net/<name> (Documentation/ABI/testing/sysfs-class-net).
func (s *scanner) nic(name string) NIC {
	base := "sys/class/net/" + name
	n := NIC{Name: name}
	n.MAC, _ = s.readString(base+"/address", required)
	// addr_assign_type 0 is NET_ADDR_PERM: the address is the one burned into the device
	// (include/uapi/linux/netdevice.h). Otherwise it was randomised, stolen (bond,
	// bridge) or set, and sysfs has no copy of the permanent address.
	if t, ok := s.readString(base+"/addr_assign_type", optional); ok && t == "0" {
		n.PermanentMAC = n.MAC
	}
	// An interface backed by hardware has a device link; virtual ones (bridges, bonds,
	// veth, tun) live under /sys/devices/virtual/net.
	devPath := ""
	if s.exists(base + "/device") {
		devPath, _ = s.resolve(base + "/device")
	}
	ifPath, _ := s.resolve(base)
	n.Virtual = devPath == "" || strings.HasPrefix(ifPath, "sys/devices/virtual/")
	if devPath != "" {
		n.Driver = s.linkBase(base + "/device/driver")
		// Xen netback interfaces (vifD.N) hang on a xenbus backend device, but are
		// guests' virtual NICs (drivers/net/xen-netback/xenbus.c).
		if n.Driver == "vif" || strings.HasPrefix(path.Base(devPath), "vif-") {
			n.Virtual = true
		}
		n.PCIAddress = pciAddressOf(devPath)
	}
	// carrier, speed and duplex fail with EINVAL while the interface is down
	// (net/core/net-sysfs.c): that is "no link", not a problem.
	n.Carrier = s.readFlag(base+"/carrier", optional)
	if sp, ok := s.readInt(base+"/speed", optional); ok && sp > 0 && sp < 1<<31 {
		n.SpeedMbps = int(sp)
	}
	if dp, ok := s.readString(base+"/duplex", optional); ok && (dp == "full" || dp == "half") {
		n.Duplex = dp
	}
	// cfg80211 adds a phy80211 link (and the wireless directory for wext) to wireless
	// interfaces (net/wireless/core.c, net/core/net-sysfs.c).
	n.Wireless = s.exists(base+"/phy80211") || s.exists(base+"/wireless")
	return n
}

// pciAddressOf returns the PCI address of a device path: its own name, or for a virtio
// device its parent's (virtio-pci creates virtioN below the PCI function).
func pciAddressOf(devPath string) string {
	b := path.Base(devPath)
	if pciAddr.MatchString(b) {
		return b
	}
	if virtioDev.MatchString(b) {
		if p := path.Base(path.Dir(devPath)); pciAddr.MatchString(p) {
			return p
		}
	}
	return ""
}
