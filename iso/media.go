package iso

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	diskfs "github.com/diskfs/go-diskfs"
	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/disk"
	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/partition/mbr"
)

// VolumeLabel is the FAT volume label of an answers medium. udev links a filesystem with
// this label as /dev/disk/by-label/XENNIX-ANS, which is how Discover finds it.
const VolumeLabel = "XENNIX-ANS"

// AnswersFileName is the name of the answers file in the root directory of an answers
// medium.
const AnswersFileName = "answers.yaml"

// Sizes of an answers-media image.
//
// FAT32 needs at least 65,525 clusters (Microsoft's FAT specification, fatgen103: the
// cluster count alone decides FAT12/16/32), and go-diskfs v1.9.4 uses 512-byte clusters up
// to 260 MiB, so a partition under about 33 MiB is FAT32 only in name (fsck.fat warns,
// some firmware misreads it). Images from MinMediaSize to MaxMediaSize in whole MiB were
// written and checked with `fsck.fat -n` (see media_test.go); a bigger image only takes
// longer to copy onto a stick.
const (
	DefaultMediaSize int64 = 48 << 20
	MinMediaSize     int64 = 40 << 20
	MaxMediaSize     int64 = 1 << 30
)

// ErrMediaSize means an answers-media size outside MinMediaSize..MaxMediaSize or not a
// whole number of MiB.
var ErrMediaSize = errors.New("unsupported answers media size")

const (
	sectorSize     = 512
	partitionStart = 2048 // sectors: 1 MiB, the alignment every partitioning tool uses
)

