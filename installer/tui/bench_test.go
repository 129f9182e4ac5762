package tui

import (
	"testing"
	"time"

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

// benchKeys sends each key to the model, runs what it leads to (huh moves focus through
// commands), and draws the screen after every message, as the program does; ms/key is the
// time spent in Update and drawing, not the driver's waits for timers.
func benchKeys(b *testing.B, d *driver, keys []tea.KeyPressMsg) {
	b.Helper()
	d.busy, d.drawing = 0, true
	for i := 0; i < b.N; i++ {
		for _, k := range keys {
			d.send(k)
		}
	}
	perKey := d.busy / time.Duration(b.N*len(keys))
	b.ReportMetric(float64(perKey.Nanoseconds())/1e6, "ms/key")
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

// TestThemeBuiltOnce: huh asks the theme for styles for every option it draws; building
// them on each call made the time zone list take ~150ms per arrow key.
func TestThemeBuiltOnce(t *testing.T) {
	for _, env := range []map[string]string{{"NO_COLOR": "1"}, {"TERM": "xterm-256color"}, {"TERM": "vt100"}} {
		s := NewStyles(func(k string) string { return env[k] })
		dark, light := s.huh.Theme(true), s.huh.Theme(false)
		if s.huh.Theme(true) != dark || s.huh.Theme(false) != light {
			t.Errorf("%v: the huh theme is built again on every call", env)
		}
	}
}

// BenchmarkEveryScreenArrows moves the cursor down and up on every screen of the three
// flows, drawing after each key; ns/op is one whole pass, and the slowest screen's cost per
// key is reported as max-ms/key (timings are measured, never asserted: they depend on the
// machine and its load).
func BenchmarkEveryScreenArrows(b *testing.B) {
	worst := time.Duration(0)
	for b.Loop() {
		for _, fl := range flows() {
			b.StopTimer()
			d := newDriver(b, testOptions(b, fl.machine))
			d.drawing = true
			b.StartTimer()
			for _, a := range untilReview(fl.script) {
				switch {
				case a.wait != "":
					d.busy = 0
					d.keys("down", "up")
					worst = max(worst, d.busy/2)
				case a.typ != "":
					d.typ(a.typ)
				default:
					d.keys(a.keys...)
				}
			}
		}
	}
	b.ReportMetric(float64(worst)/float64(time.Millisecond), "max-ms/key")
}
