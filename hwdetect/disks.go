package hwdetect

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	diskfs "github.com/diskfs/go-diskfs"
)

// Block devices are read from sysfs directly rather than through ghw's block package:
// ghw substitutes "unknown" for every unreadable file (so the report could not say what
// went wrong), lists loop, zram and dm devices, matches mounts by device name from
// /proc/self/mounts (which misses btrfs and the installer's loop-mounted squashfs), and
// does not expose the udev properties needed here (ID_BUS, ID_PART_TABLE_TYPE, links).

// notDisks are kernel name prefixes of block devices that are never install targets:
// loop, RAM and compressed-RAM disks, device-mapper and md arrays (built on disks we do
// list), optical drives, network block devices, ZFS zvols, floppies.
var notDisks = []string{"loop", "ram", "zram", "dm-", "md", "sr", "nbd", "zd", "rbd", "drbd", "fd", "nullb", "mtdblock"}

// mmcHWPart matches the eMMC hardware boot and RPMB partitions, which the kernel lists
// as separate disks (Documentation/mmc/mmc-dev-parts.rst).
var mmcHWPart = regexp.MustCompile(`^mmcblk\d+(boot\d+|rpmb|gp\d+)$`)

var partSuffix = regexp.MustCompile(`-part\d+$`)

// blockIndex knows every block device by name and major:minor, and what is mounted.
type blockIndex struct {
	devOf   map[string]string // kernel name → "8:1"
	nameOf  map[string]string // "8:1" → kernel name
	dmName  map[string]string // device-mapper name → dm-N
	mounts  map[string][]string
	inUse   map[string]bool // major:minor of mounted, swap or loop-backing devices
	medium  map[string]bool // major:minor of the installer's boot medium
	byID    map[string][]string
	hasByID bool
}

func (s *scanner) disks() []Disk {
	ix := s.blockIndex()
	var out []Disk
	for _, name := range s.readDir("sys/block", required) {
		if skipBlock(name) {
			continue
		}
		if d, ok := s.disk(name, ix); ok {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return naturalLess(out[i].Name, out[j].Name) })
	return out
}

