// Package netsetup owns the host's Xen bridge networking model (bridge, uplinks or bond,
// VLAN, addresses, routes, DNS). It renders that model as NixOS systemd-networkd settings
// through nixexpr, and applies the same model live through netlink.
//
// It declares its own input types; the installer converts its Answers into them. It may import
// nixexpr, and must not import installer, hwdetect or disko.
package netsetup
