package tui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// SetupOptions configure RunSetup, the TUI of xennix-setup over an installed host's answers.
type SetupOptions struct {
	// Report is the machine's hardware.
	Report hwdetect.Report
	// Answers are the host's current answers, the starting point.
	Answers installer.Answers
	// Diff shows what applying the answers would change: a unified diff of the files and how
	// the change is activated. An error (a layout change, a problem) is shown instead.
	Diff func(a installer.Answers) (string, error)
	// Apply writes the answers and rebuilds; its text is shown when it returns.
	Apply func(ctx context.Context, a installer.Answers) (string, error)
	// Input and Output are the terminal (default stdin and stdout).
	Input  io.Reader
	Output io.Writer
	// Getenv reads NO_COLOR and TERM (default os.Getenv).
	Getenv func(string) string
	// ProgramOptions are extra bubbletea options (tests).
	ProgramOptions []tea.ProgramOption
	// Accessible replaces the screens with plain sequential prompts (huh's accessible
	// mode), read line by line from Input, which need not be a terminal.
	Accessible bool
	// Declared are the guests the user declares in Nix (from the manifest, not the tool's):
	// the guests list shows them, read-only.
	Declared []DeclaredGuest
}

// setupOrder are the screens of xennix-setup: the installer's question screens without
// the disks and storage, between a host summary (in the welcome slot) and a review of the
// changes (in the review slot), with the guests list before the review.
var setupOrder = []screenID{scrWelcome, scrNetwork, scrXen, scrImpermanence, scrHost, scrGuests, scrReview}

// scrGuests is the slot of the guests list in xennix-setup: the storage screen's, which
// xennix-setup never shows (the disk layout cannot change there).
const scrGuests = scrStorage

var setupTitles = map[screenID]string{scrWelcome: "This host", scrGuests: "Guests", scrReview: "Review changes"}

// RunSetup lets the operator change an installed host's answers with the installer's
// screens, shows the diff and applies it on confirmation. It returns the answers as
// edited, and ErrQuit when the operator quit (nothing was applied) or an Apply error.
func RunSetup(ctx context.Context, o SetupOptions) (installer.Answers, error) {
	defaultTerminal(&o.Input, &o.Output, &o.Getenv)
	if o.Accessible {
		return runSetupAccessible(ctx, o)
	}
	return runScreens(ctx, newSetupApp(ctx, o), o.Input, o.Output, o.ProgramOptions, o.Answers)
}

// setupApp is the installer's root model with the setup screens, and its own header.
type setupApp struct {
	*app
	rev *setupReview
}

func newSetupApp(ctx context.Context, o SetupOptions) *setupApp {
	m := newApp(ctx, Options{Report: o.Report, Base: o.Answers, Input: o.Input, Output: o.Output, Getenv: o.Getenv, ProgramOptions: o.ProgramOptions})
	rev := &setupReview{st: m.st, o: o, w: 80, h: 21, vp: viewport.New()}
	rev.vp.SoftWrap = true // a diff line or the rebuild's output wraps instead of being cut
	m.screens[scrWelcome] = &setupHost{st: m.st, w: 80, h: 21}
	m.screens[scrGuests] = &guestsList{st: m.st, declared: o.Declared, w: 80, h: 21}
	m.screens[scrReview] = rev
	m.order = setupOrder
	m.cur = 0
	m.st.setup = true
	m.resize(m.w, m.h)
	return &setupApp{app: m, rev: rev}
}

func (m *setupApp) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.st.keys.Quit) {
		switch {
		case m.rev.applying:
			// While Apply runs the rebuild is not interrupted from here.
			return m, nil
		case m.rev.done && !m.asking:
			// Applied (or failed): leaving says so, not that nothing was changed.
			m.err = m.rev.applyErr
			return m, tea.Quit
		}
	}
	_, cmd := m.app.Update(msg)
	return m, cmd
}

func (m *setupApp) View() tea.View {
	v := m.app.View()
	v.WindowTitle = "XenNix setup"
	body := m.app.render()
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = m.header() + body[i:]
	}
	if m.asking && !m.rev.done {
		// The installer's question speaks of disks; here nothing has been written yet.
		body = strings.Replace(body, "Quit the installer? Nothing has been written to any disk.", "Quit xennix-setup? Nothing has been changed.", 1)
	}
	v.SetContent(body)
	return v
}

