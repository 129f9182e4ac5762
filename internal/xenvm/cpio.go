package xenvm

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// node is one entry of a root filesystem being built: a directory, a symlink, a file
// copied from the host (src) or a file with the given contents (data).
type node struct {
	mode os.FileMode // permission bits and type (os.ModeDir, os.ModeSymlink, 0 for a file)
	src  string
	data []byte
	link string
}

// tree is a root filesystem being built, by absolute path inside it.
type tree map[string]*node

// clean normalises p to an absolute path, folding Debian's merged-/usr directories (/bin,
// /sbin, /lib, /lib64) into /usr, as bookworm's own root does.
func clean(p string) string {
	p = path.Clean("/" + p)
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib64"} {
		if p == d || strings.HasPrefix(p, d+"/") {
			return "/usr" + p
		}
	}
	return p
}

func (t tree) mkdirAll(p string) {
	for p != "/" && p != "." {
		if _, ok := t[p]; ok {
			return
		}
		t[p] = &node{mode: os.ModeDir | 0o755}
		p = path.Dir(p)
	}
}

// file adds a copy of the host file src at dst.
func (t tree) file(dst, src string, perm os.FileMode) {
	dst = clean(dst)
	t.mkdirAll(path.Dir(dst))
	t[dst] = &node{mode: perm, src: src}
}

// data adds a file with contents b at dst.
func (t tree) data(dst string, b []byte, perm os.FileMode) {
	dst = clean(dst)
	t.mkdirAll(path.Dir(dst))
	t[dst] = &node{mode: perm, data: b}
}

// symlink adds a symbolic link at dst (not folded into /usr: it may be one of the links
// that make the merged /usr).
func (t tree) symlink(dst, target string) {
	dst = path.Clean("/" + dst)
	t.mkdirAll(path.Dir(dst))
	t[dst] = &node{mode: os.ModeSymlink | 0o777, link: target}
}

// writeCpio writes t as a newc cpio archive (the initramfs format the kernel unpacks;
// Documentation/driver-api/early-userspace/buffer-format.rst), parents before children.
func (t tree) writeCpio(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names) // a parent sorts before everything under it
	ino := uint32(1)
	for _, name := range names {
		n := t[name]
		var size int64
		var body io.Reader
		mode := uint32(n.mode.Perm())
		switch {
		case n.mode&os.ModeDir != 0:
			mode |= 0o040000
		case n.mode&os.ModeSymlink != 0:
			mode |= 0o120000
			size = int64(len(n.link))
			body = strings.NewReader(n.link)
		case n.src != "":
			mode |= 0o100000
			fi, err := os.Stat(n.src)
			if err == nil && !fi.Mode().IsRegular() {
				err = fmt.Errorf("%s is not a regular file", n.src)
			}
			if err != nil {
				return fmt.Errorf("initramfs %s: %w", name, err)
			}
			size = fi.Size()
		default:
			mode |= 0o100000
			size, body = int64(len(n.data)), strings.NewReader(string(n.data))
		}
		if size > 0xffffffff {
			return fmt.Errorf("initramfs %s: %d bytes is too large for cpio", name, size)
		}
		if err := cpioHeader(bw, ino, mode, uint32(size), strings.TrimPrefix(name, "/")); err != nil {
			return err
		}
		ino++
		if err := n.copyTo(bw, size, body); err != nil {
			return fmt.Errorf("initramfs %s: %w", name, err)
		}
		if err := pad(bw, size); err != nil {
			return err
		}
	}
	if err := cpioHeader(bw, 0, 0, 0, "TRAILER!!!"); err != nil {
		return err
	}
	return bw.Flush()
}

func cpioHeader(w io.Writer, ino, mode, size uint32, name string) error {
	nlink := uint32(1)
	if mode&0o170000 == 0o040000 {
		nlink = 2
	}
	// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
	// rdevminor, namesize (with its NUL), check.
	h := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	if _, err := io.WriteString(w, h+name+"\x00"); err != nil {
		return err
	}
	return pad(w, int64(len(h)+len(name)+1))
}

// pad writes the zeros that align the next cpio record to 4 bytes.
func pad(w io.Writer, n int64) error {
	if r := n % 4; r != 0 {
		_, err := w.Write(make([]byte, 4-r))
		return err
	}
	return nil
}

// copyTo writes exactly size bytes of n's contents: body, or the host file n.src.
func (n *node) copyTo(w io.Writer, size int64, body io.Reader) error {
	if body == nil && n.src == "" {
		return nil
	}
	if body == nil {
		f, err := os.Open(n.src)
		if err != nil {
			return err
		}
		defer f.Close()
		body = f
	}
	_, err := io.CopyN(w, body, size)
	return err
}
