package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xennix/xennix/installer"
)

// menuGuestsBack4 is "Back to the setup menu" in the guests menu with four guests (add,
// four edits, four removals, back).
const menuGuestsBack4 = "10"

// TestSetupAccessibleMenuGuests adds a guest from `xennix-setup --accessible`'s own menu
// together with a Xen change: one review shows both, and one apply writes
// xennix/settings.nix and xennix/guests.nix.
func TestSetupAccessibleMenuGuests(t *testing.T) {
	root := guestHost(t)
	fakeRebuild(t)
	lines := append(append([]string{menuSetupGuests, menuAdd}, addDB...), menuGuestsBack4,
		menuSetupXen, "6GiB", "", "", "0", // dom0 memory; vCPUs, serial console, passthrough kept
		menuSetupReview, "y")
	out, code, _ := accessibleSetup(t, root, lines)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"5. Change: Guests", "== Guests of lab-01 ==", "db is in the list",
		"Back to the setup menu (review and apply from there)", "== Review changes ==",
		"+++ b/etc/nixos/xennix/settings.nix", "+++ b/etc/nixos/xennix/guests.nix", "guests will start: db\n", "Applied."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if nix := readEtc(t, root, installer.GuestsFile); !strings.Contains(nix, "    db = {") {
		t.Errorf("xennix/guests.nix lacks db:\n%s", nix)
	}
	if s := readEtc(t, root, "xennix/settings.nix"); !strings.Contains(s, "6144") {
		t.Errorf("settings.nix lacks dom0 memory 6144 MiB:\n%s", s)
	}
}

// TestSetupAccessibleMenuGuestsQuit: a guest added from the setup menu and then quitting
// writes nothing.
func TestSetupAccessibleMenuGuestsQuit(t *testing.T) {
	root := guestHost(t)
	before := readEtc(t, root, installer.GuestsFile)
	lines := append(append([]string{menuSetupGuests, menuAdd}, addDB...), menuGuestsBack4, menuSetupQuit)
	out, code, ran := accessibleSetup(t, root, lines)
	if code != 1 || !strings.HasSuffix(out, "xennix-setup: quit; nothing changed\n") {
		t.Errorf("exit %d, want 1 and \"quit; nothing changed\":\n%s", code, out)
	}
	if got := readEtc(t, root, installer.GuestsFile); got != before {
		t.Errorf("xennix/guests.nix changed:\n%s", got)
	}
	if len(ran) != 0 {
		t.Errorf("ran %q, want nothing", ran)
	}
}

// fakeRebuild puts a nixos-rebuild on PATH that only logs its arguments: with --root
// xennix-setup's apply runs `nixos-rebuild build`, which needs nixpkgs.
func fakeRebuild(t *testing.T) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "nixos-rebuild"), []byte("#!/bin/sh\necho \"$@\" >> "+filepath.Join(bin, "rebuild.log")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}