func skipBlock(name string) bool {
	for _, p := range notDisks {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return mmcHWPart.MatchString(name)
}

func (s *scanner) blockIndex() *blockIndex {
	ix := &blockIndex{
		devOf: map[string]string{}, nameOf: map[string]string{}, dmName: map[string]string{},
		mounts: map[string][]string{}, inUse: map[string]bool{}, medium: map[string]bool{},
		byID: map[string][]string{},
	}
	// /sys/class/block lists disks and partitions alike (Documentation/ABI/stable/sysfs-block).
	for _, name := range s.readDir("sys/class/block", optional) {
		dev, ok := s.readString("sys/class/block/"+name+"/dev", optional)
		if !ok || !strings.Contains(dev, ":") {
			continue
		}
		ix.devOf[name] = dev
		ix.nameOf[dev] = name
		if strings.HasPrefix(name, "dm-") {
			if n, ok := s.readString("sys/class/block/"+name+"/dm/name", optional); ok {
				ix.dmName[n] = name
			}
		}
	}
	s.indexByID(ix)
	s.indexMounts(ix)
	return ix
}

// indexByID maps kernel names to their /dev/disk/by-id links. The directory is what udev
// made (rules.d/60-persistent-storage.rules); when it is absent (a container, udev not
// started) the S: lines of the udev database stand in, see disk().
func (s *scanner) indexByID(ix *blockIndex) {
	const dir = "dev/disk/by-id"
	if !s.isDir(dir) {
		return
	}
	ix.hasByID = true
	for _, l := range s.readDir(dir, required) {
		t, err := os.Readlink(s.abs(dir + "/" + l))
		if err != nil {
			s.problem(dir+"/"+l, "not a symlink")
			continue
		}
		name := path.Base(t)
		ix.byID[name] = append(ix.byID[name], "/"+dir+"/"+l)
	}
}

// deviceOf maps a mount source such as /dev/sda2 or /dev/mapper/vg-root to a kernel name.
func (s *scanner) deviceOf(ix *blockIndex, src string) string {
	if !strings.HasPrefix(src, "/dev/") {
		return ""
	}
	n := strings.TrimPrefix(src, "/dev/")
	if dm, ok := strings.CutPrefix(n, "mapper/"); ok {
		return ix.dmName[dm]
	}
	if _, ok := ix.devOf[n]; ok {
		return n
	}
	if strings.HasPrefix(n, "disk/") {
		if t, err := os.Readlink(s.abs(src)); err == nil {
			return path.Base(t)
		}
	}
	return ""
}

// indexMounts records which devices are in use. Mounts are matched by major:minor
// (mountinfo field 3); btrfs reports an anonymous 0:N there, so the source device
// is matched too. Active swap comes from /proc/swaps. A loop device's backing file
// (/sys/block/loopN/loop/backing_file) makes the filesystem holding it busy.
//
// The NixOS installer ISO (nixos/modules/installer/cd-dvd/iso-image.nix) mounts its
// medium on /iso and the store squashfs /iso/nix-store.squashfs on /nix/.ro-store
// through a loop device; netboot images keep the squashfs in the initrd instead.
func (s *scanner) indexMounts(ix *blockIndex) {
	const mi = "proc/self/mountinfo"
	b, ok := s.readFile(mi, required)
	if ok {
		ms, err := parseMountinfo(b)
		if err != nil {
			s.problem(mi, "%v", err)
		}
		s.mounts = ms
		if len(ms) == 0 {
			s.problem(mi, "no mounts listed")
		}
	}
	mark := func(dev, mp string) {
		ix.mounts[dev] = appendUnique(ix.mounts[dev], mp)
		ix.inUse[dev] = true
		if mp == "/iso" {
			ix.medium[dev] = true
		}
	}
	for _, m := range s.mounts {
		if !strings.HasPrefix(m.MajMin, "0:") {
			mark(m.MajMin, m.MountPoint)
		} else if n := s.deviceOf(ix, m.Source); n != "" {
			mark(ix.devOf[n], m.MountPoint)
		}
	}
	if b, ok := s.readFile("proc/swaps", required); ok {
		sw, err := parseSwaps(b)
		if err != nil {
			s.problem("proc/swaps", "%v", err)
		}
		for _, f := range sw {
			if n := s.deviceOf(ix, f); n != "" {
				ix.mounts[ix.devOf[n]] = appendUnique(ix.mounts[ix.devOf[n]], "[SWAP]")
				ix.inUse[ix.devOf[n]] = true
			}
		}
	}
	for _, name := range s.readDir("sys/block", optional) {
		if !strings.HasPrefix(name, "loop") {
			continue
		}
		bf, ok := s.readString("sys/block/"+name+"/loop/backing_file", optional)
		if !ok || bf == "" {
			continue
		}
		holder := s.mountHolding(bf)
		if holder == nil || strings.HasPrefix(holder.MajMin, "0:") {
			continue
		}
		ix.inUse[holder.MajMin] = true
		loopDev := ix.devOf[name]
		for _, mp := range ix.mounts[loopDev] {
			if mp == "/nix/.ro-store" || mp == "/iso" {
				ix.medium[holder.MajMin] = true
			}
		}
		if strings.HasPrefix(bf, "/iso/") {
			ix.medium[holder.MajMin] = true
		}
	}
}

// mountHolding returns the mount whose mount point is the longest prefix of file.
func (s *scanner) mountHolding(file string) *mountEntry {
	var best *mountEntry
	for i := range s.mounts {
		m := &s.mounts[i]
		mp := m.MountPoint
		if file == mp || strings.HasPrefix(file, strings.TrimSuffix(mp, "/")+"/") {
			if best == nil || len(mp) >= len(best.MountPoint) {
				best = m
			}
		}
	}
	return best
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func (s *scanner) udev(dev string) (udevRecord, bool) {
	if dev == "" {
		return udevRecord{Env: map[string]string{}}, false
	}
	rel := "run/udev/data/b" + dev
	b, ok := s.readFile(rel, optional)
	if !ok {
		return udevRecord{Env: map[string]string{}}, false
	}
	rec, err := parseUdevDB(b)
	if err != nil {
		s.problem(rel, "%v", err)
	}
	return rec, true
}

func (s *scanner) disk(name string, ix *blockIndex) (Disk, bool) {
	base := "sys/block/" + name
	if s.readFlag(base+"/hidden", optional) {
		// NVMe multipath paths (nvme0c0n1) are hidden behind the namespace head.
		return Disk{}, false
	}
	d := Disk{Name: name}
	sectors, ok := s.readUint(base+"/size", required)
	if !ok || sectors == 0 {
		// Empty card readers and drives without medium have size 0.
		return Disk{}, false
	}
	// "size" counts 512-byte sectors whatever the logical block size
	// (Documentation/ABI/stable/sysfs-block, include/linux/blk_types.h SECTOR_SHIFT).
	d.SizeBytes = sectors * 512
	dev, _ := s.readString(base+"/dev", required)
	if dev == "" {
		dev = ix.devOf[name]
	}
	rec, hasUdev := s.udev(dev)
	env := rec.Env

	d.Model = firstNonEmpty(udevDecode(env["ID_MODEL_ENC"]), env["ID_MODEL"], s.readText(base+"/device/model"))
	d.Vendor = firstNonEmpty(udevDecode(env["ID_VENDOR_ENC"]), env["ID_VENDOR"])
	if d.Vendor == "" && strings.HasPrefix(name, "sd") {
		d.Vendor = s.readText(base + "/device/vendor")
	}
	if d.Vendor == "ATA" {
		// libata answers SCSI INQUIRY with vendor "ATA" for every disk
		// (drivers/ata/libata-scsi.c, ata_scsiop_inq_std): not a manufacturer.
		d.Vendor = ""
	}
	d.Serial = firstNonEmpty(env["ID_SERIAL_SHORT"], env["ID_SCSI_SERIAL"], s.readText(base+"/device/serial"), s.readText(base+"/serial"))
	d.WWN = firstNonEmpty(env["ID_WWN_WITH_EXTENSION"], env["ID_WWN"], s.readText(base+"/wwid"), s.readText(base+"/device/wwid"))
	d.Rotational = s.readFlag(base+"/queue/rotational", optional)
	d.Removable = s.readFlag(base+"/removable", optional)
	d.ReadOnly = s.readFlag(base+"/ro", optional)
	sysPath, _ := s.resolve(base)
	d.Transport = transport(name, env["ID_BUS"], sysPath)

	switch t := env["ID_PART_TABLE_TYPE"]; t {
	case "gpt":
		d.PartitionTable = "gpt"
	case "dos":
		d.PartitionTable = "mbr"
	default:
		d.PartitionTable = t
	}
	if !hasUdev && s.readTable != nil {
		if t, err := s.readTable("/dev/" + name); err == nil {
			d.PartitionTable = t
		}
	}
	d.FSType = env["ID_FS_TYPE"]
	d.FSLabel = firstNonEmpty(udevDecode(env["ID_FS_LABEL_ENC"]), env["ID_FS_LABEL"])
	d.MountPoints = ix.mounts[dev]

	links := ix.byID[name]
	if !ix.hasByID {
		for _, l := range rec.Links {
			if strings.HasPrefix(l, "disk/by-id/") {
				links = append(links, "/dev/"+l)
			}
		}
	}
	d.ByIDLinks, d.ByID = rankByID(links)

	busy := ix.inUse[dev]
	medium := ix.medium[dev]
	holders := s.holders(base, ix, map[string]bool{}, &busy)
	for _, p := range s.readDir(base, required) {
		if !strings.HasPrefix(p, name) || !s.exists(base+"/"+p+"/partition") {
			continue
		}
		part := s.partition(base+"/"+p, p, ix)
		d.Partitions = append(d.Partitions, part)
		pdev := ix.devOf[p]
		if pdev == "" {
			pdev, _ = s.readString(base+"/"+p+"/dev", optional)
		}
		busy = busy || ix.inUse[pdev]
		medium = medium || ix.medium[pdev]
		holders = append(holders, s.holders(base+"/"+p, ix, map[string]bool{}, &busy)...)
	}
	sort.Slice(d.Partitions, func(i, j int) bool {
		if d.Partitions[i].Number != d.Partitions[j].Number {
			return d.Partitions[i].Number < d.Partitions[j].Number
		}
		return naturalLess(d.Partitions[i].Name, d.Partitions[j].Name)
	})
	sort.Strings(holders)
	for _, h := range holders {
		d.Holders = appendUnique(d.Holders, h)
	}
	d.Mounted = busy
	d.InstallerMedium = medium
	return d, true
}

// holders returns the devices stacked directly on the device at rel (its holders
// directory), and sets busy when any device in the stack, however deep, is in use.
func (s *scanner) holders(rel string, ix *blockIndex, seen map[string]bool, busy *bool) []string {
	names := s.readDir(rel+"/holders", optional)
	for _, h := range names {
		if seen[h] || len(seen) > 64 {
			continue
		}
		seen[h] = true
		if ix.inUse[ix.devOf[h]] {
			*busy = true
		}
		s.holders("sys/class/block/"+h, ix, seen, busy)
	}
	return names
}

func (s *scanner) partition(rel, name string, ix *blockIndex) Partition {
	p := Partition{Name: name}
	if n, ok := s.readUint(rel+"/partition", required); ok {
		p.Number = int(min(n, 1<<20))
	}
	if n, ok := s.readUint(rel+"/size", required); ok {
		p.SizeBytes = n * 512
	}
	dev := ix.devOf[name]
	if dev == "" {
		dev, _ = s.readString(rel+"/dev", required)
	}
	rec, _ := s.udev(dev)
	env := rec.Env
	p.FSType = env["ID_FS_TYPE"]
	p.FSUUID = env["ID_FS_UUID"]
	p.Label = firstNonEmpty(udevDecode(env["ID_FS_LABEL_ENC"]), env["ID_FS_LABEL"])
	p.PartLabel = udevDecode(env["ID_PART_ENTRY_NAME"])
	p.PartType = env["ID_PART_ENTRY_TYPE"]
	p.MountPoints = ix.mounts[dev]
	return p
}

// transport names the bus a disk hangs on: the udev ID_BUS property
// (rules.d/60-persistent-storage.rules), the kernel name, then the sysfs path.
func transport(name, bus, sysPath string) string {
	switch {
	case strings.HasPrefix(name, "nvme"):
		return TransportNVMe
	case strings.HasPrefix(name, "vd"):
		return TransportVirtio
	case strings.HasPrefix(name, "mmcblk"):
		return TransportMMC
	}
	p := "/" + sysPath + "/"
	switch bus {
	case "usb":
		return TransportUSB
	case "ata":
		return TransportSATA
	case "nvme":
		return TransportNVMe
	}
	switch {
	case strings.Contains(p, "/usb"):
		return TransportUSB
	case strings.Contains(p, "/ata"):
		return TransportSATA
	case strings.Contains(p, "/end_device-"):
		// SAS disks sit below an end_device (drivers/scsi/scsi_transport_sas.c).
		return TransportSAS
	case strings.Contains(p, "/host") && strings.Contains(p, "/target"):
		return TransportSCSI
	case bus == "scsi":
		return TransportSCSI
	}
	return TransportUnknown
}

// byIDRank orders /dev/disk/by-id names from most to least stable. WWNs and NVMe EUIs
// name the medium itself whatever the controller; <bus>-<model>_<serial> names follow;
// links made for what is on the disk (an LVM PV, an md member) never name the disk.
func byIDRank(link string) int {
	b := path.Base(link)
	switch {
	case partSuffix.MatchString(b):
		return 100
	case strings.HasPrefix(b, "wwn-"):
		return 0
	case strings.HasPrefix(b, "nvme-eui."):
		return 1
	case strings.HasPrefix(b, "nvme-nvme."):
		return 9
	}
	for i, p := range []string{"ata-", "nvme-", "scsi-", "usb-", "virtio-", "mmc-"} {
		if strings.HasPrefix(b, p) {
			return 2 + i
		}
	}
	for _, p := range []string{"lvm-pv-uuid-", "md-", "dm-", "lvm-"} {
		if strings.HasPrefix(b, p) {
			return 99
		}
	}
	return 10
}

// rankByID sorts links best first and picks the best one that names the disk.
func rankByID(links []string) (sorted []string, best string) {
	var out []string
	for _, l := range links {
		if byIDRank(l) < 100 {
			out = appendUnique(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := byIDRank(out[i]), byIDRank(out[j])
		if ri != rj {
			return ri < rj
		}
		if len(out[i]) != len(out[j]) {
			return len(out[i]) < len(out[j])
		}
		return out[i] < out[j]
	})
	if len(out) > 0 && byIDRank(out[0]) < 99 {
		best = out[0]
	}
	return out, best
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// naturalLess orders names with numbers by value: sda < sdb < sdaa, nvme2n1 < nvme10n1.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		ai, bi := digitPrefix(a), digitPrefix(b)
		if ai > 0 && bi > 0 {
			an, bn := strings.TrimLeft(a[:ai], "0"), strings.TrimLeft(b[:bi], "0")
			if len(an) != len(bn) {
				return len(an) < len(bn)
			}
			if an != bn {
				return an < bn
			}
			a, b = a[ai:], b[bi:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// readTableFromDevice reads the partition table of a block device with go-diskfs. It is
// used only when scanning "/" and udev has no record of the disk (udev not running yet),
// and opens the device read-only.
func readTableFromDevice(dev string) (string, error) {
	if _, err := os.Stat(filepath.Clean(dev)); err != nil {
		return "", err
	}
	d, err := diskfs.Open(dev, diskfs.WithOpenMode(diskfs.ReadOnly))
	if err != nil {
		return "", err
	}
	defer d.Close()
	t, err := d.GetPartitionTable()
	if err != nil {
		return "", err
	}
	return t.Type(), nil
}
