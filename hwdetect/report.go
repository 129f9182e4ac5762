package hwdetect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// ReportVersion is the version of the JSON document that Report marshals to.
// Load accepts documents up to this version; fields are only ever added.
const ReportVersion = 1

// ErrUnsupportedVersion is returned by Load for a report written by a newer xennix.
var ErrUnsupportedVersion = errors.New("unsupported hardware report version")

// Report is everything Scan found out about a machine. Its JSON form (see README.md) is
// what `xennix probe --json` prints and what `xennix validate --hardware` reads back with
// Load; field names are stable.
type Report struct {
	// Version is ReportVersion at the time of the scan.
	Version    int        `json:"version"`
	Firmware   Firmware   `json:"firmware"`
	CPU        CPU        `json:"cpu"`
	IOMMU      IOMMU      `json:"iommu"`
	Hypervisor Hypervisor `json:"hypervisor"`
	// HypervisorVendor names the hypervisor when Hypervisor is not none, as far as it is
	// known: "Xen", or the DMI system vendor of a virtual machine ("QEMU", "VMware, Inc.").
	HypervisorVendor string `json:"hypervisor_vendor"`
	// Xen is the `xl info` of a running dom0, nil elsewhere.
	Xen      *XenInfo    `json:"xen,omitempty"`
	Memory   Memory      `json:"memory"`
	Disks    []Disk      `json:"disks"`
	NICs     []NIC       `json:"nics"`
	PCI      []PCIDevice `json:"pci"`
	Warnings []string    `json:"warnings"`
}

// Firmware describes how the machine booted.
type Firmware struct {
	// Mode is "uefi" when /sys/firmware/efi exists, else "bios".
	Mode string `json:"mode"`
	// SecureBoot is true when the SecureBoot EFI variable is 1.
	SecureBoot bool `json:"secure_boot"`
	// SetupMode is true when the SetupMode EFI variable is 1 (no platform key enrolled).
	SetupMode bool `json:"setup_mode"`
	// PlatformBits is 64 or 32 from /sys/firmware/efi/fw_platform_size, 0 on BIOS.
	PlatformBits int `json:"platform_bits"`
}

// Firmware modes.
const (
	FirmwareUEFI = "uefi"
	FirmwareBIOS = "bios"
)

// CPU describes the processors and their virtualisation support.
type CPU struct {
	// Vendor is the CPUID vendor string, e.g. "GenuineIntel" or "AuthenticAMD".
	Vendor string `json:"vendor"`
	// Model is the marketing name, e.g. "AMD Ryzen 9 7950X 16-Core Processor".
	Model string `json:"model"`
	// Sockets, Cores and Threads count packages, physical cores and logical CPUs.
	Sockets int `json:"sockets"`
	Cores   int `json:"cores"`
	Threads int `json:"threads"`
	// Virtualization is "vmx" (Intel VT-x), "svm" (AMD-V) or "" when the CPU has none or
	// the firmware disabled it. In a Xen dom0 it comes from `xl info` (dom0 does not see
	// the flags): "hvm" when Xen reports it.
	Virtualization string `json:"virtualization"`
	// SLAT is "ept" (Intel), "npt" (AMD), "hap" (reported by Xen) or "": second-level
	// address translation, which HVM guests need to run fast.
	SLAT string `json:"slat"`
}

// HVM reports whether the machine can run hardware-virtualised (HVM/PVH) guests.
func (c CPU) HVM() bool { return c.Virtualization != "" }

// IOMMU describes the DMA remapping hardware that PCI passthrough needs.
type IOMMU struct {
	// Active is the conclusion: an IOMMU is present and usable. Outside Xen that means the
	// kernel registered an IOMMU and created IOMMU groups; in a dom0 it means `xl info`
	// virt_caps contains hvm_directio.
	Active bool `json:"active"`
	// Source is "sysfs" or "xl-info": where Active came from.
	Source string `json:"source"`
	// Kernel lists the IOMMUs the running kernel registered (/sys/class/iommu: dmar0, ivhd0).
	Kernel []string `json:"kernel_iommus"`
	// Groups counts /sys/kernel/iommu_groups.
	Groups int `json:"groups"`
	// ACPIDMAR and ACPIIVRS report the firmware's ACPI tables for Intel VT-d and AMD-Vi.
	// Xen hides DMAR from dom0, so in a dom0 they are usually false.
	ACPIDMAR bool `json:"acpi_dmar"`
	ACPIIVRS bool `json:"acpi_ivrs"`
}

// Hypervisor says whether the scanned system runs on a hypervisor. Its values are the
// Hypervisor* constants; it marshals as that string.
type Hypervisor string

