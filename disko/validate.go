package disko

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Sentinel errors that a FieldError wraps, for callers that branch with errors.Is.
var (
	// ErrUnknown is an unknown enum value (preset, firmware, loader, guest kind, …).
	ErrUnknown = errors.New("unknown value")
	// ErrMissing is a required value that is not given.
	ErrMissing = errors.New("missing value")
	// ErrInvalid is a value of the wrong form (a path, a size string, a host id).
	ErrInvalid = errors.New("invalid value")
	// ErrDoesNotFit is a value that does not go with another one: BIOS with systemd-boot, a
	// thin pool without lvm, btrfs impermanence without btrfs, a mirror with one disk.
	ErrDoesNotFit = errors.New("combination not supported")
	// ErrDiskTooSmall is a disk smaller than the layout needs.
	ErrDiskTooSmall = errors.New("disk too small")
)

// Field names used in errors. They follow the answers file (DESIGN §3); the installer maps
// them to its own lines.
const (
	FieldDisks          = "disks"
	FieldFirmware       = "boot.firmware"
	FieldLoader         = "boot.loader"
	FieldPreset         = "storage.preset"
	FieldMirror         = "storage.mirror"
	FieldPassphraseFile = "storage.encryption.passphrase_file"
	FieldSwap           = "storage.swap"
	FieldESP            = "storage.esp_size"
	FieldRootSize       = "storage.root_size"
	FieldTmpfsSize      = "storage.tmpfs_size"
	FieldDataFS         = "storage.dataFS"
	FieldGuestKind      = "storage.guests.kind"
	FieldGuestPath      = "storage.guests.path"
	FieldGuestSize      = "storage.guests.size"
	FieldHostID         = "storage.hostId"
	FieldImpermanence   = "impermanence.preset"
)

// FieldError is one validation problem: the field it is about, a message for people, and a
// sentinel (ErrUnknown, ErrMissing, ErrInvalid, ErrDoesNotFit, ErrDiskTooSmall) for
// errors.Is.
type FieldError struct {
	Field string
	Msg   string
	Kind  error
}

// Error reads "field: message".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Kind }

// Minimum sizes. Their reasons: a FAT32 ESP that holds Xen, kernels and initrds of several
// generations (systemd-boot and Limine copy them there); a NixOS system closure with Xen
// plus room to rebuild; swap smaller than 64 MiB is not worth a partition.
const (
	minESPBytes  = 256 * mib
	minRootBytes = 8 * gib
	minSwapBytes = 64 * mib
	minGuestPool = 1 * gib
	// gptOverhead covers the 1 MiB alignment before the first partition and the backup GPT.
	gptOverhead = 2 * mib
	// luksOverhead is the LUKS2 header (16 MiB by default, cryptsetup(8)).
	luksOverhead = 16 * mib
	// lvmOverhead covers PV metadata and extent rounding (4 MiB extents).
	lvmOverhead = 16 * mib
)

var (
	byIDRE      = regexp.MustCompile(`^/dev/disk/by-id/[A-Za-z0-9._:+@,=-]+$`)
	safePathRE  = regexp.MustCompile(`^(/[A-Za-z0-9._+-]+)+$`)
	hostIDRE    = regexp.MustCompile(`^[0-9a-f]{8}$`)
	tmpfsSizeRE = regexp.MustCompile(`^([1-9][0-9]*[kKmMgG]?|([1-9][0-9]?|100)%)$`)
)

// IsDiskID reports whether id has the form of a /dev/disk/by-id/ path, the only way a layout
// names a disk (Validate refuses anything else), for callers that take disk ids elsewhere.
func IsDiskID(id string) bool { return byIDRE.MatchString(id) }

// Validate returns every problem of the layout (errors.Join of *FieldError), or nil. A valid
// layout renders. It is ValidateForm and the checks that need the machine's disks: that
// there are disks, that their sizes are known, that each is large enough and that the two
// halves of a mirror are alike.
func (l Layout) Validate() error { return l.validate(true) }

