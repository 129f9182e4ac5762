package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// screenID names the screens in the order they are shown.
type screenID int

const (
	scrWelcome screenID = iota
	scrDisks
	scrStorage
	scrImpermanence
	scrNetwork
	scrXen
	scrHost
	scrReview
	scrProgress
	scrDone
	numScreens
)

var screenTitles = [numScreens]string{"Welcome", "Disks", "Storage", "Impermanence", "Network", "Xen", "Host and users", "Review", "Install", "Done"}

// screen is one step of the installer: a small model the root model routes to.
type screen interface {
	// Enter is called each time the screen becomes active, also when coming back to it.
	Enter() tea.Cmd
	Update(msg tea.Msg) (screen, tea.Cmd)
	View() string
	ShortHelp() []key.Binding
	SetSize(w, h int)
}

// escUser is a screen that uses Esc itself at times (leaving a filter, a sub-page).
type escUser interface{ UsesEsc() bool }

// Messages from screens to the root model.
type (
	nextMsg struct{}
	backMsg struct{}
	errMsg  struct{ err error }
	// quitMsg ends the program; err becomes Run's error.
	quitMsg struct{ err error }
)

func next() tea.Msg { return nextMsg{} }
func back() tea.Msg { return backMsg{} }

// state is what the screens share: the answers being edited and what came of them.
type state struct {
	ctx    context.Context
	opts   Options
	r      hwdetect.Report
	a      installer.Answers
	styles Styles
	keys   keyMap
	// passphrase is the encryption passphrase: it is written to KeyFile at install time
	// and never stored in the answers.
	passphrase string
	plan       installer.Plan
	confirmed  []string
	result     InstallResult
	installErr error
	// w is the terminal's width.
	w int
	// setup is true in xennix-setup.
	setup bool
	// tried is set once Enter was pressed on the page shown: a field that starts out
	// wrong (no bond members picked yet) is not refused before the operator tried it.
	tried bool
}

// app is the root model: the screens, the active one, resize fan-out, the global keys and
// the footer with the active screen's help.
type app struct {
	st       *state
	screens  [numScreens]screen
	order    []screenID
	cur      int
	w, h     int
	status   string
	asking   bool // ctrl+c: asking whether to quit
	showHelp bool
	scroll   int // first line of a body taller than the screen
	help     help.Model
	err      error
	cancel   context.CancelFunc
}

func newApp(ctx context.Context, o Options) *app {
	ctx, cancel := context.WithCancel(ctx)
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	st := &state{ctx: ctx, opts: o, r: o.Report, a: o.Base, styles: NewStyles(getenv), keys: newKeyMap()}
	m := &app{st: st, w: 80, h: 24, cancel: cancel, help: help.New()}
	m.help.Styles.ShortKey = st.styles.Label
	m.help.Styles.ShortDesc = st.styles.Help
	m.help.Styles.ShortSeparator = st.styles.Help
	m.help.Styles.FullKey = st.styles.Label
	m.help.Styles.FullDesc = st.styles.Help
	m.help.Styles.Ellipsis = st.styles.Help
	if st.styles.ASCII {
		m.help.ShortSeparator, m.help.Ellipsis = " | ", "..."
		st.keys.asciiHelp()
	}
	m.screens = [numScreens]screen{
		scrWelcome:      newWelcome(st),
		scrDisks:        newDisks(st),
		scrStorage:      newFormScreen(st, &storageForm{st: st}),
		scrImpermanence: newFormScreen(st, &impermanenceForm{st: st}),
		scrNetwork:      newFormScreen(st, &networkForm{st: st}),
		scrXen:          newFormScreen(st, &xenForm{st: st}),
		scrHost:         newFormScreen(st, &hostForm{st: st}),
		scrReview:       newReview(st),
		scrProgress:     newProgress(st),
		scrDone:         newDone(st),
	}
	m.order = screensFor(o.Base, &o.Report)
	m.resize(m.w, m.h)
	return m
}

// width is the screen's width, for text wrapped outside a screen's View.
func (st *state) width() int { return max(st.w, 20) }

func (m *app) Init() tea.Cmd { return m.active().Enter() }

func (m *app) active() screen { return m.screens[m.order[m.cur]] }

func (m *app) activeID() screenID { return m.order[m.cur] }

func (m *app) bodyHeight() int { return max(m.h-3, 3) }

func (m *app) resize(w, h int) {
	m.w, m.h = w, h
	m.st.w = w
	m.help.SetWidth(w)
	for _, s := range m.screens {
		s.SetSize(w, m.bodyHeight())
	}
}

