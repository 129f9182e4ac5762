package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// guestsFixture is the guests example's host, installed: three tool guests (web, debian,
// media) on a machine whose GPU's audio function is still free.
func guestsFixture(t *testing.T) (hwdetect.Report, installer.Answers) {
	return exampleFixture(t, "guests-thinpool")
}

// guestsDiff stands for the files' diff: one line per guest that is new.
func guestsDiff(start installer.Answers) func(installer.Answers) (string, error) {
	return func(a installer.Answers) (string, error) {
		var b strings.Builder
		for _, g := range a.Guests {
			if _, _, ok := start.GuestByName(g.Name); !ok {
				b.WriteString("+    " + g.Name + " = {\n")
			}
		}
		return b.String(), nil
	}
}

// TestGuestsFlowAdd adds a NixOS guest with a volume, a static address and the GPU's audio
// function through the guests screens at 80x24: a gateway outside the subnet is refused at
// its field, which the refusal names; the review says the guest starts and gets its device
// after the reboot, and apply gets exactly the answers with the new guest.
func TestGuestsFlowAdd(t *testing.T) { bothWays(t, guestsFlowAdd) }

func guestsFlowAdd(t *testing.T, run func(*guestsApp, []act) *guestsApp) {
	r, start := guestsFixture(t)
	var (
		mu      sync.Mutex
		got     installer.Answers
		applied int
	)
	o := GuestsOptions{
		SetupOptions: SetupOptions{
			Report: r, Answers: start, Getenv: noColour,
			Diff: guestsDiff(start),
			Apply: func(_ context.Context, a installer.Answers) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				got, applied = a, applied+1
				return "wrote /etc/nixos/xennix/guests.nix\nran nixos-rebuild boot", nil
			},
			Declared: []DeclaredGuest{{Name: "legacy", Kind: guests.KindImage, MemoryMiB: 2048, VCPUs: 1}},
		},
	}
	page := []struct{ wait, typ string }{
		{"DNS label", "db"}, {"built with the host", ""}, {"empty: 1GiB", "2GiB"}, {"vCPUs", "2"},
		{"Start with the host", ""}, {"guest storage", "20GiB"}, {"host does not use", ""},
		{"its path on the host", ""}, {"with prefix", "192.0.2.30/24"}, {"empty: none", "198.51.100.1"},
		{"stable one derived", ""}, {"XenNix does not set", ""},
	}
	var script []act
	for _, p := range page {
		script = append(script, wait(p.wait))
		if p.typ != "" {
			script = append(script, typed(p.typ))
		}
		script = append(script, press("enter"))
		if p.wait == "empty: none" {
			// Refused at the field, which names it: the gateway is outside the subnet.
			script = append(script, wait("IPv4 gateway: 198.51.100.1 is outside the subnet"))
			script = append(script, replace("192.0.2.1")...)
			script = append(script, press("enter"))
		}
	}
	script = append(script, wait("after reboot"), press("down", "x", "enter"),
		wait("192.0.2.30/24"), press("r"),
		wait("guests after reboot"), press("a"),
		wait("Applied."), press("enter"))
	script = append([]act{wait("read-only here"), press("a")}, script...)
	final := run(newGuestsApp(context.Background(), o), script)
	if final.err != nil {
		t.Fatalf("RunGuests' error: %v", final.err)
	}
	mu.Lock()
	defer mu.Unlock()
	if applied != 1 {
		t.Fatalf("Apply called %d times, want 1", applied)
	}
	if len(got.Guests) != len(start.Guests)+1 {
		t.Fatalf("applied guests %d, want %d", len(got.Guests), len(start.Guests)+1)
	}
	db := got.Guests[len(got.Guests)-1]
	if db.Name != "db" || db.Memory != 2*installer.GiB || db.VCPUs != 2 || len(db.Disks) != 1 || db.Disks[0].Size != 20*installer.GiB ||
		len(db.Network) != 1 || db.Network[0].IPv4.Address.String() != "192.0.2.30/24" || db.Network[0].IPv4.Gateway.String() != "192.0.2.1" ||
		len(db.PCI) != 1 || db.PCI[0].String() != "0000:41:00.1" {
		t.Errorf("applied guest %+v", db)
	}
	if err := got.Validate(&r); err != nil {
		t.Errorf("applied answers do not validate: %v", err)
	}
}

// TestGuestsFlowEditRemove edits web's memory, removes debian, and reads on the review that
// web restarts and debian stops; a declared guest's name is refused for a new guest.
func TestGuestsFlowEditRemove(t *testing.T) { bothWays(t, guestsFlowEditRemove) }

