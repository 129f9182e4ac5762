package tui

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/installer"
)

// addDBLines answer the guest form's pages for db: name, kind, memory, vCPUs, autostart,
// new volume, whole disk, ISO, IPv4 address, gateway, MAC, extra xl.cfg keys, PCI (0
// confirms none).
var addDBLines = []string{"db", "", "2GiB", "2", "", "10GiB", "", "", "192.0.2.30/24", "192.0.2.1", "", "", "0"}

// TestSetupAccessibleGuestsEntry adds a guest from xennix-setup's own plain menu: Guests
// leads into the guests list and form, back to the setup menu, and the setup review shows
// and applies the new guest together with the other sections' changes.
func TestSetupAccessibleGuestsEntry(t *testing.T) {
	r, start := guestsFixture(t)
	var applied []installer.Answers
	o := SetupOptions{Report: r, Answers: start, Accessible: true, Diff: guestsDiff(start),
		Declared: []DeclaredGuest{{Name: "legacy", Kind: guests.KindImage, MemoryMiB: 2048, VCPUs: 1}},
		Apply: func(_ context.Context, a installer.Answers) (string, error) {
			applied = append(applied, a)
			return "wrote /etc/nixos/xennix/guests.nix\n", nil
		}}
	lines := slices.Concat(
		[]string{"5", "1"}, // Change: Guests; Add a guest
		addDBLines,
		[]string{"10"},     // back to the setup menu (add, 4 edits, 4 removals, back)
		[]string{"6", "y"}, // review, apply
	)
	var out bytes.Buffer
	o.Input, o.Output = strings.NewReader(strings.Join(lines, "\n")+"\n"), &out
	a, err := RunSetup(t.Context(), o)
	if err != nil {
		t.Fatalf("RunSetup = %v; output:\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{"5. Change: Guests", "== Guests of lab-01 ==", "legacy", "== Add a guest ==",
		"db is in the list", "Back to the setup menu", "== Review changes ==", "+    db = {", "Applied."} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if len(applied) != 1 {
		t.Fatalf("applied %d times, want once; output:\n%s", len(applied), got)
	}
	if _, _, ok := applied[0].GuestByName("db"); !ok {
		t.Errorf("applied answers lack db: %+v", applied[0].Guests)
	}
	if _, _, ok := a.GuestByName("db"); !ok {
		t.Errorf("returned answers lack db")
	}
}

// TestSetupScreensGuests: the full-screen xennix-setup has the guests list before the
// review; a guest added there is in the review's diff and in what is applied.
func TestSetupScreensGuests(t *testing.T) {
	r, start := guestsFixture(t)
	var applied []installer.Answers
	o := SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: guestsDiff(start),
		Declared: []DeclaredGuest{{Name: "legacy", Kind: guests.KindImage, MemoryMiB: 2048, VCPUs: 1}},
		Apply: func(_ context.Context, a installer.Answers) (string, error) {
			applied = append(applied, a)
			return "ran nixos-rebuild switch", nil
		}}
	d, s := newSetupDriver(t, o)
	if i := slices.Index(s.order, scrGuests); i != len(s.order)-2 {
		t.Fatalf("setup order %v: the guests list is at %d, want just before the review", s.order, i)
	}
	s.cur = len(s.order) - 3 // Host and users: Enter through its pages reaches the guests
	d.run(s.active().Enter())
	for s.activeID() == scrHost {
		d.keys("enter")
	}
	d.expect(scrGuests)
	v := ansi.Strip(s.render())
	// The footer keeps every key of the list at 80 columns, Esc back included.
	for _, want := range []string{"XenNix setup — Guests (6/7)", "Guests of lab-01", "read-only here", "legacy", "a add", "e edit", "d remove", "r review", "esc back"} {
		if !strings.Contains(v, want) {
			t.Errorf("the guests screen lacks %q:\n%s", want, v)
		}
	}
	d.keys("a")
	d.typ("db")
	d.keys("enter")
	for s.screens[scrGuests].(*guestsList).form != nil {
		d.keys("enter")
	}
	if v := ansi.Strip(s.render()); !strings.Contains(v, "db ") {
		t.Fatalf("db is not in the list:\n%s", v)
	}
	d.keys("r")
	d.expect(scrReview)
	if v := ansi.Strip(s.render()); !strings.Contains(v, "+    db = {") {
		t.Errorf("the review lacks db:\n%s", v)
	}
	d.keys("a")
	if len(applied) != 1 {
		t.Fatalf("applied %d times, want once", len(applied))
	}
	if _, _, ok := applied[0].GuestByName("db"); !ok {
		t.Errorf("applied answers lack db: %+v", applied[0].Guests)
	}
}
