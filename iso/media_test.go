package iso

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTool returns the path of an external program, skipping the test outside CI when it
// is missing and failing it inside CI (CI=true), as STYLE.md asks.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, fmt.Sprintf("%s not installed (apt-get install -y dosfstools util-linux)", name))
	}
	return p
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root (loop devices)")
	}
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}

// fsckPartition copies the first MBR partition of img to its own file and runs
// `fsck.fat -n` on it (fsck.fat has no offset option). It fails the test unless fsck.fat
// exits 0 without a warning, and returns its output.
func fsckPartition(t *testing.T, img string) string {
	t.Helper()
	fsck := needTool(t, "fsck.fat")
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mbrSector := make([]byte, 512)
	if _, err := io.ReadFull(f, mbrSector); err != nil {
		t.Fatal(err)
	}
	if mbrSector[510] != 0x55 || mbrSector[511] != 0xaa || mbrSector[446+4] != 0x0c {
		t.Fatalf("%s: no MBR with a FAT32 (0x0c) first partition", img)
	}
	start := int64(binary.LittleEndian.Uint32(mbrSector[446+8:])) * 512
	size := int64(binary.LittleEndian.Uint32(mbrSector[446+12:])) * 512
	part := filepath.Join(t.TempDir(), "part.img")
	out, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	// Copy sparsely: the images are mostly zeros, and some are 1 GiB.
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	for off := int64(0); off < size; off += int64(len(buf)) {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], start+off)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if bytes.Equal(buf[:n], zero[:n]) {
			continue
		}
		if _, err := out.WriteAt(buf[:n], off); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Truncate(size); err != nil {
		t.Fatal(err)
	}
	out.Close()
	cmd := exec.Command(fsck, "-n", part)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fsck.fat -n on the partition of %s: %v\n%s", img, err, b)
	}
	// fsck.fat exits 0 on a FAT32 with too few clusters, but warns; that is not good
	// enough for media that firmware must read.
	if bytes.Contains(bytes.ToLower(b), []byte("warning")) || bytes.Contains(b, []byte("less than the required minimum")) {
		t.Fatalf("fsck.fat -n on the partition of %s warns:\n%s", img, b)
	}
	return string(b)
}

func TestWriteReadAnswersMedia(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "answers.img")
	if err := WriteAnswersMedia(img, []byte(testAnswers), 0); err != nil {
		t.Fatalf("WriteAnswersMedia: %v", err)
	}
	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != DefaultMediaSize || fi.Mode().Perm() != 0o600 {
		t.Errorf("image is %d bytes, mode %v; want %d, 0600", fi.Size(), fi.Mode().Perm(), DefaultMediaSize)
	}
	got, err := ReadAnswersMedia(img)
	if err != nil || string(got) != testAnswers {
		t.Fatalf("ReadAnswersMedia = %q, %v; want %q", got, err, testAnswers)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after writing, want only the image (no temporary file)", len(entries))
	}
	out := fsckPartition(t, img)
	if !strings.Contains(out, "3 files") {
		t.Errorf("fsck.fat output %q, want 3 files (the label, answers.yaml, README.txt)", out)
	}
	// mtools reads it too, with the label and both files.
	if mdir, err := exec.LookPath("mdir"); err == nil {
		b, err := exec.Command(mdir, "-i", img+"@@1M", "::").CombinedOutput()
		if err != nil || !bytes.Contains(b, []byte("XENNIX-ANS")) || !bytes.Contains(b, []byte("answers.yaml")) || !bytes.Contains(b, []byte("README.txt")) {
			t.Errorf("mdir: %v\n%s", err, b)
		}
	}

	// Writing again replaces the image atomically.
	if err := WriteAnswersMedia(img, []byte("version: 1\n"), 40<<20); err != nil {
		t.Fatalf("WriteAnswersMedia again: %v", err)
	}
	if got, err := ReadAnswersMedia(img); err != nil || string(got) != "version: 1\n" {
		t.Errorf("ReadAnswersMedia after rewrite = %q, %v", got, err)
	}
}

