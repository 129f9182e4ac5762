package tui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/huh/v2"

	"github.com/xennix/xennix/installer"
)

// defaultPersisted are what every XenNix host with impermanence keeps
// (assets/nixos/impermanence.nix, defaultDirectories and defaultFiles).
var defaultPersisted = []string{
	"/etc/nixos", "/etc/xen/auto", "/var/lib/nixos", "/var/lib/xen", "/var/lib/systemd",
	"/var/lib/xennix", "/var/log", "/etc/machine-id", "the SSH host keys",
}

// impermanenceForm offers none or the impermanence preset that fits the storage, and the
// extra paths to keep.
type impermanenceForm struct {
	st     *state
	preset installer.ImpermanencePreset
	dirs   string
	files  string
}

func (f *impermanenceForm) fit() installer.ImpermanencePreset {
	return fittingImpermanence(f.st.a.Storage.Preset)
}

func (f *impermanenceForm) load() {
	im := f.st.a.Impermanence
	f.preset = im.Preset
	if f.preset == "" {
		f.preset = installer.ImpermanenceNone
	}
	if f.preset != installer.ImpermanenceNone && f.preset != f.fit() {
		f.preset = installer.ImpermanenceNone
	}
	if f.fit() == installer.ImpermanenceTmpfs {
		f.preset = installer.ImpermanenceTmpfs
	}
	f.dirs = strings.Join(im.Directories, " ")
	f.files = strings.Join(im.Files, " ")
}

func (f *impermanenceForm) intro() string {
	s := f.st.styles
	if f.fit() == installer.ImpermanenceNone {
		return wrapText(fmt.Sprintf("With %s storage the root file system is kept as it is. Resetting / at every boot (impermanence) needs btrfs, zfs or tmpfs-root storage: go back to change it.", f.st.a.Storage.Preset), f.st.width())
	}
	return wrapText("Impermanence resets / at every boot; only /nix and /persist survive, and what is listed here. Always kept: "+strings.Join(defaultPersisted, ", ")+".", f.st.width()) + "\n" + s.Muted.Render("")
}

func (f *impermanenceForm) live(string) string { return "" }

func (f *impermanenceForm) labels() map[string]string {
	return map[string]string{
		"impermanence": "Reset / at every boot", "impermanence.directories": "Extra directories to keep",
		"impermanence.files": "Extra files to keep",
	}
}

func (f *impermanenceForm) pages() []page {
	if f.fit() == installer.ImpermanenceNone {
		return nil
	}
	return []page{
		{show: func() bool { return f.fit() != installer.ImpermanenceTmpfs }, build: func() *huh.Group {
			opts := []huh.Option[installer.ImpermanencePreset]{
				huh.NewOption("none     keep / as it is", installer.ImpermanenceNone),
				huh.NewOption(fmt.Sprintf("%-8s roll / back to a blank snapshot at boot", f.fit()), f.fit()),
			}
			return huh.NewGroup(huh.NewSelect[installer.ImpermanencePreset]().Title(choiceTitle(f.st, "Reset / at every boot?", opts, f.preset)).
				Options(opts...).Value(&f.preset))
		}},
		{show: func() bool { return f.preset != installer.ImpermanenceNone }, build: func() *huh.Group {
			return huh.NewGroup(
				f.st.textOrInput("Extra directories to keep", "Absolute paths separated by spaces or commas (e.g. /home /var/lib/acme).", &f.dirs),
				f.st.textOrInput("Extra files to keep", "Absolute paths separated by spaces or commas (e.g. /etc/adjtime).", &f.files),
			)
		}},
	}
}

func (f *impermanenceForm) apply() error {
	im := &f.st.a.Impermanence
	im.Preset = f.preset
	im.Directories, im.Files = nil, nil
	if f.preset != installer.ImpermanenceNone {
		im.Directories = splitList(f.dirs)
		im.Files = splitList(f.files)
	}
	return errors.Join(sectionProblems(f.st, "impermanence")...)
}

// splitList reads a list typed one per line, or separated by commas or spaces.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\t' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// textOrInput is a multi-line text field, or in accessible mode a one-line input.
func (st *state) textOrInput(title, desc string, v *string) huh.Field {
	if st.opts.Accessible {
		return st.textField(title, desc, v, nil, true)
	}
	return huh.NewText().Title(title).Description(desc).Lines(3).Value(v)
}
