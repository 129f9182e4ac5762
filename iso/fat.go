package iso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// This file is the reader of answers media: a FAT12/16/32 filesystem, whole or in a
// partition of an MBR or GPT table, from which it reads one file of the root directory.
//
// The installer reads such a volume by itself at boot, so the volume may be anything: a
// stick left in the machine, a damaged image, a hostile one. go-diskfs v1.9.4's reader
// trusted it (a cluster chain that loops made it read until memory ran out; a directory
// entry with size 0xFFFFFFFF made it panic), so this reader trusts nothing: every offset
// is checked against the medium, every cluster number against the FAT, a chain may not
// visit a cluster twice, and the whole read is bounded in bytes (mediaReadBudget) and in
// time (mediaReadTimeout). The layouts follow Microsoft's FAT specification (fatgen103,
// "FAT: General Overview of On-Disk Format", 2000) and UEFI 2.10 section 5.3 (GPT).

// ErrMediaDamaged is wrapped by every error about a volume or partition table that does
// not hold together: bad boot sector values, a truncated image, a cluster chain that loops
// or leaves the FAT.
var ErrMediaDamaged = errors.New("damaged answers medium")

// damagedError is a problem with the medium's contents; it matches ErrMediaDamaged.
type damagedError struct{ msg string }

func (e *damagedError) Error() string { return e.msg }

// Is reports whether target is ErrMediaDamaged.
func (e *damagedError) Is(target error) bool { return target == ErrMediaDamaged }

func damaged(format string, args ...any) error {
	return &damagedError{fmt.Sprintf(format, args...)}
}

// Bounds on reading one answers medium. A real one is an image of a few MiB with two
// files; these leave room for sticks formatted by other tools and reject the rest.
const (
	// mediaReadBudget is the most bytes read from one medium: partition tables, boot
	// sectors, FAT sectors, the root directories of every partition and the file.
	mediaReadBudget = 32 << 20
	// maxRootEntries is the most 32-byte entries read from one root directory.
	maxRootEntries = 1 << 14
	// maxPartitions is the most partition-table entries examined (GPT usually has 128).
	maxPartitions = 256
)

// mediaReadTimeout bounds the time spent on one medium (a failing stick can take seconds
// per read). A variable so tests can shorten it.
var mediaReadTimeout = 30 * time.Second

// medium is a bounded reader over an image or device.
type medium struct {
	r        io.ReaderAt
	size     int64
	budget   int64
	deadline time.Time
}

func newMedium(r io.ReaderAt, size int64) *medium {
	return &medium{r: r, size: size, budget: mediaReadBudget, deadline: time.Now().Add(mediaReadTimeout)}
}

// readAt fills p from off, or says why not: past the end, over budget, out of time.
func (m *medium) readAt(p []byte, off int64) error {
	if off < 0 || off > m.size || int64(len(p)) > m.size-off {
		return damaged("%d bytes at offset %d lie past the end of the medium (%d bytes): is the image truncated?", len(p), off, m.size)
	}
	if int64(len(p)) > m.budget {
		return damaged("gave up after reading %d bytes (a valid answers medium needs far fewer)", mediaReadBudget)
	}
	if time.Now().After(m.deadline) {
		return damaged("gave up after %s", mediaReadTimeout)
	}
	m.budget -= int64(len(p))
	n, err := m.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return damaged("the medium ends at offset %d, before the %d bytes at %d: is the image truncated?", off+int64(n), len(p), off)
	}
	return err
}

// readAnswersFile opens path read-only and reads the answers file from it.
func readAnswersFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Seek works for block devices, where Stat reports size 0.
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	return readAnswers(f, size)
}

