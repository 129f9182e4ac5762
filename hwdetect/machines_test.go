package hwdetect

import "fmt"

// The five machines of the fixtures. Vendor and device IDs, models and layouts are
// those of real hardware; serial numbers and UUIDs are made up.

const intelFlags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 cdp_l3 invpcid_single intel_ppin ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm mpx rdt_a avx512f avx512dq rdseed adx smap clflushopt clwb intel_pt avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local dtherm ida arat pln pts pku ospke avx512_vnni md_clear flush_l1d arch_capabilities"

const intelVMXFlags = "vnmi preemption_timer posted_intr invvpid ept_x_only ept_ad ept_1gb flexpriority apicv tsc_offset vtpr mtf vapic ept vpid unrestricted_guest vapic_reg vid ple shadow_vmcs pml ept_mode_based_exec tsc_scaling"

const haswellFlags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm cpuid_fault epb pti ssbd ibrs ibpb stibp tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid xsaveopt dtherm ida arat pln pts vnmi md_clear flush_l1d"

const haswellVMXFlags = "vnmi preemption_timer invvpid ept_x_only ept_ad ept_1gb flexpriority tsc_offset vtpr mtf vapic ept vpid unrestricted_guest ple"

const zen4Flags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good amd_lbr_v2 nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba perfmon_v2 ibrs ibpb stibp ibrs_enhanced vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local avx512_bf16 clzero irperf xsaveerptr rdpru wbnoinvd cppc arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload vgif x2avic v_spec_ctrl vnmi avx512vbmi umip pku ospke avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid overflow_recov succor smca fsrm flush_l1d"

// KVM guest with "-cpu host" and nested virtualisation off: no svm, hypervisor bit set.
const kvmGuestFlags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext perfctr_core ssbd ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero xsaveerptr wbnoinvd arat umip pku ospke vaes vpclmulqdq rdpid fsrm arch_capabilities"

// A PV dom0 sees no vmx: Xen keeps VT-x for itself.
const xenDom0Flags = "fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush acpi mmx fxsr sse sse2 ss ht syscall nx lm constant_tsc rep_good nopl nonstop_tsc cpuid tsc_known_freq pni pclmulqdq monitor est ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault ssbd ibrs ibpb stibp fsgsbase bmi1 avx2 bmi2 erms rdseed adx clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 md_clear flush_l1d arch_capabilities"

const intelBugs = "spectre_v1 spectre_v2 spec_store_bypass swapgs taa itlb_multihit mmio_stale_data retbleed gds"

// pciIDsSample is an excerpt of pci.ids (https://pci-ids.ucw.cz), format intact.
const pciIDsSample = `#
#	List of PCI ID's
#
#	Version: 2025.06.18
#	Date:    2025-06-18 03:15:02
#
# Syntax:
# vendor  vendor_name
#	device  device_name				<-- single tab
#		subvendor subdevice  subsystem_name	<-- two tabs

1002  Advanced Micro Devices, Inc. [AMD/ATI]
	164e  Raphael
1022  Advanced Micro Devices, Inc. [AMD]
	14d8  Raphael/Granite Ridge Root Complex
	14d9  Raphael/Granite Ridge IOMMU
	14db  Raphael/Granite Ridge GPP Bridge
	15b6  Raphael/Granite Ridge USB 3.1 xHCI
10ec  Realtek Semiconductor Co., Ltd.
	8125  RTL8125 2.5GbE Controller
		1462 7d75  MAG B650 TOMAHAWK WIFI
144d  Samsung Electronics Co Ltd
	a808  NVMe SSD Controller SM981/PM981/PM983
		144d a801  SSD 970 EVO/PRO
	a80a  NVMe SSD Controller PM9A1/PM9A3/980PRO
14c3  MEDIATEK Corp.
	0616  MT7922 802.11ax PCI Express Wireless Network Adapter
15b7  Sandisk Corp
	5030  WD Black SN850X NVMe SSD
15d9  Super Micro Computer
1a03  ASPEED Technology, Inc.
	2000  ASPEED Graphics Family
8086  Intel Corporation
	0a54  NVMe Datacenter SSD [3DNAND, Beta Rock Controller]
	10fb  82599ES 10-Gigabit SFI/SFP+ Network Connection
		8086 000c  Ethernet Server Adapter X520-2
	1521  I350 Gigabit Network Connection
		15d9 1521  I350 Gigabit Network Connection
	2020  Sky Lake-E DMI3 Registers
	2030  Sky Lake-E PCI Express Root Port A
	a182  C620 Series Chipset Family SATA Controller [AHCI mode]
	a190  C620 Series Chipset Family PCI Express Root Port #1
	a195  C620 Series Chipset Family PCI Express Root Port #6
	a1af  C620 Series Chipset Family USB 3.0 xHCI Controller

# List of known device classes, subclasses and programming interfaces

C 00  Unclassified device
	00  Non-VGA unclassified device
C 01  Mass storage controller
	08  Non-Volatile memory controller
		02  NVM Express
`

func ataUdev(model, serial, rev, wwn string, rpm int, path string, extra ...string) []string {
	enc := model
	for len(enc) < 40 {
		enc += " "
	}
	encoded := ""
	for _, r := range enc {
		if r == ' ' {
			encoded += `\x20`
		} else {
			encoded += string(r)
		}
	}
	u := []string{
		"ID_ATA=1", "ID_TYPE=disk", "ID_BUS=ata",
		"ID_MODEL=" + underscore(model), "ID_MODEL_ENC=" + encoded,
		"ID_REVISION=" + rev, "ID_SERIAL=" + underscore(model) + "_" + serial, "ID_SERIAL_SHORT=" + serial,
		"ID_ATA_WRITE_CACHE=1", "ID_ATA_WRITE_CACHE_ENABLED=1", "ID_ATA_FEATURE_SET_SMART=1",
		"ID_ATA_SATA=1", "ID_ATA_SATA_SIGNAL_RATE_GEN2=1", fmt.Sprintf("ID_ATA_ROTATION_RATE_RPM=%d", rpm),
		"ID_WWN=" + wwn, "ID_WWN_WITH_EXTENSION=" + wwn,
		"ID_PATH=" + path, "ID_PATH_TAG=" + pathTag(path),
	}
	return append(u, extra...)
}

func nvmeUdev(model, serial, rev, wwid, path string, extra ...string) []string {
	u := []string{
		"ID_SERIAL_SHORT=" + serial, "ID_WWN=" + wwid, "ID_MODEL=" + model, "ID_REVISION=" + rev,
		"ID_NSID=1", "ID_SERIAL=" + model + "_" + serial,
		"ID_PATH=" + path, "ID_PATH_TAG=" + pathTag(path),
	}
	return append(u, extra...)
}

func underscore(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == ' ' {
			out[i] = '_'
		}
	}
	return string(out)
}

func pathTag(p string) string {
	out := []byte(p)
	for i, c := range out {
		if c == ':' || c == '.' {
			out[i] = '_'
		}
	}
	return string(out)
}

