package tui

import (
	"strings"

	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// Styles are every look the installer uses, made once from the environment. Colours only
// ever add to bold, reverse and plain-text markers, so that the screens read the same with
// NO_COLOR (the renderer then drops colours) and on a serial console.
type Styles struct {
	// ASCII is set for terminals whose fonts lack box-drawing and symbol glyphs (TERM=linux
	// with the kernel's VGA font, vt100, vt220, dumb): markers are then plain ASCII.
	ASCII bool

	Title    lipgloss.Style
	Header   lipgloss.Style
	Section  lipgloss.Style
	Label    lipgloss.Style
	Muted    lipgloss.Style
	Warn     lipgloss.Style
	Error    lipgloss.Style
	OK       lipgloss.Style
	Selected lipgloss.Style
	Cursor   lipgloss.Style
	Disabled lipgloss.Style
	Help     lipgloss.Style
	Status   lipgloss.Style

	// Symbols.
	Check, Cross, Bullet, Pointer, Skipped, Pending string
	Spinner                                         []string
	BarFull, BarEmpty                               string

	huh huh.Theme
}

// NewStyles returns the styles for an environment: getenv reads NO_COLOR and TERM.
func NewStyles(getenv func(string) string) Styles {
	term := getenv("TERM")
	noColor := getenv("NO_COLOR") != ""
	ascii := term == "linux" || term == "dumb" || strings.HasPrefix(term, "vt")
	s := Styles{ASCII: ascii}
	color := func(st lipgloss.Style, c string) lipgloss.Style {
		if noColor {
			return st
		}
		return st.Foreground(lipgloss.Color(c))
	}
	s.Title = color(lipgloss.NewStyle().Bold(true), "12")
	s.Header = lipgloss.NewStyle().Reverse(true).Bold(true)
	s.Section = color(lipgloss.NewStyle().Bold(true), "14")
	s.Label = lipgloss.NewStyle().Bold(true)
	s.Muted = color(lipgloss.NewStyle(), "8")
	s.Warn = color(lipgloss.NewStyle().Bold(true), "11")
	s.Error = color(lipgloss.NewStyle().Bold(true), "9")
	s.OK = color(lipgloss.NewStyle(), "10")
	s.Selected = color(lipgloss.NewStyle().Bold(true), "10")
	s.Cursor = lipgloss.NewStyle().Reverse(true)
	s.Disabled = color(lipgloss.NewStyle().Faint(true), "8")
	s.Help = color(lipgloss.NewStyle(), "8")
	s.Status = color(lipgloss.NewStyle().Bold(true), "11")
	if ascii {
		s.Check, s.Cross, s.Bullet, s.Pointer, s.Skipped, s.Pending = "ok", "XX", "*", ">", "--", "  "
		s.Spinner = []string{"|", "/", "-", "\\"}
		s.BarFull, s.BarEmpty = "#", "-"
	} else {
		s.Check, s.Cross, s.Bullet, s.Pointer, s.Skipped, s.Pending = "✓", "✗", "•", "›", "–", " "
		s.Spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		s.BarFull, s.BarEmpty = "█", "░"
	}
	s.huh = newCachedTheme(func(isDark bool) *huh.Styles { return huhStyles(isDark, noColor, ascii) })
	return s
}

// cachedTheme is a huh theme made once per background: huh asks its theme for the styles
// of every option it draws, and building them afresh each time made a redraw of the
// 600-entry time zone list take about 100ms.
type cachedTheme struct{ dark, light *huh.Styles }

func newCachedTheme(f func(isDark bool) *huh.Styles) cachedTheme {
	return cachedTheme{dark: f(true), light: f(false)}
}

// Theme returns the styles for a dark or light background.
func (t cachedTheme) Theme(isDark bool) *huh.Styles {
	if isDark {
		return t.dark
	}
	return t.light
}

// huhStyles is huh's Charm theme, or its colourless base with ASCII markers.
func huhStyles(isDark, noColor, ascii bool) *huh.Styles {
	var t *huh.Styles
	if noColor {
		t = huh.ThemeBase(isDark)
		// Without colour the focused field and option must still stand out.
		t.Focused.Title = t.Focused.Title.Bold(true)
		t.Focused.SelectSelector = lipgloss.NewStyle().Bold(true).SetString("> ")
		t.Focused.SelectedOption = t.Focused.SelectedOption.Bold(true)
		t.Focused.FocusedButton = lipgloss.NewStyle().Padding(0, 2).MarginRight(1).Reverse(true)
		t.Focused.BlurredButton = lipgloss.NewStyle().Padding(0, 2).MarginRight(1)
		t.Focused.Next = t.Focused.FocusedButton
		t.Focused.TextInput.Placeholder = lipgloss.NewStyle().Faint(true)
		t.Focused.ErrorIndicator = lipgloss.NewStyle().Bold(true).SetString(" *")
		t.Focused.ErrorMessage = lipgloss.NewStyle().Bold(true).SetString(" *")
		t.Blurred = t.Focused
		t.Blurred.Base = t.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
		t.Blurred.Card = t.Blurred.Base
		t.Blurred.Title = t.Blurred.Title.Bold(false)
		t.Blurred.MultiSelectSelector = lipgloss.NewStyle().SetString("  ")
		t.Blurred.NextIndicator = lipgloss.NewStyle()
		t.Blurred.PrevIndicator = lipgloss.NewStyle()
		t.Group.Title = t.Focused.Title
	} else {
		t = huh.ThemeCharm(isDark)
	}
	if ascii || noColor {
		// Yes/No: the chosen one in brackets, not only in a colour (a vt100 or the Linux
		// console shows no 256-colour background; a screen reader no attribute at all).
		for _, f := range []*huh.FieldStyles{&t.Focused, &t.Blurred} {
			f.FocusedButton = lipgloss.NewStyle().Reverse(true).Bold(true).
				BorderStyle(lipgloss.Border{Left: "[", Right: "]"}).BorderLeft(true).BorderRight(true).MarginRight(1)
			f.BlurredButton = lipgloss.NewStyle().
				BorderStyle(lipgloss.Border{Left: " ", Right: " "}).BorderLeft(true).BorderRight(true).MarginRight(1)
			f.Next = f.FocusedButton
		}
	}
	if ascii {
		for _, f := range []*huh.FieldStyles{&t.Focused, &t.Blurred} {
			border := lipgloss.Border{Left: "|"}
			if f == &t.Blurred {
				border = lipgloss.Border{Left: " "}
			}
			f.Base = f.Base.BorderStyle(border)
			f.Card = f.Base
			f.SelectedPrefix = f.SelectedPrefix.SetString("[x] ")
			f.UnselectedPrefix = f.UnselectedPrefix.SetString("[ ] ")
			f.NextIndicator = f.NextIndicator.SetString(">")
			f.PrevIndicator = f.PrevIndicator.SetString("<")
		}
	}
	return t
}