// render is the whole screen with the setup header (tests).
func (m *setupApp) render() string { return m.View().Content }

func (m *setupApp) header() string {
	s := m.st.styles
	id := m.activeID()
	title, ok := setupTitles[id]
	if !ok {
		title = screenTitles[id]
	}
	head := fmt.Sprintf(" XenNix setup %s %s (%d/%d)", dash(s), title, m.cur+1, len(m.order))
	pad := max(m.w-ansi.StringWidth(head), 0)
	return s.Header.Render(ansi.Truncate(head+strings.Repeat(" ", pad), m.w, ""))
}

// setupHost is the first screen: the host, what can be changed, and the disk layout,
// which cannot.
type setupHost struct {
	st   *state
	w, h int
}

func (s *setupHost) Enter() tea.Cmd           { return nil }
func (s *setupHost) SetSize(w, h int)         { s.w, s.h = w, h }
func (s *setupHost) ShortHelp() []key.Binding { return []key.Binding{s.st.keys.Next} }

func (s *setupHost) Update(msg tea.Msg) (screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, s.st.keys.Next) {
		return s, next
	}
	return s, nil
}

func (s *setupHost) View() string {
	st := s.st.styles
	a := s.st.a
	var b strings.Builder
	b.WriteString(st.Title.Render("Change this XenNix host: "+a.Host.Hostname) + "\n\n")
	for _, l := range hardwareLines(s.st.r) {
		b.WriteString(hang("  "+st.Label.Render(fmt.Sprintf("%-9s", l[0]))+" ", l[1], s.w) + "\n")
	}
	b.WriteString("\n" + wrapText("Disk layout (not changeable here): "+layoutSummary(a, &s.st.r), s.w) + "\n")
	b.WriteString("\n" + wrapText("You can change the network, Xen's share of the machine and PCI passthrough, the persisted paths, the host name and logins, and the guests. Nothing is written until you apply the changes on the last screen.", s.w) + "\n")
	return b.String()
}

// layoutSummary is the disk layout in one line: storage, swap, guests and the disks.
func layoutSummary(a installer.Answers, r *hwdetect.Report) string {
	var b strings.Builder
	b.WriteString(string(a.Storage.Preset))
	if a.Storage.Mirror {
		b.WriteString(" mirror")
	}
	if a.Storage.Encryption.Enabled {
		b.WriteString(", encrypted")
	}
	if a.Storage.Swap != 0 {
		fmt.Fprintf(&b, ", %s swap", a.Storage.Swap)
	} else {
		b.WriteString(", no swap")
	}
	fmt.Fprintf(&b, ", guests: %s", a.GuestKind())
	var disks []string
	if ds, err := installer.TargetDisks(a, *r); err == nil {
		for _, d := range ds {
			disks = append(disks, fmt.Sprintf("%s (%s)", d.Name, installer.Size(d.SizeBytes).Human()))
		}
	}
	if len(disks) == 0 {
		disks = a.Disks.IDs
	}
	if len(disks) > 0 {
		b.WriteString(" on " + strings.Join(disks, " + "))
	}
	return b.String()
}

// applyKey applies the changes on the setup review.
var applyKey = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "apply the changes"))

// applied is Apply's answer.
type appliedMsg struct {
	out string
	err error
}

// setupReview shows the diff of the files and how it will be activated, and applies it.
type setupReview struct {
	st       *state
	o        SetupOptions
	vp       viewport.Model
	diff     string
	diffErr  error
	applying bool
	done     bool
	out      string
	applyErr error
	w, h     int
}

func (r *setupReview) Enter() tea.Cmd {
	r.diff, r.diffErr = "", nil
	if r.o.Diff == nil {
		r.diffErr = fmt.Errorf("no diff: this build cannot compare answers")
	} else {
		r.diff, r.diffErr = r.o.Diff(r.st.a)
	}
	r.vp.SetContent(r.content())
	r.vp.GotoTop()
	return nil
}

func (r *setupReview) SetSize(w, h int) {
	r.w, r.h = w, h
	r.vp.SetWidth(w)
	r.vp.SetHeight(max(h-1, 3))
	r.vp.SetContent(r.content())
}

