package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/installer"
)

// Review panes.
const (
	paneSummary = iota
	paneFiles
	paneCommands
	paneConfirm
)

// review shows every choice, the files that will be written and the commands, then asks
// the operator to type the name of each disk that will be erased.
type review struct {
	st      *state
	pane    int
	file    int
	vp      viewport.Model
	input   textinput.Model
	disk    int // the disk being confirmed
	planErr error
	note    string
	w, h    int
}

func newReview(st *state) *review {
	r := &review{st: st, w: 80, h: 21, vp: viewport.New(), input: textinput.New()}
	// Long lines (a by-id path, a Nix line, a command) wrap instead of being cut.
	r.vp.SoftWrap = true
	r.input.Prompt = "> "
	r.input.CharLimit = 64
	return r
}

// planned are the answers as the install uses them: the TUI offers the reboot itself.
func planned(a installer.Answers) installer.Answers {
	off := false
	a.Install.Reboot = &off
	return a
}

func (r *review) Enter() tea.Cmd {
	r.pane, r.file, r.disk, r.note = paneSummary, 0, 0, ""
	r.st.confirmed = nil
	r.planErr = nil
	if r.st.opts.Plan == nil {
		r.planErr = fmt.Errorf("no planner: this build cannot plan an install")
	} else {
		r.st.plan, r.planErr = r.st.opts.Plan(planned(r.st.a))
	}
	r.refresh()
	return nil
}

func (r *review) SetSize(w, h int) {
	r.w, r.h = w, h
	r.vp.SetWidth(w)
	r.vp.SetHeight(max(h-2, 3))
	r.input.SetWidth(max(w-4, 10))
	r.refresh()
}

// UsesEsc is true while confirming: Esc returns to the summary.
func (r *review) UsesEsc() bool { return r.pane == paneConfirm }

func (r *review) ShortHelp() []key.Binding {
	k := r.st.keys
	switch {
	case r.pane == paneConfirm:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "erase this disk")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "do not"))}
	case r.planErr != nil:
		return nil
	case r.pane == paneFiles:
		return []key.Binding{k.Tab, k.FilePrev, k.FileNext, k.Up, k.Down, k.Confirm}
	}
	return []key.Binding{k.Tab, k.Up, k.Down, k.PageDown, k.Confirm}
}

func (r *review) refresh() {
	switch r.pane {
	case paneSummary:
		r.vp.SetContent(r.summary())
	case paneFiles:
		files := r.st.plan.Files()
		if len(files) > 0 {
			r.vp.SetContent(wrapCode(string(files[r.file].Data), r.w))
		}
	case paneCommands:
		r.vp.SetContent(wrapCode(r.st.plan.Transcript(), r.w))
	}
}

func (r *review) Update(msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if r.pane == paneConfirm {
		if ok && key.Matches(k, r.st.keys.Back) {
			r.pane, r.disk, r.note = paneSummary, 0, ""
			r.st.confirmed = nil
			r.refresh()
			return r, nil
		}
		if ok && key.Matches(k, r.st.keys.Next) {
			return r, r.confirmOne()
		}
		var cmd tea.Cmd
		r.input, cmd = r.input.Update(msg)
		return r, cmd
	}
	if !ok || r.planErr != nil {
		return r, nil
	}
	keys := r.st.keys
	switch {
	case key.Matches(k, keys.Tab):
		r.pane = (r.pane + 1) % paneConfirm
		r.vp.GotoTop()
		r.refresh()
		return r, nil
	case r.pane == paneFiles && key.Matches(k, keys.FileNext):
		r.file = (r.file + 1) % max(len(r.st.plan.Files()), 1)
		r.vp.GotoTop()
		r.refresh()
		return r, nil
	case r.pane == paneFiles && key.Matches(k, keys.FilePrev):
		n := max(len(r.st.plan.Files()), 1)
		r.file = (r.file + n - 1) % n
		r.vp.GotoTop()
		r.refresh()
		return r, nil
	case key.Matches(k, keys.Confirm):
		r.pane, r.disk, r.note = paneConfirm, 0, ""
		r.st.confirmed = nil
		r.input.SetValue("")
		return r, r.input.Focus()
	}
	var cmd tea.Cmd
	r.vp, cmd = r.vp.Update(msg)
	return r, cmd
}

// confirmOne checks the typed name of the disk being confirmed.
func (r *review) confirmOne() tea.Cmd {
	disks := r.st.plan.Host.Disks
	if r.disk >= len(disks) {
		return nil
	}
	d := disks[r.disk]
	if strings.TrimSpace(r.input.Value()) != d.Name {
		r.note = fmt.Sprintf("That is not %s. Type %s to erase it, or Esc to go back.", d.Name, d.Name)
		r.input.SetValue("")
		return nil
	}
	id := d.ByID
	if id == "" {
		id = "/dev/" + d.Name
	}
	r.st.confirmed = append(r.st.confirmed, id)
	r.disk++
	r.note = ""
	r.input.SetValue("")
	if r.disk < len(disks) {
		return nil
	}
	if r.st.opts.Install == nil {
		return func() tea.Msg { return quitMsg{} }
	}
	return next
}

