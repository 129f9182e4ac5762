package tui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/huh/v2"

	"github.com/xennix/xennix/installer"
)

// storageForm asks for the layout preset, encryption, swap and where guest disks live.
// Only presets that fit the picked disks and the firmware are offered.
type storageForm struct {
	st           *state
	preset       installer.Preset
	encrypt      bool
	pass1, pass2 string
	swap         string
	guests       installer.GuestKind
	guestsFor    installer.Preset // the preset guests was chosen for
	guestPath    string
	guestSize    string
}

// defaultGuestPath is where guest images go unless told (assets/nixos: xennix.storage).
const defaultGuestPath = "/var/lib/xen/images"

var presetWords = map[installer.Preset]string{
	installer.PresetExt4:      "one ext4 root; guest images in a directory",
	installer.PresetLVM:       "LVM: 64GiB root volume, the rest a thin pool for guests",
	installer.PresetBtrfs:     "btrfs subvolumes; can reset / at every boot",
	installer.PresetZFS:       "ZFS pool and datasets, guest disks as zvols",
	installer.PresetTmpfsRoot: "/ in RAM, only /nix and /persist on disk",
}

var guestWords = map[installer.GuestKind]string{
	installer.GuestThinPool:  "LVM thin pool: the rest of the disk",
	installer.GuestZvol:      "ZFS volumes in the pool",
	installer.GuestDirectory: "image files in /var/lib/xen/images",
	installer.GuestNone:      "none: guests live elsewhere",
}

// presetFit is a preset and, when it does not fit, why.
type presetFit struct {
	p   installer.Preset
	why string
}

// presetFits checks every preset against the picked disks and firmware with the
// installer's own validation.
func presetFits(st *state) []presetFit {
	var out []presetFit
	for _, p := range []installer.Preset{installer.PresetExt4, installer.PresetLVM, installer.PresetBtrfs, installer.PresetZFS, installer.PresetTmpfsRoot} {
		c := st.a
		c.Storage.Preset = p
		c.Storage.Guests = installer.GuestStorage{}
		c.Storage.RootSize, c.Storage.TmpfsSize = 0, 0
		// The swap is asked after the layout, and refused there when it does not fit: a
		// swap too large must not hide every layout.
		c.Storage.Swap = 0
		c.Impermanence = installer.Impermanence{Preset: fittingImpermanence(p)}
		why := ""
		for _, pr := range installer.Problems(c.Validate(&st.r)) {
			if pr.Field == "storage.mirror" && p == installer.PresetTmpfsRoot && c.Storage.Mirror {
				why = "it cannot mirror two disks"
				break
			}
			if inSection(pr.Field, "storage") || inSection(pr.Field, "disks") || inSection(pr.Field, "impermanence") {
				why = pr.Err.Error()
				break
			}
		}
		out = append(out, presetFit{p, why})
	}
	return out
}

func (f *storageForm) load() {
	s := f.st.a.Storage
	f.preset = s.Preset
	if f.preset == "" {
		f.preset = installer.PresetExt4
	}
	fits := presetFits(f.st)
	ok := false
	for _, x := range fits {
		if x.p == f.preset && x.why == "" {
			ok = true
		}
	}
	if !ok {
		for _, x := range fits {
			if x.why == "" {
				f.preset = x.p
				break
			}
		}
	}
	f.encrypt = s.Encryption.Enabled
	f.pass1, f.pass2 = f.st.passphrase, f.st.passphrase
	f.swap = s.Swap.String()
	f.guests = f.st.a.GuestKind()
	f.guestsFor = f.preset
	f.guestPath = s.Guests.Path
	if f.guestPath == "" {
		f.guestPath = defaultGuestPath
	}
	f.guestSize = ""
	if s.Guests.Size != 0 {
		f.guestSize = s.Guests.Size.String()
	}
}

// checkGuests validates the guest directory and its size by the installer's rules.
func (f *storageForm) checkGuests(path, size string) error {
	c := f.st.a
	c.Storage.Preset, c.Storage.Guests.Kind = f.preset, f.guests
	c.Storage.Guests.Path = strings.TrimSpace(path)
	z, err := optionalSize(size)
	if err != nil {
		return err
	}
	c.Storage.Guests.Size = z
	for _, p := range installer.Problems(c.Validate(&f.st.r)) {
		if inSection(p.Field, "storage.guests") {
			return p.Err
		}
	}
	return nil
}

