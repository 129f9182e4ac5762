package hwdetect

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/jaypipes/ghw"
)

// EFI variables are <Name>-<vendor GUID> files in efivarfs; SecureBoot and SetupMode
// belong to EFI_GLOBAL_VARIABLE (UEFI specification 2.10, section 3.3, "Globally Defined
// Variables").
const efiGlobal = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

func (s *scanner) firmware() Firmware {
	// /sys/firmware/efi exists only when the kernel was started by UEFI
	// (Documentation/ABI/testing/sysfs-firmware-efi).
	if !s.isDir("sys/firmware/efi") {
		return Firmware{Mode: FirmwareBIOS}
	}
	fw := Firmware{Mode: FirmwareUEFI}
	if n, ok := s.readUint("sys/firmware/efi/fw_platform_size", optional); ok {
		if n == 32 || n == 64 {
			fw.PlatformBits = int(n)
		} else {
			s.problem("sys/firmware/efi/fw_platform_size", "want 32 or 64, got %d", n)
		}
	}
	if !s.isDir("sys/firmware/efi/efivars") {
		s.note("EFI variables are not available (efivarfs is not mounted on /sys/firmware/efi/efivars): Secure Boot state unknown")
		return fw
	}
	fw.SecureBoot = s.efiBool("SecureBoot")
	fw.SetupMode = s.efiBool("SetupMode")
	return fw
}

// efiBool reads a boolean global EFI variable; a missing one (firmware without Secure
// Boot support) is false.
func (s *scanner) efiBool(name string) bool {
	rel := "sys/firmware/efi/efivars/" + name + "-" + efiGlobal
	b, ok := s.readFile(rel, optional)
	if !ok {
		return false
	}
	v, err := parseEFIBool(b)
	if err != nil {
		s.problem(rel, "%v", err)
	}
	return v
}

func (s *scanner) readCPUInfo() cpuInfo {
	b, ok := s.readFile("proc/cpuinfo", required)
	if !ok {
		return cpuInfo{Flags: map[string]bool{}, VMXFlags: map[string]bool{}}
	}
	ci, err := parseCPUInfo(b)
	if err != nil {
		s.problem("proc/cpuinfo", "%v", err)
	}
	return ci
}

func (s *scanner) cpu(xen *XenInfo) CPU {
	ci := s.cpuinfo
	c := CPU{Vendor: ci.Vendor, Model: ci.Model}
	c.Sockets, c.Cores, c.Threads = s.topology()
	if c.Threads == 0 {
		// Without sysfs topology, fall back to what /proc/cpuinfo counts.
		c.Sockets, c.Cores, c.Threads = ci.Packages, ci.Cores, ci.Logical
		if c.Sockets == 0 && c.Threads > 0 {
			c.Sockets, c.Cores = 1, c.Threads
		}
	}
	switch {
	case ci.Flags["vmx"]:
		c.Virtualization = "vmx"
		if ci.VMXFlags["ept"] || ci.Flags["ept"] {
			c.SLAT = "ept"
		}
	case ci.Flags["svm"]:
		c.Virtualization = "svm"
		if ci.Flags["npt"] {
			c.SLAT = "npt"
		}
	}
	if xen != nil {
		// Xen hides vmx/svm from dom0; `xl info` virt_caps says what Xen itself uses:
		// "hvm" and "hap" (tools/xl/xl_info.c, output_physinfo).
		caps := fieldSet(xen.VirtCaps)
		c.Virtualization, c.SLAT = "", ""
		if caps["hvm"] {
			c.Virtualization = vendorVirt(ci.Vendor, "vmx", "svm", "hvm")
			if caps["hap"] {
				c.SLAT = vendorVirt(ci.Vendor, "ept", "npt", "hap")
			}
		}
		if sockets, cores := xlTopology(s.xlRaw); sockets > 0 {
			c.Sockets, c.Cores, c.Threads = sockets, cores, xen.NrCPUs
		}
	}
	return c
}

