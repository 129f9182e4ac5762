package tui

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// GuestsOptions configure RunGuests, xennix-setup's guests screens: the tool's guests of an
// installed host's answers, a form to add or edit one, and the review of what applying
// changes (the diff, and which guests start, restart, stop or wait for a reboot).
type GuestsOptions struct {
	SetupOptions
}

// DeclaredGuest is a guest declared outside xennix/guests.nix, as the list shows it.
type DeclaredGuest struct {
	Name      string
	Kind      guests.Kind
	MemoryMiB int
	VCPUs     int
}

// RunGuests runs the guests screens over o.Answers and applies the result on confirmation,
// like RunSetup. It returns the answers as edited, and ErrQuit when the operator quit.
func RunGuests(ctx context.Context, o GuestsOptions) (installer.Answers, error) {
	defaultTerminal(&o.Input, &o.Output, &o.Getenv)
	if o.Accessible {
		return runGuestsAccessible(ctx, o)
	}
	return runScreens(ctx, newGuestsApp(ctx, o), o.Input, o.Output, o.ProgramOptions, o.Answers)
}

// guestsApp is the root model with two screens: the guests list (in the welcome slot) and
// the setup review, whose diff is preceded by what the change does to the guests.
type guestsApp struct {
	*setupApp
	list *guestsList
}

func newGuestsApp(ctx context.Context, o GuestsOptions) *guestsApp {
	so := o.SetupOptions
	so.Diff = withGuestEffects(o.Answers, o.Diff)
	m := newApp(ctx, Options{Report: o.Report, Base: o.Answers, Input: o.Input, Output: o.Output, Getenv: o.Getenv, ProgramOptions: o.ProgramOptions})
	rev := &setupReview{st: m.st, o: so, w: 80, h: 21, vp: viewport.New()}
	list := &guestsList{st: m.st, declared: o.Declared, w: 80, h: 21}
	m.screens[scrWelcome] = list
	m.screens[scrReview] = rev
	m.order = []screenID{scrWelcome, scrReview}
	m.cur = 0
	m.resize(m.w, m.h)
	return &guestsApp{setupApp: &setupApp{app: m, rev: rev}, list: list}
}

// withGuestEffects is the guests review's diff: what the change does to the guests (will
// start, restart, stop, after reboot), then diff's files.
func withGuestEffects(start installer.Answers, diff func(installer.Answers) (string, error)) func(installer.Answers) (string, error) {
	return func(a installer.Answers) (string, error) {
		effects := installer.EffectsOnGuests(start, a).String()
		if diff == nil {
			return effects, nil
		}
		d, err := diff(a)
		if err != nil || strings.TrimSpace(d) == "" {
			return d, err
		}
		return effects + d, nil
	}
}

func (m *guestsApp) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.setupApp.Update(msg)
	return m, cmd
}

func (m *guestsApp) View() tea.View {
	v := m.app.View()
	v.WindowTitle = "XenNix setup: guests"
	body := m.app.render()
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		s := m.st.styles
		title := "Guests"
		if m.activeID() == scrReview {
			title = "Review changes"
		}
		head := fmt.Sprintf(" XenNix setup %s %s (%d/%d)", dash(s), title, m.cur+1, len(m.order))
		head = s.Header.Render(ansi.Truncate(head+strings.Repeat(" ", max(m.w-ansi.StringWidth(head), 0)), m.w, ""))
		body = head + body[i:]
	}
	if m.asking && !m.rev.done {
		body = strings.Replace(body, "Quit the installer? Nothing has been written to any disk.", "Quit xennix-setup? Nothing has been changed.", 1)
	}
	v.SetContent(body)
	return v
}

// render is the whole screen (tests).
func (m *guestsApp) render() string { return m.View().Content }

// Keys of the guests list.
var (
	guestAddKey    = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add"))
	guestEditKey   = key.NewBinding(key.WithKeys("e", "enter"), key.WithHelp("e", "edit"))
	guestRemoveKey = key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "remove"))
	guestReviewKey = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "review"))
)

