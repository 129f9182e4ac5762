package installer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xennix/xennix/guests"
)

// xlFixture answers `xl list -l` with the guest commands' fixture.
type xlFixture struct{ t *testing.T }

func (x xlFixture) Run(_ context.Context, argv []string) ([]byte, error) {
	if strings.Join(argv, " ") != "xl list -l" {
		x.t.Fatalf("ran %q", argv)
	}
	return os.ReadFile("../cmd/xennix/testdata/guests/xl-list-l.json")
}

// TestAdoptedGuestEvaluates adopts the fixture's HVM domain win into the example host's
// answers: the answers are valid on its machine, and the guests.nix they render evaluates
// with the guests module without a failed assertion, keeping the domain's UUID and MAC.
func TestAdoptedGuestEvaluates(t *testing.T) {
	m, notes, err := guests.Adoptable(t.Context(), xlFixture{t}, "win")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) == 0 {
		t.Errorf("Adoptable(win) has no notes, want the empty CD-ROM drive named")
	}
	m.Autostart = false
	root, rep := installedTree(t, "guests-thinpool")
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	next, err := h.AddGuest(GuestFromModel(m))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Apply(t.Context(), next, true, &rebuildRunner{}); err != nil {
		t.Fatal(err)
	}
	failed, man := evalGeneratedGuests(t, filepath.Join(root, "etc/nixos"), next)
	for _, f := range failed {
		t.Errorf("failed assertion: %s", f)
	}
	e, ok := man.Guests["win"]
	if !ok {
		t.Fatalf("manifest has no win: %v", man.Names())
	}
	if e.UUID != "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f" || len(e.Interfaces) != 1 || e.Interfaces[0].MAC != "00:16:3e:77:88:99" || e.Autostart {
		t.Errorf("manifest win = %+v, want the domain's UUID and MAC, no autostart", e)
	}
	for _, name := range []string{"handmade", "nosuch"} {
		if _, _, err := guests.Adoptable(t.Context(), xlFixture{t}, name); err == nil {
			t.Errorf("Adoptable(%s) = nil error, want a refusal", name)
		}
	}
}
