// Package xenvm boots a real Xen hypervisor with a Linux dom0 under QEMU, for tests.
//
// It is test-only support (see DESIGN.md §7): Boot builds an initramfs dom0 from Debian's
// own packages (the kernel of linux-image-amd64, xen-hypervisor-4.17-amd64, xen-utils-4.17,
// systemd, busybox-static and the libraries they need, fetched with `apt-get download` and
// cached between runs), starts QEMU with TCG and `-cpu qemu64`, runs the caller's scripts
// as root inside dom0 and returns what they printed and their exit codes.
//
// What the dom0 is: Debian's kernel with a root in RAM; busybox for the shell tools;
// Debian's systemd 252 as PID 1, starting Debian's Xen daemons from unit files of the
// upstream names NixOS has (xenstored.service, xen-init-dom0.service,
// xenconsoled.service; Debian ships init.d scripts, so the unit files are this package's),
// so `systemctl` answers for real. Nothing else of Debian's systemd is started (no udev,
// no journald). Only PV guests run (TCG gives no HAP and Debian's Xen no shadow paging):
// dom0 carries a guest kernel and a busybox guest initramfs in /guest.
//
// Results travel over a second serial port (ttyS1), so kernel and Xen messages on the
// console (com1/hvc0) cannot garble them; the console is kept for error reports.
//
// xenvm imports no other package of this project.
package xenvm
