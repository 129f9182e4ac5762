package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/installer"
)

const guestsHardware = "../../assets/examples/hardware/guests-thinpool.json"

// accessibleSetup runs `xennix-setup --root ROOT --accessible ARGS...` on the guests example
// host with the lines on stdin (a pipe, not a terminal), with the recording runner, and
// returns what it printed, its exit code and what it ran.
func accessibleSetup(t *testing.T, root string, lines []string, args ...string) (string, int, []string) {
	t.Helper()
	rec := &recorder{}
	old := guestRunner
	guestRunner = func(*cobra.Command, string, bool) installer.Runner { return rec }
	defer func() { guestRunner = old }()
	input := ""
	if lines != nil {
		input = strings.Join(lines, "\n") + "\n"
	}
	var out bytes.Buffer
	argv := append([]string{"xennix-setup", "--root", root, "--hardware", guestsHardware, "--accessible"}, args...)
	code := run(context.Background(), argv, strings.NewReader(input), &out, &out)
	return strings.ReplaceAll(out.String(), root, "$ROOT"), code, rec.calls
}

// The guests menu of the example host: web, debian and media are the tool's.
const (
	menuAdd     = "1"
	menuReview  = "8"  // with the three guests
	menuQuit    = "9"  // with the three guests
	menuReview4 = "10" // with a fourth guest
)

// The setup menu: the sections (network, Xen, impermanence, host and users), guests,
// review, quit.
const (
	menuSetupXen    = "2"
	menuSetupGuests = "5"
	menuSetupReview = "6"
	menuSetupQuit   = "7"
)

// addDB are the answers to the add form for db: name, kind, memory, vCPUs, autostart, new
// volume, whole disk, ISO, IPv4 address, gateway, MAC, extra xl.cfg keys, PCI (0 confirms
// none).
var addDB = []string{"db", "", "2GiB", "2", "", "10GiB", "", "", "192.0.2.30/24", "192.0.2.1", "", "", "0"}

func readEtc(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "etc/nixos", rel))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// TestSetupAccessibleGuestsAdd adds a guest with `xennix-setup --accessible guests` from
// piped answers: the form's questions, the review (what the switch does to the guests, the
// diff) and the apply, which writes xennix/guests.nix and rebuilds.
func TestSetupAccessibleGuestsAdd(t *testing.T) {
	root := guestHost(t)
	lines := append(append([]string{menuAdd}, addDB...), menuReview4, "y")
	out, code, ran := accessibleSetup(t, root, lines, "guests")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"== Guests of lab-01 ==", "Declared in configuration.nix (read-only here: edit them there):\n  legacy",
		"== Add a guest ==", "Memory ", "db is in the list; nothing is written until you review and apply.",
		"== Review changes ==", "guests will start: db\n", "+++ b/etc/nixos/xennix/guests.nix",
		"Apply these changes? [y/N]", "wrote /etc/nixos/xennix/guests.nix", "Applied.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("accessible output has escape sequences:\n%q", out)
	}
	nix := readEtc(t, root, installer.GuestsFile)
	for _, want := range []string{"    db = {\n      kind = \"nixos\";\n      memory = 2048;\n      vcpus = 2;", `volume = "var";`, `size = "10G";`, `address = "192.0.2.30/24";`, "nixos.config = ../guests/db.nix;"} {
		if !strings.Contains(nix, want) {
			t.Errorf("xennix/guests.nix lacks %q:\n%s", want, nix)
		}
	}
	if a := readEtc(t, root, installer.AnswersFile); !strings.Contains(a, "  - name: db\n    memory: 2GiB\n") {
		t.Errorf("answers.yaml lacks db:\n%s", a)
	}
	if readEtc(t, root, "guests/db.nix") == "" {
		t.Errorf("guests/db.nix not written")
	}
	if len(ran) != 1 || ran[0] != "nixos-rebuild switch --flake /etc/nixos#lab-01" {
		t.Errorf("ran %q, want one nixos-rebuild switch", ran)
	}
}

// TestSetupAccessibleGuestsRefuses types bad values: ones the field refuses by its syntax
// or by the answers' rules (asked again at once, the refusal naming the field), and one
// only the whole guest shows (kind ISO without an ISO: the problem named by its field, the
// form asked again with what was typed kept); the corrected guest is then applied.
func TestSetupAccessibleGuestsRefuses(t *testing.T) {
	root := guestHost(t)
	// Kind ISO (2), memory 16MiB then 2GiB, vCPUs many then 2, no ISO.
	first := slices2(addDB, map[int][]string{1: {"2"}, 2: {"16MiB", "2GiB"}, 3: {"many", "2"}})
	// Again: every answer kept (Enter) but the ISO.
	again := []string{"", "", "", "", "", "", "", "/var/lib/xen/iso/db.iso", "", "", "", "", "0"}
	lines := append(append(append([]string{menuAdd}, first...), again...), menuReview4, "y")
	out, code, _ := accessibleSetup(t, root, lines, "guests")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "vCPUs (empty: 1) vCPUs: want a whole number of at least 1\nvCPUs (empty: 1) ") {
		t.Errorf("vcpus many was not refused naming the field and asked again:\n%s", out)
	}
	if !strings.Contains(out, "Memory: 16MiB is too little for a guest") {
		t.Errorf("memory 16MiB was not refused at the field naming it:\n%s", out)
	}
	if !strings.Contains(out, "Please correct:\nInstaller ISO: ") {
		t.Errorf("kind ISO without an ISO was not refused naming the field:\n%s", out)
	}
	if !strings.Contains(out, "Memory (e.g. 2GiB; empty: 1GiB; now 2GiB, Enter keeps it, - empties it)") {
		t.Errorf("the form asked again does not show what was typed:\n%s", out)
	}
	if n := strings.Count(out, "== Add a guest =="); n != 2 {
		t.Errorf("the form was asked %d times, want 2:\n%s", n, out)
	}
	if nix := readEtc(t, root, installer.GuestsFile); !strings.Contains(nix, "    db = {\n      kind = \"iso\";\n      memory = 2048;\n      vcpus = 2;") {
		t.Errorf("xennix/guests.nix lacks the corrected db:\n%s", nix)
	}
}

