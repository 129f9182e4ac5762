package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// setupFixture is the rack server of the lvm-thinpool-bond-vlan example, installed.
func setupFixture(t *testing.T) (hwdetect.Report, installer.Answers) {
	return exampleFixture(t, "lvm-thinpool-bond-vlan")
}

// exampleFixture is an answers example with its machine.
func exampleFixture(t *testing.T, example string) (hwdetect.Report, installer.Answers) {
	t.Helper()
	r := fixture(t, example)
	name := filepath.Join("..", "..", "assets", "examples", example+".yaml")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := installer.Parse(name, data, installer.Defaults(&r))
	if err != nil {
		t.Fatal(err)
	}
	return r, a
}

// fakeDiff renders dom0's memory as a one-line diff, and nothing when it is unchanged.
func fakeDiff(start installer.Answers, r *hwdetect.Report) func(installer.Answers) (string, error) {
	return func(a installer.Answers) (string, error) {
		old, _ := installer.Dom0Sizes(start.Xen, r)
		nw, _ := installer.Dom0Sizes(a.Xen, r)
		if old == nw {
			return "", nil
		}
		return fmt.Sprintf("--- a/xennix/settings.nix\n+++ b/xennix/settings.nix\n-  dom0Memory = \"%s\";\n+  dom0Memory = \"%s\";\napply would run: nixos-rebuild boot (dom0 memory)\n", old, nw), nil
	}
}

func noColour(k string) string {
	return map[string]string{"NO_COLOR": "1", "TERM": "xterm-256color"}[k]
}

// setupRun is TestSetupFlow's options and what their Apply saw.
type setupRun struct {
	mu      sync.Mutex
	got     installer.Answers
	applied int
}

func (sr *setupRun) options(r hwdetect.Report, start installer.Answers) SetupOptions {
	return SetupOptions{
		Report: r, Answers: start, Getenv: noColour,
		Diff: fakeDiff(start, &r),
		Apply: func(_ context.Context, a installer.Answers) (string, error) {
			sr.mu.Lock()
			defer sr.mu.Unlock()
			sr.got, sr.applied = a, sr.applied+1
			return "wrote /etc/nixos/xennix/settings.nix\nran nixos-rebuild boot", nil
		},
	}
}

// check compares what was applied and the final answers with a dom0 memory change alone.
func (sr *setupRun) check(t *testing.T, start, final installer.Answers) {
	t.Helper()
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if sr.applied != 1 {
		t.Fatalf("Apply called %d times, want 1", sr.applied)
	}
	got := sr.got
	if got.Xen.Dom0Memory != 6*installer.GiB {
		t.Errorf("applied dom0 memory %s, want 6GiB", got.Xen.Dom0Memory)
	}
	got.Xen.Dom0Memory = start.Xen.Dom0Memory
	if !reflect.DeepEqual(got, start) {
		t.Errorf("Apply got other changes than dom0 memory:\n got %+v\nwant %+v", got, start)
	}
	if final.Xen.Dom0Memory != 6*installer.GiB {
		t.Errorf("final answers' dom0 memory %s, want 6GiB", final.Xen.Dom0Memory)
	}
}

// setupScript changes dom0's memory to 6GiB, keeping everything else, and applies.
func setupScript() []act {
	return flat(
		[]act{wait("not changeable"), press("enter")},
		[]act{wait("Uplink"), press("enter", "enter")},
		[]act{wait("members"), press("enter", "enter")},
		[]act{wait("LACP rate"), press("enter", "enter")},
		[]act{wait("VLAN"), press("enter", "enter", "enter")},
		[]act{wait("Gateway"), press("enter", "enter", "enter")},
		[]act{wait("IPv6"), press("enter", "enter", "enter")},
		flat([]act{wait("vCPUs")}, replace("6GiB"), []act{press("enter", "enter", "enter")}),
		[]act{wait("PCI"), press("enter")},
		[]act{wait("Resetting"), press("enter")},
		[]act{wait("Domain"), press("enter", "enter")},
		[]act{wait("keymap"), press("enter", "enter", "enter")},
		[]act{wait("Root's"), press("enter", "enter", "enter", "enter")},
		[]act{wait("Admin's"), press("enter", "enter", "enter", "enter")},
		[]act{wait("Run the SSH server"), press("enter", "enter", "enter")},
		[]act{wait("Guests of"), press("r")},
		[]act{wait("+  dom0Memory = \"6GiB\""), press("a")},
		[]act{wait("Applied."), press("enter")},
	)
}

// TestSetupFlow changes dom0's memory on an installed host through the setup screens,
// reads the diff on the review and applies it, on a real bubbletea program at 80x24.
func TestSetupFlow(t *testing.T) {
	r, start := setupFixture(t)
	var sr setupRun
	tm := newTermModel(t, newSettler(newSetupApp(context.Background(), sr.options(r, start))), 80, 24)
	play(t, tm, setupScript())
	final, ok := tm.FinalModel(t).(*setupApp)
	if !ok {
		t.Fatal("the final model is not the setup app")
	}
	if final.err != nil {
		t.Fatalf("RunSetup's error: %v", final.err)
	}
	sr.check(t, start, final.st.a)
}