func gptPart(number int, offset, size uint64, disk, typ, name string, fs ...string) []string {
	u := append([]string{}, fs...)
	u = append(u, "ID_PART_ENTRY_SCHEME=gpt")
	if name != "" {
		u = append(u, "ID_PART_ENTRY_NAME="+name)
	}
	return append(u,
		fmt.Sprintf("ID_PART_ENTRY_UUID=6a1e2f3c-%04x-4b5d-9e8f-%012x", number, offset),
		"ID_PART_ENTRY_TYPE="+typ, fmt.Sprintf("ID_PART_ENTRY_NUMBER=%d", number),
		fmt.Sprintf("ID_PART_ENTRY_OFFSET=%d", offset), fmt.Sprintf("ID_PART_ENTRY_SIZE=%d", size),
		"ID_PART_ENTRY_DISK="+disk)
}

func dosPart(number int, offset, size uint64, disk, typ string, fs ...string) []string {
	u := append([]string{}, fs...)
	return append(u, "ID_PART_ENTRY_SCHEME=dos",
		fmt.Sprintf("ID_PART_ENTRY_UUID=6c8f7a1b-%02d", number),
		"ID_PART_ENTRY_TYPE="+typ, fmt.Sprintf("ID_PART_ENTRY_NUMBER=%d", number),
		fmt.Sprintf("ID_PART_ENTRY_OFFSET=%d", offset), fmt.Sprintf("ID_PART_ENTRY_SIZE=%d", size),
		"ID_PART_ENTRY_DISK="+disk)
}

func fsProps(typ, uuid, label, version string) []string {
	u := []string{"ID_FS_UUID=" + uuid, "ID_FS_UUID_ENC=" + uuid}
	if version != "" {
		u = append(u, "ID_FS_VERSION="+version)
	}
	if label != "" {
		enc := ""
		for _, r := range label {
			if r == ' ' {
				enc += `\x20`
			} else {
				enc += string(r)
			}
		}
		u = append(u, "ID_FS_LABEL="+underscore(label), "ID_FS_LABEL_ENC="+enc)
	}
	usage := "filesystem"
	switch typ {
	case "swap":
		usage = "other"
	case "LVM2_member":
		usage = "raid"
	}
	return append(u, "ID_FS_TYPE="+typ, "ID_FS_USAGE="+usage)
}

const (
	guidESP   = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
	guidLinux = "0fc63daf-8483-4772-8e79-3d69d8477de4"
	guidMSR   = "e3c9e316-0b5c-4db8-817d-f92df00215ae"
	guidBasic = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"
	guidWinRE = "de94bba4-06d1-4d40-a16a-bfd50179d6ac"
)

// isoMounts is the mount table of the NixOS installer ISO (scripted stage 1) booted
// from medium dev ("8:1 ... /dev/sda1").
func isoMounts(medium, source string, efi bool) string {
	s := `
22 1 0:21 / / rw,relatime shared:1 - tmpfs tmpfs rw,mode=755
23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=3263724k,nr_inodes=8157123,mode=755
24 23 0:20 / /dev/pts rw,nosuid,noexec,relatime shared:4 - devpts devpts rw,gid=3,mode=620,ptmxmode=666
25 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
26 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
27 22 ` + medium + ` / /iso ro,relatime shared:7 - iso9660 ` + source + ` ro,nojoliet,check=s,map=n,blocksize=2048,iocharset=utf8
28 22 7:0 / /nix/.ro-store ro,relatime shared:8 - squashfs /dev/loop0 ro,errors=continue
29 22 0:24 / /nix/.rw-store rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
30 22 0:25 / /nix/store rw,relatime shared:10 - overlay overlay rw,lowerdir=/nix/.ro-store,upperdir=/nix/.rw-store/store,workdir=/nix/.rw-store/work,uuid=on
31 22 0:26 / /run rw,nosuid,nodev shared:11 - tmpfs tmpfs rw,size=1631864k,mode=755
32 23 0:27 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw
`
	if efi {
		s += "33 26 0:28 / /sys/firmware/efi/efivars rw,nosuid,nodev,noexec,relatime shared:12 - efivarfs efivarfs rw\n"
	}
	return s
}

func isoLoop(t *tree) {
	t.virtBlock("loop0", "7:0", 2890752, "ro", 1, "loop/backing_file", "/iso/nix-store.squashfs",
		"loop/autoclear", 1, "loop/offset", 0, "loop/sizelimit", 0, "loop/partscan", 0)
	for i := 1; i < 8; i++ {
		t.virtBlock(fmt.Sprintf("loop%d", i), fmt.Sprintf("7:%d", i), 0)
	}
}

