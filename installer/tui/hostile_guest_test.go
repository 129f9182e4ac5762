package tui

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/installer"
)

// TestGuestFormHostileScreen types hostile values into the full-screen guest form at 80x24
// (a 300-character name, 1TiB of memory on a 64GiB host, 0 vCPUs, ../../etc as the ISO, a
// broadcast MAC, web's address, extra_config name=x): each is refused on its own page, the refusal names the
// field and is on the screen (not below it), no line is wider than 80 columns, and leaving
// the form changes nothing.
func TestGuestFormHostileScreen(t *testing.T) {
	r, start := guestsFixture(t)
	o := SetupOptions{Report: r, Answers: start, Getenv: noColour, Diff: guestsDiff(start),
		Apply: func(context.Context, installer.Answers) (string, error) {
			t.Error("Apply called")
			return "", nil
		}}
	d, s := newSetupDriver(t, o)
	s.cur = slices.Index(s.order, scrGuests)
	d.run(s.active().Enter())
	l := s.screens[scrGuests].(*guestsList)
	d.keys("a")
	for _, tc := range []struct {
		page, bad, refusal, good string
	}{
		{"DNS label", strings.Repeat("a", 300), `Name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"... (300 characters) is not a`, "db"},
		{"Kind", "", "", ""},
		{"empty: 1GiB", "1TiB", "Memory: the guests that start with the host need", "2GiB"},
		{"vCPUs", "0", "vCPUs: want a whole number of at least 1", "2"},
		{"Start with the host", "", "", ""},
		{"guest storage", "", "", ""},
		{"host does not use", "", "", ""},
		{"its path on the host", "../../etc", `Installer ISO: "../../etc" is not an absolute path`, ""},
		{"with prefix", "192.0.2.20/24", "IPv4 address: 192.0.2.20 is also web's address", ""},
		{"IPv4 gateway", "", "", ""},
		{"stable one derived", "ff:ff:ff:ff:ff:ff", "MAC address: \"ff:ff:ff:ff:ff:ff\" is a multicast address", ""},
		{"XenNix does not set", "name=x", "Extra xl.cfg keys: name cannot be set here", ""},
	} {
		v := ansi.Strip(s.render())
		if !strings.Contains(v, tc.page) {
			t.Fatalf("want the page %q; the screen shows:\n%s", tc.page, v)
		}
		if tc.bad != "" {
			d.typ(tc.bad)
			d.keys("enter")
			v := ansi.Strip(s.render())
			if !strings.Contains(v, tc.refusal) || !strings.Contains(v, tc.page) {
				t.Errorf("%s refused with %q? the screen shows:\n%s", tc.bad, tc.refusal, v)
			}
			if strings.Contains(v, "more below") {
				t.Errorf("%s: the screen scrolls; the refusal may be under the bottom:\n%s", tc.bad, v)
			}
			for _, line := range strings.Split(v, "\n") {
				if ansi.StringWidth(line) > 80 {
					t.Errorf("%s: a line wider than 80 columns: %q", tc.bad, line)
				}
			}
			d.keys("ctrl+u")
			d.typ(tc.good)
		}
		d.keys("enter")
	}
	if v := ansi.Strip(s.render()); !strings.Contains(v, "PCI devices") {
		t.Fatalf("want the PCI page last; the screen shows:\n%s", v)
	}
	d.keys("esc")
	if l.form != nil {
		t.Fatal("Esc did not leave the form")
	}
	if !reflect.DeepEqual(s.st.a, start) {
		t.Errorf("the answers changed though the form was left:\n got %+v\nwant %+v", s.st.a.Guests, start.Guests)
	}
}

// TestGuestFormHostileAccessible types the same values at the plain prompts, from a pipe:
// each refusal names its field and the prompt is asked again; quitting writes nothing and
// nothing panics.
func TestGuestFormHostileAccessible(t *testing.T) {
	r, start := guestsFixture(t)
	applied := false
	o := GuestsOptions{SetupOptions: SetupOptions{Report: r, Answers: start, Accessible: true, Diff: guestsDiff(start),
		Apply: func(context.Context, installer.Answers) (string, error) { applied = true; return "", nil }}}
	lines := []string{"1", // Add a guest
		strings.Repeat("a", 300), "db", // name
		"",             // kind
		"1TiB", "2GiB", // memory
		"0", "2", // vCPUs
		"", "", "", // autostart, new volume, whole disk
		"../../etc", "", // ISO
		"", "", // IPv4 address, gateway
		"ff:ff:ff:ff:ff:ff", "", // MAC
		"name=x", "", // extra xl.cfg keys
		"zz", "0", // PCI: not a number, then none
		"11", // quit (add, four edits, four removals, review, quit)
	}
	var out bytes.Buffer
	o.Input, o.Output = strings.NewReader(strings.Join(lines, "\n")+"\n"), &out
	a, err := RunGuests(t.Context(), o)
	got := out.String()
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") || applied {
		t.Fatalf("RunGuests = %v, applied %v; want a quit with nothing applied; output:\n%s", err, applied, got)
	}
	for _, want := range []string{
		`Name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"... (300 characters) is not a guest name`,
		"Memory: the guests that start with the host need",
		"vCPUs: want a whole number of at least 1",
		`Installer ISO: "../../etc" is not an absolute path`,
		`MAC address: "ff:ff:ff:ff:ff:ff" is a multicast address`,
		"Extra xl.cfg keys: name cannot be set here",
		"db is in the list",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, strings.Repeat("a", 64)) {
		t.Errorf("the 300-character name is echoed whole:\n%s", got)
	}
	if len(a.Guests) != len(start.Guests)+1 {
		t.Errorf("the session's answers have %d guests, want the new one too", len(a.Guests))
	}
}
