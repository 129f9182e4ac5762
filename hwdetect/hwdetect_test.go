package hwdetect

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestFixtureFacts states what each machine must show, independently of the goldens
// (which -update rewrites).
func TestFixtureFacts(t *testing.T) {
	t.Setenv("PCIDB_PATH", "")
	hasWarning := func(r Report, sub string) bool {
		return slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, sub) })
	}
	for _, tc := range []struct {
		machine string
		what    string
		got     func(Report) any
		want    any
	}{
		{"uefi-intel-server", "firmware", func(r Report) any { return r.Firmware }, Firmware{Mode: "uefi", PlatformBits: 64}},
		{"uefi-intel-server", "topology", func(r Report) any { return [3]int{r.CPU.Sockets, r.CPU.Cores, r.CPU.Threads} }, [3]int{2, 20, 40}},
		{"uefi-intel-server", "virt", func(r Report) any { return r.CPU.Virtualization + "/" + r.CPU.SLAT }, "vmx/ept"},
		{"uefi-intel-server", "iommu", func(r Report) any { return r.IOMMU.Active && r.IOMMU.ACPIDMAR && r.IOMMU.Groups == 14 }, true},
		{"uefi-intel-server", "disks", func(r Report) any { return diskNames(r) }, []string{"nvme0n1", "nvme1n1", "sda", "sdb"}},
		{"uefi-intel-server", "nvme0n1 by-id", func(r Report) any { d, _ := r.Disk("nvme0n1"); return d.ByID }, "/dev/disk/by-id/nvme-eui.0025388b71b0c2f1"},
		{"uefi-intel-server", "nvme1n1 by-id", func(r Report) any { d, _ := r.Disk("nvme1n1"); return d.ByID }, "/dev/disk/by-id/nvme-INTEL_SSDPE2KX010T8_PHLJ9123004X1P0FGN"},
		{"uefi-intel-server", "sdb by-id", func(r Report) any { d, _ := r.Disk("sdb"); return d.ByID }, "/dev/disk/by-id/wwn-0x5000c500c1a2b3d5"},
		{"uefi-intel-server", "sdb holders", func(r Report) any { d, _ := r.Disk("sdb"); return d.Holders }, []string{"dm-0"}},
		{"uefi-intel-server", "sda model from udev", func(r Report) any { d, _ := r.Disk("sda"); return d.Model + "/" + d.Vendor }, "ST4000NM002A-2HZ101/"},
		{"uefi-intel-server", "nics", func(r Report) any { return nicNames(r) }, []string{"eno1", "eno2", "ens1f0", "ens1f1"}},
		{"uefi-intel-server", "10G link", func(r Report) any { n, _ := r.NIC("ens1f0"); return [2]any{n.Carrier, n.SpeedMbps} }, [2]any{true, 10000}},
		{"uefi-intel-server", "1G no link", func(r Report) any { n, _ := r.NIC("eno2"); return [2]any{n.Carrier, n.SpeedMbps} }, [2]any{false, 0}},
		{"uefi-intel-server", "pci name", func(r Report) any { d, _ := r.PCIDevice("af:00.0"); return d.DeviceName }, "82599ES 10-Gigabit SFI/SFP+ Network Connection"},
		{"uefi-intel-server", "no warnings", func(r Report) any { return len(r.Warnings) }, 0},
		{"bios-sata", "firmware", func(r Report) any { return r.Firmware.Mode }, "bios"},
		{"bios-sata", "limine warning", func(r Report) any { return hasWarning(r, "Limine") }, true},
		{"bios-sata", "no iommu warning", func(r Report) any { return hasWarning(r, "No IOMMU") }, true},
		{"bios-sata", "swap makes sda busy", func(r Report) any { d, _ := r.Disk("sda"); return d.Mounted && !d.InstallerMedium }, true},
		{"bios-sata", "sr0 filtered", func(r Report) any { return diskNames(r) }, []string{"sda"}},
		{"bios-sata", "partition numbers", func(r Report) any {
			d, _ := r.Disk("sda")
			var n []int
			for _, p := range d.Partitions {
				n = append(n, p.Number)
			}
			return n
		}, []int{1, 2, 5}},
		{"bios-sata", "pci numeric only", func(r Report) any { return r.PCI[0].VendorName + r.PCI[0].VendorID }, "8086"},
		{"uefi-amd-secureboot", "secure boot", func(r Report) any { return r.Firmware.SecureBoot && hasWarning(r, "Secure Boot") }, true},
		{"uefi-amd-secureboot", "virt", func(r Report) any { return r.CPU.Virtualization + "/" + r.CPU.SLAT }, "svm/npt"},
		{"uefi-amd-secureboot", "ivrs", func(r Report) any { return r.IOMMU.ACPIIVRS && r.IOMMU.Active }, true},
		{"uefi-amd-secureboot", "usb stick is the medium", func(r Report) any {
			d, _ := r.Disk("sda")
			return [3]any{d.InstallerMedium, d.Transport, d.Removable}
		}, [3]any{true, "usb", true}},
		{"uefi-amd-secureboot", "nvme is not", func(r Report) any { d, _ := r.Disk("nvme0n1"); return d.InstallerMedium || d.Mounted }, false},
		{"uefi-amd-secureboot", "label decoded", func(r Report) any { d, _ := r.Disk("nvme0n1"); return d.Partitions[4].Label }, "Data Disk"},
		{"uefi-amd-secureboot", "wifi", func(r Report) any { n, _ := r.NIC("wlp4s0"); return [3]any{n.Wireless, n.PermanentMAC, n.Carrier} }, [3]any{true, "", false}},
		{"uefi-amd-secureboot", "pci.ids from /usr/share/misc", func(r Report) any { d, _ := r.PCIDevice("0000:05:00.0"); return d.DeviceName }, "RTL8125 2.5GbE Controller"},
		{"virtio-vm", "hypervisor", func(r Report) any { return string(r.Hypervisor) + "/" + r.HypervisorVendor }, "other-vm/QEMU"},
		{"virtio-vm", "setup mode", func(r Report) any { return r.Firmware.SetupMode }, true},
		{"virtio-vm", "vda has no by-id", func(r Report) any { d, _ := r.Disk("vda"); return d.ByID + d.Transport }, "virtio"},
		{"virtio-vm", "vdb by serial", func(r Report) any { d, _ := r.Disk("vdb"); return d.ByID }, "/dev/disk/by-id/virtio-data-disk-1"},
		{"virtio-vm", "vda has no stable id", func(r Report) any { d, _ := r.Disk("vda"); id, ok := d.StableID(); return [2]any{id, ok} }, [2]any{"", false}},
		{"virtio-vm", "vdb has a stable id", func(r Report) any { d, _ := r.Disk("vdb"); id, ok := d.StableID(); return [2]any{id, ok} }, [2]any{"/dev/disk/by-id/virtio-data-disk-1", true}},
		{"uefi-intel-server", "stable id prefers the WWN", func(r Report) any { d, _ := r.Disk("sdb"); id, _ := d.StableID(); return id }, "/dev/disk/by-id/wwn-0x5000c500c1a2b3d5"},
		{"virtio-vm", "virtio-net pci", func(r Report) any { n, _ := r.NIC("enp1s0"); return n.PCIAddress + " " + n.Driver }, "0000:01:00.0 virtio_net"},
		{"virtio-vm", "small disks", func(r Report) any {
			return hasWarning(r, "16 GiB") && hasWarning(r, "4 GiB") && hasWarning(r, "PV guests")
		}, true},
		{"xen-dom0", "hypervisor", func(r Report) any { return r.Hypervisor }, HypervisorXenDom0},
		{"xen-dom0", "iommu from xl", func(r Report) any { return r.IOMMU.Active && r.IOMMU.Source == "xl-info" }, true},
		{"xen-dom0", "machine memory", func(r Report) any { return r.Memory.TotalBytes }, uint64(65208) << 20},
		{"xen-dom0", "topology from xl", func(r Report) any { return [3]int{r.CPU.Sockets, r.CPU.Cores, r.CPU.Threads} }, [3]int{1, 8, 16}},
		{"xen-dom0", "virt from xl", func(r Report) any { return r.CPU.Virtualization + "/" + r.CPU.SLAT }, "vmx/ept"},
		{"xen-dom0", "nics", func(r Report) any { return nicNames(r) }, []string{"eno1", "vif1.0", "xenbr0"}},
		{"xen-dom0", "vif virtual", func(r Report) any { n, _ := r.NIC("vif1.0"); return n.Virtual }, true},
		{"xen-dom0", "root disk busy", func(r Report) any { d, _ := r.DiskByID("/dev/disk/by-id/nvme-eui.002538b211b4c5d6"); return d.Mounted }, true},
		{"xen-dom0", "by-id base name", func(r Report) any {
			d, _ := r.DiskByID("nvme-Samsung_SSD_980_PRO_1TB_S5GXNF0R123456A_1")
			return d.Name
		}, "nvme0n1"},
		{"xen-dom0", "by MAC", func(r Report) any { n, _ := r.NICByMAC("3C:EC:EF:12:34:56"); return n.Name }, "eno1"},
		{"xen-dom0", "pciback", func(r Report) any { d, _ := r.PCIDevice("0000:01:00.0"); return d.Driver + " " + d.ClassName }, "pciback VGA compatible controller"},
	} {
		t.Run(tc.machine+"/"+tc.what, func(t *testing.T) {
			r := scanFixture(t, tc.machine)
			if got := tc.got(r); !equalAny(got, tc.want) {
				t.Errorf("Scan(%s) %s = %#v, want %#v", tc.machine, tc.what, got, tc.want)
			}
		})
	}
}