// intelServer: Supermicro 2U, 2 × Xeon Silver 4210R, UEFI, VT-d on, netbooted
// installer; 2 NVMe (one through native NVMe multipath), 2 SATA HDDs (one an LVM PV),
// two 10G ixgbe ports with link and two 1G igb ports without.
func intelServer() *tree {
	t := newTree()
	t.cpus(cpuSpec{vendor: "GenuineIntel", model: "Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz",
		family: 6, modelNo: 85, step: 7, sockets: 2, cores: 10, thread: 2, mhz: "2400.000",
		flags: intelFlags, vmxFlags: intelVMXFlags, bugs: intelBugs, physical: true})
	t.meminfo(197510284)
	t.dmi("sys_vendor", "Supermicro", "product_name", "SYS-6029P-TR", "board_vendor", "Supermicro",
		"board_name", "X11DPi-N(T)", "bios_vendor", "American Megatrends Inc.", "bios_version", "3.4",
		"chassis_type", "17")
	t.efi(64, 0, 0)
	t.acpiTables("APIC", "DMAR", "DSDT", "FACP", "HPET", "MCFG", "SRAT", "SSDT1")
	t.iommuClass("dmar0", "sys/devices/virtual/iommu/dmar0", "intel-iommu/version", "1:0", "intel-iommu/cap", "8d2078c106f0466", "intel-iommu/ecap", "f020df")
	t.iommuClass("dmar1", "sys/devices/virtual/iommu/dmar1", "intel-iommu/version", "1:0", "intel-iommu/cap", "8d2078c106f0466", "intel-iommu/ecap", "f020df")

	h0, h3a, h5d, hae := "sys/devices/pci0000:00", "sys/devices/pci0000:3a", "sys/devices/pci0000:5d", "sys/devices/pci0000:ae"
	t.pci(pciDev{addr: "0000:00:00.0", parent: h0, class: "0x060000", vendor: "0x8086", device: "0x2020", group: 0})
	t.pci(pciDev{addr: "0000:00:14.0", parent: h0, class: "0x0c0330", vendor: "0x8086", device: "0xa1af", subVendor: "0x15d9", subDevice: "0x095d", driver: "xhci_hcd", group: 5})
	ahci := t.pci(pciDev{addr: "0000:00:17.0", parent: h0, class: "0x010601", vendor: "0x8086", device: "0xa182", subVendor: "0x15d9", subDevice: "0x095d", driver: "ahci", group: 7})
	rp1 := t.pci(pciDev{addr: "0000:00:1c.0", parent: h0, class: "0x060400", vendor: "0x8086", device: "0xa190", driver: "pcieport", group: 8})
	rp6 := t.pci(pciDev{addr: "0000:00:1c.5", parent: h0, class: "0x060400", vendor: "0x8086", device: "0xa195", driver: "pcieport", group: 9})
	igb0 := t.pci(pciDev{addr: "0000:02:00.0", parent: rp1, class: "0x020000", vendor: "0x8086", device: "0x1521", subVendor: "0x15d9", subDevice: "0x1521", driver: "igb", group: 10})
	igb1 := t.pci(pciDev{addr: "0000:02:00.1", parent: rp1, class: "0x020000", vendor: "0x8086", device: "0x1521", subVendor: "0x15d9", subDevice: "0x1521", driver: "igb", group: 11})
	t.pci(pciDev{addr: "0000:04:00.0", parent: rp6, class: "0x030000", vendor: "0x1a03", device: "0x2000", subVendor: "0x15d9", subDevice: "0x095d", driver: "ast", group: 9})
	rpA := t.pci(pciDev{addr: "0000:3a:00.0", parent: h3a, class: "0x060400", vendor: "0x8086", device: "0x2030", driver: "pcieport", group: 20})
	nvmePCI0 := t.pci(pciDev{addr: "0000:3b:00.0", parent: rpA, class: "0x010802", vendor: "0x144d", device: "0xa808", subVendor: "0x144d", subDevice: "0xa801", driver: "nvme", group: 21})
	rpB := t.pci(pciDev{addr: "0000:5d:00.0", parent: h5d, class: "0x060400", vendor: "0x8086", device: "0x2030", driver: "pcieport", group: 22})
	nvmePCI1 := t.pci(pciDev{addr: "0000:5e:00.0", parent: rpB, class: "0x010802", vendor: "0x8086", device: "0x0a54", subVendor: "0x8086", subDevice: "0x4802", driver: "nvme", group: 23})
	rpC := t.pci(pciDev{addr: "0000:ae:00.0", parent: hae, class: "0x060400", vendor: "0x8086", device: "0x2030", driver: "pcieport", group: 30})
	ix0 := t.pci(pciDev{addr: "0000:af:00.0", parent: rpC, class: "0x020000", vendor: "0x8086", device: "0x10fb", subVendor: "0x8086", subDevice: "0x000c", driver: "ixgbe", group: 31})
	ix1 := t.pci(pciDev{addr: "0000:af:00.1", parent: rpC, class: "0x020000", vendor: "0x8086", device: "0x10fb", subVendor: "0x8086", subDevice: "0x000c", driver: "ixgbe", group: 32})
	t.file("usr/share/hwdata/pci.ids", pciIDsSample)

	// nvme0: classic layout, namespace below its controller.
	ctrl0 := nvmePCI0 + "/nvme/nvme0"
	t.attrs(ctrl0, "model", "SAMSUNG MZQLB960HAJR-00007", "serial", "S437NE0M800123", "firmware_rev", "EDA5202Q",
		"transport", "pcie", "address", "0000:3b:00.0", "state", "live", "cntlid", 4)
	t.link(ctrl0+"/device", nvmePCI0)
	t.link("sys/class/nvme/nvme0", ctrl0)
	t.disk(diskSpec{name: "nvme0n1", dir: ctrl0 + "/nvme0n1", dev: "259:0", sectors: 1875385008,
		deviceLink: ctrl0, attrs: []any{"wwid", "eui.0025388b71b0c2f1", "nsid", 1},
		udev: nvmeUdev("SAMSUNG MZQLB960HAJR-00007", "S437NE0M800123", "EDA5202Q", "eui.0025388b71b0c2f1",
			"pci-0000:3b:00.0-nvme-1", "ID_PART_TABLE_UUID=5f2b6c1e-8d3a-4f7b-9c21-0a1b2c3d4e5f", "ID_PART_TABLE_TYPE=gpt"),
		byID:  []string{"nvme-SAMSUNG_MZQLB960HAJR-00007_S437NE0M800123", "nvme-SAMSUNG_MZQLB960HAJR-00007_S437NE0M800123_1", "nvme-eui.0025388b71b0c2f1"},
		links: []string{"disk/by-path/pci-0000:3b:00.0-nvme-1", "disk/by-diskseq/1"},
		parts: []partSpec{
			{start: 2048, sectors: 1048576, byID: []string{"nvme-SAMSUNG_MZQLB960HAJR-00007_S437NE0M800123-part1", "nvme-eui.0025388b71b0c2f1-part1"},
				udev: gptPart(1, 2048, 1048576, "259:0", guidESP, `EFI\x20System\x20Partition`, fsProps("vfat", "3A1F-9C2B", "", "FAT32")...)},
			{start: 1050624, sectors: 1874331648, byID: []string{"nvme-SAMSUNG_MZQLB960HAJR-00007_S437NE0M800123-part2", "nvme-eui.0025388b71b0c2f1-part2"},
				udev: gptPart(2, 1050624, 1874331648, "259:0", guidLinux, "", fsProps("ext4", "b4c1e7a2-5d3f-4e6a-8b9c-0d1e2f3a4b5c", "rootfs", "1.0")...)},
		}})

	// nvme1: native NVMe multipath, the namespace head lives in the subsystem and the
	// per-controller path (nvme1c1n1) is hidden.
	ctrl1 := nvmePCI1 + "/nvme/nvme1"
	t.attrs(ctrl1, "model", "INTEL SSDPE2KX010T8", "serial", "PHLJ9123004X1P0FGN", "firmware_rev", "VDV10170",
		"transport", "pcie", "address", "0000:5e:00.0", "state", "live", "cntlid", 0)
	t.link(ctrl1+"/device", nvmePCI1)
	t.link("sys/class/nvme/nvme1", ctrl1)
	subsys := "sys/devices/virtual/nvme-subsystem/nvme-subsys1"
	t.attrs(subsys, "model", "INTEL SSDPE2KX010T8", "serial", "PHLJ9123004X1P0FGN", "firmware_rev", "VDV10170",
		"subsysnqn", "nqn.2014.08.org.nvmexpress:80868086PHLJ9123004X1P0FGN  INTEL SSDPE2KX010T8", "iopolicy", "numa")
	t.link(subsys+"/nvme1", ctrl1)
	const wwid1 = "nvme.8086-50484c4a393132333030345831503046474e-494e54454c20535344504532b4b5830313054038-00000001"
	t.disk(diskSpec{name: "nvme1c1n1", dir: ctrl1 + "/nvme1c1n1", dev: "259:3", sectors: 1953525168,
		deviceLink: ctrl1, hidden: true, noUdev: true})
	t.disk(diskSpec{name: "nvme1n1", dir: subsys + "/nvme1n1", dev: "259:4", sectors: 1953525168,
		deviceLink: subsys, attrs: []any{"wwid", wwid1, "nsid", 1},
		udev:  nvmeUdev("INTEL SSDPE2KX010T8", "PHLJ9123004X1P0FGN", "VDV10170", wwid1, "pci-0000:5e:00.0-nvme-1"),
		byID:  []string{"nvme-INTEL_SSDPE2KX010T8_PHLJ9123004X1P0FGN", "nvme-INTEL_SSDPE2KX010T8_PHLJ9123004X1P0FGN_1", "nvme-" + wwid1},
		links: []string{"disk/by-path/pci-0000:5e:00.0-nvme-1", "disk/by-diskseq/2"}})

	// Two 4 TB Exos on the chipset AHCI; sdb carries an LVM physical volume (dm-0 is
	// active but not mounted).
	sda := t.scsiDevice(ahci+"/ata1", "0:0:0:0", "ATA     ", "ST4000NM002A-2HZ", "SN03", "naa.5000c500c1a2b3c4")
	t.disk(diskSpec{name: "sda", dir: sda + "/block/sda", dev: "8:0", sectors: 7814037168, rotational: true,
		deviceLink: sda,
		udev:       ataUdev("ST4000NM002A-2HZ101", "WJG0ABCD", "SN03", "0x5000c500c1a2b3c4", 7200, "pci-0000:00:17.0-ata-1.0"),
		byID:       []string{"ata-ST4000NM002A-2HZ101_WJG0ABCD", "wwn-0x5000c500c1a2b3c4"},
		links:      []string{"disk/by-path/pci-0000:00:17.0-ata-1.0", "disk/by-path/pci-0000:00:17.0-ata-1", "disk/by-diskseq/3"}})
	sdb := t.scsiDevice(ahci+"/ata2", "1:0:0:0", "ATA     ", "ST4000NM002A-2HZ", "SN03", "naa.5000c500c1a2b3d5")
	t.disk(diskSpec{name: "sdb", dir: sdb + "/block/sdb", dev: "8:16", sectors: 7814037168, rotational: true,
		deviceLink: sdb,
		udev: ataUdev("ST4000NM002A-2HZ101", "WJG0EFGH", "SN03", "0x5000c500c1a2b3d5", 7200, "pci-0000:00:17.0-ata-2.0",
			"ID_PART_TABLE_UUID=9d41e0c2", "ID_PART_TABLE_TYPE=dos"),
		byID: []string{"ata-ST4000NM002A-2HZ101_WJG0EFGH", "wwn-0x5000c500c1a2b3d5", "scsi-35000c500c1a2b3d5",
			"scsi-SATA_ST4000NM002A-2HZ_WJG0EFGH", "scsi-0ATA_ST4000NM002A-2HZ_WJG0EFGH"},
		links: []string{"disk/by-path/pci-0000:00:17.0-ata-2.0", "disk/by-diskseq/4"},
		parts: []partSpec{{start: 2048, sectors: 7814035120, holders: []string{"dm-0"},
			byID: []string{"ata-ST4000NM002A-2HZ101_WJG0EFGH-part1", "wwn-0x5000c500c1a2b3d5-part1", "lvm-pv-uuid-Xc1dZp-4Hk2-Lm9n-Qr3s-Tu5v-Wx7y-Za0bCd"},
			udev: dosPart(1, 2048, 7814035120, "8:16", "0x8e", fsProps("LVM2_member", "Xc1dZp-4Hk2-Lm9n-Qr3s-Tu5v-Wx7y-Za0bCd", "", "LVM2 001")...)}}})
	dm := t.virtBlock("dm-0", "254:0", 4294967296, "dm/name", "data-vms", "dm/uuid", "LVM-q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6", "dm/suspended", 0)
	t.link(dm+"/slaves/sdb1", sdb+"/block/sdb/sdb1")
	t.file("run/udev/data/b254:0", udevDB([]string{"disk/by-id/dm-name-data-vms", "mapper/data-vms", "data/vms"},
		[]string{"DM_NAME=data-vms", "DM_UUID=LVM-q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c2v3b4n5m6", "DM_VG_NAME=data", "DM_LV_NAME=vms", "ID_FS_TYPE="}))
	t.link("dev/disk/by-id/dm-name-data-vms", "dev/dm-0")

	// Netboot: the store squashfs comes from the initrd, swap is zram.
	t.virtBlock("loop0", "7:0", 2890752, "ro", 1, "loop/backing_file", "/nix-store.squashfs", "loop/autoclear", 1)
	t.virtBlock("loop1", "7:1", 0)
	t.virtBlock("zram0", "252:0", 201326592, "comp_algorithm", "lzo lzo-rle lz4 [zstd]", "disksize", 103079215104)
	t.swaps("/dev/zram0                              partition\t100663292\t0\t\t5")
	t.mountinfo(`
22 1 0:21 / / rw,relatime shared:1 - tmpfs tmpfs rw,mode=755
23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=9875512k,nr_inodes=24688780,mode=755
24 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
25 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
26 22 7:0 / /nix/.ro-store ro,relatime shared:8 - squashfs /dev/loop0 ro,errors=continue
27 22 0:24 / /nix/.rw-store rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
28 22 0:25 / /nix/store rw,relatime shared:10 - overlay overlay rw,lowerdir=/nix/.ro-store,upperdir=/nix/.rw-store/store,workdir=/nix/.rw-store/work,uuid=on
29 25 0:26 / /sys/firmware/efi/efivars rw,nosuid,nodev,noexec,relatime shared:12 - efivarfs efivarfs rw
30 22 0:27 / /run rw,nosuid,nodev shared:11 - tmpfs tmpfs rw,size=98755142k,mode=755
`)

	t.nic(nicSpec{name: "eno1", devDir: igb0, mac: "ac:1f:6b:4a:2c:10", carrier: "0", speed: "-1", duplex: "unknown", ifindex: 2})
	t.nic(nicSpec{name: "eno2", devDir: igb1, mac: "ac:1f:6b:4a:2c:11", carrier: "0", speed: "-1", duplex: "unknown", ifindex: 3})
	t.nic(nicSpec{name: "ens1f0", devDir: ix0, mac: "90:e2:ba:8c:4f:a0", carrier: "1", speed: "10000", duplex: "full", ifindex: 4})
	t.nic(nicSpec{name: "ens1f1", devDir: ix1, mac: "90:e2:ba:8c:4f:a1", carrier: "1", speed: "10000", duplex: "full", ifindex: 5})
	t.nic(nicSpec{name: "lo", mac: "00:00:00:00:00:00", carrier: "1", ifindex: 1})
	return t
}

