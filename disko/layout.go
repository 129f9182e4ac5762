package disko

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Firmware is how the machine boots: UEFI or legacy BIOS.
type Firmware string

// Firmware values.
const (
	FirmwareUEFI Firmware = "uefi"
	FirmwareBIOS Firmware = "bios"
)

// String returns the firmware name as written in an answers file.
func (f Firmware) String() string { return string(f) }

// UnmarshalText accepts "uefi" or "bios".
func (f *Firmware) UnmarshalText(b []byte) error {
	return unmarshalEnum(f, b, "firmware", FirmwareUEFI, FirmwareBIOS)
}

// Loader is the boot loader. The nixpkgs Xen dom0 module accepts only systemd-boot,
// Lanzaboote or Limine (nixos/modules/virtualisation/xen-dom0.nix, DESIGN §1); Lanzaboote has
// no Xen support, so XenNix offers the other two.
type Loader string

// Loader values.
const (
	LoaderSystemdBoot Loader = "systemd-boot"
	LoaderLimine      Loader = "limine"
)

// String returns the loader name as written in an answers file.
func (l Loader) String() string { return string(l) }

// UnmarshalText accepts "systemd-boot" or "limine".
func (l *Loader) UnmarshalText(b []byte) error {
	return unmarshalEnum(l, b, "loader", LoaderSystemdBoot, LoaderLimine)
}

// Preset is a storage layout preset (DESIGN §3, storage.preset).
type Preset string

// Preset values.
const (
	// PresetExt4 is an ext4 root on the rest of the disk.
	PresetExt4 Preset = "ext4"
	// PresetLVM is volume group vg0 with a root LV and a thin pool (or a sized LV) for guests.
	PresetLVM Preset = "lvm"
	// PresetBtrfs is btrfs with subvolumes @root, @nix, @persist, @log and a blank @root
	// snapshot for impermanence.
	PresetBtrfs Preset = "btrfs"
	// PresetZFS is pool rpool with local/root, local/nix, safe/persist, safe/log and guests.
	PresetZFS Preset = "zfs"
	// PresetTmpfsRoot is / on tmpfs with /nix, /persist and /var/log on a data partition.
	PresetTmpfsRoot Preset = "tmpfs-root"
)

// Presets lists every preset, in the order a user is offered them.
var Presets = []Preset{PresetExt4, PresetLVM, PresetBtrfs, PresetZFS, PresetTmpfsRoot}

// String returns the preset name as written in an answers file.
func (p Preset) String() string { return string(p) }

// UnmarshalText accepts one of Presets.
func (p *Preset) UnmarshalText(b []byte) error {
	return unmarshalEnum(p, b, "storage preset", Presets...)
}

// GuestKind is where guest disks live.
type GuestKind string

// GuestKind values. The empty kind means the preset's default: a thin pool for lvm, zvols for
// zfs, a directory otherwise.
const (
	GuestNone      GuestKind = "none"
	GuestThinPool  GuestKind = "thin-pool"
	GuestZvol      GuestKind = "zvol"
	GuestDirectory GuestKind = "directory"
)

// String returns the kind as written in an answers file.
func (k GuestKind) String() string { return string(k) }

// UnmarshalText accepts none, thin-pool, zvol or directory.
func (k *GuestKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, b, "guest storage kind", GuestNone, GuestThinPool, GuestZvol, GuestDirectory)
}

// Impermanence presets (DESIGN §3, impermanence.preset). Which fits which storage preset is
// decided in Validate: btrfs needs the btrfs preset, zfs the zfs preset, and tmpfs the
// tmpfs-root preset (the only one whose / is a tmpfs); tmpfs-root in turn needs tmpfs,
// because without impermanence nothing of / would survive a reboot. The empty string means
// tmpfs for tmpfs-root and none for every other preset.
const (
	ImpermanenceNone  = "none"
	ImpermanenceTmpfs = "tmpfs"
	ImpermanenceBtrfs = "btrfs"
	ImpermanenceZFS   = "zfs"
)

