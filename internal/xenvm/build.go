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
	for _, p := range append([]string{"bash", "xenstore-utils"}, opts.Packages...) {
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
	t.data("/usr/bin/systemctl", []byte(systemctlScript), 0o755)
	for name, unit := range units() {
		t.data("/etc/xenvm/units/"+name, []byte(unit), 0o644)
	}
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
	daemons := "yes"
	if opts.NoDaemons {
		daemons = "no"
	}
	t.data("/init", []byte(strings.ReplaceAll(initScript, "@DAEMONS@", daemons)), 0o755)
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

// units are the stand-in's unit definitions: the upstream Xen unit names (DESIGN.md §1)
// for Debian's daemons, run in the foreground so that their pid is theirs.
func units() map[string]string {
	return map[string]string{
		"xenstored.service":     "TYPE=simple\nEXEC=" + xenBin + "/xenstored\nARGS='--no-fork'\n",
		"xen-init-dom0.service": "TYPE=oneshot\nEXEC=" + xenBin + "/xen-init-dom0\nARGS=''\n",
		"xenconsoled.service":   "TYPE=simple\nEXEC=" + xenBin + "/xenconsoled\nARGS='-i --log=guest --log-dir=/var/log/xen'\n",
	}
}

// systemctlScript is the dom0's `systemctl`: not systemd, and it says so. It starts and
// stops the units in /etc/xenvm/units and answers is-active from whether the unit's
// process is alive and is that unit's program (a oneshot unit: whether it exited 0).
const systemctlScript = `#!/bin/sh
# systemctl: a stand-in of internal/xenvm, NOT systemd. It knows the units in
# /etc/xenvm/units and reports their state from their real processes.
units=/etc/xenvm/units state=/run/xenvm
mkdir -p $state
load() { TYPE=simple EXEC= ARGS=; [ -f "$units/$1" ] && . "$units/$1"; }
active() {
	load "$1" || return 1
	if [ "$TYPE" = oneshot ]; then [ -f "$state/$1.done" ]; return; fi
	[ -f "$state/$1.pid" ] || return 1
	pid=$(cat "$state/$1.pid")
	[ "$(readlink /proc/$pid/exe 2>/dev/null)" = "$EXEC" ]
}
start() {
	load "$1" || { echo "Failed to start $1: Unit $1 not found." >&2; return 5; }
	active "$1" && return 0
	if [ "$TYPE" = oneshot ]; then
		$EXEC $ARGS && touch "$state/$1.done"
		return
	fi
	start-stop-daemon -S -b -m -p "$state/$1.pid" -x "$EXEC" -- $ARGS
	for i in 1 2 3 4 5 6 7 8 9 10; do active "$1" && return 0; sleep 0.1; done
	echo "$1: $EXEC is not running" >&2; return 1
}
stop() {
	load "$1" || { echo "Failed to stop $1: Unit $1 not loaded." >&2; return 5; }
	rm -f "$state/$1.done"
	active "$1" || return 0
	pid=$(cat "$state/$1.pid")
	kill "$pid"
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		active "$1" || { rm -f "$state/$1.pid"; return 0; }
		sleep 0.25
	done
	kill -9 "$pid"; rm -f "$state/$1.pid"
}
quiet= cmd= args=
for a; do
	case $a in
	--quiet|-q) quiet=1 ;;
	--version) echo "systemctl: the xenvm test dom0's stand-in (internal/xenvm), not systemd"; exit 0 ;;
	-*) ;;
	*) if [ -z "$cmd" ]; then cmd=$a; else args="$args $a"; fi ;;
	esac
done
rc=0
case $cmd in
is-active)
	for u in $args; do
		if active "$u"; then s=active; else s=inactive; rc=3; fi
		[ -n "$quiet" ] || echo $s
	done ;;
start|stop) for u in $args; do $cmd "$u" || rc=$?; done ;;
restart) for u in $args; do stop "$u" && start "$u" || rc=$?; done ;;
*) echo "systemctl (xenvm stand-in): '$cmd' is not supported; only is-active, start, stop, restart" >&2; rc=1 ;;
esac
exit $rc
`

// initScript is dom0's /init: mount, load modules, start the Xen daemons (when this is a
// dom0), run the steps, report each on ttyS1, power off.
const initScript = `#!/usr/bin/busybox sh
/usr/bin/busybox --install -s /usr/bin
export PATH=/usr/sbin:/usr/bin:` + xenBin + ` HOME=/root
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs run /run; mount -t tmpfs tmp /tmp
mkdir -p /dev/pts /dev/shm /run/xen /run/xenvm; mount -t devpts devpts /dev/pts   # xenconsoled needs ptys
echo /usr/bin/modprobe > /proc/sys/kernel/modprobe
hostname xenvm; ip link set lo up
res=/dev/ttyS1
stty -F $res raw -echo 115200
report() { printf '%s\n' "$*" > $res; }
ver=$(uname -r)
while read -r m; do
	[ -n "$m" ] || continue
	case $m in */xen/*|*/xen-*) [ -e /sys/hypervisor/type ] || continue ;; esac
	insmod /lib/modules/$ver/$m 2>/dev/null || echo "xenvm: insmod $m failed" >&2
done < /etc/xenvm/modules
if [ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]; then
	mount -t xenfs xenfs /proc/xen
	if [ @DAEMONS@ = yes ]; then
		failed=
		systemctl start xenstored.service || failed="$failed xenstored"
		ok=
		# xen-init-dom0 needs xenstored to answer: try until it does (at most 10 s).
		for i in $(seq 100); do
			systemctl start xen-init-dom0.service >/tmp/init-dom0.log 2>&1 && { ok=1; break; }
			sleep 0.1
		done
		[ -n "$ok" ] || { failed="$failed xen-init-dom0"; cat /tmp/init-dom0.log >&2; }
		systemctl start xenconsoled.service || failed="$failed xenconsoled"
		if [ -n "$failed" ]; then
			echo "xenvm: did not start:$failed" >&2
			report "XENVM-FAILED the Xen daemons did not start:$failed"
			poweroff -f
		fi
	fi
fi
. /etc/xenvm/env
report XENVM-READY
while read -r file name secs; do
	cd /
	if [ "$secs" -gt 0 ]; then
		timeout -s KILL "$secs" sh /xenvm/steps/$file > /tmp/xenvm-out 2>&1 </dev/null
	else
		sh /xenvm/steps/$file > /tmp/xenvm-out 2>&1 </dev/null
	fi
	rc=$?
	report "XENVM-OUT $name $(wc -c < /tmp/xenvm-out)"
	cat /tmp/xenvm-out > $res
	report "XENVM-RC $name $rc"
done < /xenvm/steps.list
report XENVM-DONE
sync
poweroff -f
`
