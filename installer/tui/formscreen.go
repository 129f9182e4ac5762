package tui

import (
	"errors"
	"reflect"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"github.com/xennix/xennix/installer"
)

// page is one huh group of a form screen, built afresh each time it is shown so that its
// options follow what earlier pages chose. show says whether it applies (nil: always).
type page struct {
	show  func() bool
	build func() *huh.Group
}

// formSpec is what a form screen asks: its pages over a draft, and how the draft is read
// from and written to the answers. The accessible mode runs the same pages as plain prompts.
type formSpec interface {
	// load fills the draft from the answers.
	load()
	pages() []page
	// apply writes the draft into the answers; an error keeps the operator on the screen.
	// It writes whatever parses even when it fails, so going back keeps what was typed.
	apply() error
	// intro is text above the form; live is shown under it and re-evaluated after every
	// key (validation as you type), leaving out shown, the refusal the focused field shows
	// already.
	intro() string
	live(shown string) string
	// labels name the screen's fields by the answers' keys (longest prefix wins), so that a
	// refusal names the field the operator sees, not a key of the answers file.
	labels() map[string]string
}

// formScreen shows a formSpec one page at a time; Esc goes to the previous page, or back to
// the previous screen from the first.
type formScreen struct {
	st      *state
	spec    formSpec
	pages   []page
	idx     int
	form    *huh.Form
	w, h    int
	problem string
	// preFilter is the focused list's value before its filter started.
	preFilter any
}

func newFormScreen(st *state, spec formSpec) *formScreen {
	return &formScreen{st: st, spec: spec, w: 80, h: 21}
}

func (f *formScreen) Enter() tea.Cmd {
	f.spec.load()
	f.pages = f.spec.pages()
	f.problem = ""
	return f.open(f.nextShown(-1, 1))
}

// nextShown is the index of the first page after (dir 1) or before (dir -1) i that applies,
// or -1 (before the first) / len(pages) (after the last).
func (f *formScreen) nextShown(i, dir int) int {
	for i += dir; i >= 0 && i < len(f.pages); i += dir {
		if p := f.pages[i]; p.show == nil || p.show() {
			return i
		}
	}
	return i
}

func (f *formScreen) open(i int) tea.Cmd {
	f.idx = i
	f.st.tried = false
	if i < 0 || i >= len(f.pages) {
		f.form = nil
		return nil
	}
	f.form = f.st.newForm(f.pages[i].build())
	f.sizeForm()
	return f.form.Init()
}

// newForm wraps one group in a form with the installer's theme; the footer shows the help.
func (st *state) newForm(g *huh.Group) *huh.Form {
	return huh.NewForm(g).WithTheme(st.styles.huh).WithKeyMap(huhKeyMap(st.styles.ASCII)).WithShowHelp(false).WithShowErrors(true)
}

func (f *formScreen) sizeForm() {
	if f.form == nil {
		return
	}
	used := lipgloss.Height(f.spec.intro()) + 3
	f.form.WithWidth(f.w).WithHeight(max(f.h-used, 5))
	// huh draws a page only in Update: without one, a resized page keeps the old wrapping.
	m, _ := f.form.Update(redrawMsg{})
	f.form = m.(*huh.Form)
}

// redrawMsg makes a huh form draw its page again, at its new size.
type redrawMsg struct{}

func (f *formScreen) SetSize(w, h int) {
	f.w, f.h = w, h
	f.sizeForm()
}

// UsesEsc is true on a later page (Esc returns to the page before) and while a select
// list is being filtered (Esc clears the filter).
func (f *formScreen) UsesEsc() bool {
	if f.form == nil {
		return false
	}
	if fl, ok := f.form.GetFocusedField().(interface{ GetFiltering() bool }); ok && fl.GetFiltering() {
		return true
	}
	return f.nextShown(f.idx, -1) >= 0
}

func (f *formScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	if f.form == nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, f.st.keys.Next) {
			return f, f.finish()
		}
		return f, nil
	}
	if f.form.State != huh.StateNormal {
		// The last page was completed (or aborted) and the move to the next screen is on
		// its way: a message that lands before it (the cursor's blink, a late command's,
		// a key typed fast) must not complete the page a second time and skip a screen.
		return f, nil
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		fld := f.form.GetFocusedField()
		fl, filterable := fld.(interface{ GetFiltering() bool })
		switch {
		case filterable && fl.GetFiltering() && key.Matches(k, f.st.keys.Back):
			f.cancelFilter(fld)
			return f, nil
		case key.Matches(k, f.st.keys.Back):
			return f, f.open(f.nextShown(f.idx, -1))
		case filterable && !fl.GetFiltering():
			// What the list holds before a filter starts, for Esc to come back to.
			f.preFilter = fld.GetValue()
		}
		if key.Matches(k, f.st.keys.Next) {
			f.st.tried = true
		}
	}
	m, cmd := f.form.Update(msg)
	f.form = m.(*huh.Form)
	switch f.form.State {
	case huh.StateCompleted:
		n := f.nextShown(f.idx, 1)
		if n < len(f.pages) {
			return f, tea.Batch(cmd, f.open(n))
		}
		return f, tea.Batch(cmd, f.finish())
	case huh.StateAborted:
		return f, back
	}
	return f, cmd
}

