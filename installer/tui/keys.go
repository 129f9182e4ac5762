package tui

import (
	"charm.land/bubbles/v2/key"
	"charm.land/huh/v2"
)

// keyMap holds every key the installer binds outside huh's forms. Screens pick the ones
// they show in the footer.
type keyMap struct {
	Quit, Help, Back, Next          key.Binding
	Up, Down, PageUp, PageDown      key.Binding
	Toggle, Tab, Confirm            key.Binding
	Log, Retry, Shell, Leave        key.Binding
	Save, Reboot, Yes, No, FileNext key.Binding
	FilePrev                        key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:     key.NewBinding(key.WithKeys("f1"), key.WithHelp("f1", "help")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Next:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Toggle:   key.NewBinding(key.WithKeys("space", "x"), key.WithHelp("space", "pick")),
		Tab:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "summary/files/commands")),
		Confirm:  key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "confirm and install")),
		Log:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log")),
		Retry:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry step")),
		Shell:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "shell hint")),
		Leave:    key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Save:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save answers")),
		Reboot:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reboot")),
		Yes:      key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:       key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		FileNext: key.NewBinding(key.WithKeys("right", "]"), key.WithHelp("→", "next file")),
		FilePrev: key.NewBinding(key.WithKeys("left", "["), key.WithHelp("←", "prev file")),
	}
}

// asciiHelp replaces the arrows in the help with words, for consoles without the glyphs.
func (k *keyMap) asciiHelp() {
	k.Up.SetHelp("up/k", "up")
	k.Down.SetHelp("down/j", "down")
	k.FileNext.SetHelp("right", "next file")
	k.FilePrev.SetHelp("left", "prev file")
}

// huhKeyMap is huh's key map, with arrow-free help on ASCII consoles.
func huhKeyMap(ascii bool) *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	if ascii {
		km.Select.Up.SetHelp("up", "up")
		km.Select.Down.SetHelp("down", "down")
		km.MultiSelect.Up.SetHelp("up", "up")
		km.MultiSelect.Down.SetHelp("down", "down")
		km.Confirm.Toggle.SetHelp("left/right", "toggle")
	}
	return km
}
