package tui

import (
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"charm.land/bubbles/v2/cursor"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// settler runs a model in a real program and holds every message from outside (keys, the
// runtime's, a timer's) back until everything the messages before it set off has come
// back: huh moves the focus through commands, and a key that overtakes them lands in the
// wrong field. It keeps the screen each time the program settles, with the number of keys
// taken so far, so that a flow waits for the state its keys lead to and never reads a
// screen from before them. Timers (the cursor's blink) are not waited for; the app's own
// tick never fires in tests (TestMain).
type settler struct {
	inner   tea.Model
	pending int            // commands out that are not timers
	queue   []tea.Msg      // messages held back
	keys    int            // keys taken from outside, held or delivered
	out     map[string]int // the commands out, by function name (for a failure's report)

	mu      sync.Mutex
	state   settledState
	changed chan struct{} // closed and replaced each time the program settles
}

// settledState is the program as it was the last time nothing was out and nothing held.
type settledState struct {
	// n counts the times the program settled (0: not yet).
	n int
	// screen is the screen, colours off.
	screen string
	// keys is how many keys had been taken then.
	keys int
	// quit is set once a command asked the program to end.
	quit bool
}

// settled returns the last settled state and a channel closed when the next one is kept.
func (s *settler) settled() (settledState, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.state, s.changed
}

// snapshot keeps the screen when the program has settled.
func (s *settler) snapshot() {
	if s.pending > 0 || len(s.queue) > 0 {
		return
	}
	v := ansi.Strip(s.inner.View().Content)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.n++
	s.state.screen, s.state.keys = v, s.keys
	s.notify()
}

// notify wakes the waits for a new state; s.mu is held.
func (s *settler) notify() {
	if s.changed != nil {
		close(s.changed)
	}
	s.changed = make(chan struct{})
}

// settledMsg carries a command's message back, for the count.
type settledMsg struct {
	msg  tea.Msg
	name string
}

var (
	// blinkCode is the code of the cursor's blink command: a timer the settler does not
	// wait for. The blink's messages are held like any other from outside; TestFlowsStray
	// shows that where they land does not matter.
	blinkCode = func() uintptr {
		c := cursor.New()
		return reflect.ValueOf(c.Blink()).Pointer()
	}()
	teaPkg = reflect.TypeFor[tea.KeyPressMsg]().PkgPath()
)

func isTimer(cmd tea.Cmd) bool { return reflect.ValueOf(cmd).Pointer() == blinkCode }

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

// Pending lists the commands out and the messages held back, for a failure's report.
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
	return fmt.Sprintf("commands out: %v", parts)
}

func (s *settler) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer s.snapshot()
	if m, ok := msg.(settledMsg); ok {
		s.pending--
		s.mu.Lock()
		s.out[m.name]--
		s.mu.Unlock()
		cmd := s.take(m.msg)
		return s, tea.Batch(cmd, s.release())
	}
	if _, ok := msg.(tea.KeyPressMsg); ok {
		s.keys++
	}
	if s.pending > 0 || len(s.queue) > 0 {
		s.queue = append(s.queue, msg)
		return s, nil
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
	if _, quit := msg.(tea.QuitMsg); quit {
		s.mu.Lock()
		s.state.quit = true
		s.notify()
		s.mu.Unlock()
		return func() tea.Msg { return msg }
	}
	if reflect.TypeOf(msg).PkgPath() == teaPkg && !isInput(msg) {
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

// release hands the held messages on while nothing is out.
func (s *settler) release() tea.Cmd {
	var cmds []tea.Cmd
	for s.pending == 0 && len(s.queue) > 0 {
		k := s.queue[0]
		s.queue = s.queue[1:]
		cmds = append(cmds, s.deliver(k))
	}
	return tea.Batch(cmds...)
}

// orderModel records the messages it gets; "a" starts a command that returns only when
// release is closed.
type orderModel struct {
	release chan struct{}
	got     []string
}

type releasedMsg struct{}

func (m *orderModel) Init() tea.Cmd { return nil }

func (m *orderModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		m.got = append(m.got, msg.String())
		switch msg.String() {
		case "a":
			return m, func() tea.Msg { <-m.release; return releasedMsg{} }
		case "q":
			return m, tea.Quit
		}
	case releasedMsg:
		m.got = append(m.got, "released")
	}
	return m, nil
}

func (m *orderModel) View() tea.View { return tea.NewView(strings.Join(m.got, " ")) }

// TestSettlerHoldsKeys: a key sent while a command is out reaches the model after that
// command's message, and WaitFor sees the screen only once both keys were taken.
func TestSettlerHoldsKeys(t *testing.T) {
	m := &orderModel{release: make(chan struct{})}
	tm := newTermModel(t, newSettler(m), 80, 24)
	tm.Send(keyMsg("a"))
	tm.Send(keyMsg("b"))
	if st, _ := tm.s.settled(); st.keys == 2 {
		t.Fatalf("settled with both keys taken while a's command is out: %q", st.screen)
	}
	close(m.release)
	tm.WaitFor(t, "a released b")
	tm.Send(keyMsg("q"))
	if got := strings.Join(tm.FinalModel(t).(*orderModel).got, " "); got != "a released b q" {
		t.Errorf("the model got %q, want a released b q", got)
	}
}
