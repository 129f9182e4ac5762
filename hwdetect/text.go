package hwdetect

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Thresholds for the operator warnings.
const (
	// MinDiskBytes is the smallest disk the installer offers as a target.
	MinDiskBytes = 16 << 30
	// MinMemoryBytes is the least memory XenNix is meant for.
	MinMemoryBytes = 4 << 30
	// memorySlack allows for what firmware and kernel keep: a 4 GiB machine shows about
	// 3.7 GiB MemTotal.
	memorySlack = 512 << 20
)

// operatorWarnings turns the findings into advice, most important first.
func operatorWarnings(r Report) []string {
	var w []string
	add := func(format string, args ...any) { w = append(w, fmt.Sprintf(format, args...)) }
	if r.Firmware.Mode == FirmwareBIOS {
		add("The machine booted in legacy BIOS mode: Limine will be the boot loader (systemd-boot needs UEFI).")
	}
	if r.Firmware.SecureBoot {
		add("Secure Boot is enabled: Xen will not boot until Secure Boot is turned off in the firmware setup.")
	}
	if r.Firmware.Mode == FirmwareUEFI && r.Firmware.PlatformBits == 32 {
		add("The UEFI firmware is 32-bit: Xen needs 64-bit UEFI; switch the firmware to legacy BIOS (CSM) boot.")
	}
	xenUnknown := r.Hypervisor == HypervisorXenDom0 && r.Xen == nil
	if !xenUnknown {
		switch {
		case !r.CPU.HVM():
			add("The CPU has no hardware virtualisation (Intel VT-x / AMD-V), or it is disabled in the firmware setup: only PV guests will run.")
		case r.CPU.SLAT == "":
			add("The CPU has no EPT/NPT: HVM guests will run with slow shadow paging.")
		}
		switch {
		case r.IOMMU.Active:
		case r.IOMMU.Source == "xl-info":
			add("Xen reports no usable IOMMU (no hvm_directio in xl info): guests cannot be given PCI devices (no passthrough).")
		case !r.IOMMU.ACPIDMAR && !r.IOMMU.ACPIIVRS:
			add("No IOMMU (Intel VT-d / AMD-Vi) found: guests cannot be given PCI devices (no passthrough). Enable VT-d or IOMMU in the firmware setup if the machine has one.")
		}
	}
	switch r.Hypervisor {
	case HypervisorXenDomU:
		add("This is a Xen guest (domU): a Xen host inside it needs nested virtualisation.")
	case HypervisorOtherVM:
		vm := "a virtual machine"
		if r.HypervisorVendor != "" {
			vm += " (" + r.HypervisorVendor + ")"
		}
		add("This is %s: Xen will only run here with nested virtualisation.", vm)
	}
	if r.Memory.TotalBytes > 0 && r.Memory.TotalBytes < MinMemoryBytes-memorySlack {
		add("Only %s of memory: XenNix needs at least 4 GiB.", HumanBytes(r.Memory.TotalBytes))
	}
	var largest *Disk
	for i := range r.Disks {
		d := &r.Disks[i]
		if d.InstallerMedium || d.ReadOnly {
			continue
		}
		if largest == nil || d.SizeBytes > largest.SizeBytes {
			largest = d
		}
	}
	switch {
	case largest == nil:
		add("No disk to install to was found.")
	case largest.SizeBytes < MinDiskBytes:
		add("No disk of at least 16 GiB to install to (the largest, %s, has %s).", largest.Name, HumanBytes(largest.SizeBytes))
	}
	phys, link := 0, 0
	for _, n := range r.NICs {
		if !n.Virtual {
			phys++
			if n.Carrier {
				link++
			}
		}
	}
	switch {
	case phys == 0:
		add("No network interface was found: the install will have to run offline.")
	case link == 0:
		add("No network interface has a link (carrier): plug in a cable, or install offline.")
	}
	return w
}

// HumanBytes formats a size in binary units with one decimal: 931.5 GiB, 3.6 TiB.
func HumanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / unit
	i := 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// WriteText writes the summary `xennix probe` prints: a few header lines, a table of
