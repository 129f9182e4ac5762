#!/bin/sh
# qemu-live-tests.sh [TESTREGEX] runs netsetup's live tests (default: TestApply) as root in a
# QEMU guest (TCG, no KVM needed) booted with Debian's cloud kernel, for machines whose own
# kernel lacks the bonding or 8021q driver (the tests skip without them). It needs root
# (apt-get install), network access to the Debian archive, and takes about a minute.
# Scratch files go to ${XENNIX_VM_DIR:-/tmp/xennix-netsetup-vm}; nothing in the tree changes.
set -eu
run=${1:-TestApply}
pkgdir=$(cd "$(dirname "$0")/.." && pwd)
work=${XENNIX_VM_DIR:-/tmp/xennix-netsetup-vm}
mkdir -p "$work/deb"

command -v qemu-system-x86_64 >/dev/null && [ -x /usr/bin/busybox ] ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86 busybox-static

if [ ! -d "$work/kernel" ]; then
	(cd "$work/deb" && apt-get download linux-image-cloud-amd64 &&
		dep=$(dpkg-deb -f linux-image-cloud-amd64_*.deb Depends | sed 's/ .*//') &&
		apt-get download "$dep" && dpkg-deb -x "$dep"_*.deb "$work/kernel")
fi
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-*)
mods=$(ls -d "$work"/kernel/lib/modules/*)/kernel

root="$work/rootfs"
rm -rf "$root"
mkdir -p "$root/bin" "$root/usr/sbin" "$root/mods" "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/tmp" "$root/work"
cp /usr/bin/busybox "$root/bin/busybox"
cp /usr/sbin/ip "$root/usr/sbin/ip"
for lib in $(ldd /usr/sbin/ip | grep -o '/lib[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# Modules in load order (their depends= lines: bonding needs tls, 8021q garp and mrp, …).
for m in net/llc/llc net/802/stp net/tls/tls drivers/net/bonding/bonding net/802/mrp net/802/garp \
	net/8021q/8021q net/bridge/bridge drivers/net/veth; do
	cp "$mods/$m.ko" "$root/mods/"
done
(cd "$pkgdir" && CGO_ENABLED=0 go test -c -o "$root/netsetup.test" .)
printf '%s' "$run" >"$root/testrun"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs run /run; mount -t tmpfs tmp /tmp
for m in llc stp tls bonding mrp garp 8021q bridge veth; do insmod /mods/$m.ko; done
ip link set lo up
cd /work
/netsetup.test -test.v -test.count=1 -test.run "$(cat /testrun)"
echo "netsetup-test-exit=$?"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd.gz"

out="$work/console.log"
timeout 900 qemu-system-x86_64 -m 1024 -smp 2 -nographic -no-reboot \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "console=ttyS0 quiet panic=-1" |
	tr -d '\r' | tee "$out" | sed -n '/=== RUN/,$p'
grep -q '^netsetup-test-exit=0$' "$out"