// guestsList lists the tool's guests (editable) and the declared ones (read-only), and
// hosts the add/edit form.
type guestsList struct {
	st       *state
	declared []DeclaredGuest
	cursor   int
	form     *huh.Form
	draft    *guestDraft
	problem  string
	w, h     int
}

func (l *guestsList) Enter() tea.Cmd   { return nil }
func (l *guestsList) SetSize(w, h int) { l.w, l.h = w, h; l.sizeForm() }

// UsesEsc is true while the form is open: Esc cancels it.
func (l *guestsList) UsesEsc() bool { return l.form != nil }

func (l *guestsList) ShortHelp() []key.Binding {
	if l.form != nil {
		return append(l.form.KeyBinds(), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")))
	}
	keys := []key.Binding{l.st.keys.Up, l.st.keys.Down, guestAddKey}
	if len(l.st.a.Guests) > 0 {
		keys = append(keys, guestEditKey, guestRemoveKey)
	}
	return append(keys, guestReviewKey)
}

func (l *guestsList) sizeForm() {
	if l.form != nil {
		used := 2
		if l.problem != "" {
			used += strings.Count(wrapText(l.problem, l.w), "\n") + 1
		}
		l.form.WithWidth(l.w).WithHeight(max(l.h-used, 5))
	}
}

func (l *guestsList) Update(msg tea.Msg) (screen, tea.Cmd) {
	if l.form != nil {
		return l.updateForm(msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return l, nil
	}
	n := len(l.st.a.Guests)
	switch {
	case key.Matches(k, l.st.keys.Up):
		l.cursor = max(l.cursor-1, 0)
	case key.Matches(k, l.st.keys.Down):
		l.cursor = min(l.cursor+1, max(n-1, 0))
	case key.Matches(k, guestAddKey):
		l.problem = ""
		return l, l.open(newGuestDraft(installer.Guest{}, -1))
	case key.Matches(k, guestEditKey) && n > 0:
		l.problem = ""
		return l, l.open(newGuestDraft(l.st.a.Guests[l.cursor], l.cursor))
	case key.Matches(k, guestRemoveKey) && n > 0:
		l.st.a.Guests = slices.Delete(slices.Clone(l.st.a.Guests), l.cursor, l.cursor+1)
		l.cursor = min(l.cursor, max(len(l.st.a.Guests)-1, 0))
	case key.Matches(k, guestReviewKey):
		return l, next
	}
	return l, nil
}

func (l *guestsList) open(d *guestDraft) tea.Cmd {
	l.draft = d
	l.form = huh.NewForm(d.groups(l.st)...).WithTheme(l.st.styles.huh).WithKeyMap(huhKeyMap(l.st.styles.ASCII)).WithShowHelp(false).WithShowErrors(true)
	l.sizeForm()
	return l.form.Init()
}

func (l *guestsList) updateForm(msg tea.Msg) (screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, l.st.keys.Back) {
		l.form, l.draft, l.problem = nil, nil, ""
		return l, nil
	}
	m, cmd := l.form.Update(msg)
	l.form = m.(*huh.Form)
	switch l.form.State {
	case huh.StateCompleted:
		if err := l.commit(); err != nil {
			l.problem = err.Error()
			d := l.draft
			return l, tea.Batch(cmd, l.open(d))
		}
		l.form, l.draft = nil, nil
		return l, cmd
	case huh.StateAborted:
		l.form, l.draft = nil, nil
	}
	return l, cmd
}

// commit puts the draft into the answers when the answers with it are valid on this
// machine; otherwise it returns the draft's problems, each naming its field.
func (l *guestsList) commit() error {
	g, err := l.draft.guest()
	if err != nil {
		return err
	}
	next := l.st.a
	next.Guests = slices.Clone(next.Guests)
	i := l.draft.index
	if i < 0 {
		next.Guests = append(next.Guests, g)
		i = len(next.Guests) - 1
	} else {
		next.Guests[i] = g
	}
	prefix := fmt.Sprintf("guests[%d]", i)
	var msgs []string
	for _, p := range installer.Problems(next.Validate(&l.st.r)) {
		if p.Field == prefix || strings.HasPrefix(p.Field, prefix+".") {
			msgs = append(msgs, fieldLabel(strings.TrimPrefix(strings.TrimPrefix(p.Field, prefix), "."), guestLabels)+": "+p.Err.Error())
		}
	}
	for _, d := range l.declared {
		if d.Name == g.Name {
			msgs = append(msgs, "Name: "+g.Name+" is declared in configuration.nix: choose another name")
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "\n"))
	}
	l.st.a = next
	l.cursor = i
	return nil
}