// Disk is one target disk.
type Disk struct {
	// ID is the disk's stable /dev/disk/by-id/… path; names like nvme0n1 change between
	// boots (disko issue #1124).
	ID string
	// SizeBytes is the disk's size, to check that the layout fits.
	SizeBytes uint64
}

// Encryption is full-disk encryption: LUKS2 for every preset but zfs, ZFS native
// encryption for zfs.
type Encryption struct {
	Enabled bool
	// PassphraseFile is read once, at install time, to format the disks (for example
	// /tmp/xennix/luks.key). At boot the passphrase is asked for.
	PassphraseFile string
}

// Guest is where guest (domU) disks live.
type Guest struct {
	Kind GuestKind
	// Path is the directory for GuestDirectory; default DefaultGuestPath.
	Path string
	// SizeBytes is the size of the LV mounted at Path with the lvm preset; 0 means the rest
	// of the volume group.
	SizeBytes uint64
}

// Layout is everything that decides the disko configuration of a host.
type Layout struct {
	// Disks are one disk, or two with Mirror.
	Disks []Disk
	// Firmware is how the machine boots; it must be set.
	Firmware Firmware
	// Loader is the boot loader; empty: systemd-boot on UEFI, Limine on BIOS.
	Loader Loader
	// Preset is the storage layout preset; it must be set.
	Preset Preset
	// Mirror mirrors everything across the two Disks.
	Mirror bool
	// Encryption encrypts everything but the FAT boot partition.
	Encryption Encryption
	SwapBytes  uint64 // 0: no swap
	ESPBytes   uint64 // 0: DefaultESPBytes
	RootBytes  uint64 // lvm root LV; 0: DefaultRootBytes
	TmpfsSize  string // tmpfs-root size of /, "2G" or "25%"; empty: DefaultTmpfsSize
	DataFS     string // tmpfs-root data partition: "btrfs" (default) or "ext4"
	Guest      Guest
	// Impermanence is "none", "tmpfs", "btrfs" or "zfs"; see ImpermanenceNone.
	Impermanence string
	// HostID is networking.hostId for zfs (8 hex digits); empty: HostID(Disks[0].ID).
	HostID string
}

// Defaults applied by Render and Implied to zero fields.
const (
	DefaultESPBytes  uint64 = 1 << 30
	DefaultRootBytes uint64 = 64 << 30
	DefaultTmpfsSize        = "2G"
	DefaultDataFS           = "btrfs"
	DefaultGuestPath        = "/var/lib/xen/images"
)

// Names used in the generated configuration and in Implied.
const (
	// DiskMain and DiskMirror are the disko disk names; partition labels are
	// disk-<disk>-<partition> (disko lib/types/gpt.nix), for example disk-main-ESP.
	DiskMain   = "main"
	DiskMirror = "mirror"
	// VG is the LVM volume group of the lvm preset.
	VG = "vg0"
	// ThinPool is the thin pool LV for guests in VG.
	ThinPool = "thinpool"
	// Pool is the ZFS pool of the zfs preset.
	Pool = "rpool"
	// LUKSName is the device-mapper name of the LUKS device (/dev/mapper/crypted); a btrfs
	// mirror has one per disk, LUKSName-main and LUKSName-mirror.
	LUKSName = "crypted"
)

const (
	kib = uint64(1) << 10
	mib = uint64(1) << 20
	gib = uint64(1) << 30
)

// HostID derives a ZFS networking.hostId from a stable seed such as /etc/machine-id or a
// disk serial: the first 8 hex digits of its SHA-256. The same seed always gives the same id.
func HostID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:8]
}