func vendorVirt(vendor, intel, amd, other string) string {
	switch vendor {
	case "GenuineIntel":
		return intel
	case "AuthenticAMD", "HygonGenuine":
		return amd
	}
	return other
}

func fieldSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

// ghwMu serialises ghw calls: its logger is per call, but tests scan in parallel and
// ghw's package state is not documented as safe for that.
var ghwMu sync.Mutex

// topology counts packages, cores and logical CPUs with ghw, which groups
// /sys/devices/system/cpu/cpuN/topology/{physical_package_id,core_id}
// (Documentation/admin-guide/cputopology.rst) and skips offline CPUs. Its warnings are
// collected into the report.
func (s *scanner) topology() (sockets, cores, threads int) {
	ghwMu.Lock()
	defer ghwMu.Unlock()
	h := &ghwWarnings{}
	defer func() {
		// A panic inside a third-party library must not end the scan.
		if p := recover(); p != nil {
			s.note("CPU topology: ghw failed: %v", p)
			sockets, cores, threads = 0, 0, 0
		}
		for _, w := range h.msgs {
			s.note("CPU topology: %s", strings.ReplaceAll(w, s.root, ""))
		}
	}()
	info, err := ghw.CPU(ghw.WithChroot(s.root), ghw.WithDisableTools(), ghw.WithLogger(slog.New(h)))
	if err != nil {
		s.note("CPU topology: %v", err)
		return 0, 0, 0
	}
	for _, p := range info.Processors {
		if p.ID < 0 {
			// ghw's placeholder for an unreadable physical_package_id: its warning is
			// already recorded, and the count would be wrong.
			return 0, 0, 0
		}
	}
	return len(info.Processors), int(info.TotalCores), int(info.TotalHardwareThreads)
}

// ghwWarnings is a slog.Handler that keeps ghw's warnings for the report instead of
// printing them to stderr.
type ghwWarnings struct{ msgs []string }

func (h *ghwWarnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *ghwWarnings) Handle(_ context.Context, r slog.Record) error {
	h.msgs = append(h.msgs, strings.TrimSpace(r.Message))
	return nil
}
func (h *ghwWarnings) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ghwWarnings) WithGroup(string) slog.Handler      { return h }

// dmiVMs maps prefixes of DMI strings to hypervisor names, after systemd's detect_vm_dmi
// (src/basic/virt.c), which checks sys_vendor, product_name, board_vendor and bios_vendor.
var dmiVMs = []struct{ prefix, name string }{
	{"KVM", "KVM"},
	{"OpenStack", "KVM"},
	{"KubeVirt", "KubeVirt"},
	{"QEMU", "QEMU"},
	{"VMware", "VMware"},
	{"VMW", "VMware"},
	{"innotek GmbH", "VirtualBox"},
	{"VirtualBox", "VirtualBox"},
	{"Xen", "Xen"},
	{"Bochs", "Bochs"},
	{"Parallels", "Parallels"},
	{"BHYVE", "bhyve"},
	{"Hyper-V", "Hyper-V"},
	{"Apple Virtualization", "Apple Virtualization"},
	{"Google Compute Engine", "Google Compute Engine"},
}