func (l *guestsList) View() string {
	s := l.st.styles
	if l.form != nil {
		title := "Add a guest"
		if l.draft.index >= 0 {
			title = "Edit the guest " + l.draft.name
		}
		// The problems go above the form, which takes the rest of the screen.
		v := s.Title.Render(title) + "\n"
		if l.problem != "" {
			v += s.Error.Render(wrapText(l.problem, l.w)) + "\n"
		}
		// huh pads a page to the form's height and puts a field's refusal under the padding,
		// below the bottom of the screen: without the padding it is under the field.
		return v + squeezeBlank(l.form.View())
	}
	var b strings.Builder
	b.WriteString(s.Title.Render("Guests of "+l.st.a.Host.Hostname) + "\n\n")
	if len(l.st.a.Guests) == 0 {
		b.WriteString(s.Muted.Render("  No guests managed here yet: press a to add one.") + "\n")
	}
	for i, g := range l.st.a.Guests {
		line := guestLine(g)
		marker := "  "
		if i == l.cursor {
			marker = s.Pointer + " "
			line = s.Selected.Render(line)
		}
		b.WriteString(marker + line + "\n")
	}
	if len(l.declared) > 0 {
		b.WriteString("\n" + s.Section.Render("Declared in configuration.nix (read-only here: edit them there)") + "\n")
		for _, d := range l.declared {
			b.WriteString(s.Disabled.Render("  "+declaredLine(d)) + "\n")
		}
	}
	b.WriteString("\n" + wrapText("Changes are written and applied from the review (r): the guests the switch starts, restarts or stops are listed there, and guests whose PCI devices dom0 must first release get them after the next reboot.", l.w) + "\n")
	return b.String()
}

// guestLine is a guest's line in the list: name, kind, memory, vCPUs and a note.
func guestLine(g installer.Guest) string {
	m := g.Model()
	mem := m.Memory
	if mem == 0 {
		mem = 1024
	}
	return fmt.Sprintf("%-14s %-6s %6dM %2d vCPU  %s", m.Name, m.Kind, mem, max(m.VCPUs, 1), guestNote(m))
}

// declaredLine is a declared guest's line in the list.
func declaredLine(d DeclaredGuest) string {
	return fmt.Sprintf("%-14s %-6s %6dM %2d vCPU", d.Name, d.Kind, d.MemoryMiB, d.VCPUs)
}

// guestNote is the list's last column: disks, network, PCI, autostart.
func guestNote(g guests.Guest) string {
	var parts []string
	if n := len(g.Disks); n > 0 {
		parts = append(parts, fmt.Sprintf("%d disk(s)", n))
	}
	for _, n := range g.Network {
		if n.Address.IsValid() {
			parts = append(parts, n.Address.String())
		}
	}
	if len(g.PCI) > 0 {
		parts = append(parts, fmt.Sprintf("%d PCI", len(g.PCI)))
	}
	if !g.Autostart {
		parts = append(parts, "manual start")
	}
	if !g.Enable {
		parts = append(parts, "disabled")
	}
	return strings.Join(parts, ", ")
}

// guestDraft is what the form edits, as text; guest parses it.
type guestDraft struct {
	index                     int
	base                      installer.Guest
	name, kind, memory, vcpus string
	volume, disk, iso         string
	ipv4, gateway, mac        string
	// extra are the free xl.cfg keys, key=value, ... (extraConfigText).
	extra     string
	pci       []string
	autostart bool
}

