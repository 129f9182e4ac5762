// Package netsetup owns the host's Xen bridge networking model (bridge, uplinks or bond,
// VLAN, addresses, routes, DNS). It renders that model as NixOS systemd-networkd settings
// through nixexpr, and applies the same model live through netlink.
//
// Config is the model; Config.ValidateForm, Validate and ValidateFor check it (its form,
// its completeness, and against the machine's NICs) and name every problem's field; Config.Render and Config.RenderFile give the NixOS
// module that the installer writes and xennix-setup rewrites (see Render for each choice
// and its source: systemd.network(5), systemd.netdev(5), systemd.link(5), nixpkgs
// networkd.nix and network-interfaces-systemd.nix).
//
// Apply configures the same chain in a running network namespace through a
// *netlink.Handle (nil: the current namespace) and returns a Snapshot that Revert restores,
// and the list of changes it made. Apply configures static addresses and default routes
// only: it runs no DHCP client and no IPv6 autoconfiguration of its own. For a DHCP
// family it moves what the uplink already holds (the lease's address and routes) onto the
// bridge, which keeps the uplink's MAC and so the lease; restarting the DHCP client on the
// bridge is the running system's business.
//
// The live tests need root and network namespaces. Bond and VLAN tests also need the
// kernel's bonding and 8021q drivers and skip without them; testdata/qemu-live-tests.sh
// runs the live tests under QEMU with a Debian kernel that has both.
//
// It declares its own input types; the installer converts its Answers into them. It may import
// nixexpr, and must not import installer, hwdetect or disko.
package netsetup