// UsesEsc is true while applying and after a successful apply: there is no going back.
// After a failed apply Esc goes back to the screens, every edit kept, to change them.
func (r *setupReview) UsesEsc() bool { return r.applying || (r.done && r.applyErr == nil) }

// Leave forgets a failed apply, for another try after changing the answers.
func (r *setupReview) Leave() { r.done, r.applyErr, r.out = false, nil, "" }

func (r *setupReview) canApply() bool {
	return r.diffErr == nil && strings.TrimSpace(r.diff) != "" && !r.applying && !r.done
}

func (r *setupReview) ShortHelp() []key.Binding {
	k := r.st.keys
	switch {
	case r.applying:
		return nil
	case r.done && r.applyErr != nil:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "exit")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to change them"))}
	case r.done:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "exit"))}
	case r.canApply():
		return []key.Binding{k.Up, k.Down, k.PageDown, applyKey}
	}
	return []key.Binding{k.Up, k.Down}
}

func (r *setupReview) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case appliedMsg:
		r.applying, r.done = false, true
		r.out, r.applyErr = msg.out, msg.err
		r.vp.SetContent(r.content())
		r.vp.GotoBottom()
		return r, nil
	case tea.KeyPressMsg:
		switch {
		case r.applying:
			return r, nil
		case r.done && key.Matches(msg, r.st.keys.Next):
			err := r.applyErr
			return r, func() tea.Msg { return quitMsg{err: err} }
		case r.canApply() && key.Matches(msg, applyKey):
			r.applying = true
			r.vp.SetContent(r.content())
			r.vp.GotoBottom()
			ctx, a, apply := r.st.ctx, r.st.a, r.o.Apply
			return r, func() tea.Msg {
				if apply == nil {
					return appliedMsg{err: fmt.Errorf("no apply: this build cannot change the host")}
				}
				out, err := apply(ctx, a)
				return appliedMsg{out: out, err: err}
			}
		}
	}
	var cmd tea.Cmd
	r.vp, cmd = r.vp.Update(msg)
	return r, cmd
}

func (r *setupReview) content() string {
	s := r.st.styles
	var b strings.Builder
	switch {
	case r.diffErr != nil:
		b.WriteString(s.Error.Render("These answers cannot be applied:") + "\n\n")
		probs := installer.Problems(r.diffErr)
		if len(probs) == 0 {
			b.WriteString(wrapText(r.diffErr.Error(), r.w) + "\n")
		}
		for _, p := range probs {
			b.WriteString(wrapText("! "+p.Error(), r.w) + "\n")
		}
		b.WriteString("\nPress Esc to go back and change them.\n")
		return b.String()
	case strings.TrimSpace(r.diff) == "":
		b.WriteString("Nothing to change: the answers are those of the host.\nPress Esc to go back, or ctrl+c to leave.\n")
		return b.String()
	}
	b.WriteString(wrapDiff(strings.TrimRight(r.diff, "\n"), r.w) + "\n")
	switch {
	case r.applying:
		b.WriteString("\n" + s.Warn.Render("Applying: writing the files and rebuilding...") + "\n")
	case r.done && r.applyErr != nil:
		b.WriteString("\n" + s.Error.Render(wrapText("Apply failed: "+r.applyErr.Error(), r.w)) + "\n")
		if r.out != "" {
			b.WriteString(strings.TrimRight(r.out, "\n") + "\n")
		}
		b.WriteString("Press Esc to go back and change the answers (nothing is lost), or enter to exit.\n")
	case r.done:
		b.WriteString("\n" + s.Title.Render("Applied.") + "\n")
		if r.out != "" {
			b.WriteString(strings.TrimRight(r.out, "\n") + "\n")
		}
		b.WriteString("Press enter to exit.\n")
	}
	return b.String()
}

func (r *setupReview) View() string {
	s := r.st.styles
	foot := fmt.Sprintf("%3.0f%%  press a to apply these changes", r.vp.ScrollPercent()*100)
	switch {
	case r.applying:
		foot = "applying..."
	case r.done && r.applyErr != nil:
		foot = "esc: back to the answers; enter: exit"
	case r.done:
		foot = "press enter to exit"
	case !r.canApply():
		foot = fmt.Sprintf("%3.0f%%", r.vp.ScrollPercent()*100)
	}
	return r.vp.View() + "\n" + s.Muted.Render(foot)
}
