package iso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus under testdata/fuzz from the damaged images the tests build")

// bigAnswers spans several 512-byte clusters, so that its chain can be damaged.
var bigAnswers = testAnswers + strings.Repeat("# padding to span clusters\n", 60)

// fat32Image builds a 1 MiB FAT32 superfloppy with go-diskfs (mtools refuses FAT32 with
// fewer than 65525 clusters, go-diskfs writes it) holding the given files.
func fat32Image(t *testing.T, files map[string]string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fat32.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const size = 1 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	fsys, err := fat32.Create(file.New(f, false), size, 0, 512, VolumeLabel, true)
	if err != nil {
		t.Fatalf("fat32.Create: %v", err)
	}
	for name, data := range files {
		if err := writeFile(fsys, "/"+name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	zeroTimes(t, b)
	return b
}

// zeroTimes clears the time stamps of the root directory's entries, so that an image
// built twice is the same bytes (mkfs.fat --invariant does the rest) and regenerating the
// seed corpus changes only what changed.
func zeroTimes(t *testing.T, img []byte) {
	l := readBPB(t, img, 0)
	root := l.rootOff()
	for o := root; o+32 <= root+max(l.bps*l.spc, l.rootEnts*32); o += 32 {
		e := img[o : o+32]
		if e[0] == 0 {
			return
		}
		if e[11]&0x3F != 0x0F {
			clear(e[13:20]) // creation time and date, access date
			clear(e[22:26]) // modification time and date
		}
	}
}

// mkfsImage builds a FAT12 or FAT16 superfloppy of kib KiB with mkfs.fat and copies the
// files onto it with mcopy.
func mkfsImage(t *testing.T, bits, kib int, files map[string]string, extra ...string) []byte {
	t.Helper()
	mkfs, mcopy := needTool(t, "mkfs.fat"), needTool(t, "mcopy")
	dir := t.TempDir()
	img := filepath.Join(dir, "fat.img")
	args := append([]string{"--invariant", "-F", strconv.Itoa(bits), "-s", "1", "-r", "32", "-n", VolumeLabel}, extra...)
	args = append(args, "-C", img, strconv.Itoa(kib))
	if b, err := exec.Command(mkfs, args...).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.fat %v: %v\n%s", args, err, b)
	}
	for name, data := range files {
		src := filepath.Join(dir, "src")
		if err := os.WriteFile(src, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(mcopy, "-i", img, src, "::"+name).CombinedOutput(); err != nil {
			t.Fatalf("mcopy %s: %v\n%s", name, err, b)
		}
	}
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	zeroTimes(t, b)
	return b
}

// bpb is the test's own reading of a boot sector at off, to find what to damage.
type bpb struct {
	off                                              int64
	bps, spc, reserved, fats, rootEnts, fatSize, tot int64
	rootCluster                                      int64
	bits                                             int
}

func readBPB(t *testing.T, img []byte, off int64) bpb {
	t.Helper()
	b := img[off:]
	l := bpb{off: off, bps: int64(binary.LittleEndian.Uint16(b[11:])), spc: int64(b[13]),
		reserved: int64(binary.LittleEndian.Uint16(b[14:])), fats: int64(b[16]),
		rootEnts: int64(binary.LittleEndian.Uint16(b[17:])), fatSize: int64(binary.LittleEndian.Uint16(b[22:]))}
	l.tot = int64(binary.LittleEndian.Uint16(b[19:]))
	if l.tot == 0 {
		l.tot = int64(binary.LittleEndian.Uint32(b[32:]))
	}
	if l.fatSize == 0 {
		l.fatSize = int64(binary.LittleEndian.Uint32(b[36:]))
		l.rootCluster = int64(binary.LittleEndian.Uint32(b[44:]))
		l.bits = 32
	} else if clusters := (l.tot - l.reserved - l.fats*l.fatSize - l.rootEnts*32/l.bps) / l.spc; clusters < 4085 {
		l.bits = 12
	} else {
		l.bits = 16
	}
	return l
}

func (l bpb) dataOff() int64 {
	return l.off + (l.reserved+l.fats*l.fatSize+(l.rootEnts*32+l.bps-1)/l.bps)*l.bps
}

func (l bpb) rootOff() int64 {
	if l.bits == 32 {
		return l.dataOff() + (l.rootCluster-2)*l.spc*l.bps
	}
	return l.off + (l.reserved+l.fats*l.fatSize)*l.bps
}

// setFAT writes value as cluster c's entry in every FAT copy.
func (l bpb) setFAT(img []byte, c, value uint32) {
	for i := int64(0); i < l.fats; i++ {
		fat := img[l.off+(l.reserved+i*l.fatSize)*l.bps:]
		switch l.bits {
		case 12:
			o := c + c/2
			v := binary.LittleEndian.Uint16(fat[o:])
			if c%2 == 1 {
				v = v&0x000F | uint16(value&0xFFF)<<4
			} else {
				v = v&0xF000 | uint16(value&0xFFF)
			}
			binary.LittleEndian.PutUint16(fat[o:], v)
		case 16:
			binary.LittleEndian.PutUint16(fat[2*c:], uint16(value))
		default:
			binary.LittleEndian.PutUint32(fat[4*c:], value)
		}
	}
}

// entry returns the offset of the root directory's 8.3 entry of the file of size bytes.
func (l bpb) entry(t *testing.T, img []byte, size int) int64 {
	t.Helper()
	root := l.rootOff()
	for o := root; o < root+l.bps*l.spc; o += 32 {
		e := img[o : o+32]
		if e[0] != 0 && e[0] != 0xE5 && e[11]&0x3F != 0x0F && e[11]&0x08 == 0 && binary.LittleEndian.Uint32(e[28:]) == uint32(size) {
			return o
		}
	}
	t.Fatalf("no root directory entry of %d bytes", size)
	return 0
}

func (l bpb) firstCluster(t *testing.T, img []byte, size int) uint32 {
	e := img[l.entry(t, img, size):]
	return uint32(binary.LittleEndian.Uint16(e[20:]))<<16 | uint32(binary.LittleEndian.Uint16(e[26:]))
}

func le16(img []byte, off int64, v uint16) { binary.LittleEndian.PutUint16(img[off:], v) }
func le32(img []byte, off int64, v uint32) { binary.LittleEndian.PutUint32(img[off:], v) }

// countingReader is an in-memory medium that counts what is read, and can be slow.
type countingReader struct {
	b     []byte
	read  atomic.Int64
	delay time.Duration
}

func (r *countingReader) ReadAt(p []byte, off int64) (int, error) {
	r.read.Add(int64(len(p)))
	time.Sleep(r.delay)
	if off >= int64(len(r.b)) {
		// Past the bytes held: zeros, as on a sparse image, up to the size given.
		clear(p)
		return len(p), nil
	}
	n := copy(p, r.b[off:])
	clear(p[n:])
	return len(p), nil
}

type damagedCase struct {
	name string
	img  []byte // the whole medium
	want string // in the error
	is   error  // wrapped by the error
}

// damagedImages builds every damaged medium the reader must refuse, from images made by
// mkfs.fat, mtools, sgdisk and go-diskfs.
func damagedImages(t *testing.T) []damagedCase {
	var cases []damagedCase
	add := func(name string, img []byte, want string, is error) {
		cases = append(cases, damagedCase{name, img, want, is})
	}
	files := map[string]string{AnswersFileName: bigAnswers}
	n := len(bigAnswers)

	// FAT32 from go-diskfs.
	base32 := fat32Image(t, files)
	l32 := readBPB(t, base32, 0)
	if l32.bits != 32 {
		t.Fatalf("go-diskfs image is FAT%d, want FAT32", l32.bits)
	}
	c32 := l32.firstCluster(t, base32, n)
	mut := func(base []byte, f func(img []byte)) []byte {
		img := bytes.Clone(base)
		f(img)
		return img
	}
	add("fat32-chain-loops", mut(base32, func(img []byte) { l32.setFAT(img, c32+1, c32) }), "loops back to cluster", ErrMediaDamaged)
	add("fat32-chain-self-loop", mut(base32, func(img []byte) { l32.setFAT(img, c32, c32) }), "loops back to cluster", ErrMediaDamaged)
	add("fat32-size-ffffffff", mut(base32, func(img []byte) { le32(img, l32.entry(t, img, n)+28, 0xFFFFFFFF) }), "4294967295 bytes", ErrTooLarge)
	add("fat32-size-ffffffff-loop", mut(base32, func(img []byte) {
		l32.setFAT(img, c32, c32)
		le32(img, l32.entry(t, img, n)+28, 0xFFFFFFFF)
	}), "4294967295 bytes", ErrTooLarge)
	add("fat32-size-1mib-loop", mut(base32, func(img []byte) {
		l32.setFAT(img, c32+2, c32)
		le32(img, l32.entry(t, img, n)+28, MaxAnswersSize)
	}), "loops back to cluster", ErrMediaDamaged)
	add("fat32-root-loops", mut(base32, func(img []byte) { l32.setFAT(img, uint32(l32.rootCluster), uint32(l32.rootCluster)) }), "the root directory: the cluster chain loops", ErrMediaDamaged)
	add("fat32-root-too-long", mut(base32, func(img []byte) {
		// A root directory chained through every cluster, without a loop: longer
		// than any answers medium's.
		r := uint32(l32.rootCluster)
		for c := r; c < r+1100; c++ {
			l32.setFAT(img, c, c+1)
		}
	}), "is longer than 1024 clusters", ErrMediaDamaged)
	add("fat32-chain-to-free", mut(base32, func(img []byte) { l32.setFAT(img, c32, 0) }), "marked free", ErrMediaDamaged)
	add("fat32-chain-to-bad", mut(base32, func(img []byte) { l32.setFAT(img, c32, 0x0FFFFFF7) }), "marked bad", ErrMediaDamaged)
	add("fat32-chain-beyond-fat", mut(base32, func(img []byte) { l32.setFAT(img, c32, 0x0FFFFFF0) }), "outside the data area", ErrMediaDamaged)
	add("fat32-chain-reserved-1", mut(base32, func(img []byte) { l32.setFAT(img, c32, 1) }), "outside the data area", ErrMediaDamaged)
	add("fat32-chain-ends-early", mut(base32, func(img []byte) { l32.setFAT(img, c32, 0x0FFFFFFF) }), "ends after 1 clusters", ErrMediaDamaged)
	add("fat32-first-cluster-0", mut(base32, func(img []byte) {
		e := l32.entry(t, img, n)
		le16(img, e+20, 0)
		le16(img, e+26, 0)
	}), "first cluster: ", ErrMediaDamaged)
	add("fat32-first-cluster-huge", mut(base32, func(img []byte) { le16(img, l32.entry(t, img, n)+20, 0xFFFF) }), "outside the data area", ErrMediaDamaged)
	add("fat32-truncated-half", base32[:len(base32)/2], "is the image truncated", ErrMediaDamaged)
	add("fat32-truncated-in-fat", base32[:l32.reserved*512+1024], "is the image truncated", ErrMediaDamaged)
	add("fat32-truncated-boot-code-as-table", mut(base32[:len(base32)/2], func(img []byte) {
		// Boot code that reads as a partition entry beyond the end.
		img[446+4] = 0x0c
		le32(img, 446+8, 100)
		le32(img, 446+12, 1<<30)
	}), "claims 1048576 bytes, but its volume has 524288", ErrMediaDamaged)
	add("fat32-truncated-boot-sector", base32[:300], "less than one sector", ErrMediaDamaged)
	for _, b := range []struct {
		name string
		off  int64
		val  uint32
		size int // bytes written
		want string
	}{
		{"bps-0", 11, 0, 2, "0 bytes per sector"},
		{"bps-513", 11, 513, 2, "513 bytes per sector"},
		{"spc-0", 13, 0, 1, "0 sectors per cluster"},
		{"spc-3", 13, 3, 1, "3 sectors per cluster"},
		{"spc-128-4k", 11, 4096 | 128<<16, 3, "at most 64 KiB"},
		{"reserved-0", 14, 0, 2, "no reserved sectors"},
		{"fats-0", 16, 0, 1, "0 FATs"},
		{"fats-200", 16, 200, 1, "200 FATs"},
		{"total-0", 32, 0, 4, "total sector count of 0"},
		{"total-ffffffff", 32, 0xFFFFFFFF, 4, "claims 2199023255040 bytes"},
		{"fatsize-0", 36, 0, 4, "FATs of 0 sectors"},
		{"fatsize-ffffffff", 36, 0xFFFFFFFF, 4, "fill all its"},
		{"root-cluster-0", 44, 0, 4, "root directory's first cluster"},
		{"root-cluster-huge", 44, 0x0FFFFFFF, 4, "root directory's first cluster"},
		{"root-entries-fat32", 17, 512, 2, "FAT32 with 512 fixed root directory entries"},
	} {
		img := bytes.Clone(base32)
		for i := 0; i < b.size; i++ {
			img[b.off+int64(i)] = byte(b.val >> (8 * i))
		}
		// With a broken boot sector and no partition table the boot sector's
		// error is the answer.
		add("fat32-bpb-"+b.name, img, b.want, ErrMediaDamaged)
	}
	add("exfat", mut(base32, func(img []byte) {
		copy(img[3:], "EXFAT   ")
		clear(img[11:64])
	}), "an EXFAT filesystem, not FAT: format the stick with mkfs.fat -n XENNIX-ANS", nil)
	add("ntfs", mut(base32, func(img []byte) { copy(img[3:], "NTFS    ") }), "an NTFS filesystem, not FAT", nil)
	add("fat32-no-signature", mut(base32, func(img []byte) { img[510] = 0 }), "neither a FAT filesystem nor a partition table", nil)
	add("fat32-lfn-bad-checksum", mut(base32, func(img []byte) {
		e := l32.entry(t, img, n)
		img[e-32+13] ^= 0xFF // the last long-name entry before the 8.3 one
		img[e-32] &^= 0x40
	}), "no answers.yaml: its root directory has", nil)

	// FAT12 and FAT16 from mkfs.fat and mtools.
	{
		base12 := mkfsImage(t, 12, 256, files)
		l := readBPB(t, base12, 0)
		if l.bits != 12 {
			t.Fatalf("mkfs.fat -F 12 gave FAT%d", l.bits)
		}
		c := l.firstCluster(t, base12, n)
		add("fat12-chain-loops-even", mut(base12, func(img []byte) { l.setFAT(img, c+2, c) }), "loops back to cluster", ErrMediaDamaged)
		add("fat12-chain-loops-odd", mut(base12, func(img []byte) { l.setFAT(img, c+1, c+1) }), "loops back to cluster", ErrMediaDamaged)
		add("fat12-size-ffffffff", mut(base12, func(img []byte) { le32(img, l.entry(t, img, n)+28, 0xFFFFFFFF) }), "4294967295 bytes", ErrTooLarge)
		add("fat12-root-entries-ffff", mut(base12, func(img []byte) { le16(img, 17, 0xFFFF) }), "fill all its", ErrMediaDamaged)
		add("fat12-root-entries-0", mut(base12, func(img []byte) { le16(img, 17, 0) }), "without root directory entries", ErrMediaDamaged)
		add("fat12-chain-beyond", mut(base12, func(img []byte) { l.setFAT(img, c, 0xFF0) }), "outside the data area", ErrMediaDamaged)
		add("fat12-truncated", base12[:l.dataOff()+512], "is the image truncated", ErrMediaDamaged)
		add("fat12-answers-is-directory", mut(base12, func(img []byte) { img[l.entry(t, img, n)+11] |= 0x10 }), "answers.yaml is a directory", nil)
		add("fat12-hostile-names", mut(base12, func(img []byte) {
			e := l.entry(t, img, n)
			copy(img[e:], "\x1b[2J\r\n\x00XYAM") // an 8.3 name of control characters
			img[e-32] = 0xE5                     // its long name deleted
		}), `no answers.yaml: its root directory has "\x1b[2J\r\n`, nil)
	}
	{
		base16 := mkfsImage(t, 16, 4200, files)
		l := readBPB(t, base16, 0)
		if l.bits != 16 {
			t.Fatalf("mkfs.fat -F 16 gave FAT%d", l.bits)
		}
		c := l.firstCluster(t, base16, n)
		add("fat16-chain-loops", mut(base16, func(img []byte) { l.setFAT(img, c+1, c) }), "loops back to cluster", ErrMediaDamaged)
		add("fat16-chain-to-bad", mut(base16, func(img []byte) { l.setFAT(img, c, 0xFFF7) }), "marked bad", ErrMediaDamaged)
		add("fat16-size-ffffffff", mut(base16, func(img []byte) { le32(img, l.entry(t, img, n)+28, 0xFFFFFFFF) }), "4294967295 bytes", ErrTooLarge)
	}

	// Partition tables: an MBR with a FAT12 partition, made by hand as fdisk would, and a
	// GPT made by sgdisk. The partitions start at sectors 1 and 3, not at the usual 1 MiB,
	// to keep the seed corpus small: the reader does not care where they start.
	const mbrStart = 512
	fat12 := mkfsImage(t, 12, 256, files)
	mbrImg := make([]byte, mbrStart+len(fat12))
	copy(mbrImg[mbrStart:], fat12)
	mbrImg[510], mbrImg[511] = 0x55, 0xAA
	mbrImg[446+4] = 0x01
	le32(mbrImg, 446+8, mbrStart/512)
	le32(mbrImg, 446+12, uint32(len(fat12)/512))
	if got, err := readAnswers(&countingReader{b: mbrImg}, int64(len(mbrImg))); err != nil || string(got) != bigAnswers {
		t.Fatalf("the undamaged MBR image reads %d bytes, %v", len(got), err)
	}
	lm := readBPB(t, mbrImg, mbrStart)
	cm := lm.firstCluster(t, mbrImg, n)
	add("mbr-partition-past-end", mbrImg[:len(mbrImg)-4096], "MBR partition 1 (bytes 512 to", ErrMediaDamaged)
	add("mbr-partition-loop", mut(mbrImg, func(img []byte) { lm.setFAT(img, cm+1, cm) }), `partition 1, a FAT volume labelled "XENNIX-ANS": answers.yaml: the cluster chain loops back`, ErrMediaDamaged)
	add("mbr-partition-not-fat", mut(mbrImg, func(img []byte) { clear(img[mbrStart : mbrStart+512]) }), "partition 1: not a usable FAT boot sector", nil)
	add("mbr-start-ffffffff", mut(mbrImg, func(img []byte) { le32(img, 446+8, 0xFFFFFFFF) }), "extends past the end", ErrMediaDamaged)

	sgdisk := needTool(t, "sgdisk")
	gptFile := filepath.Join(t.TempDir(), "gpt.img")
	if err := os.WriteFile(gptFile, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	// -S 4: a table of four entries, so the partition can start at sector 3.
	if b, err := exec.Command(sgdisk, "-a", "1", "-S", "4", "-n1:3:+256K", "-t1:0700",
		"-U", "2bd7c8a4-0e6b-4c43-9b7a-000000000001", "-u", "1:2bd7c8a4-0e6b-4c43-9b7a-000000000002", gptFile).CombinedOutput(); err != nil {
		t.Fatalf("sgdisk: %v\n%s", err, b)
	}
	gptImg, err := os.ReadFile(gptFile)
	if err != nil {
		t.Fatal(err)
	}
	copy(gptImg[3*512:], fat12)
	// Keep the primary GPT and the partition: the reader does not look at the backup.
	gptImg = gptImg[:3*512+len(fat12)]
	if got, err := readAnswers(&countingReader{b: gptImg}, int64(len(gptImg))); err != nil || string(got) != bigAnswers {
		t.Fatalf("the undamaged GPT image reads %d bytes, %v", len(got), err)
	}
	add("gpt-entries-ffffffff", mut(gptImg, func(img []byte) { le32(img, 512+80, 0xFFFFFFFF) }), "4294967295 partition entries", ErrMediaDamaged)
	add("gpt-entry-size-7", mut(gptImg, func(img []byte) { le32(img, 512+84, 7) }), "entries of 7 bytes", ErrMediaDamaged)
	add("gpt-entries-lba-huge", mut(gptImg, func(img []byte) { binary.LittleEndian.PutUint64(img[512+72:], 1<<62) }), "outside the medium", ErrMediaDamaged)
	add("gpt-partition-past-end", mut(gptImg, func(img []byte) { binary.LittleEndian.PutUint64(img[1024+40:], 1<<40) }), "does not lie within the medium", ErrMediaDamaged)
	add("gpt-empty-partitions", mut(gptImg, func(img []byte) {
		// Four table entries, each a partition of one sector of zeros.
		le32(img, 512+80, 4)
		for i := 0; i < 4; i++ {
			e := img[1024+128*i:]
			e[0] = 1
			binary.LittleEndian.PutUint64(e[32:], 2)
			binary.LittleEndian.PutUint64(e[40:], 2)
		}
	}), "no partition holds a FAT filesystem (partition 1: ", nil)
	add("gpt-header-missing", mut(gptImg, func(img []byte) { clear(img[512:520]) }), "protective MBR (type 0xEE) without a GPT header", ErrMediaDamaged)

	// Neither.
	add("zeros", make([]byte, 1<<20), "neither a FAT filesystem nor a partition table", nil)
	iso := make([]byte, 40<<10)
	copy(iso[16*2048+1:], "CD001")
	add("iso9660", iso, "ISO 9660", nil)
	return cases
}

// fat32Seeds are the FAT32 cases that go into the seed corpus: go-diskfs' smallest FAT32
// is 130 KiB as a corpus entry, so one of each kind rather than all.
var fat32Seeds = map[string]bool{
	"fat32-chain-loops": true, "fat32-size-ffffffff-loop": true, "fat32-root-loops": true,
	"fat32-truncated-half": true, "fat32-bpb-fatsize-ffffffff": true, "fat32-bpb-spc-3": true,
	"fat32-bpb-total-ffffffff": true, "fat32-chain-beyond-fat": true,
}

// noSeed are other cases left out of the corpus for their size.
var noSeed = map[string]bool{"iso9660": true, "ntfs": true, "fat16-chain-to-bad": true, "fat16-size-ffffffff": true}

// TestReadAnswersMediaDamaged: every damaged medium gives an error that names the volume
// and the damage, wraps the right sentinel, and reads a bounded number of bytes. With
// -update it also writes each image to the fuzz seed corpus.
func TestReadAnswersMediaDamaged(t *testing.T) {
	cases := damagedImages(t)
	corpus := filepath.Join("testdata", "fuzz", "FuzzReadAnswers")
	if *update {
		if err := os.RemoveAll(corpus); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(corpus, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &countingReader{b: tc.img}
			done := make(chan struct{})
			var got []byte
			var err error
			go func() {
				defer close(done)
				got, err = readAnswers(r, int64(len(tc.img)))
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("readAnswers did not return within 20s")
			}
			if err == nil {
				t.Fatalf("readAnswers = %d bytes, nil; want an error containing %q", len(got), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readAnswers error = %q, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("readAnswers error = %v, want it to wrap %v", err, tc.is)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("readAnswers error is %d bytes long", len(err.Error()))
			}
			if n := r.read.Load(); n > 4<<20 {
				t.Errorf("readAnswers read %d bytes of a %d-byte medium", n, len(tc.img))
			}
			if *update && (!strings.HasPrefix(tc.name, "fat32-") || fat32Seeds[tc.name]) && !noSeed[tc.name] {
				writeSeed(t, filepath.Join(corpus, tc.name), tc.img)
			}
		})
	}
	// Through the file API too, so that the error names the path.
	p := filepath.Join(t.TempDir(), "loop.img")
	if err := os.WriteFile(p, cases[0].img, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadAnswersMedia(p)
	if want := "read answers media " + p + `: the FAT volume labelled "XENNIX-ANS": answers.yaml: the cluster chain loops back to cluster`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("ReadAnswersMedia(loop) = %v, want an error starting %q", err, want)
	}
	if *update {
		writeSeed(t, filepath.Join(corpus, "valid-fat32"), fat32Image(t, map[string]string{AnswersFileName: bigAnswers, "README.txt": "x"}))
		writeSeed(t, filepath.Join(corpus, "valid-fat12"), mkfsImage(t, 12, 256, map[string]string{"ANSWERS.YAML": testAnswers}))
	}
}

// writeSeed writes one fuzz corpus entry: the image without its trailing zeros, and the
// size of the medium (FuzzReadAnswers pads with zeros up to it).
func writeSeed(t *testing.T, path string, img []byte) {
	t.Helper()
	trimmed := bytes.TrimRight(img, "\x00")
	s := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nuint32(%d)\n", strconv.Quote(string(trimmed)), len(img))
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadAnswersMediaGood reads the undamaged images the damaged ones came from, so the
// damage, not the builder, is what the errors are about.
func TestReadAnswersMediaGood(t *testing.T) {
	files := map[string]string{AnswersFileName: bigAnswers, "README.txt": "hello\n"}
	for _, tc := range []struct {
		name string
		img  []byte
	}{
		{"fat32-go-diskfs", fat32Image(t, files)},
		{"fat12-mkfs", mkfsImage(t, 12, 256, files)},
		{"fat16-mkfs", mkfsImage(t, 16, 4200, files)},
		{"fat12-uppercase-8.3", mkfsImage(t, 12, 256, map[string]string{"ANSWERS.YAM": "x", "Answers.Yaml": bigAnswers})},
		{"fat16-2k-sectors", mkfsImage(t, 16, 17000, files, "-S", "2048")},
		{"fat12-one-fat", mkfsImage(t, 12, 256, files, "-f", "1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAnswers(&countingReader{b: tc.img}, int64(len(tc.img)))
			if err != nil || string(got) != bigAnswers {
				t.Errorf("readAnswers = %d bytes, %v; want the %d bytes of answers.yaml", len(got), err, len(bigAnswers))
			}
		})
	}
}

// TestReadAnswersMediaBounds: reading stops at the time bound on a slow medium.
func TestReadAnswersMediaBounds(t *testing.T) {
	img := fat32Image(t, map[string]string{AnswersFileName: bigAnswers})
	old := mediaReadTimeout
	mediaReadTimeout = 30 * time.Millisecond
	defer func() { mediaReadTimeout = old }()
	start := time.Now()
	_, err := readAnswers(&countingReader{b: img, delay: 10 * time.Millisecond}, int64(len(img)))
	if err == nil || !strings.Contains(err.Error(), "gave up after 30ms") || !errors.Is(err, ErrMediaDamaged) {
		t.Errorf("readAnswers(slow medium) error = %v, want it to give up after 30ms", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("readAnswers(slow medium) took %s", d)
	}
}

// TestReadAnswersMediaBudget: a GPT of 128 partitions, all the same FAT16 volume with a
// root directory of 16,384 entries and no answers.yaml, would take 256 MiB of reads; the
// reader gives up at its budget.
func TestReadAnswersMediaBudget(t *testing.T) {
	mkfs := needTool(t, "mkfs.fat")
	dir := t.TempDir()
	vol := filepath.Join(dir, "vol.img")
	if b, err := exec.Command(mkfs, "--invariant", "-F", "16", "-s", "1", "-r", "16384", "-n", "OTHER", "-C", vol, "4200").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.fat: %v\n%s", err, b)
	}
	fat16, err := os.ReadFile(vol)
	if err != nil {
		t.Fatal(err)
	}
	const entries, first = 128, 34 // the table fills sectors 2-33
	img := make([]byte, first*512+len(fat16))
	copy(img[first*512:], fat16)
	img[510], img[511] = 0x55, 0xAA
	img[446+4] = 0xEE
	le32(img, 446+8, 1)
	le32(img, 446+12, uint32(len(img)/512-1))
	h := img[512:]
	copy(h, "EFI PART")
	binary.LittleEndian.PutUint64(h[72:], 2)
	le32(h, 80, entries)
	le32(h, 84, 128)
	for i := 0; i < entries; i++ {
		e := img[1024+128*i:]
		copy(e, "\xa2\xa0\xd0\xeb\xe5\xb9\x33\x44\x87\xc0\x68\xb6\xb7\x26\x99\xc7") // Microsoft basic data
		binary.LittleEndian.PutUint64(e[32:], first)
		binary.LittleEndian.PutUint64(e[40:], uint64(len(img)/512-1))
	}
	r := &countingReader{b: img}
	_, err = readAnswers(r, int64(len(img)))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("gave up after reading %d bytes", mediaReadBudget)) || !errors.Is(err, ErrMediaDamaged) {
		t.Errorf("readAnswers(128 partitions) = %v, want it to give up at the read budget", err)
	}
	if n := r.read.Load(); n > mediaReadBudget+64<<10 {
		t.Errorf("readAnswers read %d bytes, over the budget of %d", n, mediaReadBudget)
	}
}
