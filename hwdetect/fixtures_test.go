package hwdetect

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// The fixture trees under testdata/<machine>/ are written by this file: run
//
//	go test ./hwdetect -run TestFixtures -generate
//
// after changing a machine below, review the diff, and commit the trees (symlinks are
// real symlinks in git). Without -generate, TestFixtures checks that the committed trees
// are what this file describes. Layouts follow real machines: sysfs as in
// Documentation/ABI (block, net, pci, iommu_groups), udev databases as systemd 257 writes
// them, /proc files as Linux 6.12 prints them.

var generate = flag.Bool("generate", false, "rewrite the fixture trees in testdata")

// tree is a fixture being built: files and symlinks, by path relative to the root.
type tree struct {
	files map[string]string
	links map[string]string // path → target, relative to path's directory
}

func newTree() *tree { return &tree{files: map[string]string{}, links: map[string]string{}} }

func (t *tree) file(p, content string) { t.files[p] = content }

// attr writes a sysfs attribute: the value and a newline.
func (t *tree) attr(p string, v any) { t.files[p] = fmt.Sprint(v) + "\n" }

// attrs writes several attributes into dir.
func (t *tree) attrs(dir string, kv ...any) {
	for i := 0; i+1 < len(kv); i += 2 {
		t.attr(dir+"/"+kv[i].(string), kv[i+1])
	}
}

// link makes at a symlink to target (both relative to the root), written relative as
// sysfs does.
func (t *tree) link(at, target string) {
	rel, err := filepath.Rel(path.Dir(at), target)
	if err != nil {
		panic(err)
	}
	t.links[at] = rel
}

func (t *tree) write(dir string) error {
	for p, c := range t.files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			return err
		}
	}
	for p, target := range t.links {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, full); err != nil {
			return err
		}
	}
	return nil
}

// --- building blocks -------------------------------------------------------------

type cpuSpec struct {
	vendor, model          string
	family, modelNo, step  int
	sockets, cores, thread int
	mhz                    string
	flags, vmxFlags        string
	bugs                   string
	physical               bool // "physical id"/"core id" lines (absent in some VMs)
}

func (t *tree) cpus(c cpuSpec) {
	n := c.sockets * c.cores * c.thread
	var b strings.Builder
	for id := 0; id < n; id++ {
		thr := id / (c.sockets * c.cores)
		sock := (id / c.cores) % c.sockets
		core := id % c.cores
		fmt.Fprintf(&b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\nmodel name\t: %s\nstepping\t: %d\n",
			id, c.vendor, c.family, c.modelNo, c.model, c.step)
		fmt.Fprintf(&b, "cpu MHz\t\t: %s\ncache size\t: 1024 KB\n", c.mhz)
		if c.physical {
			fmt.Fprintf(&b, "physical id\t: %d\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n",
				sock, c.cores*c.thread, core, c.cores, sock*64+core*2+thr, sock*64+core*2+thr)
		}
		fmt.Fprintf(&b, "fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 22\nwp\t\t: yes\nflags\t\t: %s\n", c.flags)
		if c.vmxFlags != "" {
			fmt.Fprintf(&b, "vmx flags\t: %s\n", c.vmxFlags)
		}
		fmt.Fprintf(&b, "bugs\t\t: %s\nbogomips\t: 4800.00\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 46 bits physical, 48 bits virtual\npower management:\n\n", c.bugs)

		dir := fmt.Sprintf("sys/devices/system/cpu/cpu%d", id)
		if id > 0 {
			t.attr(dir+"/online", 1)
		}
		sib := fmt.Sprintf("%d", id)
		if c.thread == 2 {
			base := sock*c.cores + core
			sib = fmt.Sprintf("%d,%d", base, base+c.sockets*c.cores)
		}
		t.attrs(dir+"/topology", "physical_package_id", sock, "core_id", core, "die_id", 0,
			"thread_siblings_list", sib)
		t.link(dir+"/subsystem", "sys/bus/cpu")
		t.link(fmt.Sprintf("sys/bus/cpu/devices/cpu%d", id), dir)
	}
	t.file("proc/cpuinfo", b.String())
	r := fmt.Sprintf("0-%d", n-1)
	t.attrs("sys/devices/system/cpu", "online", r, "possible", r, "present", r, "kernel_max", 8191)
}

func (t *tree) meminfo(totalKB uint64) {
	t.file("proc/meminfo", fmt.Sprintf(`MemTotal:       %d kB
MemFree:        %d kB
MemAvailable:   %d kB
Buffers:            2052 kB
Cached:           812340 kB
SwapCached:            0 kB
Active:           402112 kB
Inactive:         610844 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Dirty:                 8 kB
AnonPages:        198564 kB
Mapped:           160932 kB
Shmem:            720004 kB
Slab:             112388 kB
PageTables:         6164 kB
CommitLimit:    %d kB
VmallocTotal:   34359738367 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
DirectMap4k:      301916 kB
`, totalKB, totalKB*9/10, totalKB*9/10, totalKB/2))
}