const noDisk = ""

func newGuestDraft(g installer.Guest, index int) *guestDraft {
	m := g.Model()
	d := &guestDraft{index: index, base: g, name: g.Name, kind: string(m.Kind), autostart: m.Autostart}
	if g.Memory != 0 {
		d.memory = g.Memory.String()
	}
	if g.VCPUs != 0 {
		d.vcpus = strconv.Itoa(g.VCPUs)
	}
	for _, dk := range g.Disks {
		switch {
		case dk.Volume != "" && d.volume == "":
			d.volume = dk.Size.String()
		case dk.Target != "" && d.disk == "":
			d.disk = dk.Target
		}
	}
	d.iso = g.ISO
	if len(g.Network) > 0 {
		n := g.Network[0]
		if n.IPv4.Address.IsValid() {
			d.ipv4 = n.IPv4.Address.String()
		}
		if n.IPv4.Gateway.IsValid() {
			d.gateway = n.IPv4.Gateway.String()
		}
		d.mac = n.MAC.String()
	}
	for _, p := range g.PCI {
		d.pci = append(d.pci, p.String())
	}
	d.extra = extraConfigText(g.ExtraConfig)
	return d
}

// freeDisks are the disks the guest being edited (index, -1 for a new one) may take whole:
// not the host's, not the installer medium, not in use, not another guest's.
func freeDisks(a installer.Answers, r *hwdetect.Report, index int) []hwdetect.Disk {
	host, _ := installer.TargetDisks(a, *r)
	taken := map[string]bool{}
	for i, g := range a.Guests {
		for _, d := range g.Disks {
			if i != index && d.Target != "" {
				taken[d.Target] = true
			}
		}
	}
	var out []hwdetect.Disk
	for _, d := range r.Disks {
		if !hasStableID(d) || d.InstallerMedium || d.Mounted || taken[d.ByID] || slices.ContainsFunc(host, func(h hwdetect.Disk) bool { return h.Name == d.Name }) {
			continue
		}
		out = append(out, d)
	}
	return out
}