// ValidateForm returns the problems that need no disks (errors.Join of *FieldError): the
// enumerations and how they go together, paths, sizes of partitions and volumes, and of
// Disks, when some are given, their ids and their count. An answers file is checked with it
// away from the machine, with the disks it names by id (sizes unknown) or none (a filter
// picks them on the machine).
func (l Layout) ValidateForm() error { return l.validate(false) }

// validate is the one body of Validate and ValidateForm; sized adds the disks' sizes.
func (l Layout) validate(sized bool) error {
	var errs []error
	add := func(field string, kind error, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Kind: kind, Msg: fmt.Sprintf(format, args...)})
	}
	raw := l
	l = l.withDefaults()

	// Enums first: the rest of the checks depend on them.
	presetOK := true
	switch l.Preset {
	case PresetExt4, PresetLVM, PresetBtrfs, PresetZFS, PresetTmpfsRoot:
	case "":
		presetOK = false
		add(FieldPreset, ErrMissing, "not set (want one of ext4, lvm, btrfs, zfs, tmpfs-root)")
	default:
		presetOK = false
		add(FieldPreset, ErrUnknown, "unknown preset %q (want one of ext4, lvm, btrfs, zfs, tmpfs-root)", string(l.Preset))
	}
	switch l.Firmware {
	case FirmwareUEFI, FirmwareBIOS:
	case "":
		add(FieldFirmware, ErrMissing, "not set (want uefi or bios)")
	default:
		add(FieldFirmware, ErrUnknown, "unknown firmware %q (want uefi or bios)", string(l.Firmware))
	}
	switch l.Loader {
	case LoaderSystemdBoot:
		if l.Firmware == FirmwareBIOS {
			add(FieldLoader, ErrDoesNotFit, "systemd-boot needs UEFI; on legacy BIOS Xen boots only with limine")
		}
	case LoaderLimine:
	default:
		add(FieldLoader, ErrUnknown, "unknown loader %q (want systemd-boot or limine)", string(l.Loader))
	}

	// Disks.
	switch n := len(l.Disks); {
	case n == 0:
		if sized {
			add(FieldDisks, ErrMissing, "no disk given")
		}
	case n > 2:
		add(FieldDisks, ErrDoesNotFit, "%d disks given; a layout uses one disk, or two with storage.mirror", n)
	case n == 2 && !l.Mirror:
		add(FieldDisks, ErrDoesNotFit, "2 disks given but storage.mirror is off (set it, or give one disk)")
	case n == 1 && l.Mirror:
		add(FieldMirror, ErrDoesNotFit, "needs two disks, got 1")
	}
	for i, d := range l.Disks {
		f := fmt.Sprintf("%s[%d]", FieldDisks, i)
		if !byIDRE.MatchString(d.ID) {
			add(f, ErrInvalid, "%q is not a /dev/disk/by-id/ path (disk names like /dev/sda change between boots, disko issue #1124)", d.ID)
		}
		if d.SizeBytes == 0 && sized {
			add(f, ErrMissing, "size of %s not given", d.ID)
		}
		if i == 1 && d.ID == l.Disks[0].ID {
			add(f, ErrDoesNotFit, "%s is listed twice", d.ID)
		}
	}
	if sized && len(l.Disks) == 2 && l.Mirror && l.Disks[0].SizeBytes > 0 && l.Disks[1].SizeBytes > 0 {
		// Within 10% the mirror simply has the size of the smaller disk; beyond that, a
		// good part of the larger disk would be wasted, which is more likely a wrong disk.
		a, b := l.Disks[0].SizeBytes, l.Disks[1].SizeBytes
		small, large := min(a, b), max(a, b)
		if large-small > small/10 {
			add(FieldMirror, ErrDoesNotFit, "disks differ by more than 10%% (%s is %s, %s is %s): a mirror has the size of the smaller one",
				l.Disks[0].ID, human(a), l.Disks[1].ID, human(b))
		}
	}

	// Encryption.
	if !l.Encryption.Enabled && l.Encryption.PassphraseFile != "" {
		add(FieldPassphraseFile, ErrDoesNotFit, "given, but encryption is not enabled")
	}
	if l.Encryption.Enabled {
		switch {
		case l.Encryption.PassphraseFile == "":
			add(FieldPassphraseFile, ErrMissing, "required when encryption is on (read once at install time; the passphrase is asked at boot)")
		case !safePathRE.MatchString(l.Encryption.PassphraseFile) || path.Clean(l.Encryption.PassphraseFile) != l.Encryption.PassphraseFile:
			add(FieldPassphraseFile, ErrInvalid, "%q is not a clean absolute path of letters, digits and ._+-", l.Encryption.PassphraseFile)
		}
	}

	// Sizes.
	if l.SwapBytes > 0 && l.SwapBytes < minSwapBytes {
		add(FieldSwap, ErrInvalid, "%s is too small (at least %s, or 0 for no swap)", human(l.SwapBytes), human(minSwapBytes))
	}
	if l.ESPBytes < minESPBytes {
		add(FieldESP, ErrInvalid, "%s is too small: the ESP holds Xen, kernels and initrds (at least %s)", human(l.ESPBytes), human(minESPBytes))
	}
	if raw.RootBytes != 0 && presetOK && l.Preset != PresetLVM {
		add(FieldRootSize, ErrDoesNotFit, "only the lvm preset has a sized root volume (preset is %s)", l.Preset)
	}
	if l.Preset == PresetLVM && l.RootBytes < minRootBytes {
		add(FieldRootSize, ErrInvalid, "%s is too small (at least %s)", human(l.RootBytes), human(minRootBytes))
	}
	if presetOK && l.Preset != PresetTmpfsRoot {
		if raw.TmpfsSize != "" {
			add(FieldTmpfsSize, ErrDoesNotFit, "only the tmpfs-root preset has a tmpfs root (preset is %s)", l.Preset)
		}
		if raw.DataFS != "" {
			add(FieldDataFS, ErrDoesNotFit, "only the tmpfs-root preset has a data partition (preset is %s)", l.Preset)
		}
	}
	if l.Preset == PresetTmpfsRoot {
		if !tmpfsSizeRE.MatchString(l.TmpfsSize) {
			add(FieldTmpfsSize, ErrInvalid, "%q is not a tmpfs size (want e.g. 2G, 512M or 25%%)", l.TmpfsSize)
		}
		if l.DataFS != "btrfs" && l.DataFS != "ext4" {
			add(FieldDataFS, ErrUnknown, "unknown data filesystem %q (want btrfs or ext4)", l.DataFS)
		}
	}
	if raw.HostID != "" && !hostIDRE.MatchString(raw.HostID) {
		add(FieldHostID, ErrInvalid, "%q is not 8 lowercase hex digits (networking.hostId)", raw.HostID)
	}

	// Guest storage.
	switch l.Guest.Kind {
	case GuestNone, GuestDirectory:
	case GuestThinPool:
		if presetOK && l.Preset != PresetLVM {
			add(FieldGuestKind, ErrDoesNotFit, "thin-pool needs the lvm preset (preset is %s)", l.Preset)
		}
	case GuestZvol:
		if presetOK && l.Preset != PresetZFS {
			add(FieldGuestKind, ErrDoesNotFit, "zvol needs the zfs preset (preset is %s)", l.Preset)
		}
	default:
		add(FieldGuestKind, ErrUnknown, "unknown guest storage kind %q (want none, thin-pool, zvol or directory)", string(l.Guest.Kind))
	}
	if l.Guest.Kind == GuestDirectory {
		if msg := checkGuestPath(l.Guest.Path); msg != "" {
			add(FieldGuestPath, ErrInvalid, "%s", msg)
		}
	} else if raw.Guest.Path != "" {
		add(FieldGuestPath, ErrDoesNotFit, "only used with guest kind directory (kind is %s)", l.Guest.Kind)
	}
	if l.Guest.SizeBytes != 0 && !(l.Preset == PresetLVM && l.Guest.Kind == GuestDirectory) {
		add(FieldGuestSize, ErrDoesNotFit, "only the lvm preset with guest kind directory makes a sized guest volume")
	}

	// Impermanence.
	switch l.Impermanence {
	case ImpermanenceNone:
		if l.Preset == PresetTmpfsRoot {
			add(FieldImpermanence, ErrDoesNotFit, "none does not fit storage preset tmpfs-root: / is wiped at every boot, so impermanence must be tmpfs")
		}
	case ImpermanenceTmpfs:
		if presetOK && l.Preset != PresetTmpfsRoot {
			add(FieldImpermanence, ErrDoesNotFit, "tmpfs needs storage preset tmpfs-root (preset is %s)", l.Preset)
		}
	case ImpermanenceBtrfs:
		if presetOK && l.Preset != PresetBtrfs {
			add(FieldImpermanence, ErrDoesNotFit, "btrfs needs storage preset btrfs (preset is %s)", l.Preset)
		}
	case ImpermanenceZFS:
		if presetOK && l.Preset != PresetZFS {
			add(FieldImpermanence, ErrDoesNotFit, "zfs needs storage preset zfs (preset is %s)", l.Preset)
		}
	default:
		add(FieldImpermanence, ErrUnknown, "unknown impermanence preset %q (want none, tmpfs, btrfs or zfs)", l.Impermanence)
	}

	// Disk sizes, once the rest is known to make sense.
	if presetOK && sized {
		need, why := l.minDiskBytes()
		for i, d := range l.Disks {
			if d.SizeBytes != 0 && d.SizeBytes < need {
				add(fmt.Sprintf("%s[%d]", FieldDisks, i), ErrDiskTooSmall, "%s is %s, too small for %s: needs at least %s",
					d.ID, human(d.SizeBytes), why, human(need))
			}
		}
	}
	return errors.Join(errs...)
}

