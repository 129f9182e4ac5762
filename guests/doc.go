// Package guests is the Go side of XenNix's Xen guests (domUs): the guest model that the
// host module xennix.guests.<name> (assets/nixos/guests/default.nix) takes, its typed values
// (PCI addresses, MAC addresses, the enumerations), the manifest the module writes
// (/etc/xen/xennix/guests.json), the state of each guest from `xl list -l` and systemd, and
// the lifecycle commands (start, stop, reboot, ...) run through a Runner.
//
// It owns no Nix: the installer renders the model to xennix/guests.nix through nixexpr. It
// imports no other package of this project (DESIGN §2); the installer converts its answers
// into Guest values.
package guests
