package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// disks is the table of the machine's disks: pick one, or two for a mirror. The installer
// medium (and read-only or in-use disks) are listed but cannot be picked, with why.
type disks struct {
	st     *state
	cursor int
	picked []int // indexes into the report's disks, in the order picked
	w, h   int
	note   string
}

func newDisks(st *state) *disks { return &disks{st: st, w: 80, h: 21} }

func (s *disks) SetSize(w, h int) { s.w, s.h = w, h }

func (s *disks) ShortHelp() []key.Binding {
	k := s.st.keys
	return []key.Binding{k.Up, k.Down, k.Toggle, k.Next}
}

// unusable says why a disk cannot be a target, or "".
func unusable(d hwdetect.Disk) string {
	switch {
	case d.InstallerMedium:
		return "it is the installer medium this system runs from"
	case d.ReadOnly:
		return "it is read-only"
	case d.Mounted:
		return "it is in use (mounted, swap or part of a running array): unmount it first"
	}
	return ""
}

func (s *disks) Enter() tea.Cmd {
	s.picked = nil
	s.note = ""
	ds := s.st.r.Disks
	if sel, err := s.st.a.SelectDisks(s.st.r); err == nil && (len(s.st.a.Disks.IDs) > 0 || s.st.a.Disks.Filter != nil) {
		for _, d := range sel {
			for i := range ds {
				if ds[i].Name == d.Name {
					s.picked = append(s.picked, i)
				}
			}
		}
	}
	var eligible []int
	for i, d := range ds {
		if unusable(d) == "" {
			eligible = append(eligible, i)
		}
	}
	if len(s.picked) == 0 && len(eligible) == 1 {
		s.picked = eligible
	}
	s.cursor = 0
	if len(s.picked) > 0 {
		s.cursor = s.picked[0]
	} else if len(eligible) > 0 {
		s.cursor = eligible[0]
	}
	return nil
}

func (s *disks) Update(msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return s, nil
	}
	ds := s.st.r.Disks
	keys := s.st.keys
	switch {
	case key.Matches(k, keys.Up):
		s.cursor = max(s.cursor-1, 0)
	case key.Matches(k, keys.Down):
		s.cursor = min(s.cursor+1, len(ds)-1)
	case key.Matches(k, keys.Toggle):
		if len(ds) == 0 {
			return s, nil
		}
		if why := unusable(ds[s.cursor]); why != "" {
			s.note = fmt.Sprintf("%s cannot be picked: %s.", ds[s.cursor].Name, why)
			return s, nil
		}
		s.note = ""
		if i := indexOf(s.picked, s.cursor); i >= 0 {
			s.picked = append(s.picked[:i], s.picked[i+1:]...)
		} else if len(s.picked) < 2 {
			s.picked = append(s.picked, s.cursor)
		} else {
			s.note = "At most two disks (a mirror): unpick one first."
		}
	case key.Matches(k, keys.Next):
		if len(s.picked) == 0 {
			s.note = "Pick a disk with space first."
			return s, nil
		}
		s.apply()
		return s, next
	}
	return s, nil
}

// apply names the picked disks by their stable by-id paths and mirrors across two.
func (s *disks) apply() {
	var ids []string
	for _, i := range s.picked {
		d := s.st.r.Disks[i]
		id := d.ByID
		if id == "" {
			id = "/dev/" + d.Name
		}
		ids = append(ids, id)
	}
	s.st.a.Disks = installer.Disks{IDs: ids}
	s.st.a.Storage.Mirror = len(ids) == 2
}

// Leave keeps the picks for the way back.
func (s *disks) Leave() {
	if len(s.picked) > 0 {
		s.apply()
	}
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func (s *disks) View() string {
	st := s.st.styles
	var b strings.Builder
	b.WriteString(wrapText("Pick the disk to install on with space, or two for a mirror. Everything on the picked disks will be erased.", s.w) + "\n\n")
	row := func(mark, name, size, typ, model, serial, contents string) string {
		return fmt.Sprintf("%-4s%-9s %-9s %-5s %-22s %-15s %s", mark, cut(name, 9), cut(size, 9), cut(typ, 5), cut(model, 22), cut(serial, 15), contents)
	}
	b.WriteString(st.Label.Render(row("", "NAME", "SIZE", "TYPE", "MODEL", "SERIAL", "CONTENTS")) + "\n")
	for i, d := range s.st.r.Disks {
		mark := "[ ]"
		switch {
		case unusable(d) != "":
			mark = "[-]"
		case indexOf(s.picked, i) >= 0:
			mark = "[x]"
		}
		model := strings.TrimSpace(strings.TrimSpace(d.Vendor) + " " + strings.TrimSpace(d.Model))
		line := row(mark, d.Name, installer.Size(d.SizeBytes).Human(), d.Transport, model, d.Serial, contents(d))
		line = ansi.Truncate(line, s.w-1, "")
		switch {
		case i == s.cursor:
			line = st.Cursor.Render(line)
		case unusable(d) != "":
			line = st.Disabled.Render(line)
		case indexOf(s.picked, i) >= 0:
			line = st.Selected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if len(s.st.r.Disks) > 0 {
		d := s.st.r.Disks[s.cursor]
		b.WriteString("\n" + st.Section.Render(d.Name) + "\n")
		ids := d.ByIDLinks
		if len(ids) == 0 && d.ByID != "" {
			ids = []string{d.ByID}
		}
		if len(ids) == 0 {
			ids = []string{"(no /dev/disk/by-id name: it will be addressed as /dev/" + d.Name + ")"}
		}
		for _, id := range ids {
			b.WriteString("  " + id + "\n")
		}
		for _, p := range d.Partitions {
			b.WriteString("  " + partLine(p) + "\n")
		}
		if why := unusable(d); why != "" {
			b.WriteString(st.Warn.Render("  cannot be picked: "+why) + "\n")
		}
	}
	switch len(s.picked) {
	case 1:
		b.WriteString("\nOne disk: no redundancy.\n")
	case 2:
		b.WriteString("\nTwo disks: a mirror (btrfs raid1, zfs mirror, or mdadm RAID1 for ext4 and lvm).\n")
	}
	if s.note != "" {
		b.WriteString(st.Warn.Render(s.note) + "\n")
	}
	return b.String()
}

// contents is what a disk holds, in a few words.
func contents(d hwdetect.Disk) string {
	if d.FSType != "" {
		return d.FSType
	}
	if len(d.Partitions) == 0 {
		if d.PartitionTable != "" {
			return d.PartitionTable + ", empty"
		}
		return "empty"
	}
	var fs []string
	for _, p := range d.Partitions {
		if p.FSType != "" {
			fs = append(fs, p.FSType)
		}
	}
	s := fmt.Sprintf("%d part", len(d.Partitions))
	if len(fs) > 0 {
		s += ": " + strings.Join(fs, ",")
	}
	return s
}

func partLine(p hwdetect.Partition) string {
	s := p.Name
	if p.SizeBytes > 0 {
		s += " " + installer.Size(p.SizeBytes).Human()
	}
	if p.FSType != "" {
		s += " " + p.FSType
	}
	if p.Label != "" {
		s += fmt.Sprintf(" %q", p.Label)
	}
	if len(p.MountPoints) > 0 {
		s += " mounted on " + strings.Join(p.MountPoints, ", ")
	}
	return s
}

// cut shortens s to n cells, marking the cut with ~.
func cut(s string, n int) string {
	if ansi.StringWidth(s) <= n {
		return s
	}
	return ansi.Truncate(s, n-1, "") + "~"
}
