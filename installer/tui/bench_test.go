package tui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// hostScreen is a driver on the host screen of the first flow, the time zone list focused.
func hostScreen(b testing.TB) *driver {
	fl := flows()[0]
	d := newDriver(b, testOptions(b, fl.machine))
	for _, a := range fl.script {
		if a.wait == "Domain" {
			break
		}
		switch {
		case a.wait != "":
		case a.typ != "":
			d.typ(a.typ)
		default:
			d.keys(a.keys...)
		}
	}
	d.expect(scrHost)
	return d
}

// benchKeys sends each key to the model and renders the frame, as the program does.
func benchKeys(b *testing.B, d *driver, keys []tea.KeyPressMsg) {
	b.Helper()
	for i := 0; i < b.N; i++ {
		for _, k := range keys {
			d.send(k)
			_ = d.m.render()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys))/1e6, "ms/key")
}

// BenchmarkHostTimezoneArrows moves through the time zone list: down and back up.
func BenchmarkHostTimezoneArrows(b *testing.B) {
	d := hostScreen(b)
	d.keys("ctrl+u")
	d.typ("h")
	d.keys("enter", "enter") // to the time zone list
	var keys []tea.KeyPressMsg
	for range 10 {
		keys = append(keys, keyMsg("down"))
	}
	for range 10 {
		keys = append(keys, keyMsg("up"))
	}
	b.ResetTimer()
	benchKeys(b, d, keys)
}

// BenchmarkHostTyping types a host name letter by letter.
func BenchmarkHostTyping(b *testing.B) {
	d := hostScreen(b)
	var keys []tea.KeyPressMsg
	for _, r := range "xen-01" {
		keys = append(keys, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	for range "xen-01" {
		keys = append(keys, tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	b.ResetTimer()
	benchKeys(b, d, keys)
}

// BenchmarkHostEnter moves through the host page with Enter and back with shift+tab.
func BenchmarkHostEnter(b *testing.B) {
	d := hostScreen(b)
	d.keys("ctrl+u")
	d.typ("h")
	keys := []tea.KeyPressMsg{keyMsg("enter"), {Code: tea.KeyTab, Mod: tea.ModShift}}
	b.ResetTimer()
	benchKeys(b, d, keys)
}
