package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/installer"
)

// TestSwapRefusedWhereTyped types a swap larger than the disk: the swap field refuses it
// with the size that fits, going back shows the layouts, and a fitting size goes on.
func TestSwapRefusedWhereTyped(t *testing.T) {
	d := newDriver(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("enter", "space", "enter")
	d.expect(scrStorage)
	d.keys("enter", "enter")
	if v := plainView(d.m); !strings.Contains(v, "Swap") {
		t.Fatalf("not on the swap page:\n%s", v)
	}
	d.keys("ctrl+u")
	d.typ("99T")
	d.keys("enter")
	v := plainView(d.m)
	checkLines(t, v, 80, 24)
	if !strings.Contains(v, "99TiB does not fit") || !strings.Contains(v, "at most 9") {
		t.Errorf("the swap field does not refuse 99T where it is typed:\n%s", v)
	}
	d.expect(scrStorage)
	d.keys("esc")
	if v := plainView(d.m); !strings.Contains(v, "ext4") || !strings.Contains(v, "zfs") {
		t.Errorf("back on the first page, the layouts are not offered:\n%s", v)
	}
	d.keys("enter", "enter")
	d.keys("ctrl+u")
	d.typ("8g")
	d.keys("enter", "enter", "enter")
	d.expect(scrImpermanence)
	if got := d.m.st.a.Storage.Swap; got != 8*installer.GiB {
		t.Errorf("storage.swap = %s, want 8GiB from 8g", got)
	}
}

// TestMirrorOfUnequalDisksRefusedOnDisks picks a 447GiB and a 894GiB disk: Disks says why
// no layout fits and stays, and the other disk can be picked instead.
func TestMirrorOfUnequalDisksRefusedOnDisks(t *testing.T) {
	d := newDriver(t, testOptions(t, "lvm-thinpool-bond-vlan"))
	d.keys("enter")
	d.expect(scrDisks)
	d.m.screens[scrDisks].(*disks).picked = nil
	d.keys("space", "down", "space", "enter")
	v := plainView(d.m)
	checkLines(t, v, 80, 24)
	d.expect(scrDisks)
	if !strings.Contains(v, "cannot hold XenNix") || strings.Count(v, "differ by more than") != 1 {
		t.Errorf("Disks does not refuse the unequal mirror once, with why:\n%s", v)
	}
	if len(d.m.st.a.Disks.IDs) != 0 || d.m.st.a.Storage.Mirror {
		t.Errorf("the refused pick was kept in the answers: %+v mirror %v", d.m.st.a.Disks, d.m.st.a.Storage.Mirror)
	}
	d.keys("space", "enter") // unpick sdb: sda alone
	d.expect(scrStorage)
}

// TestInUseDisk is a machine whose only disk is mounted as /: Welcome says so with what
// it holds, and Disks shows the mounts instead of "empty" and says what to do.
func TestInUseDisk(t *testing.T) {
	o := testOptions(t, "bios-limine-static")
	for i := range o.Report.Disks {
		if o.Report.Disks[i].Name == "sda" {
			o.Report.Disks[i].Mounted = true
			o.Report.Disks[i].MountPoints = []string{"/"}
		}
	}
	o.Base = installer.Defaults(&o.Report)
	d := newDriver(t, o)
	v := plainView(d.m)
	checkLines(t, v, 80, 24)
	checkGolden(t, "in-use-welcome", v)
	if !strings.Contains(v, "No disk can be installed on: sda (mounted on /)") {
		t.Errorf("Welcome does not say the only disk is in use:\n%s", v)
	}
	d.keys("enter", "enter")
	v = plainView(d.m)
	checkLines(t, v, 80, 24)
	checkGolden(t, "in-use-disks", v)
	if strings.Contains(v, "empty") || !strings.Contains(v, "No disk here can be installed on") {
		t.Errorf("Disks shows the in-use disk as empty, or does not say what to do:\n%s", v)
	}
}

// TestEscInFilterKeepsValue filters the impermanence list down to "none" and leaves the
// filter with Esc: the choice stays zfs.
func TestEscInFilterKeepsValue(t *testing.T) {
	fl := flows()[2]
	d := newDriver(t, testOptions(t, fl.machine))
	for _, a := range fl.script {
		if a.wait == "blank" {
			break
		}
		switch {
		case a.wait != "":
		case a.typ != "":
			d.typ(a.typ)
		default:
			d.keys(a.keys...)
		}
	}
	d.expect(scrImpermanence)
	d.keys("down", "/")
	d.typ("no")
	d.keys("esc")
	d.expect(scrImpermanence)
	if v := plainView(d.m); strings.Contains(v, "filter:") || !strings.Contains(v, "blank") {
		t.Errorf("Esc did not leave the filter, or left the screen:\n%s", v)
	}
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(v, "directories") {
		t.Fatalf("after enter the choice was not zfs:\n%s", v)
	}
	d.keys("enter", "enter")
	d.expect(scrNetwork)
	if got := d.m.st.a.Impermanence.Preset; got != installer.ImpermanenceZFS {
		t.Errorf("impermanence.preset = %s, want zfs (Esc must not change a value)", got)
	}
}

// TestEscInTimezoneFilter does the same in the 600-entry time zone list.
func TestEscInTimezoneFilter(t *testing.T) {
	d := hostScreen(t)
	d.keys("ctrl+u")
	d.typ("h")
	d.keys("enter", "enter", "down", "down", "down")
	f := d.m.screens[scrHost].(*formScreen).spec.(*hostForm)
	want := f.tz
	if want == "UTC" {
		t.Fatalf("the arrows did not move in the time zone list: %s", plainView(d.m))
	}
	d.keys("/")
	d.typ("berl")
	d.keys("esc", "enter")
	if f.tz != want {
		t.Errorf("time zone = %s after Esc in the filter, want %s", f.tz, want)
	}
}

// TestResizeNarrowAndBack shrinks every question screen to 60 columns and grows it back:
// the view is the one from before, not wrapped at 60.
func TestResizeNarrowAndBack(t *testing.T) {
	fl := flows()[1]
	d := newDriver(t, testOptions(t, fl.machine))
	n := 0
	for _, a := range untilReview(fl.script) {
		switch {
		case a.wait != "":
			before := plainView(d.m)
			d.send(tea.WindowSizeMsg{Width: 60, Height: 24})
			narrow := plainView(d.m)
			checkLines(t, narrow, 60, 24)
			if foot := narrow[strings.LastIndex(strings.TrimSuffix(narrow, "\n"), "\n"):]; !strings.Contains(foot, "ctrl+c quit") {
				t.Errorf("step %d: the footer at 60 columns hides ctrl+c quit: %q", n, foot)
			}
			if lost := lostWords(before, narrow); len(lost) > 0 && d.screen() != scrDisks && d.screen() != scrReview {
				t.Errorf("step %d (%s): at 60 columns %q are cut off:\n%s", n, screenTitles[d.screen()], lost, narrow)
			}
			d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
			if after := plainView(d.m); after != before {
				t.Errorf("step %d (%s): after 60 columns and back the view is\n%s\nwant\n%s", n, screenTitles[d.screen()], after, before)
			}
			n++
		case a.typ != "":
			d.typ(a.typ)
		default:
			d.keys(a.keys...)
		}
	}
}

// lostWords are the words of a view that a narrower one lacks (below the header line, and
// while the body has room: nothing may be cut at the right margin).
func lostWords(wide, narrow string) []string {
	have := map[string]int{}
	// The header and the footer (whose minor keys give way) are not compared.
	body := func(v string) []string {
		lines := strings.Split(strings.TrimSuffix(v, "\n"), "\n")
		var ws []string
		for _, w := range strings.Fields(strings.Join(lines[1:len(lines)-1], "\n")) {
			ws = append(ws, strings.Trim(w, ",.;:()"))
		}
		return ws
	}
	for _, w := range body(narrow) {
		have[w]++
	}
	var lost []string
	for _, w := range body(wide) {
		if have[w] == 0 && w != ">" && !contains(lost, w) {
			lost = append(lost, w)
		}
	}
	return lost
}

// TestChoiceVisibleWithoutColour draws the encryption question on a vt100 (colours on,
// but none shown) and with NO_COLOR: the chosen answer is in brackets, seen as text.
func TestChoiceVisibleWithoutColour(t *testing.T) {
	for _, env := range []map[string]string{{"TERM": "vt100"}, {"TERM": "linux"}, {"NO_COLOR": "1", "TERM": "xterm-256color"}} {
		o := testOptions(t, "uefi-ext4-dhcp")
		o.Getenv = func(k string) string { return env[k] }
		d := newDriver(t, o)
		d.keys("enter", "space", "enter")
		d.expect(scrStorage)
		d.keys("enter") // to the question
		if v := plainView(d.m); !strings.Contains(v, "[No]") || strings.Contains(v, "[Encrypt]") {
			t.Errorf("%v: the chosen answer No is not marked as text:\n%s", env, v)
		}
		d.keys("left")
		if v := plainView(d.m); !strings.Contains(v, "[Encrypt]") {
			t.Errorf("%v: after left, Encrypt is not marked:\n%s", env, v)
		}
	}
}

// TestKeymapsKnown checks the suggested keymaps are kbd's, and that the host screen
// refuses one kbd does not have (zz) where it is typed.
func TestKeymapsKnown(t *testing.T) {
	for _, k := range keymaps {
		if !contains(kbdKeymaps, k) {
			t.Errorf("suggested keymap %q is not one of kbd's", k)
		}
	}
	d := hostScreen(t)
	d.keys("ctrl+u")
	d.typ("h")
	d.keys("enter", "enter", "enter", "ctrl+u")
	d.typ("zz")
	d.keys("enter")
	v := plainView(d.m)
	if !strings.Contains(v, `"zz" is not a console keymap`) {
		t.Errorf("keymap zz is not refused where typed:\n%s", v)
	}
	d.keys("ctrl+u")
	d.typ("de-latin1")
	d.keys("enter")
	if v := plainView(d.m); !strings.Contains(v, "┃ Locale") {
		t.Errorf("de-latin1 is not accepted:\n%s", v)
	}
}

// TestRefusalsNameTheScreensFields types a host name with a dot: the refusal names the
// screen's Domain question, not the answers key host.domain.
func TestRefusalsNameTheScreensFields(t *testing.T) {
	got := describe(errors.Join(
		bad("users.root.ssh_keys[0]", errors.New("not an SSH public key")),
		bad("host.hostname", errors.New("put a domain in host.domain")),
	), (&hostForm{}).labels())
	for _, key := range []string{"users.root", "host.domain", "ssh_keys"} {
		if strings.Contains(got, key) {
			t.Errorf("describe = %q, names the answers key %s", got, key)
		}
	}
	if !strings.Contains(got, "Root's SSH public keys: not an SSH public key") {
		t.Errorf("describe = %q, want the field's label", got)
	}
}

// TestHelpPerScreen opens F1 on each screen of a flow: each says what its screen decides,
// in its own words, fits 80x24, and xennix-setup does not speak of disks to erase.
func TestHelpPerScreen(t *testing.T) {
	fl := flows()[0]
	d := newDriver(t, testOptions(t, fl.machine))
	seen := map[string]screenID{}
	for _, a := range untilReview(fl.script) {
		switch {
		case a.wait != "":
			d.keys("f1")
			v := plainView(d.m)
			checkLines(t, v, 80, 24)
			id := d.screen()
			if !strings.Contains(v, screenTitles[id]) || !strings.Contains(v, "ctrl+c") {
				t.Errorf("F1 on %s:\n%s", screenTitles[id], v)
			}
			_, body, _ := strings.Cut(v, "\n")
			first := strings.SplitN(strings.TrimSpace(strings.SplitN(body, "\n", 3)[1]), " ", 4)
			key := strings.Join(first, " ")
			if other, ok := seen[key]; ok && other != id {
				t.Errorf("F1 on %s starts like on %s: %q", screenTitles[id], screenTitles[other], key)
			}
			seen[key] = id
			d.keys("esc")
			if d.m.showHelp || d.screen() != id {
				t.Errorf("Esc did not close the help on %s", screenTitles[id])
			}
		case a.typ != "":
			d.typ(a.typ)
		default:
			d.keys(a.keys...)
		}
	}
	r, start := setupFixture(t)
	sd, s := newSetupDriver(t, SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: fakeDiff(start, &r)})
	sd.keys("f1")
	if v := ansi.Strip(s.render()); strings.Contains(v, "confirm the disks") || !strings.Contains(v, "layout was chosen") {
		t.Errorf("xennix-setup's help is the installer's:\n%s", v)
	}
}