// checkGuestPath returns why p cannot be the guest directory, or "".
func checkGuestPath(p string) string {
	if !safePathRE.MatchString(p) || path.Clean(p) != p {
		return fmt.Sprintf("%q is not a clean absolute path of letters, digits and ._+-", p)
	}
	for _, reserved := range []string{"/boot", "/nix", "/persist", "/var/log", "/swap", "/proc", "/sys", "/dev", "/run", "/tmp"} {
		if p == reserved || strings.HasPrefix(p, reserved+"/") {
			return fmt.Sprintf("%s is in %s, which cannot hold guest disks", p, reserved)
		}
	}
	return ""
}

// minDiskBytes is the smallest disk the layout fits on, and a description of the layout for
// the error message.
func (l Layout) minDiskBytes() (uint64, string) {
	need := gptOverhead + l.ESPBytes
	if l.Firmware == FirmwareBIOS {
		need += mib
	}
	why := string(l.Preset)
	if l.Encryption.Enabled && l.Preset != PresetZFS {
		need += luksOverhead
	}
	if l.swapPartition() {
		need += l.SwapBytes
	}
	switch l.Preset {
	case PresetLVM:
		need += lvmOverhead + l.RootBytes + l.SwapBytes
		why = fmt.Sprintf("lvm with a %s root", human(l.RootBytes))
		switch l.Guest.Kind {
		case GuestThinPool:
			// The thin pool takes 90% of what is left (render.go): leave it at least
			// minGuestPool.
			need += minGuestPool * 10 / 9
		case GuestDirectory:
			if l.Guest.SizeBytes > 0 {
				need += l.Guest.SizeBytes
			} else {
				need += minGuestPool
			}
		}
	case PresetBtrfs:
		need += minRootBytes
		if !l.swapPartition() {
			need += l.SwapBytes // swapfile
		}
	default:
		need += minRootBytes
	}
	if l.SwapBytes > 0 {
		why += fmt.Sprintf(" and %s swap", human(l.SwapBytes))
	}
	return need, why
}

// swapPartition reports whether swap is a partition (or, mirrored, an md array of one
// partition per disk) rather than an LV (lvm) or a swapfile (single-disk btrfs).
func (l Layout) swapPartition() bool {
	if l.SwapBytes == 0 || l.Preset == PresetLVM {
		return false
	}
	// Btrfs cannot hold a swapfile on a multi-device filesystem (btrfs(5), SWAPFILE
	// SUPPORT), so a btrfs mirror swaps on a partition array like the other presets.
	return l.Preset != PresetBtrfs || l.Mirror
}