// Hypervisor values.
const (
	HypervisorNone    Hypervisor = "none"
	HypervisorXenDom0 Hypervisor = "xen-dom0"
	HypervisorXenDomU Hypervisor = "xen-domu"
	HypervisorOtherVM Hypervisor = "other-vm"
)

// String returns the JSON spelling of h.
func (h Hypervisor) String() string { return string(h) }

// UnmarshalText accepts exactly the Hypervisor* values (and "" as none).
func (h *Hypervisor) UnmarshalText(b []byte) error {
	switch v := Hypervisor(b); v {
	case HypervisorNone, HypervisorXenDom0, HypervisorXenDomU, HypervisorOtherVM:
		*h = v
	case "":
		*h = HypervisorNone
	default:
		return fmt.Errorf("hypervisor %q: want one of none, xen-dom0, xen-domu, other-vm", string(b))
	}
	return nil
}

// MarshalText returns the string form of h, "none" when empty.
func (h Hypervisor) MarshalText() ([]byte, error) {
	if h == "" {
		return []byte(HypervisorNone), nil
	}
	return []byte(h), nil
}

// XenInfo is what `xl info` reports in a dom0.
type XenInfo struct {
	Version     string `json:"xen_version"`
	Caps        string `json:"xen_caps"`
	VirtCaps    string `json:"virt_caps"`
	CommandLine string `json:"xen_commandline"`
	// TotalMemoryMiB and FreeMemoryMiB are the machine's memory, not dom0's.
	TotalMemoryMiB uint64 `json:"total_memory_mib"`
	FreeMemoryMiB  uint64 `json:"free_memory_mib"`
	NrCPUs         int    `json:"nr_cpus"`
}

// Memory describes main memory.
type Memory struct {
	// TotalBytes is MemTotal of /proc/meminfo (installed memory less what firmware and
	// kernel reserve), or in a dom0 the machine's total from `xl info`.
	TotalBytes uint64 `json:"total_bytes"`
	// KernelBytes is MemTotal of the running kernel: in a dom0 only dom0's share.
	KernelBytes uint64 `json:"kernel_bytes"`
}

// Disk is a whole block device that could hold an installation.
type Disk struct {
	// Name is the kernel name, e.g. nvme0n1.
	Name string `json:"name"`
	// ByID is the best stable path, e.g. /dev/disk/by-id/wwn-0x5000c500a1b2c3d4; "" if
	// udev made none (a virtio disk without serial).
	ByID string `json:"by_id"`
	// ByIDLinks are all /dev/disk/by-id links to the whole disk, best first.
	ByIDLinks []string `json:"by_id_links"`
	SizeBytes uint64   `json:"size_bytes"`
	Model     string   `json:"model"`
	Vendor    string   `json:"vendor"`
	Serial    string   `json:"serial"`
	// WWN is the world wide name or NVMe EUI/NGUID, when known.
	WWN string `json:"wwn"`
	// Transport is one of nvme, sata, sas, usb, virtio, mmc, scsi, unknown.
	Transport  string `json:"transport"`
	Rotational bool   `json:"rotational"`
	Removable  bool   `json:"removable"`
	ReadOnly   bool   `json:"read_only"`
	// PartitionTable is "gpt", "mbr" or "".
	PartitionTable string      `json:"partition_table"`
	Partitions     []Partition `json:"partitions"`
	// FSType, FSLabel and MountPoints describe a filesystem on the whole disk (no table).
	FSType      string   `json:"fs_type"`
	FSLabel     string   `json:"fs_label"`
	MountPoints []string `json:"mount_points"`
	// Holders are the kernel names of devices stacked on the disk or its partitions
	// (dm-0, md127), from /sys/block/X/holders.
	Holders []string `json:"holders"`
	// Mounted is true when the disk, a partition or a device stacked on them is mounted,
	// used as swap, or backs a mounted loop device.
	Mounted bool `json:"mounted"`
	// InstallerMedium is true for the disk the running installer booted from.
	InstallerMedium bool `json:"installer_medium"`
}

// Partition is a partition of a Disk.
type Partition struct {
	Name      string `json:"name"`
	Number    int    `json:"number"`
	SizeBytes uint64 `json:"size_bytes"`
	FSType    string `json:"fs_type"`
	FSUUID    string `json:"fs_uuid"`
	// Label is the filesystem label, PartLabel the GPT partition name.
	Label     string `json:"label"`
	PartLabel string `json:"part_label"`
	// PartType is the GPT type GUID or the MBR type (0x83).
	PartType string `json:"part_type"`
	// MountPoints lists where it is mounted; "[SWAP]" when it is active swap.
	MountPoints []string `json:"mount_points"`
}