// disks and one of NICs, then the warnings.
func (r Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	row := func(cells ...string) {
		for i, c := range cells {
			if c == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}

	fw := strings.ToUpper(r.Firmware.Mode)
	if r.Firmware.Mode == FirmwareUEFI {
		if r.Firmware.PlatformBits != 0 {
			fw += fmt.Sprintf(" %d-bit", r.Firmware.PlatformBits)
		}
		fw += ", Secure Boot " + onOff(r.Firmware.SecureBoot)
		if r.Firmware.SetupMode {
			fw += " (setup mode)"
		}
	}
	row("Firmware", fw)
	cpu := r.CPU.Model
	if cpu == "" {
		cpu = r.CPU.Vendor
	}
	row("CPU", fmt.Sprintf("%s: %s, %s, %s", orDash(cpu),
		count(r.CPU.Sockets, "socket"), count(r.CPU.Cores, "core"), count(r.CPU.Threads, "thread")))
	virt := "none (PV guests only)"
	if r.CPU.HVM() {
		virt = virtName(r.CPU.Virtualization)
		if r.CPU.SLAT != "" {
			virt += " with " + strings.ToUpper(r.CPU.SLAT)
		} else {
			virt += " without EPT/NPT"
		}
	}
	if r.Hypervisor == HypervisorXenDom0 && r.Xen == nil {
		virt = "unknown (xl info unavailable)"
	}
	row("Virtualisation", virt)
	row("IOMMU", iommuText(r.IOMMU))
	hv := string(r.Hypervisor)
	if r.HypervisorVendor != "" && r.Hypervisor != HypervisorNone {
		hv += " (" + r.HypervisorVendor + ")"
	}
	if r.Xen != nil && r.Xen.Version != "" {
		hv += ", Xen " + r.Xen.Version
	}
	row("Hypervisor", hv)
	mem := HumanBytes(r.Memory.TotalBytes)
	if r.Memory.KernelBytes != r.Memory.TotalBytes && r.Memory.KernelBytes != 0 {
		mem += fmt.Sprintf(" (this kernel: %s)", HumanBytes(r.Memory.KernelBytes))
	}
	row("Memory", mem)
	row("PCI", fmt.Sprintf("%d devices", len(r.PCI)))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(bw, "\nDisks (by-id names are under /dev/disk/by-id/)\n")
	row("NAME", "SIZE", "TRANSPORT", "MODEL", "SERIAL", "BY-ID", "NOTES")
	for _, d := range r.Disks {
		row(d.Name, HumanBytes(d.SizeBytes), d.Transport, d.Model, d.Serial, strings.TrimPrefix(d.ByID, "/dev/disk/by-id/"), diskNotes(d))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(bw, "\nNetwork interfaces\n")
	row("NAME", "MAC", "DRIVER", "LINK", "SPEED", "PCI", "NOTES")
	for _, n := range r.NICs {
		link := "down"
		if n.Carrier {
			link = "up"
		}
		speed := ""
		if n.SpeedMbps > 0 {
			speed = speedText(n.SpeedMbps)
			if n.Duplex == "half" {
				speed += " half"
			}
		}
		var notes []string
		if n.Virtual {
			notes = append(notes, "virtual")
		}
		if n.Wireless {
			notes = append(notes, "wireless")
		}
		row(n.Name, n.MAC, n.Driver, link, speed, n.PCIAddress, strings.Join(notes, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(r.Warnings) > 0 {
		fmt.Fprintf(bw, "\nWarnings\n")
		for _, x := range r.Warnings {
			fmt.Fprintf(bw, "  ! %s\n", x)
		}
	}
	return bw.Flush()
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func virtName(v string) string {
	switch v {
	case "vmx":
		return "Intel VT-x (vmx)"
	case "svm":
		return "AMD-V (svm)"
	}
	return v
}

func iommuText(io IOMMU) string {
	var parts []string
	if io.Active {
		parts = append(parts, "active")
	} else {
		parts = append(parts, "not active")
	}
	if len(io.Kernel) > 0 {
		parts = append(parts, strings.Join(io.Kernel, " "))
	}
	if io.Groups > 0 {
		parts = append(parts, fmt.Sprintf("%d groups", io.Groups))
	}
	if io.ACPIDMAR {
		parts = append(parts, "ACPI DMAR (VT-d)")
	}
	if io.ACPIIVRS {
		parts = append(parts, "ACPI IVRS (AMD-Vi)")
	}
	if io.Source == "xl-info" {
		parts = append(parts, "as reported by Xen")
	}
	return strings.Join(parts, ", ")
}

func diskNotes(d Disk) string {
	var n []string
	if d.InstallerMedium {
		n = append(n, "INSTALLER MEDIUM")
	}
	if d.Mounted {
		n = append(n, "in use")
	}
	// Only SATA, SAS and SCSI report rotation truthfully: USB sticks and virtio disks
	// say "rotational" by default.
	if d.Rotational && (d.Transport == TransportSATA || d.Transport == TransportSAS || d.Transport == TransportSCSI) {
		n = append(n, "hdd")
	}
	if d.Removable {
		n = append(n, "removable")
	}
	if d.ReadOnly {
		n = append(n, "read-only")
	}
	switch {
	case d.PartitionTable != "":
		n = append(n, d.PartitionTable+", "+count(len(d.Partitions), "partition"))
	case d.FSType != "":
		n = append(n, d.FSType)
	}
	return strings.Join(n, ", ")
}

func speedText(mbps int) string {
	if mbps >= 1000 && mbps%1000 == 0 {
		return fmt.Sprintf("%d Gb/s", mbps/1000)
	}
	if mbps >= 1000 {
		return fmt.Sprintf("%.1f Gb/s", float64(mbps)/1000)
	}
	return fmt.Sprintf("%d Mb/s", mbps)
}