func TestWriteAnswersMediaRefuses(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "a.img")
	tests := []struct {
		name    string
		path    string
		answers string
		size    int64
		want    error
		wantMsg string
	}{
		{"too small", img, testAnswers, 32 << 20, ErrMediaSize, "want 40 MiB to 1024 MiB"},
		{"too big", img, testAnswers, 2 << 30, ErrMediaSize, "2048 MiB"},
		{"not MiB", img, testAnswers, 48<<20 + 512, ErrMediaSize, "not a whole number of MiB"},
		{"negative", img, testAnswers, -1, ErrMediaSize, ""},
		{"empty answers", img, "", 0, nil, "the answers are empty"},
		{"too large answers", img, strings.Repeat("#", MaxAnswersSize+1), 0, ErrTooLarge, ""},
		{"device", "/dev/null", testAnswers, 0, nil, "not a regular file"},
		{"missing directory", filepath.Join(dir, "no/such/a.img"), testAnswers, 0, os.ErrNotExist, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteAnswersMedia(tc.path, []byte(tc.answers), tc.size)
			if err == nil {
				t.Fatalf("WriteAnswersMedia succeeded, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("WriteAnswersMedia error = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("WriteAnswersMedia error = %q, want it to contain %q", err, tc.wantMsg)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("failed writes left %d files behind", len(entries))
	}
}

// TestAnswersMediaSizes writes an image at each size and checks it with fsck.fat. The
// sizes include those where go-diskfs v1.9.4 alone writes a broken FAT (issue #418: a
// filesystem of exactly 64, 129 or 259 MiB, i.e. images of 65, 130 and 260 MiB here), and
// the edges of the allowed range. Without -short every allowed size up to 300 MiB is
// checked.
func TestAnswersMediaSizes(t *testing.T) {
	needTool(t, "fsck.fat")
	sizes := []int64{40, 41, 47, 48, 63, 64, 65, 100, 128, 129, 130, 256, 259, 260, 261, 262, 300, 512, 1000, 1024}
	if !testing.Short() {
		for s := int64(40); s <= 300; s++ {
			sizes = append(sizes, s)
		}
	}
	dir := t.TempDir()
	seen := map[int64]bool{}
	for _, mib := range sizes {
		if seen[mib] {
			continue
		}
		seen[mib] = true
		t.Run(fmt.Sprintf("%dMiB", mib), func(t *testing.T) {
			t.Parallel()
			img := filepath.Join(dir, fmt.Sprintf("%d.img", mib))
			defer os.Remove(img)
			if err := WriteAnswersMedia(img, []byte(testAnswers), mib<<20); err != nil {
				t.Fatalf("WriteAnswersMedia(%d MiB): %v", mib, err)
			}
			fsckPartition(t, img)
		})
	}
}

// TestDiskfsLayoutPredictsBug checks fat32Sectors' model of go-diskfs v1.9.4 against the
// sizes issue #418 reports as broken (filesystem sizes of 64 MiB and 259 MiB).
func TestDiskfsLayoutPredictsBug(t *testing.T) {
	for _, mib := range []uint32{64, 129, 259} {
		if diskfsFAT32LayoutOK(mib << 11) {
			t.Errorf("diskfsFAT32LayoutOK(%d MiB) = true, want false (go-diskfs issue #418)", mib)
		}
		if got := fat32Sectors(mib << 11); got >= mib<<11 || got < mib<<11-4 {
			t.Errorf("fat32Sectors(%d MiB) = %d, want a few sectors less than %d", mib, got, mib<<11)
		}
	}
	for _, mib := range []uint32{63, 65, 100} {
		if !diskfsFAT32LayoutOK(mib << 11) {
			t.Errorf("diskfsFAT32LayoutOK(%d MiB) = false, want true", mib)
		}
	}
}

func TestReadAnswersMediaErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.img")
	if err := os.WriteFile(junk, bytes.Repeat([]byte{0}, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAnswersMedia(junk); err == nil {
		t.Errorf("ReadAnswersMedia(zeros) succeeded, want an error")
	}
	if _, err := ReadAnswersMedia(filepath.Join(dir, "missing.img")); err == nil {
		t.Errorf("ReadAnswersMedia(missing) succeeded, want an error")
	}
}

// TestReadAnswersMediaFromMkfsFat reads a stick made by hand: `mkfs.fat -n XENNIX-ANS` on
// a whole device (no partition table), with the file copied by mtools under an upper-case
// name.
func TestReadAnswersMediaFromMkfsFat(t *testing.T) {
	mkfs := needTool(t, "mkfs.fat")
	mcopy := needTool(t, "mcopy")
	dir := t.TempDir()
	img := filepath.Join(dir, "stick.img")
	src := filepath.Join(dir, "ANSWERS.YAML")
	if err := os.WriteFile(src, []byte(testAnswers), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, argv := range [][]string{
		{mkfs, "-C", "-n", VolumeLabel, img, "8192"},
		{mcopy, "-i", img, src, "::ANSWERS.YAML"},
	} {
		if b, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, b)
		}
	}
	got, err := ReadAnswersMedia(img)
	if err != nil || string(got) != testAnswers {
		t.Errorf("ReadAnswersMedia = %q, %v; want %q", got, err, testAnswers)
	}

	// A volume without the file names what it has.
	empty := filepath.Join(dir, "empty.img")
	if b, err := exec.Command(mkfs, "-C", "-n", VolumeLabel, empty, "8192").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.fat: %v\n%s", err, b)
	}
	if _, err := ReadAnswersMedia(empty); err == nil || !strings.Contains(err.Error(), "no answers.yaml") {
		t.Errorf("ReadAnswersMedia(empty volume) error = %v, want it to say answers.yaml is missing", err)
	}
}

// TestReadAnswersMediaGPT reads a GPT image with two FAT partitions, as another tool might
// make one: the one labelled XENNIX-ANS is read, though it is the second.
func TestReadAnswersMediaGPT(t *testing.T) {
	sgdisk := needTool(t, "sgdisk")
	mkfs := needTool(t, "mkfs.fat")
	mcopy := needTool(t, "mcopy")
	dir := t.TempDir()
	img := filepath.Join(dir, "gpt.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 64<<20); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "answers.yaml")
	if err := os.WriteFile(other, []byte("version: 1\n# the wrong one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	right := filepath.Join(dir, "right.yaml")
	if err := os.WriteFile(right, []byte(testAnswers), 0o600); err != nil {
		t.Fatal(err)
	}
	// Partition 1: sectors 2048-34815 (16 MiB), partition 2: 34816-67583 (16 MiB).
	for _, argv := range [][]string{
		{sgdisk, "-n1:2048:34815", "-t1:0700", "-n2:34816:67583", "-t2:0700", img},
		{mkfs, "--offset=2048", "-n", "OTHER", img, "16384"},
		{mkfs, "--offset=34816", "-n", VolumeLabel, img, "16384"},
		{mcopy, "-i", img + "@@1M", other, "::answers.yaml"},
		{mcopy, "-i", img + "@@17M", right, "::answers.yaml"},
	} {
		if b, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, b)
		}
	}
	got, err := ReadAnswersMedia(img)
	if err != nil || string(got) != testAnswers {
		t.Errorf("ReadAnswersMedia = %q, %v; want %q", got, err, testAnswers)
	}
}
