package tui

import (
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/xennix/xennix/installer"
)

// DefaultAnswersPath is where "save these answers" writes unless told otherwise.
const DefaultAnswersPath = installer.WorkDir + "/answers.yaml"

// done shows the verification and the log, and offers to save the answers and to reboot.
type done struct {
	st     *state
	asking int // 0 nothing, 1 the path to save to, 2 reboot?
	input  textinput.Model
	note   string
	w, h   int
}

const (
	askNothing = iota
	askPath
	askReboot
)

func newDone(st *state) *done {
	d := &done{st: st, w: 80, h: 21, input: textinput.New()}
	d.input.Prompt = "save to: "
	return d
}

func (d *done) Enter() tea.Cmd   { return nil }
func (d *done) SetSize(w, h int) { d.w, d.h = w, h; d.input.SetWidth(max(w-12, 10)) }

// UsesEsc is true while a question is open: Esc closes it.
func (d *done) UsesEsc() bool { return d.asking != askNothing }

func (d *done) ShortHelp() []key.Binding {
	k := d.st.keys
	switch d.asking {
	case askPath:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))}
	case askReboot:
		return []key.Binding{k.Yes, k.No}
	}
	out := []key.Binding{k.Save}
	if d.st.opts.Reboot != nil && !d.st.opts.DryRun {
		out = append(out, k.Reboot)
	}
	return append(out, k.Leave)
}

func (d *done) Update(msg tea.Msg) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	keys := d.st.keys
	switch d.asking {
	case askPath:
		switch {
		case ok && key.Matches(k, keys.Back):
			d.asking = askNothing
			return d, nil
		case ok && key.Matches(k, keys.Next):
			d.asking = askNothing
			d.note = d.save(strings.TrimSpace(d.input.Value()))
			return d, nil
		}
		var cmd tea.Cmd
		d.input, cmd = d.input.Update(msg)
		return d, cmd
	case askReboot:
		if !ok {
			return d, nil
		}
		switch {
		case key.Matches(k, keys.Yes):
			d.asking = askNothing
			if err := d.st.opts.Reboot(d.st.ctx); err != nil {
				d.note = "reboot: " + err.Error()
				return d, nil
			}
			return d, func() tea.Msg { return quitMsg{} }
		case key.Matches(k, keys.No):
			d.asking = askNothing
		}
		return d, nil
	}
	if !ok {
		return d, nil
	}
	switch {
	case key.Matches(k, keys.Save):
		d.asking = askPath
		d.input.SetValue(d.defaultPath())
		d.input.CursorEnd()
		return d, d.input.Focus()
	case key.Matches(k, keys.Reboot) && d.st.opts.Reboot != nil && !d.st.opts.DryRun:
		d.asking = askReboot
	case key.Matches(k, keys.Leave), key.Matches(k, keys.Next):
		return d, func() tea.Msg { return quitMsg{} }
	}
	return d, nil
}

// defaultPath is where the answers are saved unless told otherwise: under --out in a dry
// run, which writes nothing outside it.
func (d *done) defaultPath() string {
	if d.st.opts.DryRun && d.st.opts.Out != "" {
		return filepath.Join(d.st.opts.Out, "answers.yaml")
	}
	return DefaultAnswersPath
}

// save writes the answers (secrets only as hashes) and says where. The disks were
// confirmed by name, so the file carries install.wipe: it installs the same again,
// headless.
func (d *done) save(path string) string {
	if path == "" {
		path = d.defaultPath()
	}
	a := d.st.a
	if len(d.st.confirmed) > 0 {
		a.Install.Wipe = true
	}
	b, err := a.Marshal(
		"yaml-language-server: $schema="+installer.SchemaID,
		"Answers of an interactive XenNix install (secrets only as hashes).",
		"`xennix install --answers "+filepath.Base(path)+"` installs the same again.",
	)
	if err == nil {
		err = installer.WriteFileAtomic(path, b, 0o600)
	}
	if err != nil {
		return "could not save: " + err.Error()
	}
	return "Saved the answers to " + path + "."
}

func (d *done) View() string {
	s := d.st.styles
	var b strings.Builder
	if d.st.opts.DryRun {
		b.WriteString(s.Title.Render("Dry run finished: no disk was touched.") + "\n\n")
	} else {
		b.WriteString(s.Title.Render("XenNix is installed on "+d.st.a.Host.Hostname+".") + "\n\n")
	}
	if v := d.st.result.Verification; v != nil {
		b.WriteString(wrapCode(v.String(), d.w))
		b.WriteString("\n")
	}
	for _, n := range d.st.result.Notes {
		b.WriteString(wrapText(n, d.w) + "\n")
	}
	if d.st.result.LogPath != "" {
		b.WriteString(wrapText("The install log is "+d.st.result.LogPath+"; the new system keeps a copy in /var/log/xennix/.", d.w) + "\n")
	}
	if !d.st.opts.DryRun {
		b.WriteString("\nRemove the installer medium before rebooting.\n")
	}
	switch d.asking {
	case askPath:
		b.WriteString("\n" + d.input.View() + "\n")
	case askReboot:
		b.WriteString("\n" + s.Status.Render("Reboot now? [y/N]") + "\n")
	}
	if d.note != "" {
		b.WriteString("\n" + wrapText(d.note, d.w) + "\n")
	}
	return b.String()
}

// doneText is what the accessible mode prints at the end, like the done screen.
func doneText(st *state) string {
	notes := strings.Join(st.result.Notes, "\n")
	if v := st.result.Verification; v != nil {
		return fmt.Sprintf("%s\n%s", v, notes)
	}
	return notes
}
