package disko

// Implied is what a layout implies for the NixOS host configuration, as plain data: the host
// modules and the installer turn it into options and steps. Options that disko's NixOS module
// already sets from disko.nix (fileSystems, swapDevices, boot.initrd.luks.devices,
// boot.swraid.enable, the dm kernel modules of LVM) are reported for information and marked
// so; the rest must be set by the host.
type Implied struct {
	// NeededForBoot are mount points the host must mark fileSystems.<m>.neededForBoot:
	// /persist for impermanence (nix-community/impermanence README), and /var/log, which
	// NixOS already treats as needed for boot but which is listed for clarity.
	NeededForBoot []string
	// Rollback is the impermanence rollback the host runs as a
	// boot.initrd.systemd.services unit before sysroot.mount (DESIGN §1); Kind "" for none.
	Rollback Rollback
	// HostID is networking.hostId, which ZFS needs (nixos/modules/tasks/filesystems/zfs.nix);
	// empty unless ZFS.
	HostID string
	// SwRaid is true when the layout has mdadm arrays. disko sets boot.swraid.enable itself
	// (disko lib/types/mdadm.nix); the host should set boot.swraid.mdadmConf with MAILADDR or
	// PROGRAM, or mdmon warns (nixos/modules/tasks/swraid.nix).
	SwRaid bool
	// LUKS are the LUKS devices unlocked in the initrd. disko sets
	// boot.initrd.luks.devices.<Name> = { device; allowDiscards; } for each (disko
	// lib/types/luks.nix, initrdUnlock defaults to true), so SetByDisko is true for all of
	// them and the host sets nothing; the passphrase is asked at boot.
	LUKS []LUKSDevice
	// RandomSwap is true when swap partitions get a random key at every boot
	// (swapDevices.*.randomEncryption.enable, set by disko from disko.nix).
	RandomSwap bool
	// ZFS is true for the zfs preset; Pools must be exported (zpool export) before the
	// installer reboots, or the next boot's import fails without -f (DESIGN §5).
	ZFS   bool
	Pools []string
	// LVM is true for the lvm preset: the host sets boot.initrd.services.lvm.enable (the
	// systemd initrd needs it to activate the root LV). LVMThin is true when a thin pool
	// exists: the host sets services.lvm.boot.thin.enable, which points lvm.conf at
	// thin_check (nixpkgs nixos/modules/tasks/lvm.nix); without it the pool does not
	// activate.
	LVM     bool
	LVMThin bool
	// Guest is where guest disks live.
	Guest GuestStorage
	// Limine is the BIOS install of Limine, nil unless the firmware is BIOS.
	Limine *LimineBIOS
	// ESPMountPoints are the mount points of the FAT boot partitions: "/boot"
	// (boot.loader.efi.efiSysMountPoint, Limine's /boot on BIOS), then for a mirror
	// "/boot-fallback", which the host keeps a copy of /boot after each boot loader install
	// (systemd-boot and Limine both have extraInstallCommands).
	ESPMountPoints []string
	// TmpfsRoot is true when / is a tmpfs (preset tmpfs-root).
	TmpfsRoot bool
}

// Rollback describes how to return / to an empty state at every boot.
type Rollback struct {
	// Kind is "btrfs", "zfs" or "" (none; a tmpfs root needs none).
	Kind string
	// Device is the btrfs device to mount (subvol=/) in the initrd, for example
	// /dev/disk/by-partlabel/disk-main-root or /dev/mapper/crypted. The unit must run after
	// that device (and its LUKS unlock) is available.
	Device string
	// Subvolume is the root subvolume to delete and recreate ("@root"), Blank the read-only
	// snapshot to recreate it from ("@root-blank").
	Subvolume string
	Blank     string
	// Dataset and Snapshot are for zfs: zfs rollback -r Dataset@Snapshot.
	Dataset  string
	Snapshot string
	// After is the initrd unit the rollback must run after, for zfs the pool import
	// (zfs-import-rpool.service).
	After string
}

// LUKSDevice is one LUKS device opened in the initrd.
type LUKSDevice struct {
	Name          string // device-mapper name: /dev/mapper/<Name>
	Device        string // the encrypted partition or array
	AllowDiscards bool
	SetByDisko    bool // boot.initrd.luks.devices.<Name> comes from disko.nix
}