// TestSetupAccessibleGuestsEdit edits web: its memory changed, its static address emptied
// with "-" (an empty line keeps a value), the rest kept; the review says web restarts.
func TestSetupAccessibleGuestsEdit(t *testing.T) {
	root := guestHost(t)
	// Edit web: kind, memory, vCPUs, autostart, volume, whole disk, ISO, IPv4, gateway,
	// MAC, extra xl.cfg keys, PCI.
	lines := []string{"2", "", "4GiB", "", "", "", "", "", "-", "-", "", "", "0", menuReview, "y"}
	out, code, _ := accessibleSetup(t, root, lines, "guests")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"== Edit the guest web ==", "IPv4 address (static, with prefix, e.g. 192.0.2.20/24; empty: DHCP; now 192.0.2.20/24, Enter keeps it, - empties it)", "guests will restart: web\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	nix := readEtc(t, root, installer.GuestsFile)
	if !strings.Contains(nix, "    web = {\n      kind = \"nixos\";\n      memory = 4096;\n      vcpus = 2;") || strings.Contains(nix, "192.0.2.20") {
		t.Errorf("xennix/guests.nix: web not at 4096 MiB without its address:\n%s", nix)
	}
	if !strings.Contains(nix, `volume = "var";`) {
		t.Errorf("xennix/guests.nix: web lost its volume:\n%s", nix)
	}
}

// slices2 is lines with the line at each index replaced by the given lines.
func slices2(lines []string, at map[int][]string) []string {
	var out []string
	for i, l := range lines {
		if r, ok := at[i]; ok {
			out = append(out, r...)
			continue
		}
		out = append(out, l)
	}
	return out
}

// TestSetupAccessibleEOF: the input ending anywhere (at the menu, inside the form, at the
// confirmation) quits, says nothing changed, and writes and runs nothing.
func TestSetupAccessibleEOF(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
	}{
		{"at the menu", nil},
		{"in the form", []string{menuAdd, "db", "", "2GiB"}},
		{"at the confirmation", append(append([]string{menuAdd}, addDB...), menuReview4)},
		{"quit", []string{menuQuit}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := guestHost(t)
			before := map[string]string{}
			for _, f := range []string{installer.GuestsFile, installer.AnswersFile, "guests/db.nix"} {
				before[f] = readEtc(t, root, f)
			}
			out, code, ran := accessibleSetup(t, root, tc.lines, "guests")
			if code != 1 || !strings.HasSuffix(out, "xennix-setup: quit; nothing changed\n") {
				t.Errorf("exit %d, want 1 and \"quit; nothing changed\":\n%s", code, out)
			}
			for f, b := range before {
				if got := readEtc(t, root, f); got != b {
					t.Errorf("%s changed", f)
				}
			}
			if len(ran) != 0 {
				t.Errorf("ran %q, want nothing", ran)
			}
		})
	}
}

// TestSetupAccessibleSections changes a section of the host (Xen: dom0 memory) through the
// same form pages as the screens, reviews the diff and applies it with a stand-in
// nixos-rebuild.
func TestSetupAccessibleSections(t *testing.T) {
	root := guestHost(t)
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "nixos-rebuild"), []byte("#!/bin/sh\necho \"$@\" >> "+filepath.Join(bin, "rebuild.log")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	// Xen: dom0 memory 6GiB, vCPUs and serial console kept, passthrough confirmed as it is;
	// then review and apply.
	out, code, _ := accessibleSetup(t, root, []string{"2", "6GiB", "", "", "0", menuSetupReview, "y"})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"XenNix setup: change this host, lab-01.", "Disk layout (not changeable here): lvm", "== Xen ==", "dom0 memory ",
		"== Review changes ==", "+++ b/etc/nixos/xennix/settings.nix", "apply will build $ROOT/etc/nixos", "Applied."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if s := readEtc(t, root, "xennix/settings.nix"); !strings.Contains(s, "6144") {
		t.Errorf("settings.nix lacks dom0 memory 6144 MiB:\n%s", s)
	}
	if log, _ := os.ReadFile(filepath.Join(bin, "rebuild.log")); !strings.Contains(string(log), "build --flake") {
		t.Errorf("nixos-rebuild ran %q, want a build", log)
	}
}