func (f *storageForm) intro() string {
	// Presets refused for the same reason are named together, the reason once.
	var reasons []string
	byReason := map[string][]string{}
	for _, x := range presetFits(f.st) {
		if x.why != "" {
			if _, ok := byReason[x.why]; !ok {
				reasons = append(reasons, x.why)
			}
			byReason[x.why] = append(byReason[x.why], string(x.p))
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	var not []string
	for _, r := range reasons {
		not = append(not, fmt.Sprintf("%s (%s)", strings.Join(byReason[r], ", "), r))
	}
	return f.st.styles.Muted.Render(wrapText("Not offered on these disks: "+strings.Join(not, "; "), f.st.width()))
}

func (f *storageForm) live(string) string { return "" }

func (f *storageForm) labels() map[string]string {
	return map[string]string{
		"storage": "Storage layout", "disks": "Disks", "storage.swap": "Swap",
		"storage.encryption": "Encryption passphrase", "storage.guests": "Guest disks",
		"storage.guests.path": "Guest image directory", "storage.guests.size": "Size of its volume",
		"impermanence": "Storage layout",
	}
}

// offered are the presets that fit the disks and firmware.
func (f *storageForm) offered() []installer.Preset {
	var out []installer.Preset
	for _, x := range presetFits(f.st) {
		if x.why == "" {
			out = append(out, x.p)
		}
	}
	return out
}

// checkSwap refuses a swap that is not a size, is too small, or does not fit on the disks
// with the layout chosen: there, not at the review.
func (f *storageForm) checkSwap(s string) error {
	z, err := parseSize(s, installer.GiB)
	if err != nil {
		return err
	}
	// How small a swap may be is disko's rule, as Validate reports it.
	small := f.st.a
	small.Storage.Preset, small.Storage.Swap = f.preset, z
	for _, p := range installer.Problems(small.Validate(&f.st.r)) {
		if p.Field == "storage.swap" {
			return p.Err
		}
	}
	fits := func(z installer.Size) (string, bool) {
		c := f.st.a
		c.Storage.Preset, c.Storage.Swap = f.preset, z
		for _, p := range installer.Problems(c.Validate(&f.st.r)) {
			if inSection(p.Field, "disks") {
				return p.Err.Error(), false
			}
		}
		return "", true
	}
	if _, ok := fits(z); ok {
		return nil
	}
	if _, ok := fits(0); !ok {
		return nil // the disks are refused without any swap: the layout's problem, not this field's
	}
	// The largest swap that fits, in whole GiB.
	lo, hi := installer.Size(0), z/installer.GiB
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, ok := fits(mid * installer.GiB); ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return fmt.Errorf("%s does not fit on the picked disks with the %s layout: use 0 (no swap)", z, f.preset)
	}
	return fmt.Errorf("%s does not fit on the picked disks with the %s layout: at most %s", z, f.preset, lo*installer.GiB)
}

func (f *storageForm) pages() []page {
	return []page{
		{show: func() bool { return len(f.offered()) == 0 }, build: func() *huh.Group {
			return huh.NewGroup(huh.NewNote().Title("No storage layout fits the picked disks").
				Description("Press Esc to go back to the disks and pick others.").Next(false))
		}},
		{show: func() bool { return len(f.offered()) > 0 }, build: func() *huh.Group {
			var opts []huh.Option[installer.Preset]
			for _, p := range f.offered() {
				opts = append(opts, huh.NewOption(fmt.Sprintf("%-10s %s", p, presetWords[p]), p))
			}
			desc := "Layout of the picked disk."
			if f.st.a.Storage.Mirror {
				desc = "Layout, mirrored across both disks."
			}
			return huh.NewGroup(
				huh.NewSelect[installer.Preset]().Title("Storage layout").Description(desc).Options(opts...).Value(&f.preset),
				huh.NewConfirm().Title("Encrypt the disks?").
					Description("LUKS2 (ZFS: native encryption). The passphrase is asked at every boot.").
					Affirmative("Encrypt").Negative("No").Value(&f.encrypt),
			)
		}},
		{show: func() bool { return f.encrypt }, build: func() *huh.Group {
			return huh.NewGroup(
				f.st.secret(huh.NewInput().Title("Encryption passphrase").
					Description("At least 8 characters; needed at every boot. It is not saved in the answers.").
					Value(&f.pass1).Validate(orCurrent(&f.pass1, func(s string) error {
					if len(s) < 8 {
						return errors.New("at least 8 characters")
					}
					return nil
				}))),
				f.st.secret(huh.NewInput().Title("The passphrase again").Value(&f.pass2).Validate(orCurrent(&f.pass2, func(s string) error {
					if s != f.pass1 {
						return errors.New("the two passphrases differ")
					}
					return nil
				}))),
			)
		}},
		{show: func() bool { return len(f.offered()) > 0 }, build: func() *huh.Group {
			var opts []huh.Option[installer.GuestKind]
			for _, g := range guestKindsFor(f.preset) {
				opts = append(opts, huh.NewOption(fmt.Sprintf("%-10s %s", g, guestWords[g]), g))
			}
			if f.guestsFor != f.preset || !containsKind(guestKindsFor(f.preset), f.guests) {
				// Another layout: start from where it puts guests by itself.
				f.guests, f.guestsFor = autoGuestKind(f.preset), f.preset
			}
			return huh.NewGroup(
				huh.NewInput().Title("Swap").Description("A size: 8 (GiB), 8G or 512M; 0 for none.").Value(&f.swap).
					Validate(orCurrent(&f.swap, f.checkSwap)),
				huh.NewSelect[installer.GuestKind]().Title("Guest disks").Options(opts...).Value(&f.guests),
			)
		}},
		{show: func() bool { return len(f.offered()) > 0 && f.guests == installer.GuestDirectory }, build: func() *huh.Group {
			fields := []huh.Field{huh.NewInput().Title("Guest image directory").Description("Default " + defaultGuestPath + ".").
				Value(&f.guestPath).Validate(orCurrent(&f.guestPath, func(s string) error { return f.checkGuests(s, "") }))}
			if f.preset == installer.PresetLVM {
				fields = append(fields, huh.NewInput().Title("Size of its volume").
					Description("A logical volume of its own, e.g. 500 (GiB) or 2T; empty to keep the images in the root volume.").
					Value(&f.guestSize).Validate(orCurrent(&f.guestSize, func(s string) error { return f.checkGuests(f.guestPath, s) })))
			}
			return huh.NewGroup(fields...)
		}},
	}
}

// secret makes an input hide what is typed, except in accessible mode without a terminal,
// where huh cannot read a hidden line.
func (st *state) secret(in *huh.Input) *huh.Input {
	if st.opts.Accessible && !isTerminal(st.opts.Input) {
		return in
	}
	return in.EchoMode(huh.EchoModePassword)
}

func guestKindsFor(p installer.Preset) []installer.GuestKind {
	switch p {
	case installer.PresetLVM:
		return []installer.GuestKind{installer.GuestThinPool, installer.GuestDirectory}
	case installer.PresetZFS:
		return []installer.GuestKind{installer.GuestZvol, installer.GuestDirectory}
	}
	return []installer.GuestKind{installer.GuestDirectory, installer.GuestNone}
}

func autoGuestKind(p installer.Preset) installer.GuestKind {
	return installer.Answers{Storage: installer.Storage{Preset: p}}.GuestKind()
}

func containsKind(ks []installer.GuestKind, k installer.GuestKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// fittingImpermanence is the impermanence preset a storage preset allows, "" for none.
func fittingImpermanence(p installer.Preset) installer.ImpermanencePreset {
	switch p {
	case installer.PresetBtrfs:
		return installer.ImpermanenceBtrfs
	case installer.PresetZFS:
		return installer.ImpermanenceZFS
	case installer.PresetTmpfsRoot:
		return installer.ImpermanenceTmpfs
	}
	return installer.ImpermanenceNone
}

func (f *storageForm) apply() error {
	s := &f.st.a.Storage
	old := s.Preset
	s.Preset = f.preset
	if f.preset != installer.PresetLVM {
		s.RootSize = 0
	}
	if f.preset != installer.PresetTmpfsRoot {
		s.TmpfsSize = 0
	}
	s.Encryption.Enabled = f.encrypt
	s.Encryption.PassphraseFile = ""
	f.st.passphrase = ""
	if f.encrypt {
		s.Encryption.PassphraseFile = KeyFile
		f.st.passphrase = f.pass1
	}
	var errs []error
	if len(f.offered()) == 0 {
		errs = append(errs, errors.New("no storage layout fits the picked disks: go back and pick others"))
	}
	if z, err := parseSize(f.swap, installer.GiB); err == nil {
		s.Swap = z
		if err := f.checkSwap(f.swap); err != nil {
			errs = append(errs, bad("storage.swap", err))
		}
	} else {
		errs = append(errs, bad("storage.swap", err))
	}
	// The kind the preset picks by itself stays unset, as in an answers file.
	s.Guests.Kind = f.guests
	if f.guests == autoGuestKind(f.preset) {
		s.Guests.Kind = ""
	}
	s.Guests.Path, s.Guests.Size = "", 0
	if f.guests == installer.GuestDirectory {
		if p := strings.TrimSpace(f.guestPath); p != defaultGuestPath {
			s.Guests.Path = p
		}
		if f.preset == installer.PresetLVM {
			if z, err := optionalSize(f.guestSize); err == nil {
				s.Guests.Size = z
			} else {
				errs = append(errs, bad("storage.guests.size", err))
			}
		}
	}
	// Impermanence must fit the storage: a change of preset resets it.
	if old != f.preset || fittingImpermanence(f.preset) == installer.ImpermanenceTmpfs {
		im := fittingImpermanence(f.preset)
		if im != installer.ImpermanenceTmpfs {
			im = installer.ImpermanenceNone
		}
		if f.st.a.Impermanence.Preset != im {
			f.st.a.Impermanence = installer.Impermanence{Preset: im}
		}
	}
	if f.encrypt && (len(f.pass1) < 8 || f.pass1 != f.pass2) {
		errs = append(errs, bad("storage.encryption", errors.New("shorter than 8 characters, or the two differ")))
	}
	if len(errs) == 0 {
		errs = append(errs, sectionProblems(f.st, "storage", "disks")...)
	}
	return errors.Join(errs...)
}

// sectionProblems validates the answers on this machine and keeps the problems under the
// given field prefixes.
func sectionProblems(st *state, prefixes ...string) []error {
	var out []error
	for _, p := range installer.Problems(st.a.Validate(&st.r)) {
		for _, pre := range prefixes {
			if inSection(p.Field, pre) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// optionalSize is a size in GiB unless a unit is given, or 0 when nothing was typed.
func optionalSize(s string) (installer.Size, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	return parseSize(s, installer.GiB)
}