// TestWelcomeScrolls gives Welcome more warnings than fit: the last line says there is
// more, and PgDn shows the rest, down to the last line.
func TestWelcomeScrolls(t *testing.T) {
	o := testOptions(t, "uefi-ext4-dhcp")
	for i := range 8 {
		o.Report.Warnings = append(o.Report.Warnings, fmt.Sprintf("Warning number %d: a long warning that wraps onto a second line at eighty columns, as hwdetect's do.", i))
	}
	d := newDriver(t, o)
	v := plainView(d.m)
	checkLines(t, v, 80, 24)
	if !strings.Contains(v, "pgdn: more below") || strings.Contains(v, "confirm the disks by name") {
		t.Fatalf("Welcome does not say there is more:\n%s", v)
	}
	d.keys("pgdown", "pgdown", "pgdown")
	v = plainView(d.m)
	checkLines(t, v, 80, 24)
	if !strings.Contains(v, "confirm the disks by name") || !strings.Contains(v, "more above") {
		t.Errorf("after PgDn the end of Welcome is not shown:\n%s", v)
	}
	d.keys("enter")
	d.expect(scrDisks)
}

// TestSetupHostNotCut: xennix-setup's first screen loses nothing at the right margin.
func TestSetupHostNotCut(t *testing.T) {
	r, start := setupFixture(t)
	_, s := newSetupDriver(t, SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: fakeDiff(start, &r)})
	v := ansi.Strip(s.render())
	for _, want := range []string{"VT-x+EPT", "sdz 32GiB usb (installer)"} {
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) {
			t.Errorf("xennix-setup's host screen cuts %q:\n%s", want, v)
		}
	}
}

