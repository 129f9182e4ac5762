package tui

import tea "charm.land/bubbletea/v2"

// tickAfter schedules a message after a while: the progress screen's spinner frames. It is
// tea.Tick in the program; the package's tests replace it, before any test runs, with one
// that never fires, so that no screen a test reads depends on the wall clock (the spinner's
// own test fires it by hand).
var tickAfter = tea.Tick