// readAnswers reads the answers file from a medium of size bytes: a FAT filesystem that
// fills it, or the FAT partitions of its MBR or GPT table, the one labelled XENNIX-ANS
// first.
func readAnswers(r io.ReaderAt, size int64) ([]byte, error) {
	m := newMedium(r, size)
	if size < 512 {
		return nil, damaged("the medium has %d bytes, less than one sector", size)
	}
	sector0 := make([]byte, 512)
	if err := m.readAt(sector0, 0); err != nil {
		return nil, err
	}
	vol, fatErr := openFAT(m, 0, size, sector0)
	if fatErr == nil {
		data, err := vol.readAnswers()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", vol.name(), err)
		}
		return data, nil
	}
	parts, tableErr := partitions(m, sector0)
	if (tableErr != nil || len(parts) == 0) && plausibleBPB(sector0) {
		// A FAT boot sector whose boot code reads as a partition table, or none: the
		// filesystem's problem is the one to tell.
		return nil, fatErr
	}
	if tableErr != nil {
		return nil, tableErr
	}
	if len(parts) == 0 {
		switch {
		case looksLikeBootSector(sector0):
			return nil, fatErr // a FAT boot sector with bad values, and no table either
		case isISO9660(m):
			return nil, errors.New("the medium holds an ISO 9660 filesystem; answers media must be FAT (make one with xennix answers-media)")
		}
		return nil, errors.New("neither a FAT filesystem nor a partition table found")
	}
	var labelled, others []*fatVolume
	var problems []string
	for _, p := range parts {
		first := make([]byte, 512)
		if err := m.readAt(first, p.start); err != nil {
			problems = append(problems, fmt.Sprintf("partition %d: %v", p.index, err))
			continue
		}
		v, err := openFAT(m, p.start, p.size, first)
		if err != nil {
			problems = append(problems, fmt.Sprintf("partition %d: %v", p.index, err))
			continue
		}
		v.partition = p.index
		if strings.EqualFold(v.label, VolumeLabel) {
			labelled = append(labelled, v)
		} else {
			others = append(others, v)
		}
	}
	var errs []error
	for _, v := range append(labelled, others...) {
		data, err := v.readAnswers()
		if err == nil {
			return data, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", v.name(), err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no partition holds a FAT filesystem (%s)", strings.Join(firstFew(problems), "; "))
	}
	if len(errs) > 4 {
		errs = append(errs[:4], fmt.Errorf("and %d more FAT volumes without %s", len(errs)-4, AnswersFileName))
	}
	return nil, errors.Join(errs...)
}

// firstFew keeps an error message about many partitions readable.
func firstFew(s []string) []string {
	if len(s) > 4 {
		return append(s[:4:4], fmt.Sprintf("and %d more", len(s)-4))
	}
	return s
}

// looksLikeBootSector reports whether b starts with the jump instruction of a boot sector
// (fatgen103: BS_jmpBoot is EB ?? 90 or E9 ?? ??) and ends with the signature.
func looksLikeBootSector(b []byte) bool {
	return (b[0] == 0xEB && b[2] == 0x90 || b[0] == 0xE9) && b[510] == 0x55 && b[511] == 0xAA
}

// plausibleBPB reports whether b holds the start of a FAT boot sector: a jump, a sector
// size, a power-of-two cluster and one to four FATs. An MBR's boot code rarely does.
func plausibleBPB(b []byte) bool {
	bps, spc, fats := binary.LittleEndian.Uint16(b[11:]), b[13], b[16]
	return looksLikeBootSector(b) && (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) &&
		spc != 0 && spc&(spc-1) == 0 && fats >= 1 && fats <= 4
}

// isISO9660 reports whether the medium has an ISO 9660 volume descriptor at sector 16.
func isISO9660(m *medium) bool {
	b := make([]byte, 5)
	return m.readAt(b, 16*2048+1) == nil && string(b) == "CD001"
}

// partition is one entry of a partition table, in bytes.
type partition struct {
	index       int
	start, size int64
}

// partitions reads the MBR in sector0 and, for a protective MBR, the GPT. It returns no
// partitions (and no error) when sector0 is not an MBR.
func partitions(m *medium, sector0 []byte) ([]partition, error) {
	if sector0[510] != 0x55 || sector0[511] != 0xAA {
		return nil, nil
	}
	var out []partition
	for i := 0; i < 4; i++ {
		e := sector0[446+16*i:]
		typ := e[4]
		start := int64(binary.LittleEndian.Uint32(e[8:])) * 512
		size := int64(binary.LittleEndian.Uint32(e[12:])) * 512
		switch {
		case typ == 0xEE:
			return gptPartitions(m)
		case typ == 0 || size == 0 || start == 0:
			continue
		case typ == 0x05 || typ == 0x0F || typ == 0x85:
			continue // extended partitions: answers media use a primary one
		}
		out = append(out, partition{index: i + 1, start: start, size: size})
	}
	for _, p := range out {
		if p.start+p.size > m.size {
			return nil, damaged("MBR partition %d (bytes %d to %d) extends past the end of the medium (%d bytes)", p.index, p.start, p.start+p.size, m.size)
		}
	}
	return out, nil
}