func guestsFlowEditRemove(t *testing.T, run func(*guestsApp, []act) *guestsApp) {
	r, start := guestsFixture(t)
	var (
		mu  sync.Mutex
		got installer.Answers
	)
	o := GuestsOptions{
		SetupOptions: SetupOptions{
			Report: r, Answers: start, Getenv: noColour,
			Diff: func(a installer.Answers) (string, error) { return "--- a/etc/nixos/xennix/guests.nix\n", nil },
			Apply: func(_ context.Context, a installer.Answers) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				got = a
				return "ran nixos-rebuild switch", nil
			},
			Declared: []DeclaredGuest{{Name: "legacy", Kind: guests.KindImage, MemoryMiB: 2048, VCPUs: 1}},
		},
	}
	script := []act{
		wait("read-only here"), press("e"), // web, the first guest
		wait("built with the host"), press("enter"),
		wait("empty: 1GiB"), press("ctrl+u"), typed("3GiB"), press("enter"),
	}
	for _, w := range []string{"vCPUs", "Start with the host", "guest storage", "host does not use", "its path on the host", "with prefix", "empty: none", "stable one derived", "XenNix does not set"} {
		script = append(script, wait(w), press("enter"))
	}
	script = append(script, wait("after reboot"), press("enter"),
		wait("3072M"), press("down", "d"), // debian
		// A new guest may not take a declared guest's name.
		press("a"), wait("DNS label"), typed("legacy"), press("enter"))
	for _, w := range []string{"built with the host", "empty: 1GiB", "vCPUs", "Start with the host", "guest storage", "host does not use", "its path on the host", "with prefix", "empty: none", "stable one derived", "XenNix does not set"} {
		script = append(script, wait(w), press("enter"))
	}
	script = append(script, wait("after reboot"), press("enter"),
		wait("legacy is declared in configuration.nix"), press("esc"),
		wait("read-only here"), press("r"),
		wait("guests will stop: debian"), wait("guests will restart: web"), press("a"),
		wait("Applied."), press("enter"))
	if final := run(newGuestsApp(context.Background(), o), script); final.err != nil {
		t.Fatalf("RunGuests' error: %v", final.err)
	}
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for _, g := range got.Guests {
		names = append(names, g.Name)
	}
	if strings.Join(names, " ") != "web media" {
		t.Errorf("applied guests %v, want web media", names)
	}
	if len(got.Guests) > 0 && got.Guests[0].Memory != 3*installer.GiB {
		t.Errorf("web's memory %s, want 3GiB", got.Guests[0].Memory)
	}
}

// bothWays runs a guests flow on a real bubbletea program at 80x24, and driven without a
// terminal with a stray message before every message (see TestFlowsStray).
func bothWays(t *testing.T, flow func(*testing.T, func(*guestsApp, []act) *guestsApp)) {
	t.Run("program", func(t *testing.T) {
		flow(t, func(g *guestsApp, script []act) *guestsApp {
			tm := newTermModel(t, newSettler(g), 80, 24)
			play(t, tm, script)
			final, ok := tm.FinalModel(t).(*guestsApp)
			if !ok {
				t.Fatal("the final model is not the guests app")
			}
			return final
		})
	})
	t.Run("driven-stray", func(t *testing.T) {
		flow(t, func(g *guestsApp, script []act) *guestsApp {
			d := &driver{t: t, m: g.app, root: g, stray: true}
			d.m.resize(80, 24)
			d.run(g.Init())
			drive(t, d, script)
			if !d.quit {
				t.Fatalf("the run did not end after the apply; screen:\n%s", g.render())
			}
			return g
		})
	})
}

// TestGuestsListView pins the guests list at 80x24, colours off, and that it renders the same
// twice.
func TestGuestsListView(t *testing.T) {
	r, start := guestsFixture(t)
	m := newGuestsApp(context.Background(), GuestsOptions{
		SetupOptions: SetupOptions{Report: r, Answers: start, Getenv: noColour,
			Declared: []DeclaredGuest{{Name: "legacy", Kind: guests.KindImage, MemoryMiB: 2048, VCPUs: 1}}},
	})
	m.resize(80, 24)
	got := m.render()
	if again := m.render(); again != got {
		t.Fatal("two renders differ")
	}
	golden := filepath.Join("testdata", "guests-list.golden")
	if updating() {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil || string(want) != got {
		t.Errorf("View(guests list) =\n%s\nwant (%s, %v)\n%s", got, golden, err, want)
	}
	for i, l := range strings.Split(got, "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
	}
}
