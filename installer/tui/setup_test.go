package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// setupFixture is the rack server of the lvm-thinpool-bond-vlan example, installed.
func setupFixture(t *testing.T) (hwdetect.Report, installer.Answers) {
	t.Helper()
	r := fixture(t, "lvm-thinpool-bond-vlan")
	name := filepath.Join("..", "..", "assets", "examples", "lvm-thinpool-bond-vlan.yaml")
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

// TestSetupFlow changes dom0's memory on an installed host through the setup screens,
// reads the diff on the review and applies it.
func TestSetupFlow(t *testing.T) {
	r, start := setupFixture(t)
	var (
		mu      sync.Mutex
		got     installer.Answers
		applied int
	)
	o := SetupOptions{
		Report: r, Answers: start, Getenv: noColour,
		Diff: fakeDiff(start, &r),
		Apply: func(_ context.Context, a installer.Answers) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			got, applied = a, applied+1
			return "wrote /etc/nixos/xennix/settings.nix\nran nixos-rebuild boot", nil
		},
	}
	tm := newTermModel(t, newSettler(newSetupApp(context.Background(), o)), 80, 24)
	script := flat(
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
	for _, a := range script {
		switch {
		case a.wait != "":
			w := a.wait
			tm.WaitFor(t, func(b []byte) bool { return bytes.Contains(b, []byte(w)) }, waitTimeout)
		case a.typ != "":
			tm.Type(a.typ)
		}
		for _, k := range a.keys {
			tm.Send(keyMsg(k))
		}
	}
	final, ok := tm.FinalModel(t, 60*time.Second).(*settler).inner.(*setupApp)
	if !ok {
		t.Fatal("the final model is not the setup app")
	}
	if final.err != nil {
		t.Fatalf("RunSetup's error: %v", final.err)
	}
	mu.Lock()
	defer mu.Unlock()
	if applied != 1 {
		t.Fatalf("Apply called %d times, want 1", applied)
	}
	if got.Xen.Dom0Memory != 6*installer.GiB {
		t.Errorf("applied dom0 memory %s, want 6GiB", got.Xen.Dom0Memory)
	}
	got.Xen.Dom0Memory = start.Xen.Dom0Memory
	if !reflect.DeepEqual(got, start) {
		t.Errorf("Apply got other changes than dom0 memory:\n got %+v\nwant %+v", got, start)
	}
	if !reflect.DeepEqual(final.st.a.Xen.Dom0Memory, 6*installer.GiB) {
		t.Errorf("final answers' dom0 memory %s", final.st.a.Xen.Dom0Memory)
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
	tm.WaitFor(t, func(b []byte) bool { return bytes.Contains(b, []byte("not changeable")) }, waitTimeout)
	tm.Send(keyMsg("ctrl+c"))
	tm.WaitFor(t, func(b []byte) bool { return bytes.Contains(b, []byte("Nothing has been changed")) }, waitTimeout)
	tm.Send(keyMsg("y"))
	final := tm.FinalModel(t, 60*time.Second).(*settler).inner.(*setupApp)
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
