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
}

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

// timerCmds are the commands that only wait for a clock: the cursor's blink (bubbles) and
// tea.Tick (the app's progress tick). The driver never runs them; every other command runs
// to its end, however long a loaded machine takes.
var timerCmds = map[string]bool{
	"charm.land/bubbles/v2/cursor.(*Model).Blink.func1": true,
	"charm.land/bubbletea/v2.Tick.func1":                true,
	"charm.land/bubbletea/v2.Every.func1":               true,
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
	case <-time.After(time.Minute):
		d.t.Fatalf("command %s did not return in a minute (a timer belongs in timerCmds)", name)
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
	switch msg.(type) {
	case tea.QuitMsg:
		d.quit = true
		return
	case tickMsg:
		return
	}
	if reflect.TypeOf(msg).String() == "tea.windowSizeMsg" {
		d.send(tea.WindowSizeMsg{Width: d.m.w, Height: d.m.h})
		return
	}
	d.send(msg)
}

func (d *driver) send(msg tea.Msg) {
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

// termModel runs a model as a real program through teatest at a fixed size; the flows wait
// for each screen before sending the next keys.
type termModel struct {
	tm   *teatest.TestModel
	buf  []byte // all output so far
	mark int    // where the chunk that satisfied the last wait began
	s    *settler
}

func newTermModel(t testing.TB, m tea.Model, w, h int) *termModel {
	tm := &termModel{tm: teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))}
	tm.s, _ = m.(*settler)
	return tm
}

func (tm *termModel) Send(m tea.Msg) { tm.tm.Send(m) }

func (tm *termModel) Type(s string) { tm.tm.Type(s) }

// waitTimeout bounds one wait for a screen in the teatest flows: generous, because on a
// loaded 2-core machine (QEMU's Xen VM tests beside them) a program can be starved for many
// seconds; a wait that fails says which commands were still out.
const waitTimeout = 2 * time.Minute

// WaitFor waits until the output since the chunk that satisfied the previous wait meets cond.
// Keeping that chunk in view matters: the renderer may draw the next page's labels in the
// same write as the ones the previous wait looked for.
func (tm *termModel) WaitFor(t testing.TB, cond func([]byte) bool, d time.Duration) {
	t.Helper()
	if tm.s != nil {
		// The screen as the model draws it once settled: the state, not the byte stream
		// (whose renderer sends only what changed, "wap" for "Swap" after "Storage").
		for start := time.Now(); !cond([]byte(tm.s.Screen())); time.Sleep(5 * time.Millisecond) {
			if time.Since(start) > d {
				t.Fatalf("WaitFor: condition not met after %s (%s). The screen:\n%s", d, tm.s.Pending(), tm.s.Screen())
			}
		}
		return
	}
	out := tm.tm.Output()
	chunk := make([]byte, 64*1024)
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		before := len(tm.buf)
		n, _ := out.Read(chunk)
		tm.buf = append(tm.buf, chunk[:n]...)
		if cond(tm.buf[tm.mark:]) {
			tm.mark = before
			if n == 0 {
				tm.mark = len(tm.buf)
			}
			return
		}
		if time.Since(start) > d {
			t.Fatalf("WaitFor: condition not met after %s. Last output:\n%s", d, tm.buf[max(tm.mark, len(tm.buf)-2000):])
		}
	}
}

func (tm *termModel) FinalModel(t testing.TB, d time.Duration) tea.Model {
	t.Helper()
	return tm.tm.FinalModel(t, teatest.WithFinalTimeout(d))
}