func (m *app) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, nil
	case tea.KeyPressMsg:
		if m.asking {
			switch {
			// y, or Ctrl+C a second time, quits; n, Esc or Enter (the default, N) go on.
			case key.Matches(msg, m.st.keys.Yes), key.Matches(msg, m.st.keys.Quit):
				m.cancel()
				m.err = ErrQuit
				return m, tea.Quit
			case key.Matches(msg, m.st.keys.No), key.Matches(msg, m.st.keys.Next):
				m.asking = false
			}
			return m, nil
		}
		switch {
		case key.Matches(msg, m.st.keys.Quit):
			m.asking = true
			return m, nil
		case key.Matches(msg, m.st.keys.Help):
			m.showHelp, m.scroll = !m.showHelp, 0
			return m, nil
		case key.Matches(msg, m.st.keys.PageDown) && m.overflows():
			m.scroll += m.bodyHeight() - 2
			return m, nil
		case key.Matches(msg, m.st.keys.PageUp) && m.overflows():
			m.scroll -= m.bodyHeight() - 2
			return m, nil
		case m.showHelp:
			// The help covers the screen: Esc closes it, and no key reaches the screen unseen.
			if key.Matches(msg, m.st.keys.Back) {
				m.showHelp = false
			}
			return m, nil
		case key.Matches(msg, m.st.keys.Back):
			if u, ok := m.active().(escUser); ok && u.UsesEsc() {
				break
			}
			return m, back
		}
		m.status = ""
	case nextMsg:
		m.status = ""
		if m.cur+1 >= len(m.order) {
			return m, tea.Quit
		}
		m.cur++
		m.scroll = 0
		return m, m.active().Enter()
	case backMsg:
		id := m.activeID()
		if m.cur == 0 || id == scrProgress || id == scrDone {
			return m, nil
		}
		m.status = ""
		if l, ok := m.active().(interface{ Leave() }); ok {
			l.Leave()
		}
		m.cur--
		m.scroll = 0
		return m, m.active().Enter()
	case errMsg:
		m.status = msg.err.Error()
		return m, nil
	case quitMsg:
		m.err = msg.err
		return m, tea.Quit
	}
	s, cmd := m.active().Update(msg)
	m.screens[m.activeID()] = s
	return m, cmd
}

func (m *app) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "XenNix installer"
	return v
}

// render draws the whole screen: header, the active screen's body, status and help.
func (m *app) render() string {
	s := m.st.styles
	id := m.activeID()
	head := fmt.Sprintf(" XenNix installer %s %s", dash(s), screenTitles[id])
	if id < scrProgress {
		head += fmt.Sprintf(" (%d/%d)", m.cur+1, m.countQuestions())
	}
	right := ""
	if m.st.opts.DryRun {
		right = "DRY RUN "
	}
	pad := max(m.w-ansi.StringWidth(head)-ansi.StringWidth(right), 1)
	header := s.Header.Render(ansi.Truncate(head+strings.Repeat(" ", pad)+right, m.w, ""))

	body := m.active().View()
	if m.showHelp {
		body = m.fullHelp()
	}
	body = m.window(body)
	status := ""
	switch {
	case m.asking && id == scrProgress && m.st.installErr == nil && !m.progressFinished():
		status = s.Status.Render("Stop the install? Steps done are kept; `xennix install --resume` continues. [y/N]")
	case m.asking && id < scrProgress:
		status = s.Status.Render("Quit the installer? Nothing has been written to any disk. [y/N]")
	case m.asking:
		status = s.Status.Render("Quit the installer? [y/N]")
	case m.status != "":
		status = s.Error.Render(m.status)
	}
	foot := m.footer(m.active().ShortHelp(), id != scrWelcome && id < scrProgress)
	return header + "\n" + fit(body, m.w, m.bodyHeight()) + "\n" + fit(status, m.w, 1) + "\n" + fit(foot, m.w, 1)
}