// TestNothingCutAt80 draws every screen of the three flows at 200 columns and at 80: every
// word of the wide one is in the narrow one (wrapped, or in the disk's details), so that
// nothing is cut at the right margin at 80x24.
func TestNothingCutAt80(t *testing.T) {
	for _, fl := range flows() {
		t.Run(fl.name, func(t *testing.T) {
			d := newDriver(t, testOptions(t, fl.machine))
			for i, a := range untilReview(fl.script) {
				switch {
				case a.wait != "":
					d.send(tea.WindowSizeMsg{Width: 200, Height: 24})
					wide := plainView(d.m)
					d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
					narrow := plainView(d.m)
					// The review scrolls (its viewport says how far): not compared here.
					if lost := lostWords(wide, narrow); len(lost) > 0 && d.screen() != scrReview {
						t.Errorf("step %d (%s): at 80 columns %q are cut off:\n%s", i, screenTitles[d.screen()], lost, narrow)
					}
				case a.typ != "":
					d.typ(a.typ)
				default:
					d.keys(a.keys...)
				}
			}
		})
	}
}

// TestWrapDiff wraps a long removed line: its continuation still starts with -.
func TestWrapDiff(t *testing.T) {
	long := "-# The answers this host was installed with. xennix-setup reads and rewrites this file;"
	got := wrapDiff("--- a/x\n+++ b/x\n"+long+"\n context", 60)
	lines := strings.Split(got, "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[3], "- ") || ansi.StringWidth(lines[2]) > 60 {
		t.Errorf("wrapDiff = %q, want the removed line wrapped at 60 with \"- \" in front of its continuation", got)
	}
}

