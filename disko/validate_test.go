package disko

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateOK(t *testing.T) {
	for _, tc := range layoutCases {
		if err := tc.layout.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", tc.name, err)
		}
	}
}

func TestValidate(t *testing.T) {
	base := func(f func(*Layout)) Layout {
		l := Layout{Disks: one(), Firmware: FirmwareUEFI, Preset: PresetExt4}
		f(&l)
		return l
	}
	cases := []struct {
		name   string
		layout Layout
		// want are the expected errors, each "field: substring"; kind the sentinel of the first.
		want []string
		kind error
	}{
		{"mirror with one disk", base(func(l *Layout) { l.Mirror = true }),
			[]string{"storage.mirror: needs two disks, got 1"}, ErrDoesNotFit},
		{"two disks without mirror", base(func(l *Layout) { l.Disks = two() }),
			[]string{"disks: 2 disks given but storage.mirror is off"}, ErrDoesNotFit},
		{"three disks", base(func(l *Layout) {
			l.Mirror = true
			l.Disks = append(two(), Disk{ID: "/dev/disk/by-id/ata-third", SizeBytes: tb})
		}), []string{"disks: 3 disks given"}, ErrDoesNotFit},
		{"no disk", base(func(l *Layout) { l.Disks = nil }),
			[]string{"disks: no disk given"}, ErrMissing},
		{"same disk twice", base(func(l *Layout) { l.Mirror = true; l.Disks = []Disk{one()[0], one()[0]} }),
			[]string{"disks[1]: " + idMain + " is listed twice"}, ErrDoesNotFit},
		{"not by-id", base(func(l *Layout) { l.Disks[0].ID = "/dev/sda" }),
			[]string{`disks[0]: "/dev/sda" is not a /dev/disk/by-id/ path`}, ErrInvalid},
		{"size unknown", base(func(l *Layout) { l.Disks[0].SizeBytes = 0 }),
			[]string{"disks[0]: size of " + idMain + " not given"}, ErrMissing},
		{"mirror disks differ", base(func(l *Layout) {
			l.Mirror = true
			l.Disks = two()
			l.Disks[1].SizeBytes = 2 * tb
		}), []string{"storage.mirror: disks differ by more than 10%"}, ErrDoesNotFit},
		{"disk too small for ext4", base(func(l *Layout) { l.Disks[0].SizeBytes = 4 * gib }),
			[]string{"disks[0]: " + idMain + " is 4 GiB, too small for ext4: needs at least 9.0 GiB"}, ErrDiskTooSmall},
		{"disk too small for lvm root", base(func(l *Layout) { l.Preset = PresetLVM; l.Disks[0].SizeBytes = 32 * gib }),
			[]string{"disks[0]: " + idMain + " is 32 GiB, too small for lvm with a 64 GiB root: needs at least 66."}, ErrDiskTooSmall},
		{"mirror disk too small", base(func(l *Layout) {
			l.Preset = PresetZFS
			l.Mirror = true
			l.SwapBytes = 8 * gib
			l.Disks = []Disk{{ID: idMain, SizeBytes: 16 * gib}, {ID: idMirror, SizeBytes: 16 * gib}}
		}), []string{
			"disks[0]: " + idMain + " is 16 GiB, too small for zfs and 8 GiB swap: needs at least 17.0 GiB",
			"disks[1]: " + idMirror + " is 16 GiB, too small for zfs and 8 GiB swap",
		}, ErrDiskTooSmall},
		{"unknown preset", base(func(l *Layout) { l.Preset = "xfs" }),
			[]string{`storage.preset: unknown preset "xfs"`}, ErrUnknown},
		{"no preset", base(func(l *Layout) { l.Preset = "" }),
			[]string{"storage.preset: not set"}, ErrMissing},
		{"unknown firmware", base(func(l *Layout) { l.Firmware = "coreboot" }),
			[]string{`boot.firmware: unknown firmware "coreboot"`}, ErrUnknown},
		{"no firmware", base(func(l *Layout) { l.Firmware = "" }),
			[]string{"boot.firmware: not set"}, ErrMissing},
		{"unknown loader", base(func(l *Layout) { l.Loader = "grub" }),
			[]string{`boot.loader: unknown loader "grub"`}, ErrUnknown},
		{"bios with systemd-boot", base(func(l *Layout) { l.Firmware = FirmwareBIOS; l.Loader = LoaderSystemdBoot }),
			[]string{"boot.loader: systemd-boot needs UEFI"}, ErrDoesNotFit},
		{"encryption without passphrase file", base(func(l *Layout) { l.Encryption.Enabled = true }),
			[]string{"storage.encryption.passphrase_file: required when encryption is on"}, ErrMissing},
		{"passphrase file with a space", base(func(l *Layout) { l.Encryption = Encryption{Enabled: true, PassphraseFile: "/tmp/my key"} }),
			[]string{`storage.encryption.passphrase_file: "/tmp/my key" is not a clean absolute path`}, ErrInvalid},
		{"passphrase file relative", base(func(l *Layout) { l.Encryption = Encryption{Enabled: true, PassphraseFile: "luks.key"} }),
			[]string{`storage.encryption.passphrase_file: "luks.key" is not a clean absolute path`}, ErrInvalid},
		{"thin pool without lvm", base(func(l *Layout) { l.Guest.Kind = GuestThinPool }),
			[]string{"storage.guests.kind: thin-pool needs the lvm preset (preset is ext4)"}, ErrDoesNotFit},
		{"zvol without zfs", base(func(l *Layout) { l.Preset = PresetBtrfs; l.Guest.Kind = GuestZvol }),
			[]string{"storage.guests.kind: zvol needs the zfs preset (preset is btrfs)"}, ErrDoesNotFit},
		{"unknown guest kind", base(func(l *Layout) { l.Guest.Kind = "iscsi" }),
			[]string{`storage.guests.kind: unknown guest storage kind "iscsi"`}, ErrUnknown},
		{"guest path in /nix", base(func(l *Layout) { l.Guest.Path = "/nix/images" }),
			[]string{"storage.guests.path: /nix/images is in /nix"}, ErrInvalid},
		{"guest path relative", base(func(l *Layout) { l.Guest.Path = "images" }),
			[]string{`storage.guests.path: "images" is not a clean absolute path`}, ErrInvalid},
		{"guest path unclean", base(func(l *Layout) { l.Guest.Path = "/srv/../nix" }),
			[]string{`storage.guests.path: "/srv/../nix" is not a clean absolute path`}, ErrInvalid},
		{"guest path with zvol", base(func(l *Layout) { l.Preset = PresetZFS; l.Guest = Guest{Kind: GuestZvol, Path: "/srv"} }),
			[]string{"storage.guests.path: only used with guest kind directory (kind is zvol)"}, ErrDoesNotFit},
		{"guest size without lvm", base(func(l *Layout) { l.Guest.SizeBytes = 100 * gib }),
			[]string{"storage.guests.size: only the lvm preset with guest kind directory"}, ErrDoesNotFit},
		{"btrfs impermanence on ext4", base(func(l *Layout) { l.Impermanence = ImpermanenceBtrfs }),
			[]string{"impermanence.preset: btrfs needs storage preset btrfs (preset is ext4)"}, ErrDoesNotFit},
		{"zfs impermanence on btrfs", base(func(l *Layout) { l.Preset = PresetBtrfs; l.Impermanence = ImpermanenceZFS }),
			[]string{"impermanence.preset: zfs needs storage preset zfs (preset is btrfs)"}, ErrDoesNotFit},
		{"tmpfs impermanence on btrfs", base(func(l *Layout) { l.Preset = PresetBtrfs; l.Impermanence = ImpermanenceTmpfs }),
			[]string{"impermanence.preset: tmpfs needs storage preset tmpfs-root (preset is btrfs)"}, ErrDoesNotFit},
		{"tmpfs-root without impermanence", base(func(l *Layout) { l.Preset = PresetTmpfsRoot; l.Impermanence = ImpermanenceNone }),
			[]string{"impermanence.preset: none does not fit storage preset tmpfs-root"}, ErrDoesNotFit},
		{"unknown impermanence", base(func(l *Layout) { l.Impermanence = "overlay" }),
			[]string{`impermanence.preset: unknown impermanence preset "overlay"`}, ErrUnknown},
		{"swap too small", base(func(l *Layout) { l.SwapBytes = mib }),
			[]string{"storage.swap: 1 MiB is too small"}, ErrInvalid},
		{"esp too small", base(func(l *Layout) { l.ESPBytes = 100 * mib }),
			[]string{"storage.esp_size: 100 MiB is too small"}, ErrInvalid},
		{"root size without lvm", base(func(l *Layout) { l.RootBytes = 32 * gib }),
			[]string{"storage.root_size: only the lvm preset has a sized root volume (preset is ext4)"}, ErrDoesNotFit},
		{"lvm root too small", base(func(l *Layout) { l.Preset = PresetLVM; l.RootBytes = gib }),
			[]string{"storage.root_size: 1 GiB is too small"}, ErrInvalid},
		{"tmpfs size bad", base(func(l *Layout) { l.Preset = PresetTmpfsRoot; l.TmpfsSize = "2 GB" }),
			[]string{`storage.tmpfs_size: "2 GB" is not a tmpfs size`}, ErrInvalid},
		{"tmpfs size over 100%", base(func(l *Layout) { l.Preset = PresetTmpfsRoot; l.TmpfsSize = "150%" }),
			[]string{`storage.tmpfs_size: "150%" is not a tmpfs size`}, ErrInvalid},
		{"tmpfs size without tmpfs-root", base(func(l *Layout) { l.TmpfsSize = "2G" }),
			[]string{"storage.tmpfs_size: only the tmpfs-root preset has a tmpfs root"}, ErrDoesNotFit},
		{"data fs unknown", base(func(l *Layout) { l.Preset = PresetTmpfsRoot; l.DataFS = "xfs" }),
			[]string{`storage.dataFS: unknown data filesystem "xfs"`}, ErrUnknown},
		{"data fs without tmpfs-root", base(func(l *Layout) { l.DataFS = "ext4" }),
			[]string{"storage.dataFS: only the tmpfs-root preset has a data partition"}, ErrDoesNotFit},
		{"host id bad", base(func(l *Layout) { l.Preset = PresetZFS; l.HostID = "XYZ" }),
			[]string{`storage.hostId: "XYZ" is not 8 lowercase hex digits`}, ErrInvalid},
		{"several problems at once", Layout{Disks: one(), Firmware: FirmwareBIOS, Loader: LoaderSystemdBoot, Preset: PresetExt4, Mirror: true, Encryption: Encryption{Enabled: true}}, []string{
			"boot.loader: systemd-boot needs UEFI",
			"storage.mirror: needs two disks, got 1",
			"storage.encryption.passphrase_file: required",
		}, ErrDoesNotFit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.layout.Validate()
			if err == nil {
				t.Fatalf("Validate(%s) = nil, want %q", tc.name, tc.want)
			}
			msgs := strings.Split(err.Error(), "\n")
			if len(msgs) != len(tc.want) {
				t.Errorf("Validate(%s) = %d errors %q, want %d", tc.name, len(msgs), msgs, len(tc.want))
			}
			for _, w := range tc.want {
				found := false
				for _, m := range msgs {
					if strings.HasPrefix(m, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("Validate(%s) = %q, want an error starting %q", tc.name, msgs, w)
				}
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("Validate(%s): errors.Is(err, %v) = false", tc.name, tc.kind)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Errorf("Validate(%s): no *FieldError naming a field", tc.name)
			}
			if _, rerr := tc.layout.Render(); rerr == nil {
				t.Errorf("Render(%s) succeeded on an invalid layout", tc.name)
			}
		})
	}
}