func (d *guestDraft) groups(st *state) []*huh.Group {
	kinds := []huh.Option[string]{
		huh.NewOption("NixOS, built with the host", string(guests.KindNixOS)),
		huh.NewOption("an installer ISO", string(guests.KindISO)),
		huh.NewOption("existing disks", string(guests.KindImage)),
	}
	// One field a page: each page's title is what a flow waits for, and a page is small
	// enough for 80x24 with the problems under it.
	var fields []huh.Field
	if d.index < 0 {
		name := huh.NewInput().Title("Name").Description("one lower-case DNS label, e.g. web")
		if st.opts.Accessible {
			name.Title(plainTitle("Name", "one lower-case DNS label, e.g. web", d.name, false))
		}
		fields = append(fields, name.Value(&d.name).Validate(named("Name", func(s string) error {
			if s == "" && st.opts.Accessible {
				// A plain prompt checks the line as typed; an empty one keeps the name
				// given before (the form asked again after a refusal).
				s = d.name
			}
			if !guests.ValidName(s) {
				return fmt.Errorf("%s is not a guest name (one lower-case DNS label: a-z, 0-9 and inner -, at most 63)", clip(s))
			}
			if _, _, ok := st.a.GuestByName(s); ok {
				return fmt.Errorf("%s exists already", s)
			}
			return nil
		})))
	}
	fields = append(fields,
		huh.NewSelect[string]().Title("Kind").Options(kinds...).Value(&d.kind),
		d.input(st, "Memory", "e.g. 2GiB; empty: 1GiB", &d.memory, d.answersCheck(st, "memory", &d.memory, func(s string) error { _, err := installer.ParseSize(s); return err })),
		d.input(st, "vCPUs", "empty: 1", &d.vcpus, d.answersCheck(st, "vcpus", &d.vcpus, func(s string) error {
			if n, err := strconv.Atoi(s); err != nil || n < 1 {
				return fmt.Errorf("want a whole number of at least 1")
			}
			return nil
		})),
		huh.NewConfirm().Title("Start with the host").Value(&d.autostart),
	)
	diskOpts := []huh.Option[string]{huh.NewOption("none", noDisk)}
	for _, dk := range freeDisks(st.a, &st.r, d.index) {
		diskOpts = append(diskOpts, huh.NewOption(fmt.Sprintf("%s %s %s", dk.Name, installer.Size(dk.SizeBytes).Human(), dk.Model), dk.ByID))
	}
	if d.disk != "" && !slices.ContainsFunc(diskOpts, func(o huh.Option[string]) bool { return o.Value == d.disk }) {
		diskOpts = append(diskOpts, huh.NewOption(d.disk, d.disk))
	}
	fields = append(fields,
		d.input(st, "New volume", fmt.Sprintf("size of a new disk in the guest storage (%s), e.g. 20GiB; empty: none", st.a.GuestKind()), &d.volume, d.answersCheck(st, "disks", &d.volume, func(s string) error { _, err := installer.ParseSize(s); return err })),
		huh.NewSelect[string]().Title("Whole disk").Description("a disk the host does not use").Options(diskOpts...).Value(&d.disk),
		d.input(st, "Installer ISO", "kind ISO: its path on the host, e.g. /var/lib/xen/iso/debian.iso", &d.iso, d.answersCheck(st, "iso", &d.iso, nil)),
		d.input(st, "IPv4 address", "static, with prefix, e.g. 192.0.2.20/24; empty: DHCP", &d.ipv4, d.answersCheck(st, "network[0].ipv4.address", &d.ipv4, func(s string) error { _, err := netip.ParsePrefix(s); return err })),
		d.input(st, "IPv4 gateway", "empty: none", &d.gateway, d.answersCheck(st, "network[0].ipv4.gateway", &d.gateway, func(s string) error { _, err := netip.ParseAddr(s); return err })),
		d.input(st, "MAC address", "empty: a stable one derived in 00:16:3e", &d.mac, d.answersCheck(st, "network[0].mac", &d.mac, func(s string) error { _, err := guests.ParseMAC(s); return err })),
		d.input(st, "Extra xl.cfg keys", `xl.cfg(5) keys XenNix does not set, key=value separated by commas, e.g. viridian=["defaults"], nestedhvm=true; empty: none`, &d.extra, func(s string) error { _, err := parseExtraConfig(s); return err }),
	)
	var groups []*huh.Group
	for _, f := range fields {
		groups = append(groups, huh.NewGroup(f))
	}
	hidden := st.a.Passthrough()
	var pciOpts []huh.Option[string]
	for _, p := range st.r.PCI {
		if strings.HasPrefix(p.Class, "0600") || strings.HasPrefix(p.Class, "0604") {
			continue
		}
		addr := p.Address
		if a, err := guests.ParsePCIAddress(addr); err == nil {
			addr = a.String()
		}
		label := fmt.Sprintf("%s %s", addr, firstNonEmpty(p.DeviceName, p.ClassName, p.Class))
		if p.IOMMUGroup >= 0 {
			label += fmt.Sprintf(" (IOMMU group %d)", p.IOMMUGroup)
		}
		if !slices.Contains(hidden, addr) {
			label += " - after reboot"
		}
		pciOpts = append(pciOpts, huh.NewOption(label, addr))
	}
	if len(pciOpts) > 0 && st.r.IOMMU.Active {
		groups = append(groups, huh.NewGroup(huh.NewMultiSelect[string]().Title(picksTitle(st, "PCI devices", d.pci)).
			Description("passed through; a device dom0 still uses is hidden from the next boot").Options(pciOpts...).Value(&d.pci).Height(8)))
	}
	return groups
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// input is an optional text field of the form, checked by check when not empty. The plain
// prompts show neither the description nor the value, and an empty line keeps the value:
// there the title carries both, and "-" clears the field.
func (d *guestDraft) input(st *state, title, desc string, v *string, check func(string) error) *huh.Input {
	in := huh.NewInput().Title(title).Description(desc).Value(v)
	if check != nil {
		check = named(title, check)
	}
	if !st.opts.Accessible {
		if check != nil {
			in.Validate(optional(check))
		}
		return in
	}
	in.Title(plainTitle(title, desc, *v, true))
	return in.Validate(func(s string) error {
		if strings.TrimSpace(s) == clearMark || check == nil {
			return nil
		}
		return optional(check)(s)
	})
}

// named puts the field's title before its refusals: a refusal names its field wherever it
// is shown (under the field, after a plain prompt, in a log of the session).
func named(title string, check func(string) error) func(string) error {
	return func(s string) error {
		err := check(s)
		if err == nil || strings.HasPrefix(err.Error(), title+":") {
			return err
		}
		return fmt.Errorf("%s: %w", title, err)
	}
}

// guestLabels name the answers' keys of a guest (guests[i].KEY) by the form's fields.
var guestLabels = map[string]string{
	"name": "Name", "kind": "Kind", "memory": "Memory", "vcpus": "vCPUs", "autostart": "Start with the host",
	"disks": "Disks (New volume, Whole disk)", "iso": "Installer ISO", "network": "Network",
	"network[0].ipv4.address": "IPv4 address", "network[0].ipv4": "IPv4 address", "network[0].ipv4.gateway": "IPv4 gateway",
	"network[0].mac": "MAC address", "pci": "PCI devices", "extra_config": "Extra xl.cfg keys",
}

// answersCheck checks a field as typed (parse, its own syntax, first), then by the
// answers' validation on this machine with the value in the draft: the problems of key
// (guests[i].key or under it) are refused at the field, not when the form is done.
func (d *guestDraft) answersCheck(st *state, key string, v *string, parse func(string) error) func(string) error {
	return func(s string) error {
		if parse != nil {
			if err := parse(s); err != nil {
				return err
			}
		}
		old := *v
		defer func() { *v = old }()
		*v = s
		g, err := d.guest()
		if err != nil {
			return nil // another field's problem: the form's end names it
		}
		next := st.a
		next.Guests = slices.Clone(next.Guests)
		i := d.index
		if i < 0 {
			next.Guests = append(next.Guests, g)
			i = len(next.Guests) - 1
		} else {
			next.Guests[i] = g
		}
		field := fmt.Sprintf("guests[%d].%s", i, key)
		for _, p := range installer.Problems(next.Validate(&st.r)) {
			if inSection(p.Field, field) {
				return p.Err
			}
		}
		return nil
	}
}

// clearMark, typed at a plain prompt, empties an optional field (an empty line keeps it).
const clearMark = "-"

// plainTitle is a field's title at a plain prompt: the title, the description and the
// value an empty line keeps.
func plainTitle(title, desc, cur string, clearable bool) string {
	var parts []string
	if desc = strings.TrimSuffix(strings.TrimSpace(desc), "."); desc != "" {
		parts = append(parts, desc)
	}
	if cur = plainShown(cur); cur != "" {
		now := "now " + cur + ", Enter keeps it"
		if clearable {
			now += ", " + clearMark + " empties it"
		}
		parts = append(parts, now)
	}
	if len(parts) == 0 {
		return title
	}
	return title + " (" + strings.Join(parts, "; ") + ")"
}

// plainShown is a value as a prompt's title shows it: on one line, a long line (an SSH
// key) cut in its middle.
func plainShown(v string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(v), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if r := []rune(l); len(r) > 60 {
			l = string(r[:24]) + "..." + string(r[len(r)-24:])
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, ", ")
}

// plainValue is a field's text, with the plain prompts' clearMark read as empty.
func plainValue(s string) string {
	s = strings.TrimSpace(s)
	if s == clearMark {
		return ""
	}
	return s
}

// optional validates only what was typed: empty keeps the default.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return check(strings.TrimSpace(s))
	}
}