// Transports of a Disk.
const (
	TransportNVMe    = "nvme"
	TransportSATA    = "sata"
	TransportSAS     = "sas"
	TransportUSB     = "usb"
	TransportVirtio  = "virtio"
	TransportMMC     = "mmc"
	TransportSCSI    = "scsi"
	TransportUnknown = "unknown"
)

// NIC is a network interface.
type NIC struct {
	Name string `json:"name"`
	MAC  string `json:"mac"`
	// PermanentMAC equals MAC when the kernel says the address is the burned-in one
	// (addr_assign_type 0), else "": sysfs does not show the permanent address of an
	// interface whose MAC was changed (only ethtool -P does).
	PermanentMAC string `json:"permanent_mac"`
	Driver       string `json:"driver"`
	PCIAddress   string `json:"pci_address"`
	Carrier      bool   `json:"carrier"`
	// SpeedMbps is 0 when unknown (link down, or a virtual device).
	SpeedMbps int `json:"speed_mbps"`
	// Duplex is "full", "half" or "".
	Duplex   string `json:"duplex"`
	Virtual  bool   `json:"virtual"`
	Wireless bool   `json:"wireless"`
}

// PCIDevice is a PCI function.
type PCIDevice struct {
	// Address is the domain:bus:device.function, e.g. 0000:3b:00.0.
	Address string `json:"address"`
	// Class is the six hex digits of class, subclass and programming interface ("020000").
	Class     string `json:"class"`
	ClassName string `json:"class_name"`
	// VendorID and DeviceID are four lower-case hex digits ("8086").
	VendorID string `json:"vendor_id"`
	DeviceID string `json:"device_id"`
	// VendorName and DeviceName come from pci.ids; "" when no database was found.
	VendorName string `json:"vendor_name"`
	DeviceName string `json:"device_name"`
	Driver     string `json:"driver"`
	// IOMMUGroup is the group number, -1 when the device is in none.
	IOMMUGroup int `json:"iommu_group"`
}

// Load reads a Report as written by `xennix probe --json`.
func Load(r io.Reader) (Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return Report{}, fmt.Errorf("read hardware report: %w", err)
	}
	if rep.Version > ReportVersion {
		return Report{}, fmt.Errorf("hardware report version %d (this xennix reads up to %d): %w",
			rep.Version, ReportVersion, ErrUnsupportedVersion)
	}
	if rep.Hypervisor == "" {
		rep.Hypervisor = HypervisorNone
	}
	return rep, nil
}

// StableID is the /dev/disk/by-id path that names this disk whatever the boot order: its
// ByID, the best of its links (a WWN or NVMe EUI first, then bus, model and serial; see
// rankByID). It is false when udev made no such link, as for a virtio disk without a serial:
// such a disk can be told only by its kernel name, and /dev/vda can be another disk after the
// next boot (disko issue #1124), so nothing may pick it to be erased.
func (d Disk) StableID() (string, bool) {
	if !strings.HasPrefix(d.ByID, "/dev/disk/by-id/") || len(d.ByID) == len("/dev/disk/by-id/") {
		return "", false
	}
	return d.ByID, true
}

// DiskByID finds a disk by a /dev/disk/by-id path (any of its links, not only the best),
// by the link's base name, or by /dev/<name>.
func (r Report) DiskByID(p string) (Disk, bool) {
	for _, d := range r.Disks {
		if p == "/dev/"+d.Name {
			return d, true
		}
		for _, l := range d.ByIDLinks {
			if p == l || (!strings.Contains(p, "/") && p == path.Base(l)) {
				return d, true
			}
		}
	}
	return Disk{}, false
}

// Disk finds a disk by its kernel name (nvme0n1).
func (r Report) Disk(name string) (Disk, bool) {
	for _, d := range r.Disks {
		if d.Name == name {
			return d, true
		}
	}
	return Disk{}, false
}

// NIC finds a network interface by name.
func (r Report) NIC(name string) (NIC, bool) {
	for _, n := range r.NICs {
		if n.Name == name {
			return n, true
		}
	}
	return NIC{}, false
}

// NICByMAC finds a network interface by its current or permanent MAC address
// (case-insensitive).
func (r Report) NICByMAC(mac string) (NIC, bool) {
	for _, n := range r.NICs {
		if strings.EqualFold(n.MAC, mac) || (n.PermanentMAC != "" && strings.EqualFold(n.PermanentMAC, mac)) {
			return n, true
		}
	}
	return NIC{}, false
}

// PCIDevice finds a PCI function by address (0000:3b:00.0; the domain may be omitted).
func (r Report) PCIDevice(addr string) (PCIDevice, bool) {
	if strings.Count(addr, ":") == 1 {
		addr = "0000:" + addr
	}
	for _, d := range r.PCI {
		if strings.EqualFold(d.Address, addr) {
			return d, true
		}
	}
	return PCIDevice{}, false
}