func (s *scanner) hypervisor() (Hypervisor, string) {
	// /sys/hypervisor/type is "xen" in every Xen guest and in dom0
	// (Documentation/ABI/stable/sysfs-hypervisor-xen); /proc/xen/capabilities (xenfs)
	// contains "control_d" only in dom0 (drivers/xen/xenfs/super.c, capabilities_read).
	if typ, _ := s.readString("sys/hypervisor/type", optional); typ == "xen" {
		if caps, ok := s.readFile("proc/xen/capabilities", optional); ok {
			if bytes.Contains(caps, []byte("control_d")) {
				return HypervisorXenDom0, "Xen"
			}
			return HypervisorXenDomU, "Xen"
		}
		// xenfs is not mounted: dom0 is domain 0, whose handle (uuid) is all zeros.
		if uuid, _ := s.readString("sys/hypervisor/uuid", optional); uuid == "00000000-0000-0000-0000-000000000000" {
			s.note("/proc/xen/capabilities is missing (xenfs not mounted): Xen dom0 concluded from /sys/hypervisor/uuid")
			return HypervisorXenDom0, "Xen"
		}
		return HypervisorXenDomU, "Xen"
	}
	for _, f := range []string{"sys_vendor", "product_name", "board_vendor", "bios_vendor"} {
		v, _ := s.readString("sys/class/dmi/id/"+f, optional)
		for _, vm := range dmiVMs {
			if strings.HasPrefix(v, vm.prefix) {
				if vm.name == "Xen" {
					// An HVM Xen guest without the xen platform driver: still a domU.
					return HypervisorXenDomU, "Xen"
				}
				return HypervisorOtherVM, vm.name
			}
		}
	}
	if p, _ := s.readString("sys/class/dmi/id/product_name", optional); p == "Virtual Machine" {
		if v, _ := s.readString("sys/class/dmi/id/sys_vendor", optional); v == "Microsoft Corporation" {
			return HypervisorOtherVM, "Hyper-V"
		}
	}
	// The CPUID hypervisor bit (X86_FEATURE_HYPERVISOR) is set by every hypervisor.
	if s.cpuinfo.Flags["hypervisor"] {
		return HypervisorOtherVM, ""
	}
	return HypervisorNone, ""
}

// xlInfo gets `xl info` in a dom0.
func (s *scanner) xlInfo() *XenInfo {
	run := s.opts.XLInfo
	if run == nil {
		if s.root != "/" {
			s.note("Xen dom0 scanned from another root: xl info not run; IOMMU and CPU virtualisation unknown")
			return nil
		}
		run = runXLInfo
	}
	out, err := run()
	if err != nil {
		s.note("xl info failed, so IOMMU and CPU virtualisation are unknown: %v", err)
		return nil
	}
	xi, err := parseXLInfo(out)
	if err != nil {
		s.note("xl info: %v", err)
		if xi.Version == "" && xi.VirtCaps == "" {
			return nil
		}
	}
	s.xlRaw = out
	return &xi
}

// xlInfoTimeout bounds xl info: it asks xenstored and the hypervisor, and a wedged
// xenstored would otherwise hang every probe (and the installer's first screen) with it.
var xlInfoTimeout = 20 * time.Second

func runXLInfo() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), xlInfoTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xl", "info")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("xl info: no answer within %s (is xenstored running?)", xlInfoTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("xl info: %w: %s", err, bytes.TrimSpace(out))
	}
	return out, nil
}

func (s *scanner) iommu(xen *XenInfo) IOMMU {
	io := IOMMU{Source: "sysfs"}
	// Every IOMMU the kernel drives registers in the iommu class
	// (drivers/iommu/iommu-sysfs.c), and devices behind it get groups
	// (Documentation/ABI/testing/sysfs-kernel-iommu_groups).
	io.Kernel = s.readDir("sys/class/iommu", optional)
	io.Groups = len(s.readDir("sys/kernel/iommu_groups", optional))
	io.ACPIDMAR = s.exists("sys/firmware/acpi/tables/DMAR")
	io.ACPIIVRS = s.exists("sys/firmware/acpi/tables/IVRS")
	io.Active = len(io.Kernel) > 0 && io.Groups > 0
	if xen != nil {
		// Xen takes the IOMMU for itself and hides DMAR from dom0; "hvm_directio" in
		// virt_caps means it can pass devices through (tools/xl/xl_info.c).
		io.Source = "xl-info"
		io.Active = fieldSet(xen.VirtCaps)["hvm_directio"]
	}
	return io
}

func (s *scanner) memory(xen *XenInfo) Memory {
	var m Memory
	if b, ok := s.readFile("proc/meminfo", required); ok {
		n, err := parseMemTotal(b)
		if err != nil {
			s.problem("proc/meminfo", "%v", err)
		}
		m.TotalBytes, m.KernelBytes = n, n
	}
	if xen != nil && xen.TotalMemoryMiB > 0 {
		m.TotalBytes = xen.TotalMemoryMiB << 20
	}
	return m
}
