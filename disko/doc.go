// Package disko turns a storage Layout (disks by stable by-id path, firmware, boot loader,
// preset and options) into a disko configuration, rendered as Nix through nixexpr, and the
// NixOS settings that layout implies (neededForBoot, rollback unit, hostId, LUKS devices).
//
// It declares its own input types; the installer converts its Answers into them. It may import
// nixexpr, and must not import installer, hwdetect or netsetup.
//
// Decisions, each explained where it is made:
//
//   - Every layout starts with, on BIOS, a 1 MiB EF02 partition for Limine's stage 2
//     (partitionIndex 1), then a FAT32 partition at /boot (the ESP on UEFI; on BIOS the
//     unencrypted FAT /boot that nixpkgs limine-install.py requires), then swap, then the
//     preset's data on the rest of the disk (render.go).
//   - A mirror has one ESP per disk, /boot and /boot-fallback, both nofail, rather than an
//     md RAID1 (metadata 1.0) under the ESP: systemd-boot has no mirroredBoots option, the
//     Xen boot builder writes only to efiSysMountPoint, and firmware writes to an ESP behind
//     md's back. The host copies /boot to /boot-fallback after each boot loader install and,
//     on BIOS, runs limine bios-install on the second disk too (Implied.ESPMountPoints,
//     Implied.Limine.MirrorDevice).
//   - Mirrors: btrfs raid1 (data and metadata), a ZFS mirror vdev, mdadm RAID1 for ext4, lvm
//     and an ext4 data partition. Swap of a mirror is an md RAID1 of one partition per disk
//     (btrfs cannot put a swapfile on a multi-device filesystem).
//   - Impermanence fits: btrfs needs the btrfs preset, zfs the zfs preset, tmpfs the
//     tmpfs-root preset, and tmpfs-root needs tmpfs. The btrfs and zfs presets always make
//     the blank snapshot, so impermanence can be turned on later.
//   - Encryption: LUKS2 around the data (passphrase file at install time, asked at boot),
//     ZFS native encryption for zfs (keylocation set to prompt after creation); swap
//     partitions get a random key at every boot, swap inside LUKS needs none.
package disko
