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
	case !hasStableID(d):
		return "it has no stable /dev/disk/by-id name, and its kernel name /dev/" + d.Name + " can change between boots"
	case d.Mounted:
		return "it is in use (mounted, swap or part of a running array): unmount it first"
	}
	return ""
}

func hasStableID(d hwdetect.Disk) bool { _, ok := d.StableID(); return ok }

func (s *disks) Enter() tea.Cmd {
	s.picked = nil
	s.note = ""
	ds := s.st.r.Disks
	if sel, err := installer.TargetDisks(s.st.a, s.st.r); err == nil && (len(s.st.a.Disks.IDs) > 0 || s.st.a.Disks.Filter != nil) {
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
	// A lone disk is picked for the operator only when it holds nothing: a disk with data
	// is erased only when picked by hand.
	if len(s.picked) == 0 && len(eligible) == 1 && blank(ds[eligible[0]]) {
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
			if !anyUsable(ds) {
				s.note = "No disk here can be installed on (see why above): free one, or quit with ctrl+c."
			}
			return s, nil
		}
		saved := s.st.a
		s.apply()
		if why := noLayoutFits(s.st); why != "" {
			s.st.a = saved
			s.note = why
			return s, nil
		}
		return s, next
	}
	return s, nil
}

// blank reports whether a disk holds nothing: no partitions, filesystem or mounts.
func blank(d hwdetect.Disk) bool {
	return len(d.Partitions) == 0 && d.FSType == "" && len(d.MountPoints) == 0 && len(d.Holders) == 0 && !d.Mounted
}

func anyUsable(ds []hwdetect.Disk) bool {
	for _, d := range ds {
		if unusable(d) == "" {
			return true
		}
	}
	return false
}

// noLayoutFits says why no storage layout fits the picked disks (too small, a mirror of
// disks of different sizes), each reason once; "" when one does.
func noLayoutFits(st *state) string {
	var reasons []string
	for _, x := range presetFits(st) {
		if x.why == "" {
			return ""
		}
		if x.p != installer.PresetTmpfsRoot && !contains(reasons, x.why) {
			reasons = append(reasons, x.why)
		}
	}
	return "These disks cannot hold XenNix: " + strings.Join(reasons, "; ") + "."
}

// apply names the picked disks by their stable by-id paths and mirrors across two.
func (s *disks) apply() {
	var ids []string
	for _, i := range s.picked {
		// Only a disk with a stable id can be picked (unusable).
		id, _ := s.st.r.Disks[i].StableID()
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
	// The table keeps to the width; what a column cuts (~) is whole in the details of the
	// disk under the cursor.
	fixed := 4 + 10 + 10 + 7
	modelW := min(max((s.w-fixed-1)/2, 8), 30)
	contW := max(s.w-1-fixed-modelW-1, 8)
	row := func(mark, name, size, typ, model, contents string) string {
		return fmt.Sprintf("%-4s%-9s %-9s %-6s %-*s %s", mark, cut(name, 9), cut(size, 9), cut(typ, 6), modelW, cut(model, modelW), cut(contents, contW))
	}
	b.WriteString(st.Label.Render(row("", "NAME", "SIZE", "TYPE", "MODEL", "CONTENTS")) + "\n")
	for i, d := range s.st.r.Disks {
		mark := "[ ]"
		switch {
		case unusable(d) != "":
			mark = "[-]"
		case indexOf(s.picked, i) >= 0:
			mark = "[x]"
		}
		model := strings.TrimSpace(strings.TrimSpace(d.Vendor) + " " + strings.TrimSpace(d.Model))
		line := row(mark, d.Name, installer.Size(d.SizeBytes).Human(), d.Transport, model, contents(d))
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
		model := strings.TrimSpace(strings.TrimSpace(d.Vendor) + " " + strings.TrimSpace(d.Model))
		head := fmt.Sprintf("%s: %s, %s", d.Name, cmpOr(model, "model unknown"), installer.Size(d.SizeBytes).Human())
		if d.Serial != "" {
			head += ", serial " + d.Serial
		}
		b.WriteString("\n" + st.Section.Render(wrapText(head, s.w)) + "\n")
		b.WriteString(hang("  ", "holds: "+contents(d), s.w) + "\n")
		ids := d.ByIDLinks
		if len(ids) == 0 && d.ByID != "" {
			ids = []string{d.ByID}
		}
		if len(ids) == 0 {
			ids = []string{"(no /dev/disk/by-id name)"}
		}
		for _, id := range ids {
			b.WriteString(hang("  ", id, s.w) + "\n")
		}
		for _, p := range d.Partitions {
			b.WriteString(hang("  ", partLine(p), s.w) + "\n")
		}
		if why := unusable(d); why != "" {
			b.WriteString(st.Warn.Render(hang("  ", "cannot be picked: "+why, s.w)) + "\n")
		}
	}
	switch len(s.picked) {
	case 1:
		b.WriteString("\nOne disk: no redundancy.\n")
	case 2:
		b.WriteString("\n" + wrapText("Two disks: a mirror (btrfs raid1, zfs mirror, or mdadm RAID1 for ext4 and lvm).", s.w) + "\n")
	}
	if s.note != "" {
		b.WriteString(st.Warn.Render(wrapText(s.note, s.w)) + "\n")
	}
	return b.String()
}

// contents is what a disk holds, in a few words.
func contents(d hwdetect.Disk) string {
	var in []string
	if len(d.MountPoints) > 0 {
		in = append(in, "mounted on "+strings.Join(d.MountPoints, " "))
	}
	if len(d.Holders) > 0 {
		in = append(in, "used by "+strings.Join(d.Holders, " "))
	}
	if d.FSType != "" {
		return strings.Join(append([]string{d.FSType}, in...), ", ")
	}
	if len(d.Partitions) == 0 {
		switch {
		case len(in) > 0:
			return strings.Join(in, ", ")
		case d.Mounted:
			return "in use"
		case d.PartitionTable != "":
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