func equalAny(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	ai, aok := a.([]int)
	bi, bok := b.([]int)
	if aok && bok {
		return slices.Equal(ai, bi)
	}
	return a == b
}

func diskNames(r Report) []string {
	var n []string
	for _, d := range r.Disks {
		n = append(n, d.Name)
	}
	return n
}

func nicNames(r Report) []string {
	var n []string
	for _, x := range r.NICs {
		n = append(n, x.Name)
	}
	return n
}

func TestRankByID(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links []string
		want  string
	}{
		{"wwn beats ata", []string{"/d/ata-X_1", "/d/wwn-0x5"}, "/d/wwn-0x5"},
		{"eui beats model", []string{"/d/nvme-M_S", "/d/nvme-eui.00"}, "/d/nvme-eui.00"},
		{"model beats nvme. wwid", []string{"/d/nvme-nvme.8086-aa", "/d/nvme-M_S_1", "/d/nvme-M_S"}, "/d/nvme-M_S"},
		{"never a partition", []string{"/d/wwn-0x5-part1"}, ""},
		{"never an lvm pv", []string{"/d/lvm-pv-uuid-abc"}, ""},
		{"ata beats scsi", []string{"/d/scsi-SATA_X", "/d/ata-X"}, "/d/ata-X"},
		{"unknown kind still names the disk", []string{"/d/mmc-SD32G_0x1"}, "/d/mmc-SD32G_0x1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := rankByID(tc.links); got != tc.want {
				t.Errorf("rankByID(%q) = %q, want %q", tc.links, got, tc.want)
			}
		})
	}
}