// GuestStorage is where guest disks live, for the host's storage options.
type GuestStorage struct {
	Kind GuestKind
	// Location is the thin pool ("vg0/thinpool"), the zvol parent ("rpool/guests") or
	// the directory ("/var/lib/xen/images"); empty for GuestNone.
	Location string
	// NoCoW is true for a directory on btrfs: the host should mark it no-COW
	// (systemd.tmpfiles "h … +C"), because rewriting images in place fragments a COW file.
	NoCoW bool
}

// LimineBIOS is what boot.loader.limine needs to install on a BIOS machine (nixpkgs
// nixos/modules/system/boot/loader/limine/limine.nix and limine-install.py, which runs
// "limine bios-install <biosDevice> <partitionIndex>").
type LimineBIOS struct {
	// BIOSDevice is boot.loader.limine.biosDevice: the main disk's by-id path.
	BIOSDevice string
	// PartitionIndex is boot.loader.limine.partitionIndex: the 1-based index of the EF02
	// partition that holds stage 2.
	PartitionIndex int
	// MirrorDevice is the mirror disk's by-id path, empty without a mirror. limine.nix
	// installs to one device only: the host runs "limine bios-install MirrorDevice
	// PartitionIndex" in extraInstallCommands so that either disk boots.
	MirrorDevice string
}

// Implied returns the NixOS settings the layout implies. It assumes a layout that passes
// Validate.
func (l Layout) Implied() Implied {
	l = l.withDefaults()
	var im Implied

	switch l.Preset {
	case PresetBtrfs, PresetZFS, PresetTmpfsRoot:
		im.NeededForBoot = []string{"/persist", "/var/log"}
	}
	switch l.Impermanence {
	case ImpermanenceBtrfs:
		im.Rollback = Rollback{Kind: "btrfs", Device: l.dataDevice(), Subvolume: "@root", Blank: "@root-blank"}
	case ImpermanenceZFS:
		im.Rollback = Rollback{Kind: "zfs", Dataset: Pool + "/local/root", Snapshot: "blank", After: "zfs-import-" + Pool + ".service"}
	}
	if l.Preset == PresetZFS {
		im.ZFS = true
		im.Pools = []string{Pool}
		im.HostID = l.HostID
	}
	im.SwRaid = l.useMD() || (l.Mirror && l.swapPartition())

	if l.luks() {
		switch {
		case l.btrfsRAID():
			for i := range l.Disks {
				im.LUKS = append(im.LUKS, LUKSDevice{Name: l.luksName(i), Device: partlabelDev(i, l.mainPart()), AllowDiscards: true, SetByDisko: true})
			}
		case l.useMD():
			im.LUKS = []LUKSDevice{{Name: LUKSName, Device: "/dev/md/" + l.mainPart(), AllowDiscards: true, SetByDisko: true}}
		default:
			im.LUKS = []LUKSDevice{{Name: LUKSName, Device: partlabelDev(0, l.mainPart()), AllowDiscards: true, SetByDisko: true}}
		}
	}
	im.RandomSwap = l.Encryption.Enabled && l.swapPartition()

	if l.Preset == PresetLVM {
		im.LVM = true
		im.LVMThin = l.Guest.Kind == GuestThinPool
	}

	im.Guest.Kind = l.Guest.Kind
	switch l.Guest.Kind {
	case GuestThinPool:
		im.Guest.Location = VG + "/" + ThinPool
	case GuestZvol:
		im.Guest.Location = Pool + "/guests"
	case GuestDirectory:
		im.Guest.Location = l.Guest.Path
		im.Guest.NoCoW = l.Preset == PresetBtrfs || (l.Preset == PresetTmpfsRoot && l.DataFS == "btrfs")
	}

	if l.Firmware == FirmwareBIOS && len(l.Disks) > 0 {
		im.Limine = &LimineBIOS{BIOSDevice: l.Disks[0].ID, PartitionIndex: 1}
		if l.Mirror && len(l.Disks) > 1 {
			im.Limine.MirrorDevice = l.Disks[1].ID
		}
	}
	im.ESPMountPoints = []string{"/boot"}
	if l.Mirror {
		im.ESPMountPoints = append(im.ESPMountPoints, "/boot-fallback")
	}
	im.TmpfsRoot = l.Preset == PresetTmpfsRoot
	return im
}
