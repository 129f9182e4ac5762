package xenvm

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// xenBin is where Debian's xen-utils-4.17 keeps the toolstack and daemons.
const xenBin = "/usr/lib/xen-4.17/bin"

// xenTools are the programs of xen-utils-4.17 a dom0 of this harness carries.
var xenTools = []string{"xl", "xenstored", "xen-init-dom0", "xenconsoled", "xenconsole", "libxl-save-helper"}

// image is what QEMU boots: Xen (a 32-bit multiboot ELF), the dom0 kernel, the root.
type image struct {
	xen, kernel string
	root        tree
}

// build assembles the dom0 root from the unpacked packages and opts.
func build(d debs, kpkg string, opts Options) (image, error) {
	kdir := d[kpkg]
	kernels, _ := filepath.Glob(filepath.Join(kdir, "boot", "vmlinuz-*"))
	mods, _ := filepath.Glob(filepath.Join(kdir, "lib", "modules", "*"))
	if len(kernels) != 1 || len(mods) != 1 {
		return image{}, fmt.Errorf("%s: want one boot/vmlinuz-* and one lib/modules/*, found %d and %d", kpkg, len(kernels), len(mods))
	}
	img := image{kernel: kernels[0], root: tree{}}
	xen, err := xenELF(d["xen-hypervisor-4.17-amd64"])
	if err != nil {
		return image{}, err
	}
	img.xen = xen
	t := img.root
	// Debian bookworm's merged /usr: every path under these is stored under /usr.
	for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
		t.symlink("/"+l, "usr/"+l)
	}
	for _, dir := range []string{"/proc", "/sys", "/dev", "/run", "/tmp", "/root", "/var/lib/xen",
		"/var/log/xen", "/etc/xen/auto", "/usr/sbin", "/usr/lib64", "/xenvm/steps"} {
		t.mkdirAll(dir)
	}
	t.symlink("/var/run", "../run")
	t.file("/usr/bin/busybox", filepath.Join(d["busybox-static"], "bin", "busybox"), 0o755)
	for _, b := range xenTools {
		t.file(xenBin+"/"+b, filepath.Join(d["xen-utils-4.17"], xenBin, b), 0o755)
	}
	common := d["xen-utils-common"]
	if err := copyPackage(t, common, "etc/xen"); err != nil {
		return image{}, err
	}
	for _, p := range append([]string{"bash", "xenstore-utils", "systemd"}, opts.Packages...) {
		if err := copyPackage(t, d[p], "."); err != nil {
			return image{}, err
		}
	}

	ver := filepath.Base(mods[0])
	modorder, err := os.ReadFile(filepath.Join(mods[0], "modules.order"))
	if err != nil {
		return image{}, fmt.Errorf("%s: %w", kpkg, err)
	}
	builtin, _ := os.ReadFile(filepath.Join(mods[0], "modules.builtin"))
	depends := func(f string) ([]string, error) { return modDepends(filepath.Join(mods[0], f)) }
	order, err := moduleOrder(modorder, builtin, append(append([]string{}, baseModules...), opts.Modules...), depends)
	if err != nil {
		return image{}, fmt.Errorf("options.modules: %w", err)
	}
	for _, m := range order {
		t.file("/lib/modules/"+ver+"/"+m, filepath.Join(mods[0], m), 0o644)
	}
	// A PV guest boots the same Debian kernel, with a busybox initramfs of its own.
	t.file("/guest/vmlinuz", img.kernel, 0o644)
	guest, err := guestRoot(d, mods[0], ver, opts.Guest, depends)
	if err != nil {
		return image{}, err
	}
	var gb bytes.Buffer
	if err := guest.writeCpio(&gb); err != nil {
		return image{}, err
	}
	t.data("/guest/initrd.cpio", gb.Bytes(), 0o644)
	moddep, err := modulesDep(order, depends)
	if err != nil {
		return image{}, err
	}
	t.data("/lib/modules/"+ver+"/modules.dep", moddep, 0o644)
	t.file("/lib/modules/"+ver+"/modules.builtin", filepath.Join(mods[0], "modules.builtin"), 0o644)
	t.data("/etc/xenvm/modules", []byte(strings.Join(order, "\n")+"\n"), 0o644)

	for src, dst := range opts.Files {
		fi, err := os.Stat(src)
		if err != nil {
			return image{}, fmt.Errorf("files[%s]: %w", src, err)
		}
		t.file(dst, src, fi.Mode().Perm())
	}
	if err := addLibraries(t, libIndex(d)); err != nil {
		return image{}, err
	}
	// xl cancels threads, which makes glibc dlopen libgcc_s: not a DT_NEEDED of anything.
	if src, ok := libIndex(d)["libgcc_s.so.1"]; ok {
		t.file(libDir+"/libgcc_s.so.1", src, 0o644)
	} else {
		return image{}, fmt.Errorf("libgcc_s.so.1 not in any fetched package (libgcc-s1)")
	}

	t.data("/etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	t.data("/etc/group", []byte("root:x:0:\n"), 0o644)
	t.data("/etc/hostname", []byte("xenvm\n"), 0o644)
	t.data("/etc/machine-id", nil, 0o444) // systemd fills it in at boot
	for name, unit := range units {
		t.data("/etc/systemd/system/"+name, []byte(unit), 0o644)
	}
	t.data("/xenvm/run", []byte(runScript), 0o755)
	var env strings.Builder
	for _, e := range opts.Env {
		k, v, _ := strings.Cut(e, "=")
		fmt.Fprintf(&env, "export %s='%s'\n", k, v)
	}
	t.data("/etc/xenvm/env", []byte(env.String()), 0o644)
	steps := opts.Steps
	if opts.Script != "" {
		steps = append([]Step{{Name: "script", Script: opts.Script}}, steps...)
	}
	var list strings.Builder
	for i, s := range steps {
		file := fmt.Sprintf("%02d-%s", i, s.Name)
		t.data("/xenvm/steps/"+file, []byte(s.Script), 0o755)
		secs := 0
		if s.Timeout > 0 {
			secs = int((s.Timeout + 999e6) / 1e9)
		}
		fmt.Fprintf(&list, "%s %s %d\n", file, s.Name, secs)
	}
	t.data("/xenvm/steps.list", []byte(list.String()), 0o644)
	t.data("/etc/systemd/system/xenvm.target", []byte(xenvmTarget), 0o644)
	t.data("/init", []byte(initScript), 0o755)
	return img, nil
}