// TestSetupFlowDriven runs the same script without a terminal, checking each awaited word
// is on the screen at that moment, and again with a stray message before every message
// (see TestFlowsStray).
func TestSetupFlowDriven(t *testing.T) {
	for _, stray := range []bool{false, true} {
		t.Run(fmt.Sprintf("stray=%v", stray), func(t *testing.T) {
			r, start := setupFixture(t)
			var sr setupRun
			d, s := newSetupDriver(t, sr.options(r, start))
			d.stray = stray
			drive(t, d, setupScript())
			if !d.quit {
				t.Fatalf("the run did not end after the apply; screen:\n%s", s.render())
			}
			if s.err != nil {
				t.Fatalf("RunSetup's error: %v", s.err)
			}
			sr.check(t, start, s.st.a)
		})
	}
}

// TestSetupReviewGolden renders the setup review of a dom0 memory change, colours off.
func TestSetupReviewGolden(t *testing.T) {
	r, start := setupFixture(t)
	m := newSetupApp(context.Background(), SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: fakeDiff(start, &r)})
	m.st.a.Xen.Dom0Memory = 6 * installer.GiB
	m.cur = len(m.order) - 1
	m.active().Enter()
	checkGolden(t, "setup-review", ansi.Strip(m.render())+"\n")
	m.cur = 0
	m.active().Enter()
	checkGolden(t, "setup-host", ansi.Strip(m.render())+"\n")
}

// TestSetupQuit quits from the first screen: ErrQuit, and Apply is never called.
func TestSetupQuit(t *testing.T) {
	r, start := setupFixture(t)
	o := SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: fakeDiff(start, &r),
		Apply: func(context.Context, installer.Answers) (string, error) {
			t.Error("Apply called after quitting")
			return "", nil
		}}
	tm := newTermModel(t, newSettler(newSetupApp(context.Background(), o)), 80, 24)
	tm.WaitFor(t, "not changeable")
	tm.Send(keyMsg("ctrl+c"))
	tm.WaitFor(t, "Nothing has been changed")
	tm.Send(keyMsg("y"))
	final := tm.FinalModel(t).(*setupApp)
	if final.err != ErrQuit {
		t.Fatalf("err = %v, want ErrQuit", final.err)
	}
}

// TestSetupFailedApplyGoesBack fails the apply: Esc goes back to the screens with the edit
// kept, and coming back to the review offers the apply again.
func TestSetupFailedApplyGoesBack(t *testing.T) {
	r, start := setupFixture(t)
	applied := 0
	o := SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: fakeDiff(start, &r),
		Apply: func(context.Context, installer.Answers) (string, error) {
			applied++
			return "error: attribute 'xen' missing", errors.New("the rebuild failed, the previous files are back in place")
		}}
	d, s := newSetupDriver(t, o)
	s.st.a.Xen.Dom0Memory = 6 * installer.GiB
	s.cur = len(s.order) - 1
	d.run(s.active().Enter())
	d.keys("a")
	v := ansi.Strip(s.render())
	if applied != 1 || !strings.Contains(v, "Apply failed") || !strings.Contains(v, "esc") {
		t.Fatalf("after a failed apply (%d calls) the review shows:\n%s", applied, v)
	}
	d.keys("esc")
	d.expect(scrGuests)
	if got := s.st.a.Xen.Dom0Memory; got != 6*installer.GiB {
		t.Errorf("after Esc dom0 memory = %s, want the edit 6GiB kept", got)
	}
	s.cur = len(s.order) - 1
	d.run(s.active().Enter())
	if v := ansi.Strip(s.render()); !strings.Contains(v, "press a to apply") {
		t.Errorf("back on the review, apply is not offered again:\n%s", v)
	}
}

// TestQuitPrompt: Enter at the quit prompt answers no; Ctrl+C twice quits.
func TestQuitPrompt(t *testing.T) {
	r, start := setupFixture(t)
	d, s := newSetupDriver(t, SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: fakeDiff(start, &r)})
	d.keys("ctrl+c")
	if !s.asking {
		t.Fatal("ctrl+c did not ask")
	}
	d.keys("enter")
	if s.asking || d.quit {
		t.Fatalf("enter at the prompt: asking %v, quit %v; want the prompt closed", s.asking, d.quit)
	}
	d.keys("ctrl+c", "ctrl+c")
	if !d.quit || !errors.Is(s.err, ErrQuit) {
		t.Errorf("ctrl+c twice: quit %v, err %v; want quit with ErrQuit", d.quit, s.err)
	}
}