func (t *tree) dmi(kv ...string) {
	// /sys/class/dmi/id is a symlink into /sys/devices/virtual/dmi/id.
	t.link("sys/class/dmi/id", "sys/devices/virtual/dmi/id")
	for i := 0; i+1 < len(kv); i += 2 {
		t.attr("sys/devices/virtual/dmi/id/"+kv[i], kv[i+1])
	}
}

func (t *tree) acpiTables(names ...string) {
	for _, n := range names {
		// A table header: signature, length, revision... (ACPI 6.5, 5.2.6); the content
		// does not matter here, only presence.
		t.file("sys/firmware/acpi/tables/"+n, n+"\x40\x00\x00\x00\x01\x00INTEL \x00")
	}
}

// efi makes a UEFI /sys/firmware/efi with efivarfs mounted.
func (t *tree) efi(bits int, secureBoot, setupMode byte) {
	t.attr("sys/firmware/efi/fw_platform_size", bits)
	t.attr("sys/firmware/efi/runtime", "0xfffffffe0e000000")
	t.file("sys/firmware/efi/systab", "ACPI20=0x6f1fe014\nACPI=0x6f1fe000\nSMBIOS3=0x6e4a4000\n")
	vars := "sys/firmware/efi/efivars/"
	// Attributes 0x06 = BOOTSERVICE_ACCESS|RUNTIME_ACCESS, then the value.
	t.file(vars+"SecureBoot-"+efiGlobal, string([]byte{6, 0, 0, 0, secureBoot}))
	t.file(vars+"SetupMode-"+efiGlobal, string([]byte{6, 0, 0, 0, setupMode}))
	t.file(vars+"BootCurrent-"+efiGlobal, string([]byte{6, 0, 0, 0, 1, 0}))
}

type pciDev struct {
	addr, parent          string // parent: sysfs dir of the bridge or host bridge
	class, vendor, device string // 0x-prefixed as sysfs prints them
	subVendor, subDevice  string
	driver                string
	group                 int // -1: none
}

// pci adds a PCI function and returns its sysfs directory.
func (t *tree) pci(d pciDev) string {
	dir := d.parent + "/" + d.addr
	if d.subVendor == "" {
		d.subVendor, d.subDevice = d.vendor, "0x0000"
	}
	t.attrs(dir, "class", d.class, "vendor", d.vendor, "device", d.device,
		"subsystem_vendor", d.subVendor, "subsystem_device", d.subDevice,
		"revision", "0x01", "enable", 1, "numa_node", -1,
		"modalias", fmt.Sprintf("pci:v0000%sd0000%ssv0000%ssd0000%sbc%ssc%si%s",
			strings.ToUpper(d.vendor[2:]), strings.ToUpper(d.device[2:]),
			strings.ToUpper(d.subVendor[2:]), strings.ToUpper(d.subDevice[2:]),
			strings.ToUpper(d.class[2:4]), strings.ToUpper(d.class[4:6]), strings.ToUpper(d.class[6:8])))
	t.link(dir+"/subsystem", "sys/bus/pci")
	t.link("sys/bus/pci/devices/"+d.addr, dir)
	if d.driver != "" {
		t.link(dir+"/driver", "sys/bus/pci/drivers/"+d.driver)
		t.link("sys/bus/pci/drivers/"+d.driver+"/"+d.addr, dir)
	}
	if d.group >= 0 {
		g := fmt.Sprintf("sys/kernel/iommu_groups/%d", d.group)
		t.link(dir+"/iommu_group", g)
		t.link(g+"/devices/"+d.addr, dir)
		t.attr(g+"/type", "DMA-FQ")
	}
	return dir
}

type partSpec struct {
	start, sectors uint64
	udev           []string // E: properties
	byID           []string
	holders        []string
}

type diskSpec struct {
	name, dir, dev  string // dir: the disk's sysfs directory; dev: major:minor
	sectors         uint64
	removable, ro   bool
	rotational      bool
	deviceLink      string // target of the device link
	attrs           []any  // extra attributes in the disk directory
	links           []string
	udev            []string // E: properties of the disk
	byID            []string
	holders         []string
	parts           []partSpec
	noUdev, hidden  bool
	partMinorStride int
}