// TestDiskWithoutStableID is a machine whose only disk has no /dev/disk/by-id name (a
// virtio disk without a serial): Disks lists it as unusable with why, and space does not
// pick it, since /dev/vda may be another disk at the next boot.
func TestDiskWithoutStableID(t *testing.T) {
	o := testOptions(t, "bios-limine-static")
	for i := range o.Report.Disks {
		if o.Report.Disks[i].Name == "sda" {
			o.Report.Disks[i].ByID = ""
			o.Report.Disks[i].ByIDLinks = nil
		}
	}
	o.Base = installer.Defaults(&o.Report)
	d := newDriver(t, o)
	flat := func(v string) string { return strings.Join(strings.Fields(v), " ") }
	if v := plainView(d.m); !strings.Contains(flat(v), "no stable /dev/disk/by-id name") {
		t.Errorf("Welcome does not say why the only disk cannot be used:\n%s", v)
	}
	d.keys("enter", "enter")
	d.expect(scrDisks)
	d.m.screens[scrDisks].(*disks).picked = nil
	d.keys("space")
	v := plainView(d.m)
	checkLines(t, v, 80, 24)
	if !strings.Contains(v, "[-] sda") || !strings.Contains(flat(v), "cannot be picked: it has no stable /dev/disk/by-id name") {
		t.Errorf("Disks does not list the disk without a stable id as unusable, with why:\n%s", v)
	}
	if p := d.m.screens[scrDisks].(*disks).picked; len(p) != 0 {
		t.Errorf("space picked the disk without a stable id: %v", p)
	}
}

