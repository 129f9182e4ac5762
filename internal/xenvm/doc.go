// Package xenvm boots a real Xen hypervisor with a Linux dom0 under QEMU, for tests.
//
// It is test-only support (see DESIGN.md §7): Boot builds a busybox initramfs dom0 from
// Debian's own packages (the kernel of linux-image-amd64, xen-hypervisor-4.17-amd64,
// xen-utils-4.17, busybox-static and the libraries they need, fetched with `apt-get
// download` and cached between runs), starts QEMU with TCG and `-cpu qemu64`, runs the
// caller's scripts as root inside dom0 and returns what they printed and their exit codes.
//
// What the dom0 is, and is not: its Xen daemons (xenstored, xenconsoled, xen-init-dom0)
// are Debian's binaries, started by /init; `systemctl` is a small stand-in script (not
// systemd) that starts and stops those daemons and answers `is-active` from the real state
// of their processes. It serves `xennix verify`, which asks systemd about unit states; it
// cannot stand in for anything else systemd does. Only PV guests run (TCG gives no HAP and
// Debian's Xen no shadow paging).
//
// Results travel over a second serial port (ttyS1), so kernel and Xen messages on the
// console (com1/hvc0) cannot garble them; the console is kept for error reports.
//
// xenvm imports no other package of this project.
package xenvm