func (r *review) View() string {
	s := r.st.styles
	if r.planErr != nil {
		var b strings.Builder
		b.WriteString(s.Error.Render("These answers cannot be installed on this machine:") + "\n\n")
		probs := installer.Problems(r.planErr)
		if len(probs) == 0 {
			b.WriteString(wrapText(r.planErr.Error(), r.w) + "\n")
		}
		for _, p := range probs {
			b.WriteString(wrapText("! "+p.Error(), r.w) + "\n")
		}
		b.WriteString("\nPress Esc to go back and change them.\n")
		return b.String()
	}
	if r.pane == paneConfirm {
		return r.confirmView()
	}
	tabs := []string{"Summary", "Files", "Commands"}
	for i, t := range tabs {
		if i == r.pane {
			tabs[i] = s.Cursor.Render(" " + t + " ")
		} else {
			tabs[i] = " " + t + " "
		}
	}
	head := strings.Join(tabs, "|")
	if r.pane == paneFiles {
		files := r.st.plan.Files()
		if len(files) > 0 {
			f := files[r.file]
			head += fmt.Sprintf("  %d/%d %s", r.file+1, len(files), f.Path)
		}
	}
	return head + "\n" + r.vp.View() + "\n" + s.Muted.Render(fmt.Sprintf("%3.0f%%  %s/pgdn scroll; press c when ready to confirm the disks", r.vp.ScrollPercent()*100, r.st.keys.Down.Help().Key))
}

func (r *review) confirmView() string {
	s := r.st.styles
	var b strings.Builder
	b.WriteString(s.Warn.Render("These disks will be erased, with everything on them:") + "\n\n")
	for i, w := range r.st.plan.WipeSummary() {
		mark := "  "
		switch {
		case i < r.disk:
			mark = s.Check + " "
		case i == r.disk:
			mark = s.Pointer + " "
		}
		b.WriteString(wrapText(mark+w, r.w) + "\n")
	}
	if r.disk < len(r.st.plan.Host.Disks) {
		d := r.st.plan.Host.Disks[r.disk]
		b.WriteString("\n" + wrapText(fmt.Sprintf("To erase %s (%s %s, serial %s), type its name, %s:", d.Name, strings.TrimSpace(d.Model), installer.Size(d.SizeBytes).Human(), d.Serial, d.Name), r.w) + "\n")
		b.WriteString(r.input.View() + "\n")
	}
	if r.note != "" {
		b.WriteString("\n" + s.Error.Render(r.note) + "\n")
	}
	return b.String()
}