// guest turns the draft into an answers guest, keeping what the form does not show (more
// disks and interfaces, SSH keys, ...) from the guest it edits.
func (d *guestDraft) guest() (installer.Guest, error) {
	g := d.base
	g.Name = strings.TrimSpace(d.name)
	g.Kind = guests.Kind(d.kind)
	if g.Kind == guests.KindNixOS && d.base.Kind == "" {
		g.Kind = ""
	}
	var err error
	g.Memory = 0
	if s := plainValue(d.memory); s != "" {
		if g.Memory, err = installer.ParseSize(s); err != nil {
			return g, fmt.Errorf("memory: %w", err)
		}
	}
	g.VCPUs = 0
	if s := plainValue(d.vcpus); s != "" {
		g.VCPUs, _ = strconv.Atoi(s)
	}
	g.Autostart = nil
	if !d.autostart {
		off := false
		g.Autostart = &off
	}
	// The first volume and the first whole disk are the form's; others are kept.
	var disks []installer.GuestDisk
	volDone, diskDone := false, false
	for _, dk := range d.base.Disks {
		switch {
		case dk.Volume != "" && !volDone:
			volDone = true
			if s := plainValue(d.volume); s != "" {
				z, err := installer.ParseSize(s)
				if err != nil {
					return g, fmt.Errorf("new volume: %w", err)
				}
				dk.Size = z
				disks = append(disks, dk)
			}
		case dk.Target != "" && strings.HasPrefix(dk.Target, "/dev/disk/by-id/") && !diskDone:
			diskDone = true
			if d.disk != noDisk {
				dk.Target = d.disk
				disks = append(disks, dk)
			}
		default:
			disks = append(disks, dk)
		}
	}
	if s := plainValue(d.volume); s != "" && !volDone {
		z, err := installer.ParseSize(s)
		if err != nil {
			return g, fmt.Errorf("new volume: %w", err)
		}
		name := "disk"
		if g.Kind == guests.KindNixOS || g.Kind == "" {
			name = "var"
		}
		disks = append(disks, installer.GuestDisk{Volume: name, Size: z})
	}
	if d.disk != noDisk && !diskDone {
		disks = append(disks, installer.GuestDisk{Target: d.disk})
	}
	g.Disks = disks
	g.ISO = plainValue(d.iso)
	nic := installer.GuestInterface{}
	if len(g.Network) > 0 {
		nic = g.Network[0]
	}
	nic.IPv4 = installer.GuestIPv4{}
	if s := plainValue(d.ipv4); s != "" {
		if nic.IPv4.Address, err = netip.ParsePrefix(s); err != nil {
			return g, fmt.Errorf("IPv4 address: %w", err)
		}
	}
	if s := plainValue(d.gateway); s != "" {
		if nic.IPv4.Gateway, err = netip.ParseAddr(s); err != nil {
			return g, fmt.Errorf("IPv4 gateway: %w", err)
		}
	}
	nic.MAC = guests.MAC{}
	if s := plainValue(d.mac); s != "" {
		if nic.MAC, err = guests.ParseMAC(s); err != nil {
			return g, fmt.Errorf("MAC address: %w", err)
		}
	}
	if nic.Bridge != "" || !nic.MAC.IsZero() || nic.VLAN != 0 || nic.IPv4 != (installer.GuestIPv4{}) || len(g.Network) > 0 {
		if len(g.Network) == 0 {
			g.Network = []installer.GuestInterface{nic}
		} else {
			g.Network = slices.Clone(g.Network)
			g.Network[0] = nic
		}
	}
	if g.ExtraConfig, err = parseExtraConfig(plainValue(d.extra)); err != nil {
		return g, fmt.Errorf("extra xl.cfg keys: %w", err)
	}
	g.PCI = nil
	for _, p := range d.pci {
		a, err := guests.ParsePCIAddress(p)
		if err != nil {
			return g, fmt.Errorf("PCI: %w", err)
		}
		g.PCI = append(g.PCI, a)
	}
	return g, nil
}

// squeezeBlank collapses each run of blank lines into one.
func squeezeBlank(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, line := range lines {
		b := strings.TrimSpace(ansi.Strip(line)) == ""
		if b && blank {
			continue
		}
		blank = b
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