// gptPartitions reads a GPT header at LBA 1, trying 512- and 4096-byte sectors.
func gptPartitions(m *medium) ([]partition, error) {
	for _, lba := range []int64{512, 4096} {
		h := make([]byte, 92)
		if m.readAt(h, lba) != nil || string(h[:8]) != "EFI PART" {
			continue
		}
		entriesLBA := binary.LittleEndian.Uint64(h[72:])
		count := binary.LittleEndian.Uint32(h[80:])
		entrySize := binary.LittleEndian.Uint32(h[84:])
		switch {
		case count == 0 || count > maxPartitions:
			return nil, damaged("the GPT header gives %d partition entries (want 1 to %d)", count, maxPartitions)
		case entrySize < 128 || entrySize > 4096 || entrySize%8 != 0:
			return nil, damaged("the GPT header gives partition entries of %d bytes (want 128)", entrySize)
		case entriesLBA < 2 || entriesLBA > uint64(m.size/lba):
			return nil, damaged("the GPT partition entries start at sector %d, outside the medium", entriesLBA)
		}
		table := make([]byte, int(count)*int(entrySize))
		if err := m.readAt(table, int64(entriesLBA)*lba); err != nil {
			return nil, fmt.Errorf("GPT partition entries: %w", err)
		}
		var out []partition
		for i := 0; i < int(count); i++ {
			e := table[i*int(entrySize):]
			if bytes.Equal(e[:16], make([]byte, 16)) {
				continue // unused entry
			}
			first, last := binary.LittleEndian.Uint64(e[32:]), binary.LittleEndian.Uint64(e[40:])
			sectors := uint64(m.size / lba)
			if first == 0 || last < first || last >= sectors {
				return nil, damaged("GPT partition %d (sectors %d to %d) does not lie within the medium (%d sectors)", i+1, first, last, sectors)
			}
			out = append(out, partition{index: i + 1, start: int64(first) * lba, size: int64(last-first+1) * lba})
		}
		return out, nil
	}
	return nil, damaged("a protective MBR (type 0xEE) without a GPT header")
}

// fatVolume is an opened FAT filesystem.
type fatVolume struct {
	m           *medium
	partition   int // 0: the filesystem fills the medium
	label       string
	start, size int64 // bytes
	bits        int   // 12, 16 or 32
	sectorSize  int64
	clusterSize int64
	fatStart    int64  // absolute offset of the first FAT
	maxCluster  uint32 // the highest valid cluster number
	rootStart   int64  // FAT12/16: absolute offset of the root directory
	rootEntries int    // FAT12/16: its size in entries
	rootCluster uint32 // FAT32: its first cluster
	dataStart   int64  // absolute offset of cluster 2

	cacheOff int64 // the FAT sector in cache, or -1
	cache    []byte
}

// name says which volume this is, for errors.
func (v *fatVolume) name() string {
	where := "the FAT volume"
	if v.partition > 0 {
		where = fmt.Sprintf("partition %d, a FAT volume", v.partition)
	}
	if v.label == "" {
		return where + " without a label"
	}
	return fmt.Sprintf("%s labelled %q", where, v.label)
}

