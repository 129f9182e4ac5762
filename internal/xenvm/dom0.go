package xenvm

// The dom0's boot: /init (busybox sh, PID 1) mounts what the kernel needs, loads the
// modules (insmod: the right order is computed at build time) and mounts xenfs, then
// execs Debian's systemd with xenvm.target. That target starts the Xen daemons under the
// upstream unit names NixOS has (xenstored, xen-init-dom0, xenconsoled: DESIGN.md §1;
// Debian ships init.d scripts instead, so these unit files are the harness's) and
// xenvm-steps.service, which runs the caller's scripts and powers off. All units have
// DefaultDependencies=no: nothing else of Debian's systemd starts.

// initScript is dom0's /init.
const initScript = `#!/usr/bin/busybox sh
/usr/bin/busybox --install -s /usr/bin
export PATH=/usr/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts   # xenconsoled needs ptys
echo /usr/bin/modprobe > /proc/sys/kernel/modprobe
ver=$(uname -r)
while read -r m; do
	[ -n "$m" ] || continue
	case $m in */xen/*|*/xen-*) [ -e /sys/hypervisor/type ] || continue ;; esac
	insmod /lib/modules/$ver/$m 2>/dev/null || echo "xenvm: insmod $m failed" >&2
done < /etc/xenvm/modules
if [ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ]; then
	mount -t xenfs xenfs /proc/xen
fi
exec /usr/lib/systemd/systemd --unit=xenvm.target
`

// xenBinPath is the PATH of units and scripts: Debian's Xen tools are not on the default.
const xenBinPath = "/usr/sbin:/usr/bin:" + xenBin

// units are dom0's unit files, modelled on Xen's tools/hotplug/Linux/systemd/*.service.in
// (same names, same conditions) with Debian's binaries in the foreground.
var units = map[string]string{
	"xenstored.service": `[Unit]
Description=The Xen xenstore
DefaultDependencies=no
ConditionPathExists=/proc/xen/capabilities

[Service]
Type=simple
ExecStartPre=/usr/bin/grep -q control_d /proc/xen/capabilities
ExecStart=` + xenBin + `/xenstored --no-fork
# Ready when it answers (upstream's Type=notify says the same).
ExecStartPost=/usr/bin/sh -c 'for i in $(seq 100); do /usr/bin/xenstore-ls / >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1'
StandardOutput=append:/var/log/xen/xenstored.out
StandardError=inherit
`,
	"xen-init-dom0.service": `[Unit]
Description=xen-init-dom0, initialise Dom0 configuration (xenstore nodes, JSON configuration stub)
DefaultDependencies=no
Requires=xenstored.service
After=xenstored.service
ConditionPathExists=/proc/xen/capabilities

[Service]
Type=oneshot
RemainAfterExit=true
ExecStart=` + xenBin + `/xen-init-dom0
StandardOutput=append:/var/log/xen/xen-init-dom0.out
StandardError=inherit
`,
	"xenconsoled.service": `[Unit]
Description=Xenconsoled - handles logging from guest consoles and hypervisor
DefaultDependencies=no
After=xenstored.service xen-init-dom0.service
Requires=xenstored.service
ConditionPathExists=/proc/xen/capabilities

[Service]
Type=simple
ExecStart=` + xenBin + `/xenconsoled -i --log=guest --log-dir=/var/log/xen
StandardOutput=append:/var/log/xen/xenconsoled.out
StandardError=inherit
`,
	"xenvm-steps.service": `[Unit]
Description=The xenvm test's scripts
DefaultDependencies=no
After=xenstored.service xen-init-dom0.service xenconsoled.service

[Service]
Type=oneshot
ExecStart=/xenvm/run
TimeoutStartSec=infinity
StandardOutput=append:/run/xenvm-run.log
StandardError=inherit
`,
}

// xenvmTarget is what systemd starts (--unit=xenvm.target).
const xenvmTarget = `[Unit]
Description=The xenvm test dom0
DefaultDependencies=no
Wants=xenstored.service xen-init-dom0.service xenconsoled.service xenvm-steps.service
`

// runScript runs the steps and reports each on ttyS1 (see parseResults), then powers off
// at once. On Xen it first checks that the daemons came up.
const runScript = `#!/usr/bin/busybox sh
export PATH=` + xenBinPath + ` HOME=/root
res=/dev/ttyS1
stty -F $res raw -echo 115200
report() { printf '%s\n' "$*" > $res; }
if [ -e /proc/xen/capabilities ]; then
	failed=
	for u in xenstored.service xen-init-dom0.service xenconsoled.service; do
		systemctl is-active --quiet $u || failed="$failed $u"
	done
	if [ -n "$failed" ]; then
		systemctl status --no-pager $failed > /dev/console 2>&1
		report "XENVM-FAILED the Xen daemons did not start:$failed"
		poweroff -f
	fi
fi
. /etc/xenvm/env
report XENVM-READY
while read -r file name secs; do
	cd /
	t0=$(cut -d' ' -f1 /proc/uptime)
	if [ "$secs" -gt 0 ]; then
		timeout -s KILL "$secs" sh /xenvm/steps/$file > /tmp/xenvm-out 2>&1 </dev/null
	else
		sh /xenvm/steps/$file > /tmp/xenvm-out 2>&1 </dev/null
	fi
	rc=$? t1=$(cut -d' ' -f1 /proc/uptime)
	report "XENVM-OUT $name $(wc -c < /tmp/xenvm-out)"
	cat /tmp/xenvm-out > $res
	report "XENVM-RC $name $rc $(awk "BEGIN{print $t1 - $t0}")"
done < /xenvm/steps.list
report XENVM-DONE
sync
poweroff -f
`