// biosSATA: Dell OptiPlex 9020 in legacy BIOS mode, VT-d disabled in setup (no DMAR),
// one SATA SSD with an old Debian whose swap the operator activated, installer on DVD.
func biosSATA() *tree {
	t := newTree()
	t.cpus(cpuSpec{vendor: "GenuineIntel", model: "Intel(R) Core(TM) i5-4590 CPU @ 3.30GHz",
		family: 6, modelNo: 60, step: 3, sockets: 1, cores: 4, thread: 1, mhz: "3300.000",
		flags: haswellFlags, vmxFlags: haswellVMXFlags, bugs: intelBugs, physical: true})
	t.meminfo(8051204)
	t.dmi("sys_vendor", "Dell Inc.", "product_name", "OptiPlex 9020", "board_vendor", "Dell Inc.",
		"board_name", "0PC5F7", "bios_vendor", "Dell Inc.", "bios_version", "A25", "chassis_type", "3")
	t.acpiTables("APIC", "DSDT", "FACP", "HPET", "MCFG", "SSDT1", "SSDT2")
	h0 := "sys/devices/pci0000:00"
	t.pci(pciDev{addr: "0000:00:00.0", parent: h0, class: "0x060000", vendor: "0x8086", device: "0x0c00", subVendor: "0x1028", subDevice: "0x05a4", group: -1})
	t.pci(pciDev{addr: "0000:00:02.0", parent: h0, class: "0x030000", vendor: "0x8086", device: "0x0412", subVendor: "0x1028", subDevice: "0x05a4", driver: "i915", group: -1})
	t.pci(pciDev{addr: "0000:00:14.0", parent: h0, class: "0x0c0330", vendor: "0x8086", device: "0x8c31", subVendor: "0x1028", subDevice: "0x05a4", driver: "xhci_hcd", group: -1})
	e1000e := t.pci(pciDev{addr: "0000:00:19.0", parent: h0, class: "0x020000", vendor: "0x8086", device: "0x153a", subVendor: "0x1028", subDevice: "0x05a4", driver: "e1000e", group: -1})
	ahci := t.pci(pciDev{addr: "0000:00:1f.2", parent: h0, class: "0x010601", vendor: "0x8086", device: "0x8c02", subVendor: "0x1028", subDevice: "0x05a4", driver: "ahci", group: -1})

	sda := t.scsiDevice(ahci+"/ata1", "0:0:0:0", "ATA     ", "Samsung SSD 850 ", "2B6Q", "naa.5002538d40a1b2c3")
	t.disk(diskSpec{name: "sda", dir: sda + "/block/sda", dev: "8:0", sectors: 488397168, deviceLink: sda,
		udev: ataUdev("Samsung SSD 850 EVO 250GB", "S2R6NX0J123456A", "EMT02B6Q", "0x5002538d40a1b2c3", 0, "pci-0000:00:1f.2-ata-1.0",
			"ID_PART_TABLE_UUID=0e5d2a11", "ID_PART_TABLE_TYPE=dos"),
		byID:  []string{"ata-Samsung_SSD_850_EVO_250GB_S2R6NX0J123456A", "wwn-0x5002538d40a1b2c3"},
		links: []string{"disk/by-path/pci-0000:00:1f.2-ata-1.0", "disk/by-diskseq/1"},
		parts: []partSpec{
			{start: 2048, sectors: 480002048, byID: []string{"ata-Samsung_SSD_850_EVO_250GB_S2R6NX0J123456A-part1", "wwn-0x5002538d40a1b2c3-part1"},
				udev: dosPart(1, 2048, 480002048, "8:0", "0x83", fsProps("ext4", "7d3e1f0a-2b4c-4d6e-8f90-a1b2c3d4e5f6", "debian", "1.0")...)},
			{start: 480006142, sectors: 2, byID: []string{"ata-Samsung_SSD_850_EVO_250GB_S2R6NX0J123456A-part2", "wwn-0x5002538d40a1b2c3-part2"},
				udev: dosPart(2, 480006142, 8390656, "8:0", "0x5")},
			{start: 480006144, sectors: 8388608, byID: []string{"ata-Samsung_SSD_850_EVO_250GB_S2R6NX0J123456A-part5", "wwn-0x5002538d40a1b2c3-part5"},
				udev: dosPart(5, 480006144, 8388608, "8:0", "0x82", fsProps("swap", "1c9a8b7e-6d5f-4e3a-9b2c-1d0e9f8a7b6c", "", "1")...)},
		}})
	sr0 := t.scsiDevice(ahci+"/ata2", "1:0:0:0", "HL-DT-ST", "DVD+-RW GHB0N   ", "A1C0", "")
	t.disk(diskSpec{name: "sr0", dir: sr0 + "/block/sr0", dev: "11:0", sectors: 2890752 + 200000, removable: true, ro: true,
		rotational: true, deviceLink: sr0,
		udev: []string{"ID_CDROM=1", "ID_CDROM_DVD=1", "ID_BUS=ata", "ID_TYPE=cd", "ID_MODEL=HL-DT-ST_DVD+-RW_GHB0N",
			"ID_FS_TYPE=iso9660", "ID_FS_LABEL=nixos-minimal-25.11-x86_64", "ID_FS_LABEL_ENC=nixos-minimal-25.11-x86_64"},
		byID: []string{"ata-HL-DT-ST_DVD+-RW_GHB0N_K1OF8E41234"}})
	isoLoop(t)
	t.mountinfo(isoMounts("11:0", "/dev/root", false))
	t.swaps("/dev/sda5                               partition\t4194300\t\t0\t\t-2")
	t.nic(nicSpec{name: "enp0s25", devDir: e1000e, mac: "f8:bc:12:3a:9d:41", carrier: "1", speed: "1000", duplex: "full", ifindex: 2})
	t.nic(nicSpec{name: "lo", mac: "00:00:00:00:00:00", carrier: "1", ifindex: 1})
	return t
}