// openFAT checks the boot sector b of a filesystem at start and lays the volume out.
func openFAT(m *medium, start, size int64, b []byte) (*fatVolume, error) {
	le16 := func(o int) uint64 { return uint64(binary.LittleEndian.Uint16(b[o:])) }
	le32 := func(o int) uint64 { return uint64(binary.LittleEndian.Uint32(b[o:])) }
	bps, spc, reserved, fats := le16(11), uint64(b[13]), le16(14), uint64(b[16])
	rootEnts, fatSize, total := le16(17), le16(22), le16(19)
	if fatSize == 0 {
		fatSize = le32(36)
	}
	if total == 0 {
		total = le32(32)
	}
	bad := func(format string, args ...any) (*fatVolume, error) {
		return nil, damaged("not a usable FAT boot sector: %s", fmt.Sprintf(format, args...))
	}
	switch oem := string(b[3:11]); oem {
	case "EXFAT   ", "NTFS    ":
		// Sticks formatted by other systems: say what it is, not which field is zero.
		return nil, fmt.Errorf("an %s filesystem, not FAT: format the stick with mkfs.fat -n %s, or write an image with xennix answers-media", strings.TrimSpace(oem), VolumeLabel)
	}
	switch {
	case b[510] != 0x55 || b[511] != 0xAA:
		return bad("no boot sector signature (55 AA at byte 510)")
	case bps != 512 && bps != 1024 && bps != 2048 && bps != 4096:
		return bad("%d bytes per sector (want 512, 1024, 2048 or 4096)", bps)
	case spc == 0 || spc&(spc-1) != 0:
		return bad("%d sectors per cluster (want a power of two up to 128)", spc)
	case bps*spc > 64<<10:
		return bad("clusters of %d bytes (at most 64 KiB)", bps*spc)
	case reserved == 0:
		return bad("no reserved sectors (at least the boot sector is)")
	case fats == 0 || fats > 4:
		return bad("%d FATs (want 1 or 2)", fats)
	case total == 0:
		return bad("a total sector count of 0")
	case fatSize == 0:
		return bad("FATs of 0 sectors")
	}
	rootSectors := (rootEnts*32 + bps - 1) / bps
	meta := reserved + fats*fatSize + rootSectors
	if meta >= total {
		return bad("its FATs and root directory (%d sectors) fill all its %d sectors", meta, total)
	}
	if int64(total*bps) > size {
		// A filesystem larger than its partition: reading stops at the partition's end,
		// so say so now rather than at some cluster.
		return nil, damaged("the FAT filesystem claims %d bytes, but its volume has %d: is the image truncated?", total*bps, size)
	}
	clusters := (total - meta) / spc
	v := &fatVolume{m: m, start: start, size: size, sectorSize: int64(bps), clusterSize: int64(bps * spc), cacheOff: -1}
	// Linux's fat driver (fs/fat/inode.c) takes a boot sector with a zero 16-bit FAT size
	// as FAT32, whatever the cluster count; otherwise the count decides FAT12 or FAT16
	// (fatgen103: below 4085 clusters FAT12).
	switch {
	case le16(22) == 0:
		v.bits = 32
		v.rootCluster = uint32(le32(44))
		if rootEnts != 0 {
			return bad("FAT32 with %d fixed root directory entries (want 0)", rootEnts)
		}
	case clusters < 4085:
		v.bits = 12
	default:
		v.bits = 16
	}
	if v.bits != 32 && rootEnts == 0 {
		return bad("FAT%d without root directory entries", v.bits)
	}
	entries := fatSize * bps * 8 / uint64(v.bits)
	maxCluster := min(clusters+1, entries-1, 0x0FFFFFF6)
	if maxCluster < 2 {
		return bad("no data clusters")
	}
	v.maxCluster = uint32(maxCluster)
	v.fatStart = start + int64(reserved*bps)
	v.rootStart = start + int64((reserved+fats*fatSize)*bps)
	v.rootEntries = int(rootEnts)
	v.dataStart = start + int64(meta*bps)
	if v.bits == 32 {
		if err := v.checkCluster(v.rootCluster); err != nil {
			return nil, fmt.Errorf("the root directory's first cluster: %w", err)
		}
	}
	// The label: fatgen103 puts BS_VolLab at byte 43 (FAT12/16) or 71 (FAT32) when the
	// extended boot signature 0x29 is present; the root directory's volume entry, read
	// later, takes precedence, as it does for blkid.
	sig, lab := 38, 43
	if v.bits == 32 {
		sig, lab = 66, 71
	}
	if b[sig] == 0x29 {
		v.label = cleanLabel(b[lab : lab+11])
	}
	if v.bits != 32 || v.label == "" || v.label == "NO NAME" {
		// Root directory label entries are looked for now, so that partitions can be
		// ranked by label; a FAT32 boot sector label is what mkfs.fat and go-diskfs
		// write in both places.
		if entries, err := v.rootDir(); err == nil {
			for _, e := range entries {
				if e.volumeLabel {
					v.label = e.name
				}
			}
		}
	}
	if v.label == "NO NAME" {
		v.label = ""
	}
	return v, nil
}

func cleanLabel(b []byte) string {
	return strings.TrimRight(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F {
			return -1
		}
		return r
	}, string(b)), " ")
}

// checkCluster says whether c may be the cluster of some data.
func (v *fatVolume) checkCluster(c uint32) error {
	if c < 2 || c > v.maxCluster {
		return damaged("cluster %d is outside the data area (clusters 2 to %d)", c, v.maxCluster)
	}
	return nil
}

