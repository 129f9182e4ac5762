package installer

import "github.com/xennix/xennix/hwdetect"

// Defaults returns the answers an operator gets without choosing anything: a host named
// xennix in UTC, ext4 with a 1 GiB ESP, a DHCP bridge xenbr0, SSH with keys only, and "auto"
// wherever the machine decides (firmware, loader, dom0 resources, uplink). An answers file is
// decoded on top of these. The report is not needed today; it is taken so that defaults may
// depend on the machine without changing callers.
func Defaults(r *hwdetect.Report) Answers {
	_ = r
	return Answers{
		Version: Version,
		Host:    Host{Hostname: "xennix", Timezone: "UTC", Keymap: "us", Locale: "en_US.UTF-8"},
		Boot:    Boot{Firmware: FirmwareAuto, Loader: LoaderAuto},
		Storage: Storage{Preset: PresetExt4, ESPSize: GiB},
		Impermanence: Impermanence{
			Preset: ImpermanenceNone,
		},
		Network: Network{
			Bridge: "xenbr0",
			IPv4:   IPv4{Mode: IPv4DHCP},
			IPv6:   IPv6{Mode: IPv6RA},
		},
		Xen: Xen{IOMMU: "auto"},
		SSH: SSH{RootLogin: "prohibit-password"},
	}
}

// GuestKind resolves storage.guests.kind: unset means a thin pool on lvm, zvols on zfs and
// a directory otherwise.
func (a Answers) GuestKind() GuestKind {
	if a.Storage.Guests.Kind != "" {
		return a.Storage.Guests.Kind
	}
	switch a.Storage.Preset {
	case PresetLVM:
		return GuestThinPool
	case PresetZFS:
		return GuestZvol
	}
	return GuestDirectory
}

// dom0Memory resolves xen.dom0_memory: unset means 1 GiB plus 1/20 of the machine's memory,
// between 1 and 8 GiB, in whole 256 MiB steps (close to what XCP-ng gives dom0), or 2 GiB
// when the memory is unknown.
func (a Answers) dom0Memory(r *hwdetect.Report) Size {
	if a.Xen.Dom0Memory != 0 {
		return a.Xen.Dom0Memory
	}
	if r == nil || r.Memory.TotalBytes == 0 {
		return 2 * GiB
	}
	m := GiB + Size(r.Memory.TotalBytes)/20
	m = min(max(m, GiB), 8*GiB)
	return m / (256 * MiB) * (256 * MiB)
}

// dom0VCPUs resolves xen.dom0_vcpus: unset means a quarter of the CPUs, between 1 and 8
// (dom0 serves guests' I/O; more is rarely useful), or 0 (no limit) when unknown.
func (a Answers) dom0VCPUs(r *hwdetect.Report) int {
	if a.Xen.Dom0VCPUs != 0 {
		return a.Xen.Dom0VCPUs
	}
	if r == nil || r.CPU.Threads == 0 {
		return 0
	}
	return min(max(r.CPU.Threads/4, 1), 8)
}
