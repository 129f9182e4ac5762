// Package disko turns a storage Layout (disks by stable by-id path, firmware, boot loader,
// preset and options) into a disko configuration, rendered as Nix through nixexpr, and the
// NixOS settings that layout implies (neededForBoot, rollback unit, hostId, LUKS devices).
//
// It declares its own input types; the installer converts its Answers into them. It may import
// nixexpr, and must not import installer, hwdetect or netsetup.
package disko