// next returns the FAT entry of cluster c, and whether it ends the chain.
func (v *fatVolume) next(c uint32) (uint32, bool, error) {
	var off int64
	switch v.bits {
	case 12:
		off = int64(c) + int64(c)/2
	case 16:
		off = 2 * int64(c)
	default:
		off = 4 * int64(c)
	}
	var e uint32
	for i := int64(0); i < int64(v.bits+7)/8; i++ {
		b, err := v.fatByte(off + i)
		if err != nil {
			return 0, false, err
		}
		e |= uint32(b) << (8 * i)
	}
	var eoc, badCluster uint32
	switch v.bits {
	case 12:
		if c%2 == 1 {
			e >>= 4
		}
		e &= 0xFFF
		eoc, badCluster = 0xFF8, 0xFF7
	case 16:
		eoc, badCluster = 0xFFF8, 0xFFF7
	default:
		e &= 0x0FFFFFFF
		eoc, badCluster = 0x0FFFFFF8, 0x0FFFFFF7
	}
	switch {
	case e >= eoc:
		return 0, true, nil
	case e == badCluster:
		return 0, false, damaged("cluster %d leads to a cluster marked bad", c)
	case e == 0:
		return 0, false, damaged("cluster %d is marked free in the FAT, but a file uses it", c)
	}
	if err := v.checkCluster(e); err != nil {
		return 0, false, fmt.Errorf("the FAT entry of cluster %d: %w", c, err)
	}
	return e, false, nil
}

// fatByte returns byte off of the first FAT, a sector at a time.
func (v *fatVolume) fatByte(off int64) (byte, error) {
	sec := off / v.sectorSize * v.sectorSize
	if v.cacheOff != sec {
		if v.cache == nil {
			v.cache = make([]byte, v.sectorSize)
		}
		v.cacheOff = -1
		if err := v.m.readAt(v.cache, v.fatStart+sec); err != nil {
			return 0, fmt.Errorf("read the FAT: %w", err)
		}
		v.cacheOff = sec
	}
	return v.cache[off-sec], nil
}

// chain returns the clusters of a chain starting at first: exactly n of them when n > 0
// (a file of known size), else up to the end-of-chain mark but at most limit. A cluster
// seen twice is a loop, and an error.
func (v *fatVolume) chain(first uint32, n, limit int, what string) ([]uint32, error) {
	if err := v.checkCluster(first); err != nil {
		return nil, fmt.Errorf("%s: first cluster: %w", what, err)
	}
	seen := map[uint32]bool{}
	var out []uint32
	c := first
	for {
		if seen[c] {
			return nil, damaged("%s: the cluster chain loops back to cluster %d after %d clusters", what, c, len(out))
		}
		seen[c] = true
		out = append(out, c)
		if n > 0 && len(out) == n {
			return out, nil
		}
		if n == 0 && len(out) > limit {
			return nil, damaged("%s is longer than %d clusters", what, limit)
		}
		nc, end, err := v.next(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if end {
			if n > 0 {
				return nil, damaged("%s: the cluster chain ends after %d clusters, but its size needs %d", what, len(out), n)
			}
			return out, nil
		}
		c = nc
	}
}

// readCluster reads the first n bytes of cluster c.
func (v *fatVolume) readCluster(c uint32, p []byte) error {
	off := v.dataStart + int64(c-2)*v.clusterSize
	if off+int64(len(p)) > v.start+v.size {
		return damaged("cluster %d lies past the end of the volume: is the image truncated?", c)
	}
	return v.m.readAt(p, off)
}

// dirEntry is one entry of a directory.
type dirEntry struct {
	name        string // the long name when there is a valid one, else the 8.3 name
	dir         bool
	volumeLabel bool
	cluster     uint32
	size        uint32
}

// rootDir reads the root directory's entries, up to maxRootEntries.
func (v *fatVolume) rootDir() ([]dirEntry, error) {
	var raw []byte
	if v.bits == 32 {
		limit := int(maxRootEntries * 32 / v.clusterSize)
		clusters, err := v.chain(v.rootCluster, 0, max(limit, 1), "the root directory")
		if err != nil {
			return nil, err
		}
		raw = make([]byte, int64(len(clusters))*v.clusterSize)
		for i, c := range clusters {
			if err := v.readCluster(c, raw[int64(i)*v.clusterSize:int64(i+1)*v.clusterSize]); err != nil {
				return nil, fmt.Errorf("the root directory: %w", err)
			}
		}
	} else {
		n := min(v.rootEntries, maxRootEntries)
		raw = make([]byte, n*32)
		if v.rootStart+int64(len(raw)) > v.start+v.size {
			return nil, damaged("the root directory lies past the end of the volume")
		}
		if err := v.m.readAt(raw, v.rootStart); err != nil {
			return nil, fmt.Errorf("the root directory: %w", err)
		}
	}
	return parseDir(raw), nil
}

// parseDir decodes 32-byte directory entries (fatgen103 section 6; long names from
// Microsoft's "Long File Name Specification", with their checksum).
func parseDir(raw []byte) []dirEntry {
	var out []dirEntry
	var lfn [20][13]uint16 // up to 20 parts of 13 UTF-16 units: 260 units
	parts, sum := 0, byte(0)
	for i := 0; i+32 <= len(raw) && i/32 < maxRootEntries; i += 32 {
		e := raw[i : i+32]
		attr := e[11]
		switch {
		case e[0] == 0x00:
			return out // no entries follow
		case e[0] == 0xE5:
			parts = 0
			continue
		case attr&0x3F == 0x0F:
			ord := int(e[0] & 0x1F)
			if ord == 0 || ord > len(lfn) {
				parts = 0
				continue
			}
			if e[0]&0x40 != 0 {
				parts, sum = ord, e[13]
			} else if parts == 0 || e[13] != sum {
				parts = 0
				continue
			}
			var u [13]uint16
			for j, o := range []int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30} {
				u[j] = binary.LittleEndian.Uint16(e[o:])
			}
			lfn[ord-1] = u
			continue
		}
		short := e[:11]
		d := dirEntry{
			dir:         attr&0x10 != 0,
			volumeLabel: attr&0x08 != 0,
			cluster:     uint32(binary.LittleEndian.Uint16(e[20:]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:])),
			size:        binary.LittleEndian.Uint32(e[28:]),
		}
		if d.volumeLabel {
			d.name = cleanLabel(short)
			out = append(out, d)
			parts = 0
			continue
		}
		if parts > 0 && sum == shortNameSum(short) {
			var units []uint16
			for p := 0; p < parts; p++ {
				units = append(units, lfn[p][:]...)
			}
			if k := indexUint16(units, 0); k >= 0 {
				units = units[:k]
			}
			d.name = string(utf16.Decode(units))
		} else {
			d.name = shortName(short, e[12])
		}
		parts = 0
		out = append(out, d)
	}
	return out
}

