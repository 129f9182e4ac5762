package hwdetect

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// PCI devices are read from sysfs directly rather than through ghw's pci package: ghw
// fails outright without a pci.ids database, and looks for it in the chroot and the
// network. Names are an extra here; numeric IDs always work.

// pciClasses names PCI base classes and the subclasses an operator cares about (PCI
// Code and ID Assignment Specification, rev. 1.15, chapter 1; also the "C" section of
// pci.ids).
var pciClasses = map[string]string{
	"00":   "Unclassified device",
	"01":   "Mass storage controller",
	"0100": "SCSI storage controller",
	"0101": "IDE interface",
	"0104": "RAID bus controller",
	"0105": "ATA controller",
	"0106": "SATA controller",
	"0107": "Serial Attached SCSI controller",
	"0108": "Non-Volatile memory controller",
	"02":   "Network controller",
	"0200": "Ethernet controller",
	"0207": "InfiniBand controller",
	"0280": "Network controller",
	"03":   "Display controller",
	"0300": "VGA compatible controller",
	"0302": "3D controller",
	"04":   "Multimedia controller",
	"0403": "Audio device",
	"05":   "Memory controller",
	"06":   "Bridge",
	"0600": "Host bridge",
	"0601": "ISA bridge",
	"0604": "PCI bridge",
	"0680": "Bridge",
	"07":   "Communication controller",
	"0700": "Serial controller",
	"08":   "Generic system peripheral",
	"0806": "IOMMU",
	"09":   "Input device controller",
	"0a":   "Docking station",
	"0b":   "Processor",
	"0c":   "Serial bus controller",
	"0c03": "USB controller",
	"0c04": "Fibre Channel",
	"0c05": "SMBus",
	"0d":   "Wireless controller",
	"0e":   "Intelligent controller",
	"0f":   "Satellite communications controller",
	"10":   "Encryption controller",
	"11":   "Signal processing controller",
	"12":   "Processing accelerators",
	"13":   "Non-Essential Instrumentation",
	"40":   "Coprocessor",
	"ff":   "Unassigned class",
}

// pciClassName names a six-digit class code by subclass, else by base class.
func pciClassName(class string) string {
	if len(class) < 4 {
		return ""
	}
	if n, ok := pciClasses[class[:4]]; ok {
		return n
	}
	return pciClasses[class[:2]]
}

func (s *scanner) pci() []PCIDevice {
	const dir = "sys/bus/pci/devices"
	var out []PCIDevice
	for _, addr := range s.readDir(dir, optional) {
		base := dir + "/" + addr
		d := PCIDevice{Address: addr, IOMMUGroup: -1}
		// class is 0xCCSSPP, vendor and device 0xVVVV (Documentation/ABI/testing/sysfs-bus-pci).
		d.Class = hexID(s, base+"/class", 6)
		d.ClassName = pciClassName(d.Class)
		d.VendorID = hexID(s, base+"/vendor", 4)
		d.DeviceID = hexID(s, base+"/device", 4)
		d.Driver = s.linkBase(base + "/driver")
		if g := s.linkBase(base + "/iommu_group"); g != "" {
			if n, err := strconv.Atoi(g); err == nil && n >= 0 {
				d.IOMMUGroup = n
			} else {
				s.problem(base+"/iommu_group", "link to %s, want a group number", quoteShort(g))
			}
		}
		out = append(out, d)
	}
	s.namePCI(out)
	return out
}

// hexID reads a 0x-prefixed hex attribute as exactly digits lower-case hex digits.
func hexID(s *scanner, rel string, digits int) string {
	v, ok := s.readString(rel, required)
	if !ok {
		return ""
	}
	h := strings.ToLower(strings.TrimPrefix(v, "0x"))
	if _, err := strconv.ParseUint(h, 16, 32); err != nil || len(h) != digits {
		s.problem(rel, "want 0x and %d hex digits, got %s", digits, quoteShort(v))
		return ""
	}
	return h
}

// pciIDsPath finds pci.ids: the option, $PCIDB_PATH (as ghw's pcidb), then the paths
// Debian (/usr/share/misc) and Fedora/Arch (/usr/share/hwdata) use under root. NixOS has
// neither; the installer image sets PCIDB_PATH to hwdata's.
func (s *scanner) pciIDsPath() string {
	if s.opts.PCIIDs == "-" {
		return ""
	}
	cands := []string{s.opts.PCIIDs, os.Getenv("PCIDB_PATH"),
		s.abs("usr/share/hwdata/pci.ids"), s.abs("usr/share/misc/pci.ids")}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

func (s *scanner) namePCI(devs []PCIDevice) {
	if len(devs) == 0 {
		return
	}
	p := s.pciIDsPath()
	if p == "" {
		return
	}
	want := map[string]bool{}
	for _, d := range devs {
		want[d.VendorID] = true
	}
	f, err := os.Open(p)
	if err != nil {
		s.note("pci.ids %s: %s", filepath.Base(p), errText(err))
		return
	}
	defer f.Close()
	ids, err := parsePCIIDs(f, want)
	if err != nil {
		s.note("pci.ids %s: %v", filepath.Base(p), err)
	}
	for i := range devs {
		d := &devs[i]
		d.VendorName = ids.Vendors[d.VendorID]
		d.DeviceName = ids.Devices[d.VendorID+":"+d.DeviceID]
	}
}