// cancelFilter leaves a list's filter with Esc without changing its value. huh's select
// ends the filter on the first Esc and clears it on a second, keeping its cursor index,
// which then points at another option that Enter would take (zfs became none): so the
// filter is cleared at once and the cursor walked back to the value from before it.
func (f *formScreen) cancelFilter(fld huh.Field) {
	esc := tea.KeyPressMsg{Code: tea.KeyEscape}
	send := func(k tea.KeyPressMsg) { m, _ := f.form.Update(k); f.form = m.(*huh.Form) }
	send(esc)
	for _, b := range fld.KeyBinds() {
		if b.Enabled() && b.Help().Desc == "clear filter" {
			send(esc)
		}
	}
	if _, multi := fld.GetValue().([]string); multi || f.preFilter == nil {
		return // a multi-select's picks do not follow its cursor
	}
	// Down then up puts the value on the cursor; then down until it is the old value. The
	// walk goes to the field alone (the form redraws the whole page on every key), and a
	// last up and down through the form redraws it.
	down, up := tea.KeyPressMsg{Code: tea.KeyDown}, tea.KeyPressMsg{Code: tea.KeyUp}
	fld.Update(down)
	fld.Update(up)
	first := fld.GetValue()
	for i := 0; i < 10000 && !reflect.DeepEqual(fld.GetValue(), f.preFilter); i++ {
		fld.Update(down)
		if reflect.DeepEqual(fld.GetValue(), first) {
			break // round the list: the old value is not in it
		}
	}
	send(up)
	send(down)
}

// Leave writes what was typed so far into the answers, for the way back.
func (f *formScreen) Leave() { _ = f.spec.apply() }

func (f *formScreen) finish() tea.Cmd {
	if err := f.spec.apply(); err != nil {
		f.problem = describe(err, f.spec.labels())
		return f.open(f.nextShown(-1, 1))
	}
	return next
}

func (f *formScreen) View() string {
	s := f.st.styles
	var parts []string
	if in := f.spec.intro(); in != "" {
		parts = append(parts, in)
	}
	if f.form != nil {
		parts = append(parts, f.form.View())
	} else {
		parts = append(parts, s.Muted.Render("Press enter to continue."))
	}
	shown := ""
	if f.form != nil {
		if fld := f.form.GetFocusedField(); fld != nil && fld.Error() != nil {
			shown = fld.Error().Error()
		}
	}
	if l := f.spec.live(shown); l != "" {
		parts = append(parts, l)
	}
	if f.problem != "" {
		parts = append(parts, s.Error.Render(wrapText(f.problem, f.w)))
	}
	return strings.Join(parts, "\n")
}

func (f *formScreen) ShortHelp() []key.Binding {
	if f.form == nil {
		return []key.Binding{f.st.keys.Next}
	}
	return f.form.KeyBinds()
}

// wrapText wraps plain text at w cells.
func wrapText(s string, w int) string {
	lines := strings.Split(lipgloss.NewStyle().Width(max(w, 10)).Render(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// hang wraps text at w cells after a prefix, the next lines indented under the text.
func hang(prefix, text string, w int) string {
	pw := lipgloss.Width(prefix)
	lines := strings.Split(wrapText(text, max(w-pw, 10)), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = prefix + l
		} else {
			lines[i] = strings.Repeat(" ", pw) + l
		}
	}
	return strings.Join(lines, "\n")
}

// orCurrent validates what was typed, or the current value when nothing was: huh's
// accessible prompts keep the current value for an empty answer but validate the empty
// string.
func orCurrent(v *string, check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			s = *v
		}
		return check(s)
	}
}

// describe is a refusal in the screen's words: each problem once, named by the label of its
// field (labels maps answers keys, or their prefixes, to what the screen calls them).
func describe(err error, labels map[string]string) string {
	var lines []string
	add := func(l string) {
		if !contains(lines, l) {
			lines = append(lines, l)
		}
	}
	var walk func(error)
	walk = func(e error) {
		var fe *installer.FieldError
		switch u := e.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		default:
			if errors.As(e, &fe) {
				add(fieldLabel(fe.Field, labels) + ": " + inWords(fe.Err.Error(), labels))
			} else {
				add(inWords(e.Error(), labels))
			}
		}
	}
	walk(err)
	return strings.Join(lines, "\n")
}

// keyRE finds answers keys in a message ("put a domain in host.domain").
var keyRE = regexp.MustCompile(`\b[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+(\[[0-9]+\])?`)

// inWords replaces the answers keys a message names by the screen's labels for them.
func inWords(msg string, labels map[string]string) string {
	return keyRE.ReplaceAllStringFunc(msg, func(k string) string {
		if l := fieldLabel(k, labels); l != k {
			return "«" + l + "»"
		}
		return k
	})
}

// fieldLabel is the label of the longest key in labels that field lies in, or the field.
func fieldLabel(field string, labels map[string]string) string {
	best, label := -1, field
	for k, l := range labels {
		if inSection(field, k) && len(k) > best {
			best, label = len(k), l
		}
	}
	return label
}

// bad is a problem with one field, for describe.
func bad(field string, err error) error { return &installer.FieldError{Field: field, Err: err} }