func indexUint16(s []uint16, x uint16) int {
	for i, u := range s {
		if u == x {
			return i
		}
	}
	return -1
}

// shortNameSum is the checksum a long name's entries carry of their 8.3 entry.
func shortNameSum(name []byte) byte {
	var s byte
	for _, c := range name {
		s = (s>>1 | s<<7) + c
	}
	return s
}

// shortName renders an 8.3 name; flags (byte 12) marks a lower-case base (0x08) or
// extension (0x10), as Windows NT and mtools write them.
func shortName(b []byte, flags byte) string {
	base := strings.TrimRight(string(b[:8]), " ")
	ext := strings.TrimRight(string(b[8:11]), " ")
	if len(base) > 0 && base[0] == 0x05 {
		base = "\xE5" + base[1:]
	}
	if flags&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if flags&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// readAnswers returns the answers file of the root directory.
func (v *fatVolume) readAnswers() ([]byte, error) {
	entries, err := v.rootDir()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.volumeLabel {
			continue
		}
		if !strings.EqualFold(e.name, AnswersFileName) {
			names = append(names, fmt.Sprintf("%q", quoteCut(e.name)))
			continue
		}
		if e.dir {
			return nil, fmt.Errorf("%s is a directory", AnswersFileName)
		}
		return v.readFile(e)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no %s: its root directory is empty", AnswersFileName)
	}
	sort.Strings(names)
	more := ""
	if len(names) > 10 {
		more = fmt.Sprintf(" and %d more", len(names)-10)
		names = names[:10]
	}
	return nil, fmt.Errorf("no %s: its root directory has %s%s", AnswersFileName, strings.Join(names, ", "), more)
}

// quoteCut shortens a name read from a medium for an error message.
func quoteCut(s string) string {
	const max = 64
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

func (v *fatVolume) readFile(e dirEntry) ([]byte, error) {
	if e.size > MaxAnswersSize {
		return nil, fmt.Errorf("%s: %w: its directory entry says %d bytes, the limit is %d", e.name, ErrTooLarge, e.size, MaxAnswersSize)
	}
	if e.size == 0 {
		return []byte{}, nil
	}
	n := int((int64(e.size) + v.clusterSize - 1) / v.clusterSize)
	clusters, err := v.chain(e.cluster, n, n, e.name)
	if err != nil {
		return nil, err
	}
	data := make([]byte, e.size)
	for i, c := range clusters {
		lo := int64(i) * v.clusterSize
		hi := min(lo+v.clusterSize, int64(e.size))
		if err := v.readCluster(c, data[lo:hi]); err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return data, nil
}