// amdSecureBoot: MSI B650 board, Ryzen 9 7950X, UEFI with Secure Boot on, AMD-Vi
// (IVRS, ivhd0), Windows on the NVMe, the installer ISO written to a USB stick.
func amdSecureBoot() *tree {
	t := newTree()
	t.cpus(cpuSpec{vendor: "AuthenticAMD", model: "AMD Ryzen 9 7950X 16-Core Processor",
		family: 25, modelNo: 97, step: 2, sockets: 1, cores: 16, thread: 2, mhz: "4500.000",
		flags: zen4Flags, bugs: "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso", physical: true})
	t.meminfo(65011916)
	t.dmi("sys_vendor", "Micro-Star International Co., Ltd.", "product_name", "MS-7D75",
		"board_vendor", "Micro-Star International Co., Ltd.", "board_name", "MAG B650 TOMAHAWK WIFI (MS-7D75)",
		"bios_vendor", "American Megatrends International, LLC.", "bios_version", "1.F0", "chassis_type", "3")
	t.efi(64, 1, 0)
	t.acpiTables("APIC", "DSDT", "FACP", "FPDT", "HPET", "IVRS", "MCFG", "SSDT1", "TPM2")
	h0 := "sys/devices/pci0000:00"
	t.pci(pciDev{addr: "0000:00:00.0", parent: h0, class: "0x060000", vendor: "0x1022", device: "0x14d8", group: 0})
	iommuPCI := t.pci(pciDev{addr: "0000:00:00.2", parent: h0, class: "0x080600", vendor: "0x1022", device: "0x14d9", group: 1})
	t.iommuClass("ivhd0", iommuPCI+"/iommu/ivhd0", "amd-iommu/cap", "0x00203040", "amd-iommu/features", "0x246577efa2254afa")
	gpp1 := t.pci(pciDev{addr: "0000:00:01.2", parent: h0, class: "0x060400", vendor: "0x1022", device: "0x14db", driver: "pcieport", group: 2})
	gpp2 := t.pci(pciDev{addr: "0000:00:02.1", parent: h0, class: "0x060400", vendor: "0x1022", device: "0x14db", driver: "pcieport", group: 3})
	gpp3 := t.pci(pciDev{addr: "0000:00:02.2", parent: h0, class: "0x060400", vendor: "0x1022", device: "0x14db", driver: "pcieport", group: 4})
	gpp4 := t.pci(pciDev{addr: "0000:00:08.1", parent: h0, class: "0x060400", vendor: "0x1022", device: "0x14dd", driver: "pcieport", group: 5})
	nvmePCI := t.pci(pciDev{addr: "0000:01:00.0", parent: gpp1, class: "0x010802", vendor: "0x15b7", device: "0x5030", subVendor: "0x15b7", subDevice: "0x5030", driver: "nvme", group: 12})
	wifi := t.pci(pciDev{addr: "0000:04:00.0", parent: gpp2, class: "0x028000", vendor: "0x14c3", device: "0x0616", subVendor: "0x14c3", subDevice: "0x0616", driver: "mt7921e", group: 13})
	rtl := t.pci(pciDev{addr: "0000:05:00.0", parent: gpp3, class: "0x020000", vendor: "0x10ec", device: "0x8125", subVendor: "0x1462", subDevice: "0x7d75", driver: "r8169", group: 14})
	t.pci(pciDev{addr: "0000:0e:00.0", parent: gpp4, class: "0x030000", vendor: "0x1002", device: "0x164e", subVendor: "0x1462", subDevice: "0x7d75", driver: "amdgpu", group: 20})
	xhci := t.pci(pciDev{addr: "0000:0e:00.3", parent: gpp4, class: "0x0c0330", vendor: "0x1022", device: "0x15b6", subVendor: "0x1462", subDevice: "0x7d75", driver: "xhci_hcd", group: 21})
	t.file("usr/share/misc/pci.ids", pciIDsSample)

	ctrl := nvmePCI + "/nvme/nvme0"
	t.attrs(ctrl, "model", "WD_BLACK SN850X 2000GB", "serial", "23174L800123", "firmware_rev", "620311WD",
		"transport", "pcie", "address", "0000:01:00.0", "state", "live", "cntlid", 0)
	t.link(ctrl+"/device", nvmePCI)
	t.link("sys/class/nvme/nvme0", ctrl)
	const eui = "eui.e8238fa6bf530001001b448b4a1b2c3d"
	t.disk(diskSpec{name: "nvme0n1", dir: ctrl + "/nvme0n1", dev: "259:0", sectors: 3907029168,
		deviceLink: ctrl, attrs: []any{"wwid", eui, "nsid", 1},
		udev: nvmeUdev("WD_BLACK SN850X 2000GB", "23174L800123", "620311WD", eui, "pci-0000:01:00.0-nvme-1",
			"ID_PART_TABLE_UUID=a7c3e1f2-4b5d-4c6e-8f9a-0b1c2d3e4f5a", "ID_PART_TABLE_TYPE=gpt"),
		byID:  []string{"nvme-WD_BLACK_SN850X_2000GB_23174L800123", "nvme-WD_BLACK_SN850X_2000GB_23174L800123_1", "nvme-" + eui},
		links: []string{"disk/by-path/pci-0000:01:00.0-nvme-1"},
		parts: []partSpec{
			{start: 2048, sectors: 204800, byID: []string{"nvme-WD_BLACK_SN850X_2000GB_23174L800123-part1", "nvme-" + eui + "-part1"},
				udev: gptPart(1, 2048, 204800, "259:0", guidESP, `EFI\x20system\x20partition`, fsProps("vfat", "5C2E-81A4", "", "FAT32")...)},
			{start: 206848, sectors: 32768, byID: []string{"nvme-WD_BLACK_SN850X_2000GB_23174L800123-part2", "nvme-" + eui + "-part2"},
				udev: gptPart(2, 206848, 32768, "259:0", guidMSR, `Microsoft\x20reserved\x20partition`)},
			{start: 239616, sectors: 1048576000, byID: []string{"nvme-WD_BLACK_SN850X_2000GB_23174L800123-part3", "nvme-" + eui + "-part3"},
				udev: gptPart(3, 239616, 1048576000, "259:0", guidBasic, `Basic\x20data\x20partition`, fsProps("ntfs", "01DA2C3B4E5F6A70", "Windows", "")...)},
			{start: 1048815616, sectors: 2056192, byID: []string{"nvme-WD_BLACK_SN850X_2000GB_23174L800123-part4", "nvme-" + eui + "-part4"},
				udev: gptPart(4, 1048815616, 2056192, "259:0", guidWinRE, "", fsProps("ntfs", "4A5B6C7D8E9F0A1B", "", "")...)},
			{start: 1050871808, sectors: 2856157184, byID: []string{"nvme-WD_BLACK_SN850X_2000GB_23174L800123-part5", "nvme-" + eui + "-part5"},
				udev: gptPart(5, 1050871808, 2856157184, "259:0", guidBasic, `Basic\x20data\x20partition`, fsProps("ntfs", "2B3C4D5E6F708192", "Data Disk", "")...)},
		}})

	// The installer: the isohybrid image dd'ed to a SanDisk stick. blkid sees iso9660
	// on the whole disk and an MBR whose first partition covers the ISO.
	usbIf := xhci + "/usb2/2-1/2-1:1.0"
	t.attrs(xhci+"/usb2/2-1", "idVendor", "0781", "idProduct", "5581", "manufacturer", " USB", "product", " SanDisk 3.2Gen1", "serial", "4C530001230419115453")
	stick := t.scsiDevice(usbIf, "6:0:0:0", "SanDisk ", "Ultra           ", "1.00", "")
	t.disk(diskSpec{name: "sda", dir: stick + "/block/sda", dev: "8:0", sectors: 60063744, removable: true, rotational: true,
		deviceLink: stick,
		udev: []string{"ID_VENDOR=SanDisk", `ID_VENDOR_ENC=SanDisk\x20`, "ID_VENDOR_ID=0781", "ID_MODEL=Ultra",
			`ID_MODEL_ENC=Ultra\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20`, "ID_MODEL_ID=5581", "ID_REVISION=1.00",
			"ID_SERIAL=SanDisk_Ultra_4C530001230419115453-0:0", "ID_SERIAL_SHORT=4C530001230419115453", "ID_TYPE=disk",
			"ID_INSTANCE=0:0", "ID_BUS=usb", "ID_USB_INTERFACES=:080650:", "ID_USB_INTERFACE_NUM=00", "ID_USB_DRIVER=usb-storage",
			"ID_PATH=pci-0000:0e:00.3-usb-0:1:1.0-scsi-0:0:0:0", "ID_PATH_TAG=pci-0000_0e_00_3-usb-0_1_1_0-scsi-0_0_0_0",
			"ID_FS_BOOT_SYSTEM_ID=EL\\x20TORITO\\x20SPECIFICATION", "ID_FS_UUID=2025-11-20-12-00-00-00", "ID_FS_UUID_ENC=2025-11-20-12-00-00-00",
			"ID_FS_VERSION=Joliet Extension", "ID_FS_LABEL=nixos-minimal-25.11-x86_64", "ID_FS_LABEL_ENC=nixos-minimal-25.11-x86_64",
			"ID_FS_TYPE=iso9660", "ID_FS_USAGE=filesystem", "ID_PART_TABLE_UUID=6c8f7a1b", "ID_PART_TABLE_TYPE=dos"},
		byID:  []string{"usb-SanDisk_Ultra_4C530001230419115453-0:0"},
		links: []string{"disk/by-path/pci-0000:0e:00.3-usb-0:1:1.0-scsi-0:0:0:0", "disk/by-label/nixos-minimal-25.11-x86_64"},
		parts: []partSpec{
			{start: 0, sectors: 2891776, byID: []string{"usb-SanDisk_Ultra_4C530001230419115453-0:0-part1"},
				udev: dosPart(1, 0, 2891776, "8:0", "0x0", append(fsProps("iso9660", "2025-11-20-12-00-00-00", "nixos-minimal-25.11-x86_64", "Joliet Extension"), "ID_PART_ENTRY_FLAGS=0x80")...)},
			{start: 1264, sectors: 20480, byID: []string{"usb-SanDisk_Ultra_4C530001230419115453-0:0-part2"},
				udev: dosPart(2, 1264, 20480, "8:0", "0xef", fsProps("vfat", "1234-ABCD", "EFIBOOT", "FAT12")...)},
		}})
	isoLoop(t)
	t.mountinfo(isoMounts("8:1", "/dev/sda1", true))
	t.swaps()
	t.nic(nicSpec{name: "enp5s0", devDir: rtl, mac: "04:7c:16:9a:3e:21", carrier: "1", speed: "1000", duplex: "full", ifindex: 2})
	// The Wi-Fi is down (no carrier file value) and wpa_supplicant gave it a random MAC.
	t.nic(nicSpec{name: "wlp4s0", devDir: wifi, mac: "7a:3e:91:0c:55:d2", assignType: 3, wireless: true, ifindex: 3})
	t.nic(nicSpec{name: "lo", mac: "00:00:00:00:00:00", carrier: "1", ifindex: 1})
	return t
}