// WriteAnswersMedia writes a disk image of size bytes (0 means DefaultMediaSize) to path:
// an MBR partition table with one partition of type 0x0c (FAT32, LBA) starting at 1 MiB,
// holding a FAT32 filesystem labelled XENNIX-ANS with answers.yaml and a README.txt.
//
// MBR rather than GPT because the image is copied onto sticks of any size and attached as
// BMC virtual media: an MBR has no backup header that must sit at the end of the device
// (a GPT copied onto a larger stick is reported as damaged until repaired), and every
// firmware, BMC and operating system reads it. Not a superfloppy (a filesystem without a
// partition table) because some operating systems offer to "format" those.
//
// The image is written to a temporary file beside path, read back and compared, and only
// then renamed to path, so path never holds a half-written image. It is created with mode
// 0600: answers may carry secrets. path must not be a device; write a file and copy it.
func WriteAnswersMedia(path string, answers []byte, size int64) error {
	if size == 0 {
		size = DefaultMediaSize
	}
	if err := checkMediaSize(size); err != nil {
		return err
	}
	switch {
	case len(answers) == 0:
		return errors.New("write answers media: the answers are empty")
	case len(answers) > MaxAnswersSize:
		return fmt.Errorf("write answers media: %w: %d bytes, the limit is %d", ErrTooLarge, len(answers), MaxAnswersSize)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("write answers media: %s is not a regular file; write the image to a file, then copy it (dd, or the BMC's virtual media upload)", path)
	}

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("write answers media: %w", err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()

	if err := buildMedia(tmp, answers, size); err != nil {
		return fmt.Errorf("write answers media %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write answers media %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write answers media %s: %w", path, err)
	}
	back, err := ReadAnswersMedia(tmpName)
	if err != nil {
		return fmt.Errorf("write answers media %s: reading it back: %w", path, err)
	}
	if !bytes.Equal(back, answers) {
		return fmt.Errorf("write answers media %s: read back %d bytes that differ from the %d written", path, len(back), len(answers))
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("write answers media: %w", err)
	}
	ok = true
	return nil
}

func checkMediaSize(size int64) error {
	switch {
	case size%(1<<20) != 0:
		return fmt.Errorf("%w: %d bytes is not a whole number of MiB", ErrMediaSize, size)
	case size < MinMediaSize || size > MaxMediaSize:
		return fmt.Errorf("%w: %d MiB; want %d MiB to %d MiB (FAT32 needs at least 65525 clusters)",
			ErrMediaSize, size>>20, MinMediaSize>>20, MaxMediaSize>>20)
	}
	return nil
}

// buildMedia lays out the image in f, which it first sizes.
func buildMedia(f *os.File, answers []byte, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	d, err := diskfs.OpenBackend(file.New(f, false), diskfs.WithOpenMode(diskfs.ReadWrite))
	if err != nil {
		return fmt.Errorf("open image: %w", err)
	}
	fsSectors := fat32Sectors(uint32(size/sectorSize) - partitionStart)
	table := &mbr.Table{
		LogicalSectorSize:  sectorSize,
		PhysicalSectorSize: sectorSize,
		Partitions: []*mbr.Partition{{
			Index: 1,
			Type:  mbr.Fat32LBA,
			Start: partitionStart,
			Size:  fsSectors,
		}},
	}
	if err := d.Partition(table); err != nil {
		return fmt.Errorf("partition image: %w", err)
	}
	// go-diskfs writes only the partition entries, leaving the disk signature (bytes
	// 440-443, what blkid shows as PTUUID) zero. Derive one from the answers, so the same
	// answers give the same signature and different answers rarely collide.
	sum := sha256.Sum256(answers)
	if _, err := f.WriteAt(sum[:4], 440); err != nil {
		return fmt.Errorf("write disk signature: %w", err)
	}
	fsys, err := d.CreateFilesystem(disk.FilesystemSpec{Partition: 1, FSType: filesystem.TypeFat32, VolumeLabel: VolumeLabel})
	if err != nil {
		return fmt.Errorf("create FAT32: %w", err)
	}
	if err := writeFile(fsys, "/"+AnswersFileName, answers); err != nil {
		return err
	}
	if err := writeFile(fsys, "/README.txt", []byte(readme)); err != nil {
		return err
	}
	return fsys.Close()
}

func writeFile(fsys filesystem.FileSystem, name string, data []byte) error {
	w, err := fsys.OpenFile(name, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

const readme = `XenNix answers medium
=====================

answers.yaml on this volume is an answers file for the XenNix installer. When the
installer boots without xennix.answers= on its kernel command line (and no DNS record
xennix-answers.<search domain> names one), it looks for a filesystem labelled XENNIX-ANS
and installs from the answers.yaml in its root directory.

Keep the label XENNIX-ANS and the file name answers.yaml. After editing the file, check it
with:

    xennix validate answers.yaml

and rebuild the image with:

    xennix answers-media answers.yaml -o answers.img

This file may hold secrets (password hashes, keys): treat the medium accordingly.
`

// fat32Sectors returns the largest FAT32 filesystem size, in 512-byte sectors and at most
// avail, that go-diskfs v1.9.4 lays out correctly.
//
// Its fat32.Create sizes the FAT without the two reserved entries, so at sizes where the
// rounding comes out exact (64 MiB, 129 MiB, 259 MiB, …) the last two clusters have no
// FAT entry and fsck.fat fails with "Filesystem has N clusters but only space for N-2 FAT
// entries" (go-diskfs issue #418, fixed by pull request #427 after v1.9.4). This repeats
// that computation (filesystem/fat32/fat32.go, Create) and gives up a sector or two at
// the end of the partition where it would go wrong. media_test.go checks the result with
// fsck.fat at every size allowed.
func fat32Sectors(avail uint32) uint32 {
	for t := avail; t > avail-64; t-- {
		if diskfsFAT32LayoutOK(t) {
			return t
		}
	}
	return avail
}

// diskfsFAT32LayoutOK reports whether go-diskfs v1.9.4's fat32.Create gives a FAT with an
// entry for every cluster at totalSectors 512-byte sectors.
func diskfsFAT32LayoutOK(totalSectors uint32) bool {
	const reserved = 32
	size := int64(totalSectors) * sectorSize
	var clusterBytes int64
	switch {
	case size <= 260<<20:
		clusterBytes = 512
	case size <= 8<<30:
		clusterBytes = 4 << 10
	default:
		return false // beyond what this package writes
	}
	spc := uint64(clusterBytes / sectorSize)
	t := uint64(totalSectors)
	denom := sectorSize*spc + 8
	sectorsPerFat := (4*(t-reserved) + denom - 1) / denom
	clusters := (t - reserved - 2*sectorsPerFat) / spc
	return sectorsPerFat*sectorSize/4 >= clusters+2 && clusters >= 65525
}

// ReadAnswersMedia returns answers.yaml from an answers medium at path: an image file or a
// block device, opened read-only. The filesystem may fill the whole of path (a partition
// device such as /dev/sdb1, or a "superfloppy") or sit in a partition of an MBR or GPT
// table, where the one labelled XENNIX-ANS is preferred. FAT12, FAT16 and FAT32 are
// accepted, so a stick formatted with `mkfs.fat -n XENNIX-ANS` works as well as an image
// from WriteAnswersMedia. The file name is matched without regard to case, as FAT does.
//
// The medium is not trusted (see fat.go): a damaged or hostile one gives an error naming
// the volume, wrapping ErrMediaDamaged or ErrTooLarge, after a bounded amount of reading.
func ReadAnswersMedia(path string) ([]byte, error) {
	data, err := readAnswersFile(path)
	if err != nil {
		return nil, fmt.Errorf("read answers media %s: %w", path, err)
	}
	return data, nil
}
