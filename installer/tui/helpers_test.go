package tui

import (
	"context"
	"flag"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/xennix/xennix/assets"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// updating reports whether the goldens are to be rewritten: go test -update. The flag is
// the one teatest's golden package declares, so both kinds of golden follow it.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"

func fixture(t testing.TB, name string) hwdetect.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "assets", "examples", "hardware", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := hwdetect.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hostModules(t testing.TB) fs.FS {
	sub, err := fs.Sub(assets.NixOS, "nixos")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// testOptions are Options for a fixture machine, colours off, planning like the real
// command and without Install (the run ends at the review confirmation).
func testOptions(t testing.TB, machine string) Options {
	r := fixture(t, machine)
	mods := hostModules(t)
	return Options{
		Report: r,
		Base:   installer.Defaults(&r),
		Getenv: func(k string) string { return map[string]string{"NO_COLOR": "1", "TERM": "xterm-256color"}[k] },
		Plan: func(a installer.Answers) (installer.Plan, error) {
			h, err := installer.Resolve(a, &r)
			if err != nil {
				return installer.Plan{}, err
			}
			return installer.NewPlan(h, installer.PlanOptions{HostModules: mods})
		},
	}
}

// recorder is a Runner that records the commands and succeeds.
type recorder struct {
	mu   sync.Mutex
	argv [][]string
}

func (r *recorder) Run(_ context.Context, argv []string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.argv = append(r.argv, argv)
	return []byte("ok\n"), nil
}

// fakeInstall executes the plan through a recorder into dir, with hooks that do nothing.
func fakeInstall(dir string, rec *recorder, got *InstallRequest) func(context.Context, InstallRequest) (InstallResult, error) {
	return func(ctx context.Context, req InstallRequest) (InstallResult, error) {
		*got = req
		hooks := map[installer.Action]installer.Hook{}
		for _, a := range []installer.Action{installer.ActionPreflight, installer.ActionNetwork, installer.ActionVerify, installer.ActionSaveLog, installer.ActionWebhook} {
			hooks[a] = func(context.Context, installer.Step, installer.StepEvents) error { return nil }
		}
		err := installer.Execute(ctx, req.Plan, rec, installer.ExecOptions{
			StateFile: filepath.Join(dir, "state.json"), Root: dir, Resume: req.Resume, Hooks: hooks, Events: req.Events,
			Now: func() time.Time { return time.Unix(0, 0) },
		})
		return InstallResult{Verification: fakeVerification("(fake)"), LogPath: filepath.Join(dir, "install.log")}, err
	}
}

// fakeVerification is a passed verification of one check.
func fakeVerification(detail string) *installer.Verification {
	return &installer.Verification{Mode: "target", Root: installer.TargetDir, OK: true,
		Checks: []installer.Check{{Name: "xen bootspec", OK: true, Detail: detail}}}
}

// drive runs a model without a terminal: each message's commands are run and their
// messages fed back, except those that only wait (ticks, blinking cursors), so that tests
// can step through huh forms deterministically.
type driver struct {
	t    testing.TB
	m    *app
	root tea.Model // m, or the setup app around it
	quit bool
	// busy is the time spent in Update and, when drawing, in drawing the screen after each
	// message: what a key press costs, without the waits for timers (benchmarks).
	busy    time.Duration
	drawing bool
	// stray, when set, delivers a message nobody expects before every other message: what
	// a real program does when a timer (the cursor's blink) or a late command's message
	// lands between two steps of a cascade. A flow must end the same with it.
	stray   bool
	inStray bool
}

// strayMsg is a message no screen handles.
type strayMsg struct{}

func newDriver(t testing.TB, o Options) *driver {
	d := &driver{t: t, m: newApp(context.Background(), o)}
	d.root = d.m
	d.m.resize(80, 24)
	d.run(d.m.Init())
	return d
}

// newSetupDriver drives xennix-setup's model.
func newSetupDriver(t testing.TB, o SetupOptions) (*driver, *setupApp) {
	s := newSetupApp(context.Background(), o)
	d := &driver{t: t, m: s.app, root: s}
	d.m.resize(80, 24)
	d.run(s.Init())
	return d, s
}

var cmdType = reflect.TypeFor[tea.Cmd]()

// TestMain stops the clock for every test: the progress screen's tick never fires, so no
// screen a test reads depends on how fast the machine is (TestProgressTick fires it by
// hand).
func TestMain(m *testing.M) {
	tickAfter = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	os.Exit(m.Run())
}

// timerCmds are the commands that only wait for a clock: the cursor's blink (bubbles). The
// driver never runs them; every other command runs to its end.
var timerCmds = map[string]bool{
	"charm.land/bubbles/v2/cursor.(*Model).Blink.func1": true,
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil || d.quit {
		return
	}
	name := runtime.FuncForPC(reflect.ValueOf(cmd).Pointer()).Name()
	if timerCmds[name] {
		return // a timer: nothing the tests wait for
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-safetyNet(d.t):
		d.t.Fatalf("command %s did not return before the test's deadline (a timer belongs in timerCmds)", name)
	}
	if msg == nil {
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		for i := 0; i < v.Len(); i++ {
			d.run(v.Index(i).Interface().(tea.Cmd))
		}
		return
	}
	if _, ok := msg.(tea.QuitMsg); ok {
		d.quit = true
		return
	}
	if reflect.TypeOf(msg).String() == "tea.windowSizeMsg" {
		d.send(tea.WindowSizeMsg{Width: d.m.w, Height: d.m.h})
		return
	}
	d.send(msg)
}

// safetyNet fires shortly before the test binary's deadline (go test -timeout), never when
// there is none. It is no guess at how long anything takes: every wait ends as soon as the
// state it waits for is there, and this only turns a hung program into a failure that
// shows the screen, rather than the binary's panic.
func safetyNet(t testing.TB) <-chan time.Time {
	d, ok := beforeDeadline(t)
	if !ok {
		return nil
	}
	return time.After(d)
}

// beforeDeadline is the time left until shortly before the test binary's deadline.
func beforeDeadline(t testing.TB) (time.Duration, bool) {
	dt, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return 0, false
	}
	dl, ok := dt.Deadline()
	return time.Until(dl) - 20*time.Second, ok
}

func (d *driver) send(msg tea.Msg) {
	if d.stray && !d.inStray {
		d.inStray = true
		d.send(strayMsg{})
		d.inStray = false
		if d.quit {
			return
		}
	}
	start := time.Now()
	_, cmd := d.root.Update(msg)
	if d.drawing {
		_ = d.m.render()
	}
	d.busy += time.Since(start)
	d.run(cmd)
}

// keys sends key presses: names like "enter", "down", "esc", "ctrl+u", "space", or text.
func (d *driver) keys(ks ...string) {
	for _, k := range ks {
		d.send(keyMsg(k))
	}
}

func (d *driver) typ(s string) {
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "f1":
		return tea.KeyPressMsg{Code: tea.KeyF1}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

func (d *driver) screen() screenID { return d.m.activeID() }

func (d *driver) expect(id screenID) {
	d.t.Helper()
	if got := d.screen(); got != id {
		d.t.Fatalf("on screen %s, want %s; it shows:\n%s", screenTitles[got], screenTitles[id], d.m.render())
	}
}

// termModel runs a model through a settler in a real program (teatest) at a fixed size.
type termModel struct {
	tm   *teatest.TestModel
	s    *settler
	sent int // keys sent
}

func newTermModel(t testing.TB, s *settler, w, h int) *termModel {
	return &termModel{tm: teatest.NewTestModel(t, s, teatest.WithInitialTermSize(w, h)), s: s}
}

// Send sends a message; the program takes it in order with the keys before it.
func (tm *termModel) Send(m tea.Msg) {
	if _, ok := m.(tea.KeyPressMsg); ok {
		tm.sent++
	}
	tm.tm.Send(m)
}

// Type sends the text as key presses.
func (tm *termModel) Type(s string) {
	for _, r := range s {
		tm.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// WaitFor waits until the program has taken every key sent so far and settled, then checks
// that its screen shows want. Nothing else moves a settled program on (its only timers
// are the cursor's blink and the tick TestMain stops), so a screen without want fails at
// once instead of after a timeout.
func (tm *termModel) WaitFor(t testing.TB, want string) {
	t.Helper()
	net := safetyNet(t)
	for {
		st, changed := tm.s.settled()
		switch {
		case st.n > 0 && st.keys == tm.sent:
			if !strings.Contains(st.screen, want) {
				t.Fatalf("WaitFor(%q): the program settled after all %d keys without it. The screen:\n%s", want, tm.sent, st.screen)
			}
			return
		case st.quit:
			t.Fatalf("WaitFor(%q): the program ended after %d of %d keys. The last screen:\n%s", want, st.keys, tm.sent, st.screen)
		}
		select {
		case <-changed:
		case <-net:
			t.Fatalf("WaitFor(%q): the program has not settled after %d keys before the test's deadline (%s). The last settled screen (%d keys):\n%s",
				want, tm.sent, tm.s.Pending(), st.keys, st.screen)
		}
	}
}

// FinalModel waits for the program to end and returns the model inside the settler.
func (tm *termModel) FinalModel(t testing.TB) tea.Model {
	t.Helper()
	var opts []teatest.FinalOpt
	if d, ok := beforeDeadline(t); ok {
		opts = append(opts, teatest.WithFinalTimeout(d)) // the safety net
	}
	return tm.tm.FinalModel(t, opts...).(*settler).inner
}