// footer is the help line: the screen's keys, then back, help and quit. A key the screen
// binds itself is listed once, with the screen's meaning; when the line is too long the
// screen's first keys give way (F1 lists them all), never help and quit.
func (m *app) footer(screenKeys []key.Binding, withBack bool) string {
	var keys []key.Binding
	seen := map[string]bool{}
	for _, k := range screenKeys {
		if k.Enabled() && !seen[k.Help().Key] {
			seen[k.Help().Key] = true
			keys = append(keys, k)
		}
	}
	var tail []key.Binding
	if withBack && !seen[m.st.keys.Back.Help().Key] {
		tail = append(tail, m.st.keys.Back)
	}
	tail = append(tail, m.st.keys.Help, m.st.keys.Quit)
	view := func(ks []key.Binding) string {
		h := m.help
		h.SetWidth(0)
		return h.ShortHelpView(append(append([]key.Binding{}, ks...), tail...))
	}
	// Moving about and selecting all are the first to give way, then the screen's first keys.
	minor := func(k key.Binding) bool {
		switch k.Help().Desc {
		case "up", "down", "filter", "select all", "select none", "page up", "page down", "open editor", "prev file", "next file":
			return true
		}
		return false
	}
	for i := 0; i < len(keys) && ansi.StringWidth(view(keys)) > m.w; {
		if minor(keys[i]) {
			keys = append(keys[:i:i], keys[i+1:]...)
			continue
		}
		i++
	}
	for len(keys) > 1 && ansi.StringWidth(view(keys)) > m.w {
		keys = keys[1:]
	}
	return view(keys)
}

// overflows reports whether the body drawn is taller than the screen (then the app scrolls it).
func (m *app) overflows() bool {
	body := m.active().View()
	if m.showHelp {
		body = m.fullHelp()
	}
	return strings.Count(strings.TrimRight(body, "\n"), "\n")+1 > m.bodyHeight()
}

func (m *app) progressFinished() bool {
	p, ok := m.screens[scrProgress].(*progress)
	return ok && p.finished
}

func (m *app) countQuestions() int {
	n := 0
	for _, id := range m.order {
		if id < scrProgress {
			n++
		}
	}
	return n
}

// fullHelp is F1: what the screen decides, its keys, and where things are.
func (m *app) fullHelp() string {
	s := m.st.styles
	id := m.activeID()
	var b strings.Builder
	text, title := screenHelp[id], screenTitles[id]
	if m.st.setup {
		if t, ok := setupHelp[id]; ok {
			text = t
		}
		if t, ok := setupTitles[id]; ok {
			title = t
		}
	}
	b.WriteString(s.Title.Render(title) + "\n")
	b.WriteString(wrapText(text, m.w) + "\n\n")
	b.WriteString(s.Title.Render("Keys") + "\n")
	seen := map[string]bool{}
	all := append(append([]key.Binding{}, m.active().ShortHelp()...), m.st.keys.Back, m.st.keys.Help, m.st.keys.Quit)
	for _, k := range all {
		h := k.Help()
		if !k.Enabled() || seen[h.Key] {
			continue
		}
		seen[h.Key] = true
		desc := h.Desc
		if k.Help() == m.st.keys.Back.Help() {
			desc = "back one page or screen, keeping what you entered"
		}
		b.WriteString(hang(fmt.Sprintf("  %-12s ", h.Key), desc, m.w) + "\n")
	}
	b.WriteString("\n")
	if m.st.setup {
		b.WriteString(wrapText("Nothing on this host changes until you apply on the last screen. F1 or Esc closes this help.", m.w) + "\n")
	} else {
		b.WriteString(wrapText("Nothing is written to any disk before you confirm the disks by name on the review screen. The install log is "+installer.WorkDir+"/install.log; another console (Alt+F2) has a shell. F1 or Esc closes this help.", m.w) + "\n")
	}
	return b.String()
}

func dash(s Styles) string {
	if s.ASCII {
		return "-"
	}
	return "—"
}

// window shows a body taller than the screen a part at a time: PgUp and PgDn scroll it,
// and the last line says there is more, so that nothing is cut off at the bottom.
func (m *app) window(body string) string {
	lines := strings.Split(strings.TrimRight(body, "\n"), "\n")
	h := m.bodyHeight()
	if len(lines) <= h {
		m.scroll = 0
		return body
	}
	m.scroll = min(max(m.scroll, 0), len(lines)-(h-1))
	shown := lines[m.scroll : m.scroll+h-1]
	more := "pgdn: more below"
	switch {
	case m.scroll+h-1 >= len(lines):
		more = "pgup: more above"
	case m.scroll > 0:
		more = "pgup/pgdn: more above and below"
	}
	return strings.Join(shown, "\n") + "\n" + m.st.styles.Muted.Render(fmt.Sprintf("-- %s (lines %d-%d of %d) --", more, m.scroll+1, m.scroll+h-1, len(lines)))
}

// fit makes text exactly h lines of at most w cells: long lines are cut, missing lines are
// blank, so that the footer stays at the bottom whatever a screen draws.
func fit(text string, w, h int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(strings.TrimRight(l, " "), w, "")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