// virtioVM: QEMU/KVM q35 with OVMF (no keys enrolled: setup mode), virtio-blk and
// virtio-net, 2 GiB, no nested virtualisation, installer ISO on the virtual CD.
func virtioVM() *tree {
	t := newTree()
	t.cpus(cpuSpec{vendor: "AuthenticAMD", model: "AMD EPYC 7763 64-Core Processor",
		family: 25, modelNo: 1, step: 1, sockets: 1, cores: 4, thread: 1, mhz: "2445.406",
		flags: kvmGuestFlags, bugs: "sysret_ss_attrs null_seg spectre_v1 spectre_v2 spec_store_bypass srso", physical: true})
	t.meminfo(2014256)
	t.dmi("sys_vendor", "QEMU", "product_name", "Standard PC (Q35 + ICH9, 2009)", "product_version", "pc-q35-9.2",
		"bios_vendor", "EDK II", "bios_version", "unknown", "chassis_vendor", "QEMU", "chassis_type", "1")
	t.efi(64, 0, 1)
	t.acpiTables("APIC", "DSDT", "FACP", "MCFG", "WAET")
	h0 := "sys/devices/pci0000:00"
	t.pci(pciDev{addr: "0000:00:00.0", parent: h0, class: "0x060000", vendor: "0x8086", device: "0x29c0", subVendor: "0x1af4", subDevice: "0x1100", group: -1})
	t.pci(pciDev{addr: "0000:00:01.0", parent: h0, class: "0x030000", vendor: "0x1234", device: "0x1111", subVendor: "0x1af4", subDevice: "0x1100", driver: "bochs-drm", group: -1})
	rp0 := t.pci(pciDev{addr: "0000:00:02.0", parent: h0, class: "0x060400", vendor: "0x1b36", device: "0x000c", driver: "pcieport", group: -1})
	rp3 := t.pci(pciDev{addr: "0000:00:02.3", parent: h0, class: "0x060400", vendor: "0x1b36", device: "0x000c", driver: "pcieport", group: -1})
	rp4 := t.pci(pciDev{addr: "0000:00:02.4", parent: h0, class: "0x060400", vendor: "0x1b36", device: "0x000c", driver: "pcieport", group: -1})
	ahci := t.pci(pciDev{addr: "0000:00:1f.2", parent: h0, class: "0x010601", vendor: "0x8086", device: "0x2922", subVendor: "0x1af4", subDevice: "0x1100", driver: "ahci", group: -1})
	netPCI := t.pci(pciDev{addr: "0000:01:00.0", parent: rp0, class: "0x020000", vendor: "0x1af4", device: "0x1041", subVendor: "0x1af4", subDevice: "0x1100", driver: "virtio-pci", group: -1})
	blkPCI := t.pci(pciDev{addr: "0000:04:00.0", parent: rp3, class: "0x010000", vendor: "0x1af4", device: "0x1042", subVendor: "0x1af4", subDevice: "0x1100", driver: "virtio-pci", group: -1})
	blk2PCI := t.pci(pciDev{addr: "0000:05:00.0", parent: rp4, class: "0x010000", vendor: "0x1af4", device: "0x1042", subVendor: "0x1af4", subDevice: "0x1100", driver: "virtio-pci", group: -1})

	vnet := t.virtioDevice(netPCI, 0, "0x0001", "virtio_net")
	t.nic(nicSpec{name: "enp1s0", devDir: vnet, mac: "52:54:00:12:34:56", carrier: "1", speed: "-1", duplex: "unknown", ifindex: 2})
	t.nic(nicSpec{name: "lo", mac: "00:00:00:00:00:00", carrier: "1", ifindex: 1})

	// vda has no serial, so udev makes no by-id link for it (60-persistent-storage.rules
	// names virtio disks by serial only).
	vblk := t.virtioDevice(blkPCI, 3, "0x0002", "virtio_blk")
	t.disk(diskSpec{name: "vda", dir: vblk + "/block/vda", dev: "253:0", sectors: 25165824, rotational: true,
		deviceLink: vblk, attrs: []any{"serial", ""},
		udev:  []string{"ID_PATH=pci-0000:04:00.0", "ID_PATH_TAG=pci-0000_04_00_0"},
		links: []string{"disk/by-path/pci-0000:04:00.0", "disk/by-path/virtio-pci-0000:04:00.0", "disk/by-diskseq/1"}})
	vblk2 := t.virtioDevice(blk2PCI, 4, "0x0002", "virtio_blk")
	t.disk(diskSpec{name: "vdb", dir: vblk2 + "/block/vdb", dev: "253:16", sectors: 16777216, rotational: true,
		deviceLink: vblk2, attrs: []any{"serial", "data-disk-1"},
		udev: []string{"ID_SERIAL=data-disk-1", "ID_PATH=pci-0000:05:00.0", "ID_PATH_TAG=pci-0000_05_00_0",
			"ID_PART_TABLE_UUID=0b8f3c2d-1e4a-4b6c-9d8e-7f6a5b4c3d2e", "ID_PART_TABLE_TYPE=gpt"},
		byID:  []string{"virtio-data-disk-1"},
		links: []string{"disk/by-path/pci-0000:05:00.0", "disk/by-diskseq/2"},
		parts: []partSpec{{start: 2048, sectors: 16773120, byID: []string{"virtio-data-disk-1-part1"},
			udev: gptPart(1, 2048, 16773120, "253:16", guidLinux, "scratch", fsProps("ext4", "e2a1b3c4-d5e6-4f70-8192-a3b4c5d6e7f8", "scratch", "1.0")...)}}})
	cd := t.scsiDevice(ahci+"/ata1", "0:0:0:0", "QEMU    ", "QEMU DVD-ROM    ", "2.5+", "")
	t.disk(diskSpec{name: "sr0", dir: cd + "/block/sr0", dev: "11:0", sectors: 2891776, removable: true, ro: true,
		rotational: true, deviceLink: cd,
		udev: []string{"ID_CDROM=1", "ID_BUS=ata", "ID_TYPE=cd", "ID_MODEL=QEMU_DVD-ROM", "ID_SERIAL=QEMU_DVD-ROM_QM00001",
			"ID_FS_TYPE=iso9660", "ID_FS_LABEL=nixos-minimal-25.11-x86_64", "ID_FS_LABEL_ENC=nixos-minimal-25.11-x86_64"},
		byID: []string{"ata-QEMU_DVD-ROM_QM00001"}})
	isoLoop(t)
	t.mountinfo(isoMounts("11:0", "/dev/root", true))
	t.swaps()
	return t
}