func TestUnmarshalText(t *testing.T) {
	var p Preset
	if err := p.UnmarshalText([]byte("zfs")); err != nil || p != PresetZFS {
		t.Errorf("UnmarshalText(zfs) = %v, %q", err, p)
	}
	if err := p.UnmarshalText([]byte("xfs")); err == nil {
		t.Errorf("UnmarshalText(xfs) = nil, want an error")
	}
	var f Firmware
	if err := f.UnmarshalText([]byte("efi")); err == nil || !strings.Contains(err.Error(), "uefi, bios") {
		t.Errorf("Firmware.UnmarshalText(efi) = %v, want an error listing uefi, bios", err)
	}
	var l Loader
	if err := l.UnmarshalText([]byte("limine")); err != nil || l != LoaderLimine {
		t.Errorf("Loader.UnmarshalText(limine) = %v, %q", err, l)
	}
	var k GuestKind
	if err := k.UnmarshalText([]byte("thin-pool")); err != nil || k != GuestThinPool {
		t.Errorf("GuestKind.UnmarshalText(thin-pool) = %v, %q", err, k)
	}
}

// TestValidateForm: what needs the machine's disks (that there are some, their sizes) is
// checked by Validate only; everything else by both, once.
func TestValidateForm(t *testing.T) {
	const gib8 = 8 << 30
	small := Layout{Disks: []Disk{{ID: idMain, SizeBytes: gib8}}, Firmware: FirmwareUEFI, Preset: PresetExt4}
	var sizes []string
	for _, line := range strings.Split(small.Validate().Error(), "\n") {
		if strings.HasPrefix(line, "disks[0]:") {
			sizes = append(sizes, line)
		}
	}
	if len(sizes) != 1 || !strings.Contains(sizes[0], "needs at least") {
		t.Errorf("Validate(8GiB disk) disk problems = %q, want one that says what it needs", sizes)
	}
	if err := small.ValidateForm(); err != nil {
		t.Errorf("ValidateForm(8GiB disk) = %v, want nil: sizes are the machine's", err)
	}
	for _, tc := range []struct {
		name   string
		layout Layout
		want   string // "" for no problem
	}{
		{"no disks yet", Layout{Firmware: FirmwareUEFI, Preset: PresetExt4}, ""},
		{"an id without a size", Layout{Disks: []Disk{{ID: idMain}}, Firmware: FirmwareUEFI, Preset: PresetExt4}, ""},
		{"a kernel name", Layout{Disks: []Disk{{ID: "/dev/sda"}}, Firmware: FirmwareUEFI, Preset: PresetExt4}, "disks[0]: \"/dev/sda\" is not a /dev/disk/by-id/ path"},
		{"mirror of one", Layout{Disks: []Disk{{ID: idMain}}, Mirror: true, Firmware: FirmwareUEFI, Preset: PresetZFS}, "storage.mirror: needs two disks, got 1"},
		{"same id twice", Layout{Disks: []Disk{{ID: idMain}, {ID: idMain}}, Mirror: true, Firmware: FirmwareUEFI, Preset: PresetZFS}, "disks[1]: " + idMain + " is listed twice"},
		{"BIOS with systemd-boot", Layout{Firmware: FirmwareBIOS, Loader: LoaderSystemdBoot, Preset: PresetExt4}, "boot.loader: systemd-boot needs UEFI"},
		{"passphrase without encryption", Layout{Firmware: FirmwareUEFI, Preset: PresetExt4, Encryption: Encryption{PassphraseFile: "/run/key"}}, "storage.encryption.passphrase_file: given, but encryption is not enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.layout.ValidateForm()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("ValidateForm() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("ValidateForm() = %v, want %q", err, tc.want)
			}
		})
	}
}