// withDefaults fills the zero fields that have a default.
func (l Layout) withDefaults() Layout {
	if l.Loader == "" {
		if l.Firmware == FirmwareBIOS {
			l.Loader = LoaderLimine
		} else {
			l.Loader = LoaderSystemdBoot
		}
	}
	if l.ESPBytes == 0 {
		l.ESPBytes = DefaultESPBytes
	}
	if l.Preset == PresetLVM && l.RootBytes == 0 {
		l.RootBytes = DefaultRootBytes
	}
	if l.Preset == PresetTmpfsRoot {
		if l.TmpfsSize == "" {
			l.TmpfsSize = DefaultTmpfsSize
		}
		if l.DataFS == "" {
			l.DataFS = DefaultDataFS
		}
	}
	if l.Guest.Kind == "" {
		switch l.Preset {
		case PresetLVM:
			l.Guest.Kind = GuestThinPool
		case PresetZFS:
			l.Guest.Kind = GuestZvol
		default:
			l.Guest.Kind = GuestDirectory
		}
	}
	if l.Guest.Kind == GuestDirectory && l.Guest.Path == "" {
		l.Guest.Path = DefaultGuestPath
	}
	if l.Impermanence == "" {
		if l.Preset == PresetTmpfsRoot {
			l.Impermanence = ImpermanenceTmpfs
		} else {
			l.Impermanence = ImpermanenceNone
		}
	}
	if l.Preset == PresetZFS && l.HostID == "" && len(l.Disks) > 0 {
		l.HostID = HostID(l.Disks[0].ID)
	}
	return l
}

// Summary is a one-line description of the layout for review screens and logs, such as
// "ext4 on 1 disk (UEFI, 1 GiB ESP), 8 GiB swap, guests in /var/lib/xen/images".
func (l Layout) Summary() string {
	l = l.withDefaults()
	var b strings.Builder
	b.WriteString(string(l.Preset))
	if l.Preset == PresetTmpfsRoot {
		fmt.Fprintf(&b, " (%s data)", l.DataFS)
	}
	if l.Mirror {
		b.WriteString(" mirror")
	}
	n := len(l.Disks)
	fmt.Fprintf(&b, " on %d disk%s (", n, plural(n))
	switch {
	case l.Firmware == FirmwareBIOS:
		fmt.Fprintf(&b, "BIOS, Limine, %s /boot", human(l.ESPBytes))
	case l.Loader == LoaderLimine:
		fmt.Fprintf(&b, "UEFI, Limine, %s ESP", human(l.ESPBytes))
	default:
		fmt.Fprintf(&b, "UEFI, %s ESP", human(l.ESPBytes))
	}
	b.WriteString(")")
	if l.Encryption.Enabled {
		if l.Preset == PresetZFS {
			b.WriteString(", ZFS native encryption")
		} else {
			b.WriteString(", LUKS encryption")
		}
	}
	if l.SwapBytes > 0 {
		fmt.Fprintf(&b, ", %s swap", human(l.SwapBytes))
	}
	if l.Impermanence != ImpermanenceNone {
		fmt.Fprintf(&b, ", impermanence %s", l.Impermanence)
	}
	switch l.Guest.Kind {
	case GuestThinPool:
		fmt.Fprintf(&b, ", guests in thin pool %s/%s", VG, ThinPool)
	case GuestZvol:
		fmt.Fprintf(&b, ", guests as zvols under %s/guests", Pool)
	case GuestDirectory:
		fmt.Fprintf(&b, ", guests in %s", l.Guest.Path)
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// human prints a size for people: "1 GiB", "1.5 GiB", "512 MiB".
func human(b uint64) string {
	switch {
	case b >= gib && b%gib == 0:
		return fmt.Sprintf("%d GiB", b/gib)
	case b >= gib:
		return fmt.Sprintf("%.1f GiB", float64(b)/float64(gib))
	case b%mib == 0:
		return fmt.Sprintf("%d MiB", b/mib)
	default:
		return fmt.Sprintf("%.1f MiB", float64(b)/float64(mib))
	}
}

// diskoSize prints a size in the sgdisk/lvcreate notation disko passes on ("64G", "512M"):
// both read K, M and G as powers of 1024. Sizes are rounded down to whole MiB, the
// partition alignment.
func diskoSize(b uint64) string {
	m := b / mib
	if m%1024 == 0 {
		return fmt.Sprintf("%dG", m/1024)
	}
	return fmt.Sprintf("%dM", m)
}

func unmarshalEnum[T ~string](dst *T, b []byte, what string, allowed ...T) error {
	s := T(b)
	for _, a := range allowed {
		if s == a {
			*dst = s
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return fmt.Errorf("unknown %s %q (want %s)", what, string(b), strings.Join(names, ", "))
}