// guestModules are what a PV guest needs for its disk and network (built as modules in
// Debian's kernel).
var guestModules = []string{"xen-netfront", "xen-blkfront"}

// guestRoot is the root of a PV guest: busybox, the front-end modules, an /init that runs
// g.Script and then waits for `xl shutdown` (the kernel's orderly poweroff runs
// /sbin/poweroff, which here powers off at once).
func guestRoot(d debs, mods, ver string, g Guest, depends func(string) ([]string, error)) (tree, error) {
	t := tree{}
	for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
		t.symlink("/"+l, "usr/"+l)
	}
	for _, dir := range []string{"/proc", "/sys", "/dev", "/run", "/tmp", "/usr/sbin"} {
		t.mkdirAll(dir)
	}
	t.file("/usr/bin/busybox", filepath.Join(d["busybox-static"], "bin", "busybox"), 0o755)
	modorder, err := os.ReadFile(filepath.Join(mods, "modules.order"))
	if err != nil {
		return nil, err
	}
	builtin, _ := os.ReadFile(filepath.Join(mods, "modules.builtin"))
	order, err := moduleOrder(modorder, builtin, append(append([]string{}, guestModules...), g.Modules...), depends)
	if err != nil {
		return nil, fmt.Errorf("options.guest.modules: %w", err)
	}
	for _, m := range order {
		t.file("/lib/modules/"+ver+"/"+m, filepath.Join(mods, m), 0o644)
	}
	t.data("/etc/modules", []byte(strings.Join(order, "\n")+"\n"), 0o644)
	t.data("/usr/sbin/poweroff", []byte("#!/usr/bin/busybox sh\nexec /usr/bin/busybox poweroff -f\n"), 0o755)
	script := g.Script
	if script == "" {
		script = "uname -r; ls /sys/class/net"
	}
	t.data("/guest.sh", []byte(script), 0o755)
	t.data("/init", []byte(guestInit), 0o755)
	return t, nil
}

// guestInit is a PV guest's /init. Its console (hvc0) is what xenconsoled logs in dom0's
// /var/log/xen/guest-NAME.log.
const guestInit = `#!/usr/bin/busybox sh
/usr/bin/busybox --install -s /usr/bin
export PATH=/usr/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ver=$(uname -r)
while read -r m; do [ -n "$m" ] && insmod /lib/modules/$ver/$m; done < /etc/modules
echo XENVM-GUEST-UP
sh /guest.sh
echo "XENVM-GUEST-RC $?"
while :; do sleep 1; done
`

// xenELF unpacks Xen's 32-bit multiboot ELF from boot/xen-4.17-amd64.gz (QEMU's -kernel
// loads multiboot1 only from such an ELF) next to the package, once.
func xenELF(pkg string) (string, error) {
	out := pkg + ".xen.elf"
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	gz, err := filepath.Glob(filepath.Join(pkg, "boot", "xen-4.17-amd64.gz"))
	if err != nil || len(gz) != 1 {
		return "", fmt.Errorf("xen-hypervisor-4.17-amd64 has no boot/xen-4.17-amd64.gz")
	}
	f, err := os.Open(gz[0])
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", gz[0], err)
	}
	err = writeFile(out, func(w io.Writer) error {
		_, err := io.Copy(w, zr)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("unpack %s: %w", gz[0], err)
	}
	return out, nil
}

// copyPackage copies the files and links of an unpacked package under sub into t, without
// documentation.
func copyPackage(t tree, pkg, sub string) error {
	base := filepath.Join(pkg, sub)
	return filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(pkg, p)
		if rel == "." {
			return nil
		}
		for _, skip := range []string{"usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian", "usr/share/bug"} {
			if rel == skip {
				return filepath.SkipDir
			}
		}
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			t.symlink(clean(rel), target)
		case e.Type().IsRegular():
			fi, err := e.Info()
			if err != nil {
				return err
			}
			t.file(rel, p, fi.Mode().Perm())
		}
		return nil
	})
}