// summary is every choice in a few labelled lines.
func (r *review) summary() string {
	a, st := r.st.a, r.st
	s := st.styles
	var b strings.Builder
	line := func(label, text string) {
		b.WriteString(hang(s.Label.Render(fmt.Sprintf("%-12s", label))+" ", text, r.w) + "\n")
	}
	b.WriteString(wrapText(st.plan.Summary, r.w) + "\n\n")
	var disks []string
	for _, d := range st.plan.Host.Disks {
		disks = append(disks, fmt.Sprintf("%s (%s %s)", d.Name, strings.TrimSpace(d.Model), installer.Size(d.SizeBytes).Human()))
	}
	line("Disks", strings.Join(disks, " + "))
	enc := "not encrypted"
	if a.Storage.Encryption.Enabled {
		enc = "encrypted (passphrase at boot)"
	}
	swap := "no swap"
	if a.Storage.Swap != 0 {
		swap = a.Storage.Swap.String() + " swap"
	}
	mirror := ""
	if a.Storage.Mirror {
		mirror = " mirror"
	}
	guests := string(a.GuestKind())
	if a.GuestKind() == installer.GuestDirectory {
		guests += " " + cmpOr(a.Storage.Guests.Path, defaultGuestPath)
		if a.Storage.Guests.Size != 0 {
			guests += " (" + a.Storage.Guests.Size.String() + " volume)"
		}
	}
	line("Storage", fmt.Sprintf("%s%s, %s, %s, guests: %s", a.Storage.Preset, mirror, enc, swap, guests))
	imp := string(a.Impermanence.Preset)
	if extra := append(append([]string{}, a.Impermanence.Directories...), a.Impermanence.Files...); len(extra) > 0 {
		imp += ", also keeps " + strings.Join(extra, " ")
	}
	line("Impermanence", imp)
	host := st.plan.Host
	line("Boot", fmt.Sprintf("%s, %s", host.Firmware, host.Loader))
	n := a.Network
	up := "first NIC with link"
	switch {
	case n.Bond != nil:
		up = fmt.Sprintf("bond %s of %s", n.Bond.Mode, strings.Join(n.Bond.Members, "+"))
	case len(n.Uplinks) > 0:
		up = strings.Join(n.Uplinks, "+")
	}
	ip := "IPv4 " + string(n.IPv4.Mode)
	if n.IPv4.Mode == installer.IPv4Static {
		ip = fmt.Sprintf("IPv4 %s via %s", n.IPv4.Address, n.IPv4.Gateway)
	}
	if n.VLAN != 0 {
		ip += fmt.Sprintf(" on VLAN %d", n.VLAN)
	}
	if len(n.DNS) > 0 {
		var d []string
		for _, x := range n.DNS {
			d = append(d, x.String())
		}
		ip += ", DNS " + strings.Join(d, " ")
	}
	ip6 := map[installer.IPv6Mode]string{installer.IPv6RA: "IPv6 auto", installer.IPv6DHCPv6: "IPv6 dhcpv6", installer.IPv6Off: "no IPv6", "": "IPv6 auto"}[n.IPv6.Mode]
	if n.IPv6.Mode == installer.IPv6Static {
		ip6 = "IPv6 " + n.IPv6.Address.String()
		if n.IPv6.Gateway.IsValid() {
			ip6 += " via " + n.IPv6.Gateway.String()
		}
	}
	ip += "; " + ip6
	if n.MTU != 0 {
		ip += fmt.Sprintf("; MTU %d", n.MTU)
	}
	if len(n.Search) > 0 {
		ip += "; search " + strings.Join(n.Search, " ")
	}
	if len(n.NTP) > 0 {
		ip += "; NTP " + strings.Join(n.NTP, " ")
	}
	if n.Bond != nil && n.Bond.Name != "" {
		up = n.Bond.Name + ": " + up
	}
	line("Network", fmt.Sprintf("bridge %s over %s; %s", bridgeName(a), up, ip))
	pt := "no passthrough"
	if len(a.Xen.Passthrough) > 0 {
		var pci []string
		for _, p := range a.Xen.Passthrough {
			pci = append(pci, p.String())
		}
		pt = "passthrough " + strings.Join(pci, " ")
	}
	if a.Boot.SerialConsole != "" {
		pt += "; serial console " + a.Boot.SerialConsole
	}
	line("Xen", fmt.Sprintf("dom0 %s, %d vCPUs; %s", host.Dom0Memory, host.Dom0VCPUs, pt))
	name := a.Host.Hostname
	if a.Host.Domain != "" {
		name += "." + a.Host.Domain
	}
	line("Host", fmt.Sprintf("%s, %s, keymap %s, locale %s", name, a.Host.Timezone, a.Host.Keymap, a.Host.Locale))
	ssh := "SSH off"
	if a.SSHEnabled() {
		ssh = "SSH on, root login " + string(a.SSH.RootLogin)
		if a.SSH.PasswordAuth {
			ssh += ", password logins allowed"
		} else {
			ssh += ", keys only"
		}
	}
	line("SSH", ssh)
	line("Root", loginWords(a.Users.Root))
	admin := "none"
	if a.Users.Admin.Name != "" {
		admin = a.Users.Admin.Name + ": " + loginWords(a.Users.Admin)
	}
	line("Admin", admin)
	for _, note := range st.plan.Notes {
		b.WriteString("\n" + wrapText("Note: "+note, r.w) + "\n")
	}
	b.WriteString("\n" + s.Warn.Render("Will be erased:") + "\n")
	for _, w := range st.plan.WipeSummary() {
		b.WriteString(wrapText("  "+w, r.w) + "\n")
	}
	return b.String()
}

func loginWords(acc installer.Account) string {
	var w []string
	switch acc.HashedPassword {
	case "", "!", "*":
		w = append(w, "no password")
	default:
		w = append(w, "password set")
	}
	w = append(w, fmt.Sprintf("%d SSH key(s)", len(acc.SSHKeys)))
	return strings.Join(w, ", ")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// wrapCode wraps the long lines of a file or transcript at word boundaries where it can (a
// long path breaks where it must), the continuation indented by two spaces.
func wrapCode(s string, w int) string { return wrapLines(s, w, false) }

// wrapDiff wraps a unified diff the same way, each continuation keeping its line's +, -
// or space in front, so that a wrapped removed line still reads as removed.
func wrapDiff(s string, w int) string { return wrapLines(s, w, true) }

func wrapLines(s string, w int, diff bool) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if ansi.StringWidth(l) <= w {
			continue
		}
		parts := strings.Split(ansi.Wrap(l, max(w-2, 10), ""), "\n")
		lead := "  "
		if diff && (l[0] == '+' || l[0] == '-') && !strings.HasPrefix(l, "+++") && !strings.HasPrefix(l, "---") {
			lead = l[:1] + " "
		}
		for j := 1; j < len(parts); j++ {
			parts[j] = lead + parts[j]
		}
		lines[i] = strings.Join(parts, "\n")
	}
	return strings.Join(lines, "\n")
}