func partName(disk string, n int) string {
	last := disk[len(disk)-1]
	if last >= '0' && last <= '9' {
		return fmt.Sprintf("%sp%d", disk, n)
	}
	return fmt.Sprintf("%s%d", disk, n)
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

// udevDB renders a udev database entry as systemd writes it.
func udevDB(links []string, env []string) string {
	var b strings.Builder
	for _, l := range links {
		fmt.Fprintf(&b, "S:%s\n", l)
	}
	b.WriteString("W:3\nI:5123456\n")
	for _, e := range env {
		fmt.Fprintf(&b, "E:%s\n", e)
	}
	b.WriteString("G:systemd\nQ:systemd\nV:1\n")
	return b.String()
}

func (t *tree) disk(d diskSpec) {
	t.attrs(d.dir, "dev", d.dev, "size", d.sectors, "removable", b01(d.removable), "ro", b01(d.ro),
		"range", 16, "ext_range", 256, "capability", "0", "alignment_offset", 0, "discard_alignment", 0,
		"hidden", b01(d.hidden), "diskseq", 1)
	t.attrs(d.dir+"/queue", "rotational", b01(d.rotational), "logical_block_size", 512,
		"physical_block_size", 4096, "scheduler", "[none] mq-deadline kyber")
	t.attrs(d.dir, d.attrs...)
	if d.deviceLink != "" {
		t.link(d.dir+"/device", d.deviceLink)
	}
	t.link(d.dir+"/subsystem", "sys/class/block")
	t.link("sys/block/"+d.name, d.dir)
	t.link("sys/class/block/"+d.name, d.dir)
	t.link("sys/dev/block/"+d.dev, d.dir)
	for _, h := range d.holders {
		t.link(d.dir+"/holders/"+h, "sys/devices/virtual/block/"+h)
	}
	var udevLinks []string
	for _, l := range d.byID {
		t.link("dev/disk/by-id/"+l, "dev/"+d.name)
		udevLinks = append(udevLinks, "disk/by-id/"+l)
	}
	udevLinks = append(udevLinks, d.links...)
	if !d.noUdev {
		t.file("run/udev/data/b"+d.dev, udevDB(udevLinks, d.udev))
	}
	major, minor, _ := strings.Cut(d.dev, ":")
	var m int
	fmt.Sscan(minor, &m)
	stride := d.partMinorStride
	if stride == 0 {
		stride = 1
	}
	for i, p := range d.parts {
		n := i + 1
		if num := propValue(p.udev, "ID_PART_ENTRY_NUMBER"); num != "" {
			fmt.Sscan(num, &n)
		}
		pn := partName(d.name, n)
		pdir := d.dir + "/" + pn
		pdev := fmt.Sprintf("%s:%d", major, m+n*stride)
		if major == "259" {
			// NVMe partitions get dynamic minors from the extended range.
			pdev = fmt.Sprintf("259:%d", m+1+i)
		}
		t.attrs(pdir, "dev", pdev, "partition", n, "start", p.start, "size", p.sectors, "ro", 0,
			"alignment_offset", 0, "discard_alignment", 0)
		t.link(pdir+"/subsystem", "sys/class/block")
		t.link("sys/class/block/"+pn, pdir)
		t.link("sys/dev/block/"+pdev, pdir)
		for _, h := range p.holders {
			t.link(pdir+"/holders/"+h, "sys/devices/virtual/block/"+h)
		}
		var pl []string
		for _, l := range p.byID {
			t.link("dev/disk/by-id/"+l, "dev/"+pn)
			pl = append(pl, "disk/by-id/"+l)
		}
		if !d.noUdev {
			t.file("run/udev/data/b"+pdev, udevDB(pl, p.udev))
		}
	}
}

func propValue(env []string, key string) string {
	for _, e := range env {
		if k, v, ok := strings.Cut(e, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// virtBlock adds a device under /sys/devices/virtual/block (loop, zram, dm).
func (t *tree) virtBlock(name, dev string, sectors uint64, extra ...any) string {
	dir := "sys/devices/virtual/block/" + name
	t.attrs(dir, "dev", dev, "size", sectors, "removable", 0, "ro", 0, "hidden", 0)
	t.attrs(dir, extra...)
	t.link(dir+"/subsystem", "sys/class/block")
	t.link("sys/block/"+name, dir)
	t.link("sys/class/block/"+name, dir)
	t.link("sys/dev/block/"+dev, dir)
	return dir
}

type nicSpec struct {
	name, devDir  string // devDir: the device the interface belongs to; "" for virtual
	mac           string
	assignType    int
	carrier       string // "1", "0", or "" for no file (down: sysfs answers EINVAL)
	speed, duplex string
	wireless      bool
	ifindex       int
	virtualKind   string // for virtual ones: bridge, ...
}

func (t *tree) nic(n nicSpec) {
	dir := "sys/devices/virtual/net/" + n.name
	if n.devDir != "" {
		dir = n.devDir + "/net/" + n.name
		t.link(dir+"/device", n.devDir)
	}
	t.attrs(dir, "address", n.mac, "addr_assign_type", n.assignType, "addr_len", 6,
		"broadcast", "ff:ff:ff:ff:ff:ff", "mtu", 1500, "ifindex", n.ifindex, "type", 1,
		"tx_queue_len", 1000, "operstate", map[bool]string{true: "up", false: "down"}[n.carrier == "1"])
	if n.carrier != "" {
		t.attr(dir+"/carrier", n.carrier)
	}
	if n.speed != "" {
		t.attr(dir+"/speed", n.speed)
	}
	if n.duplex != "" {
		t.attr(dir+"/duplex", n.duplex)
	}
	if n.wireless {
		phy := n.devDir + "/ieee80211/phy0"
		t.attrs(phy, "index", 0, "name", "phy0", "macaddress", n.mac)
		t.link(dir+"/phy80211", phy)
		t.attrs(dir+"/wireless", "status", "0x0000", "link", 0, "level", 0, "noise", 0)
	}
	if n.virtualKind == "bridge" {
		t.attrs(dir+"/bridge", "stp_state", 0, "forward_delay", 1500, "bridge_id", "8000."+strings.ReplaceAll(n.mac, ":", ""))
	}
	t.link(dir+"/subsystem", "sys/class/net")
	t.link("sys/class/net/"+n.name, dir)
}

// virtioDevice adds virtioN below a PCI function, bound to drv.
func (t *tree) virtioDevice(pciDir string, n int, id, drv string) string {
	dir := fmt.Sprintf("%s/virtio%d", pciDir, n)
	t.attrs(dir, "vendor", "0x1af4", "device", id, "status", "0x0000000f",
		"features", "0100000000000000000000000000110000000000000000000000000000000000")
	t.link(dir+"/driver", "sys/bus/virtio/drivers/"+drv)
	t.link(fmt.Sprintf("sys/bus/virtio/drivers/%s/virtio%d", drv, n), dir)
	t.link(dir+"/subsystem", "sys/bus/virtio")
	t.link(fmt.Sprintf("sys/bus/virtio/devices/virtio%d", n), dir)
	return dir
}

// scsiDevice adds an ATA or USB SCSI device (H:C:T:L) and returns its directory.
func (t *tree) scsiDevice(hostDir, hctl, vendor, model, rev, wwid string) string {
	h, rest, _ := strings.Cut(hctl, ":")
	c, rest, _ := strings.Cut(rest, ":")
	tg, _, _ := strings.Cut(rest, ":")
	dir := fmt.Sprintf("%s/host%s/target%s:%s:%s/%s", hostDir, h, h, c, tg, hctl)
	t.attrs(dir, "vendor", vendor, "model", model, "rev", rev, "type", 0, "scsi_level", 8, "state", "running")
	if wwid != "" {
		t.attr(dir+"/wwid", wwid)
	}
	t.link(dir+"/driver", "sys/bus/scsi/drivers/sd")
	t.link(dir+"/subsystem", "sys/bus/scsi")
	return dir
}

func (t *tree) iommuClass(name, dir string, kv ...any) {
	t.attrs(dir, kv...)
	t.link("sys/class/iommu/"+name, dir)
}

func (t *tree) mountinfo(lines string) {
	// /proc/self is a symlink to the reading process's directory.
	t.link("proc/self", "proc/4242")
	t.file("proc/4242/mountinfo", strings.TrimLeft(lines, "\n"))
}

func (t *tree) swaps(lines ...string) {
	s := "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	for _, l := range lines {
		s += l + "\n"
	}
	t.file("proc/swaps", s)
}

// --- the check -------------------------------------------------------------------

// fixtures lists the machines; each builds its tree.
var fixtures = []struct {
	name  string
	build func() *tree
}{
	{"uefi-intel-server", intelServer},
	{"bios-sata", biosSATA},
	{"uefi-amd-secureboot", amdSecureBoot},
	{"virtio-vm", virtioVM},
	{"xen-dom0", xenDom0},
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			want := filepath.Join("testdata", fx.name)
			if *generate {
				if err := os.RemoveAll(want); err != nil {
					t.Fatal(err)
				}
				if err := fx.build().write(want); err != nil {
					t.Fatal(err)
				}
				return
			}
			got := t.TempDir()
			if err := fx.build().write(got); err != nil {
				t.Fatal(err)
			}
			g, w := snapshot(t, got), snapshot(t, want)
			for p, gv := range g {
				if wv, ok := w[p]; !ok {
					t.Errorf("%s: in the generator, not in testdata (run with -generate)", p)
				} else if gv != wv {
					t.Errorf("%s = %q, want %q (run with -generate)", p, short(wv), short(gv))
				}
			}
			for p := range w {
				if _, ok := g[p]; !ok {
					t.Errorf("%s: in testdata, not in the generator (run with -generate)", p)
				}
			}
		})
	}
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// snapshot maps each file to "f:" + content and each symlink to "l:" + target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			m[rel] = "l:" + target
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = "f:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
