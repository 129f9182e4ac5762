package tui

import (
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"time"

	"charm.land/bubbles/v2/cursor"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// settler runs a model in a real program and holds each key back until everything the
// previous keys set off has come back: huh moves the focus through commands, and a key
// that overtakes them lands in the wrong field. Timers (ticks, the cursor's blink) are
// not waited for. With it a flow waits for the program's state, not for time.
type settler struct {
	inner   tea.Model
	pending int            // commands out that are not timers
	queue   []tea.Msg      // keys held back
	out     map[string]int // the commands out, by function name (for a failure's report)

	mu     sync.Mutex
	screen string // the screen as text once the program had settled, for the test to read
}

// Screen is the screen, colours off, the last time nothing was out and no key held back.
func (s *settler) Screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.screen
}

// snapshot keeps the screen when the program has settled.
func (s *settler) snapshot() {
	if s.pending > 0 || len(s.queue) > 0 {
		return
	}
	v := ansi.Strip(s.inner.View().Content)
	s.mu.Lock()
	s.screen = v
	s.mu.Unlock()
}

// settledMsg carries a command's message back, for the count.
type settledMsg struct {
	msg  tea.Msg
	name string
}

var (
	tickCode  = reflect.ValueOf(tea.Tick(time.Hour, nil)).Pointer()
	everyCode = reflect.ValueOf(tea.Every(time.Hour, nil)).Pointer()
	blinkCode = func() uintptr {
		c := cursor.New()
		return reflect.ValueOf(c.Blink()).Pointer()
	}()
	teaPkg = reflect.TypeFor[tea.KeyPressMsg]().PkgPath()
)

func isTimer(cmd tea.Cmd) bool {
	p := reflect.ValueOf(cmd).Pointer()
	return p == tickCode || p == everyCode || p == blinkCode
}

func newSettler(m tea.Model) *settler { return &settler{inner: m} }

func (s *settler) Init() tea.Cmd { return s.wrap(s.inner.Init()) }

func (s *settler) View() tea.View { return s.inner.View() }

func (s *settler) wrap(cmd tea.Cmd) tea.Cmd {
	if cmd == nil || isTimer(cmd) {
		return cmd
	}
	s.pending++
	name := runtime.FuncForPC(reflect.ValueOf(cmd).Pointer()).Name()
	s.mu.Lock()
	if s.out == nil {
		s.out = map[string]int{}
	}
	s.out[name]++
	s.mu.Unlock()
	return func() tea.Msg { return settledMsg{cmd(), name} }
}

// Pending lists the commands out and the keys held back, for a failure's report.
func (s *settler) Pending() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for n, c := range s.out {
		if c > 0 {
			parts = append(parts, fmt.Sprintf("%s x%d", n, c))
		}
	}
	sort.Strings(parts)
	return fmt.Sprintf("commands out: %v; keys held: %d", parts, len(s.queue))
}

func (s *settler) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer s.snapshot()
	switch m := msg.(type) {
	case settledMsg:
		s.pending--
		s.mu.Lock()
		s.out[m.name]--
		s.mu.Unlock()
		cmd := s.take(m.msg)
		return s, tea.Batch(cmd, s.release())
	case tea.KeyPressMsg:
		if s.pending > 0 || len(s.queue) > 0 {
			s.queue = append(s.queue, msg)
			return s, nil
		}
	}
	return s, s.deliver(msg)
}

// take handles what a command returned: batches and sequences are opened and their
// commands counted; the runtime's own messages go back to it; the rest to the model.
func (s *settler) take(msg tea.Msg) tea.Cmd {
	if msg == nil {
		return nil
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		var cmds []tea.Cmd
		for i := 0; i < v.Len(); i++ {
			cmds = append(cmds, s.wrap(v.Index(i).Interface().(tea.Cmd)))
		}
		return tea.Batch(cmds...)
	}
	if _, quit := msg.(tea.QuitMsg); quit || reflect.TypeOf(msg).PkgPath() == teaPkg && !isInput(msg) {
		return func() tea.Msg { return msg }
	}
	return s.deliver(msg)
}

// isInput reports whether a message of the tea package is one a model handles (keys,
// sizes) rather than an instruction to the runtime.
func isInput(msg tea.Msg) bool {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.WindowSizeMsg, tea.BackgroundColorMsg:
		return true
	}
	return false
}

func (s *settler) deliver(msg tea.Msg) tea.Cmd {
	m, cmd := s.inner.Update(msg)
	s.inner = m
	return s.wrap(cmd)
}

// release hands the held keys on while nothing is out.
func (s *settler) release() tea.Cmd {
	var cmds []tea.Cmd
	for s.pending == 0 && len(s.queue) > 0 {
		k := s.queue[0]
		s.queue = s.queue[1:]
		cmds = append(cmds, s.deliver(k))
	}
	return tea.Batch(cmds...)
}