func TestTransport(t *testing.T) {
	for _, tc := range []struct {
		name, kname, bus, path, want string
	}{
		{"nvme", "nvme0n1", "", "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1", "nvme"},
		{"virtio", "vda", "", "sys/devices/pci0000:00/0000:00:04.0/virtio2/block/vda", "virtio"},
		{"emmc", "mmcblk0", "", "sys/devices/platform/mmc_host/mmc0/mmc0:0001/block/mmcblk0", "mmc"},
		{"sata by udev", "sda", "ata", "", "sata"},
		{"usb by path", "sdc", "", "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdc", "usb"},
		{"sas by path", "sdd", "scsi", "sys/devices/pci0000:00/0000:00:03.0/0000:02:00.0/host0/port-0:0/end_device-0:0/target0:0:0/0:0:0:0/block/sdd", "sas"},
		{"virtio-scsi", "sde", "scsi", "sys/devices/pci0000:00/0000:00:05.0/virtio3/host2/target2:0:0/2:0:0:0/block/sde", "scsi"},
		{"unknown", "xvda", "", "sys/devices/vbd-51712/block/xvda", "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := transport(tc.kname, tc.bus, tc.path); got != tc.want {
				t.Errorf("transport(%q, %q, %q) = %q, want %q", tc.kname, tc.bus, tc.path, got, tc.want)
			}
		})
	}
}

func TestNaturalLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"sda", "sdb", true}, {"sdy", "sdz", true}, {"nvme2n1", "nvme10n1", true},
		{"nvme10n1", "nvme2n1", false}, {"eno1", "eno1", false}, {"eth01", "eth1", false},
	} {
		if got := naturalLess(tc.a, tc.b); got != tc.want {
			t.Errorf("naturalLess(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParseMemTotal(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     uint64
		wantErr  bool
	}{
		{"ok", "MemTotal:       16318812 kB\nMemFree: 1 kB\n", 16318812 * 1024, false},
		{"no unit", "MemTotal: 4\n", 4096, false},
		{"missing", "MemFree: 1 kB\n", 0, true},
		{"garbage", "MemTotal: lots kB\n", 0, true},
		{"wrong unit", "MemTotal: 4 MB\n", 0, true},
		{"overflow", "MemTotal: 18446744073709551615 kB\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMemTotal([]byte(tc.in))
			if got != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("parseMemTotal(%q) = %d, %v, want %d, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestParseCPUInfo(t *testing.T) {
	for _, tc := range []struct {
		name, in       string
		vendor, model  string
		logical, cores int
		ept            bool
	}{
		{"ept on vmx flags line (Linux >= 5.8)", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nphysical id\t: 0\ncore id\t: 0\nflags\t\t: fpu vmx\nvmx flags\t: vnmi ept vpid\n\nprocessor\t: 1\nphysical id\t: 0\ncore id\t: 0\nflags\t\t: fpu vmx\n",
			"GenuineIntel", "Xeon", 2, 1, true},
		{"ept among flags (old kernels)", "processor : 0\nvendor_id : GenuineIntel\nflags : vmx ept\n", "GenuineIntel", "", 1, 0, true},
		{"squashed spaces in model", "processor: 0\nmodel name: Intel(R)   Xeon(R)  CPU\n", "", "Intel(R) Xeon(R) CPU", 1, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ci, err := parseCPUInfo([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			ept := ci.VMXFlags["ept"] || ci.Flags["ept"]
			if ci.Vendor != tc.vendor || ci.Model != tc.model || ci.Logical != tc.logical || ci.Cores != tc.cores || ept != tc.ept {
				t.Errorf("parseCPUInfo = %s %q %d logical %d cores ept %v, want %s %q %d %d %v",
					ci.Vendor, ci.Model, ci.Logical, ci.Cores, ept, tc.vendor, tc.model, tc.logical, tc.cores, tc.ept)
			}
		})
	}
	if _, err := parseCPUInfo([]byte("garbage\n")); err == nil {
		t.Errorf("parseCPUInfo(garbage) error nil, want an error")
	}
}

func TestParseMountinfo(t *testing.T) {
	in := "36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n" +
		"37 35 0:40 / /data rw shared:2 - btrfs /dev/sdb2 rw,subvol=/\n"
	got, err := parseMountinfo([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []mountEntry{
		{MajMin: "98:0", Root: "/mnt1", MountPoint: "/mnt with space", FSType: "ext3", Source: "/dev/root"},
		{MajMin: "0:40", Root: "/", MountPoint: "/data", FSType: "btrfs", Source: "/dev/sdb2"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseMountinfo = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"1 2 3\n", "1 2 nocolon / / rw - ext4 x rw\n", "1 2 8:1 / / rw shared:1 -\n"} {
		if _, err := parseMountinfo([]byte(bad)); err == nil {
			t.Errorf("parseMountinfo(%q) error nil, want an error", bad)
		}
	}
}

func TestParseUdevDB(t *testing.T) {
	rec, err := parseUdevDB([]byte("S:disk/by-id/wwn-0x5\nW:1\nE:ID_MODEL_ENC=Samsung\\x20SSD\\x20\\x20\nE:ID_FS_TYPE=\nG:systemd\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := udevDecode(rec.Env["ID_MODEL_ENC"]); got != "Samsung SSD" {
		t.Errorf("udevDecode(ID_MODEL_ENC) = %q, want %q", got, "Samsung SSD")
	}
	if v, ok := rec.Env["ID_FS_TYPE"]; !ok || v != "" {
		t.Errorf("ID_FS_TYPE = %q, %v, want \"\", true", v, ok)
	}
	if !slices.Equal(rec.Links, []string{"disk/by-id/wwn-0x5"}) {
		t.Errorf("links = %q, want [disk/by-id/wwn-0x5]", rec.Links)
	}
	if _, err := parseUdevDB([]byte("\x00\x01\x02garbage")); err == nil {
		t.Errorf("parseUdevDB(garbage) error nil, want an error")
	}
}

func TestParseXLInfo(t *testing.T) {
	b, err := os.ReadFile("testdata/xen-dom0.xl-info")
	if err != nil {
		t.Fatal(err)
	}
	xi, err := parseXLInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	if xi.Version != "4.19.3" || xi.TotalMemoryMiB != 65208 || !strings.Contains(xi.VirtCaps, "hvm_directio") || xi.NrCPUs != 16 {
		t.Errorf("parseXLInfo = %+v, want version 4.19.3, 65208 MiB, hvm_directio, 16 cpus", xi)
	}
	if s, c := xlTopology(b); s != 1 || c != 8 {
		t.Errorf("xlTopology = %d sockets %d cores, want 1, 8", s, c)
	}
	if _, err := parseXLInfo([]byte("ERROR:  Can't find hypervisor information in sysfs!\n")); err == nil {
		t.Errorf("parseXLInfo(error text) error nil, want an error")
	}
}

func TestParseEFIBool(t *testing.T) {
	for _, tc := range []struct {
		in      []byte
		want    bool
		wantErr bool
	}{
		{[]byte{6, 0, 0, 0, 1}, true, false},
		{[]byte{6, 0, 0, 0, 0}, false, false},
		{[]byte{6, 0, 0}, false, true},
		{[]byte{6, 0, 0, 0, 7}, false, true},
	} {
		got, err := parseEFIBool(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("parseEFIBool(%v) = %v, %v, want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParsePCIIDs(t *testing.T) {
	ids, err := parsePCIIDs(strings.NewReader(pciIDsSample), map[string]bool{"8086": true})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids.Devices["8086:1521"]; got != "I350 Gigabit Network Connection" {
		t.Errorf("8086:1521 = %q, want I350 Gigabit Network Connection", got)
	}
	if _, ok := ids.Vendors["144d"]; ok {
		t.Errorf("vendor 144d kept although not asked for")
	}
}

// TestStableIDNeedsByIDPath: a report read from JSON or made by hand may carry anything in
// by_id; only a /dev/disk/by-id/ path with a name is a stable id.
func TestStableIDNeedsByIDPath(t *testing.T) {
	for _, tc := range []struct {
		byID string
		ok   bool
	}{
		{"/dev/disk/by-id/wwn-0x5000c500a1b2c3d4", true},
		{"", false},
		{"/dev/sda", false},
		{"/dev/disk/by-id/", false},
		{"/dev/disk/by-path/pci-0000:00:1f.2-ata-1", false},
	} {
		id, ok := Disk{Name: "sda", ByID: tc.byID}.StableID()
		if ok != tc.ok || (ok && id != tc.byID) || (!ok && id != "") {
			t.Errorf("Disk{ByID: %q}.StableID() = %q, %t; want %t", tc.byID, id, ok, tc.ok)
		}
	}
}