// TestSwapTooSmallRefusedWhereTyped: a swap below disko's floor is refused on the swap
// page with disko's own words, and 0 (no swap) is fine.
func TestSwapTooSmallRefusedWhereTyped(t *testing.T) {
	d := newDriver(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("enter", "space", "enter")
	d.expect(scrStorage)
	d.keys("enter", "enter")
	d.keys("ctrl+u")
	d.typ("1M")
	d.keys("enter")
	v := plainView(d.m)
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "is too small (at least 64 MiB, or 0 for no swap)") {
		t.Errorf("a 1MiB swap is not refused where typed:\n%s", v)
	}
	d.keys("ctrl+u")
	d.typ("0")
	d.keys("enter", "enter", "enter")
	d.expect(scrImpermanence)
}

// TestNetworkRefusalOnceWithItsField types VLAN 5000: the refusal names the field and is
// shown once, by the field, not again in the network's live problems.
func TestNetworkRefusalOnceWithItsField(t *testing.T) {
	d := newDriver(t, testOptions(t, "uefi-ext4-dhcp"))
	d.keys("enter", "space", "enter")
	d.expect(scrStorage)
	for range 20 {
		if d.screen() == scrNetwork && strings.Contains(plainView(d.m), "┃ Management VLAN") {
			break
		}
		d.keys("enter")
	}
	if v := plainView(d.m); !strings.Contains(v, "┃ Management VLAN") {
		t.Fatalf("not at the VLAN field:\n%s", v)
	}
	d.typ("5000")
	d.keys("enter")
	v := plainView(d.m)
	checkLines(t, v, 80, 24)
	const msg = "Management VLAN: 5000 is not a VLAN id"
	if n := strings.Count(v, msg); n != 1 {
		t.Errorf("%q shown %d times, want once:\n%s", msg, n, v)
	}
}