// xenDom0: an installed XenNix host (Supermicro, Xeon E-2388G) running as dom0 with 4
// vCPUs and dom0_mem=4096M; a GPU is bound to pciback for passthrough; one guest's vif.
func xenDom0() *tree {
	t := newTree()
	t.cpus(cpuSpec{vendor: "GenuineIntel", model: "Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz",
		family: 6, modelNo: 167, step: 1, sockets: 1, cores: 4, thread: 1, mhz: "3187.200",
		flags: xenDom0Flags, bugs: intelBugs, physical: true})
	t.meminfo(3921468)
	t.dmi("sys_vendor", "Supermicro", "product_name", "SYS-510T-ML", "board_vendor", "Supermicro",
		"board_name", "X12STH-LN4F", "bios_vendor", "American Megatrends International, LLC.", "bios_version", "2.1",
		"chassis_type", "17")
	t.efi(64, 0, 0)
	// No DMAR: Xen hides it from dom0.
	t.acpiTables("APIC", "DSDT", "FACP", "HPET", "MCFG", "SSDT1")
	t.attrs("sys/hypervisor", "type", "xen", "uuid", "00000000-0000-0000-0000-000000000000",
		"version/major", 4, "version/minor", 19, "version/extra", ".3",
		"properties/capabilities", "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64")
	t.file("proc/xen/capabilities", "control_d\n")
	h0 := "sys/devices/pci0000:00"
	t.pci(pciDev{addr: "0000:00:00.0", parent: h0, class: "0x060000", vendor: "0x8086", device: "0x4c53", subVendor: "0x15d9", subDevice: "0x1c48", group: -1})
	rpGPU := t.pci(pciDev{addr: "0000:00:01.0", parent: h0, class: "0x060400", vendor: "0x8086", device: "0x4c01", driver: "pcieport", group: -1})
	t.pci(pciDev{addr: "0000:00:17.0", parent: h0, class: "0x010601", vendor: "0x8086", device: "0x43d2", subVendor: "0x15d9", subDevice: "0x1c48", driver: "ahci", group: -1})
	rpNIC := t.pci(pciDev{addr: "0000:00:1c.0", parent: h0, class: "0x060400", vendor: "0x8086", device: "0x43b8", driver: "pcieport", group: -1})
	rpNVMe := t.pci(pciDev{addr: "0000:00:1d.0", parent: h0, class: "0x060400", vendor: "0x8086", device: "0x43b0", driver: "pcieport", group: -1})
	t.pci(pciDev{addr: "0000:01:00.0", parent: rpGPU, class: "0x030000", vendor: "0x10de", device: "0x1fb0", subVendor: "0x10de", subDevice: "0x12db", driver: "pciback", group: -1})
	t.pci(pciDev{addr: "0000:01:00.1", parent: rpGPU, class: "0x040300", vendor: "0x10de", device: "0x10fa", subVendor: "0x10de", subDevice: "0x12db", driver: "pciback", group: -1})
	igb := t.pci(pciDev{addr: "0000:02:00.0", parent: rpNIC, class: "0x020000", vendor: "0x8086", device: "0x1533", subVendor: "0x15d9", subDevice: "0x1533", driver: "igb", group: -1})
	nvmePCI := t.pci(pciDev{addr: "0000:03:00.0", parent: rpNVMe, class: "0x010802", vendor: "0x144d", device: "0xa80a", subVendor: "0x144d", subDevice: "0xa801", driver: "nvme", group: -1})

	ctrl := nvmePCI + "/nvme/nvme0"
	t.attrs(ctrl, "model", "Samsung SSD 980 PRO 1TB", "serial", "S5GXNF0R123456A", "firmware_rev", "5B2QGXA7",
		"transport", "pcie", "address", "0000:03:00.0", "state", "live", "cntlid", 6)
	t.link(ctrl+"/device", nvmePCI)
	const eui = "eui.002538b211b4c5d6"
	t.disk(diskSpec{name: "nvme0n1", dir: ctrl + "/nvme0n1", dev: "259:0", sectors: 1953525168,
		deviceLink: ctrl, attrs: []any{"wwid", eui, "nsid", 1},
		udev: nvmeUdev("Samsung SSD 980 PRO 1TB", "S5GXNF0R123456A", "5B2QGXA7", eui, "pci-0000:03:00.0-nvme-1",
			"ID_PART_TABLE_UUID=c0ffee00-1234-4abc-9def-0123456789ab", "ID_PART_TABLE_TYPE=gpt"),
		byID:  []string{"nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R123456A", "nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R123456A_1", "nvme-" + eui},
		links: []string{"disk/by-path/pci-0000:03:00.0-nvme-1", "disk/by-partlabel/disk-main-ESP"},
		parts: []partSpec{
			{start: 2048, sectors: 2097152, byID: []string{"nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R123456A-part1", "nvme-" + eui + "-part1"},
				udev: gptPart(1, 2048, 2097152, "259:0", guidESP, "disk-main-ESP", fsProps("vfat", "9E4D-1A2B", "", "FAT32")...)},
			{start: 2099200, sectors: 1951423967, byID: []string{"nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R123456A-part2", "nvme-" + eui + "-part2"},
				udev: gptPart(2, 2099200, 1951423967, "259:0", guidLinux, "disk-main-root", fsProps("ext4", "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9", "nixos", "1.0")...)},
		}})
	t.mountinfo(`
21 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
22 21 259:2 /nix/store /nix/store ro,nosuid,nodev,relatime shared:2 - ext4 /dev/nvme0n1p2 rw
23 21 0:5 / /dev rw,nosuid shared:3 - devtmpfs devtmpfs rw,size=196072k,nr_inodes=487541,mode=755
24 21 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
25 21 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
26 24 0:45 / /proc/xen rw,relatime shared:20 - xenfs xenfs rw
27 21 259:1 / /boot rw,relatime shared:21 - vfat /dev/nvme0n1p1 rw,fmask=0077,dmask=0077,codepage=437,iocharset=iso8859-1,shortname=mixed,errors=remount-ro
28 25 0:26 / /sys/firmware/efi/efivars rw,nosuid,nodev,noexec,relatime shared:12 - efivarfs efivarfs rw
29 21 0:27 / /run rw,nosuid,nodev shared:11 - tmpfs tmpfs rw,size=980364k,mode=755
`)
	t.swaps()

	t.nic(nicSpec{name: "eno1", devDir: igb, mac: "3c:ec:ef:12:34:56", carrier: "1", speed: "1000", duplex: "full", ifindex: 2})
	t.nic(nicSpec{name: "xenbr0", mac: "3c:ec:ef:12:34:56", assignType: 3, carrier: "1", virtualKind: "bridge", ifindex: 3})
	// Netback interfaces belong to a xenbus backend device, not to /sys/devices/virtual.
	vif := "sys/devices/vif-1-0"
	t.attrs(vif, "devtype", "vif", "nodename", "backend/vif/1/0", "state", "connected")
	t.link(vif+"/driver", "sys/bus/xen-backend/drivers/vif")
	t.link(vif+"/subsystem", "sys/bus/xen-backend")
	t.link("sys/bus/xen-backend/devices/vif-1-0", vif)
	t.nic(nicSpec{name: "vif1.0", devDir: vif, mac: "fe:ff:ff:ff:ff:ff", carrier: "1", ifindex: 4})
	t.nic(nicSpec{name: "lo", mac: "00:00:00:00:00:00", carrier: "1", ifindex: 1})
	return t
}
