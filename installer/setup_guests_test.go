package installer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xennix/xennix/guests"
)

func webGuest() Guest {
	return Guest{Name: "web", Memory: 2 * GiB, Disks: []GuestDisk{{Volume: "var", Size: 10 * GiB}}}
}

// TestSetupGuestFiles: adding a NixOS guest writes its own module once; later changes to
// the guest rewrite only xennix/guests.nix, never the user's module, and removing the last
// guest leaves an empty guests.nix (so the switch stops it) and the user's module in place.
func TestSetupGuestFiles(t *testing.T) {
	root, rep := installedTree(t, setupExample)
	etc := filepath.Join(root, "etc/nixos")
	apply := func(edit func(*Answers)) []string {
		t.Helper()
		h, err := LoadHost(root, rep)
		if err != nil {
			t.Fatal(err)
		}
		next := h.Answers
		edit(&next)
		res, err := h.Apply(context.Background(), next, true, &rebuildRunner{})
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, c := range res.Changes {
			paths = append(paths, c.Path)
		}
		return paths
	}
	if got := apply(func(a *Answers) { a.Guests = append(a.Guests, webGuest()) }); strings.Join(got, " ") != "guests/web.nix xennix/answers.yaml xennix/guests.nix" {
		t.Errorf("adding web changed %v", got)
	}
	mine := []byte("{ ... }: { services.nginx.enable = true; system.stateVersion = \"25.11\"; }\n")
	if err := os.WriteFile(filepath.Join(etc, "guests/web.nix"), mine, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := apply(func(a *Answers) { a.Guests[0].Memory = 4 * GiB }); strings.Join(got, " ") != "xennix/answers.yaml xennix/guests.nix" {
		t.Errorf("changing web's memory changed %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(etc, "guests/web.nix")); string(b) != string(mine) {
		t.Errorf("guests/web.nix was rewritten:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(etc, GuestsFile)); !strings.Contains(string(b), "memory = 4096;") {
		t.Errorf("guests.nix lacks the new memory:\n%s", b)
	}
	if got := apply(func(a *Answers) { a.Guests = nil }); strings.Join(got, " ") != "xennix/answers.yaml xennix/guests.nix" {
		t.Errorf("removing web changed %v", got)
	}
	b, _ := os.ReadFile(filepath.Join(etc, GuestsFile))
	if strings.Contains(string(b), "web") || !strings.Contains(string(b), "xennix.guests = { };") {
		t.Errorf("guests.nix after removing the last guest:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(etc, "guests/web.nix")); err != nil {
		t.Errorf("the user's guests/web.nix is gone: %v", err)
	}
}

// TestSetupGuestRebuildFailureRestores: a failed rebuild removes the files the change
// created (guests.nix, the guest's module) and restores the others byte for byte.
func TestSetupGuestRebuildFailureRestores(t *testing.T) {
	root, rep := installedTree(t, setupExample)
	before := snapshot(t, filepath.Dir(root))
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	next := h.Answers
	next.Guests = []Guest{webGuest()}
	if _, err := h.Apply(context.Background(), next, true, &rebuildRunner{fail: true}); err == nil {
		t.Fatal("Apply with a failing rebuild = nil")
	}
	after := snapshot(t, filepath.Dir(root))
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed after a failed rebuild", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok && !strings.HasSuffix(p, ".prev") {
			t.Errorf("%s appeared after a failed rebuild", p)
		}
	}
}

// TestSetupRefusesDeclaredGuest: a guest the user declares in Nix (in the manifest, not in
// the tool's answers) cannot be defined again by the tool.
func TestSetupRefusesDeclaredGuest(t *testing.T) {
	root, rep := installedTree(t, setupExample)
	m := filepath.Join(root, guests.ManifestPath)
	os.MkdirAll(filepath.Dir(m), 0o755)
	if err := os.WriteFile(m, []byte(`{"version": 1, "guests": {"web": {"kind": "nixos", "memory": 1024, "vcpus": 1}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Declared("web") || h.Declared("db") {
		t.Fatalf("Declared(web) = %v, Declared(db) = %v; want true, false", h.Declared("web"), h.Declared("db"))
	}
	next := h.Answers
	next.Guests = []Guest{webGuest()}
	_, err = h.Changes(next, true)
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, guests.ErrDeclared) {
		t.Fatalf("Changes = %v, want ErrInvalid and guests.ErrDeclared", err)
	}
	if p := Problems(err); len(p) != 1 || p[0].Field != "guests[0].name" || !strings.Contains(p[0].Error(), "web is defined twice: it is declared in configuration.nix") {
		t.Errorf("problems = %v", p)
	}
}

// TestSetupGuestPCIAfterReboot: a guest given a device dom0 does not hide yet hides it from
// the next boot: the change becomes the boot default, and says why.
func TestSetupGuestPCIAfterReboot(t *testing.T) {
	root, rep := installedTree(t, "guests-thinpool")
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	next := h.Answers
	next.Guests = append(next.Guests, Guest{Name: "audio", Kind: guests.KindImage, Memory: GiB,
		Disks: []GuestDisk{{Target: "/var/lib/xen/images/audio.img"}}, PCI: []guests.PCIAddress{{Bus: 0x41, Function: 1}}})
	run := &rebuildRunner{}
	res, err := h.Apply(context.Background(), next, false, run)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != RebuildBoot || strings.Join(res.Why, ", ") != "PCI passthrough" {
		t.Errorf("Apply mode %s why %q, want boot because of PCI passthrough", res.Mode, res.Why)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/nixos", SettingsFile))
	if !strings.Contains(string(b), `passthrough = [ "0000:41:00.0" "0000:41:00.1" ];`) {
		t.Errorf("settings.nix does not hide both devices:\n%s", b)
	}
}

func TestEffectsOnGuests(t *testing.T) {
	off := false
	old := Answers{Xen: Xen{Passthrough: []guests.PCIAddress{{Bus: 0x41}}}, Guests: []Guest{
		{Name: "same", Memory: GiB}, {Name: "bigger", Memory: GiB}, {Name: "lazy", Memory: GiB, RestartIfChanged: &off},
		{Name: "gone"}, {Name: "disabled"},
	}}
	next := Answers{Xen: old.Xen, Guests: []Guest{
		{Name: "same", Memory: GiB}, {Name: "bigger", Memory: 2 * GiB}, {Name: "lazy", Memory: 2 * GiB, RestartIfChanged: &off},
		{Name: "disabled", Enable: &off}, {Name: "new"}, {Name: "manual", Autostart: &off},
		{Name: "gpu", Kind: guests.KindImage, PCI: []guests.PCIAddress{{Bus: 0x41}, {Bus: 0x42}}},
	}}
	got := EffectsOnGuests(old, next).String()
	want := "guests will start: new, gpu\n" +
		"guests will restart: bigger\n" +
		"guests will stop: disabled, gone\n" +
		"guests changed, not restarted (restart_if_changed is false: xennix guest apply): lazy\n" +
		"guests after reboot (PCI devices hidden from dom0 at the next boot): gpu (0000:42:00.0)\n"
	if got != want {
		t.Errorf("EffectsOnGuests =\n%s\nwant\n%s", got, want)
	}
	if s := EffectsOnGuests(old, old).String(); s != "" {
		t.Errorf("EffectsOnGuests(same) = %q, want nothing", s)
	}
}
