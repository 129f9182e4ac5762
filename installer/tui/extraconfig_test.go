package tui

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/installer"
)

// TestParseExtraConfig reads the form's free xl.cfg keys by the answers' rules: the key's
// form, the reserved keys, the values' types; every problem named by its key.
func TestParseExtraConfig(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]guests.XLValue
		errs     []string
	}{
		{name: "empty", in: "  "},
		{name: "atoms and a list", in: `viridian=["defaults", "time_ref_count"], nestedhvm=true, shadow_memory=8, vga="stdvga"`,
			want: map[string]guests.XLValue{
				"viridian":      guests.XLListValue(guests.XLScalar{Kind: guests.XLString, Str: "defaults"}, guests.XLScalar{Kind: guests.XLString, Str: "time_ref_count"}),
				"nestedhvm":     guests.XLBoolValue(true),
				"shadow_memory": guests.XLIntValue(8),
				"vga":           guests.XLStringValue("stdvga"),
			}},
		{name: "lines", in: "nestedhvm=1\nvga=stdvga\n", want: map[string]guests.XLValue{"nestedhvm": guests.XLIntValue(1), "vga": guests.XLStringValue("stdvga")}},
		{name: "a comma inside quotes", in: `cmdline="a, b"`, want: map[string]guests.XLValue{"cmdline": guests.XLStringValue("a, b")}},
		{name: "reserved", in: "name=x", errs: []string{"name cannot be set here"}},
		{name: "reserved and bad keys", in: "uuid=1, Foo=2, on_poweroff=destroy", errs: []string{"uuid cannot be set here", `"Foo" is not an xl.cfg key`, "on_poweroff cannot be set here"}},
		{name: "no value", in: "vga=", errs: []string{"vga: give a value"}},
		{name: "not key=value", in: "vga", errs: []string{`"vga" is not key=value`}},
		{name: "negative", in: "shadow_memory=-1", errs: []string{"shadow_memory: ", "no negative numbers"}},
		{name: "a mapping", in: "vga={a: b}", errs: []string{"vga: "}},
		{name: "twice", in: "vga=a, vga=b", errs: []string{"vga: given twice"}},
		{name: "a long key", in: strings.Repeat("K", 300) + "=1", errs: []string{"(300 characters) is not an xl.cfg key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseExtraConfig(tc.in)
			if len(tc.errs) == 0 {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("parseExtraConfig(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseExtraConfig(%q) = %v, nil; want errors %q", tc.in, got, tc.errs)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 400 {
				t.Errorf("parseExtraConfig(%q)'s error is not one short line: %q", tc.in, err)
			}
			for _, w := range tc.errs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("parseExtraConfig(%q) = %q, want it to say %q", tc.in, err, w)
				}
			}
		})
	}
}

// TestExtraConfigRoundTrip: a guest's keys shown in the form read back the same.
func TestExtraConfigRoundTrip(t *testing.T) {
	m := map[string]guests.XLValue{
		"viridian":  guests.XLListValue(guests.XLScalar{Kind: guests.XLString, Str: "defaults"}),
		"nestedhvm": guests.XLBoolValue(true),
		"vga":       guests.XLStringValue(`std "vga", x`),
		"hap":       guests.XLIntValue(1),
	}
	text := extraConfigText(m)
	if text != `hap=1, nestedhvm=true, vga="std \"vga\", x", viridian=["defaults"]` {
		t.Errorf("extraConfigText = %q", text)
	}
	got, err := parseExtraConfig(text)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("parseExtraConfig(extraConfigText(m)) = %v, %v; want %v", got, err, m)
	}
}

// TestGuestFormExtraConfigAccessible edits web's extra xl.cfg keys at the plain prompts:
// name=x is refused at the field, naming it, and asked again; the keys typed then are in
// the answers.
func TestGuestFormExtraConfigAccessible(t *testing.T) {
	r, start := guestsFixture(t)
	_, i, _ := start.GuestByName("web")
	var applied []installer.Answers
	o := GuestsOptions{SetupOptions: SetupOptions{Report: r, Answers: start, Accessible: true, Diff: func(installer.Answers) (string, error) { return "a change\n", nil },
		Apply: func(_ context.Context, a installer.Answers) (string, error) {
			applied = append(applied, a)
			return "", nil
		}}}
	// Edit web: kind, memory, vCPUs, autostart, volume, whole disk, ISO, IPv4, gateway,
	// MAC, then the extra keys (refused, then given), PCI; review, apply.
	lines := slices.Concat([]string{"2"}, slices.Repeat([]string{""}, 10), []string{"name=x", `viridian=["defaults"], nestedhvm=true`, "0", "8", "y"})
	var out bytes.Buffer
	o.Input, o.Output = strings.NewReader(strings.Join(lines, "\n")+"\n"), &out
	if _, err := RunGuests(t.Context(), o); err != nil {
		t.Fatalf("RunGuests = %v; output:\n%s", err, out.String())
	}
	got := out.String()
	if !strings.Contains(got, "Extra xl.cfg keys (xl.cfg(5) keys XenNix does not set") {
		t.Errorf("the form does not ask for the extra keys:\n%s", got)
	}
	if !strings.Contains(got, "name cannot be set here: the guest's unit depends on it") {
		t.Errorf("name=x was not refused at the field:\n%s", got)
	}
	if len(applied) != 1 {
		t.Fatalf("applied %d times; output:\n%s", len(applied), got)
	}
	web := applied[0].Guests[i]
	want := map[string]guests.XLValue{"viridian": guests.XLListValue(guests.XLScalar{Kind: guests.XLString, Str: "defaults"}), "nestedhvm": guests.XLBoolValue(true)}
	if !reflect.DeepEqual(web.ExtraConfig, want) {
		t.Errorf("web's extra_config = %v, want %v", web.ExtraConfig, want)
	}
}

// TestGuestFormExtraConfigScreen types name=x into the full-screen form's field: the
// refusal is at the field, names the key, and the form does not go on; a good value then
// reaches the answers, and editing again shows it.
func TestGuestFormExtraConfigScreen(t *testing.T) {
	r, start := guestsFixture(t)
	d, s := newSetupDriver(t, SetupOptions{Report: r, Answers: start, Getenv: noColour})
	s.cur = slices.Index(s.order, scrGuests)
	d.run(s.active().Enter())
	l := s.screens[scrGuests].(*guestsList)
	d.keys("e") // web
	for i := 0; i < 20 && !strings.Contains(ansi.Strip(s.render()), "XenNix does not set"); i++ {
		d.keys("enter")
	}
	d.typ("name=x")
	d.keys("enter")
	v := ansi.Strip(s.render())
	if !strings.Contains(v, "name cannot be set here") || !strings.Contains(v, "Extra xl.cfg keys") || strings.Contains(v, "more below") {
		t.Fatalf("name=x is not refused at the field:\n%s", v)
	}
	for _, line := range strings.Split(v, "\n") {
		if ansi.StringWidth(line) > 80 {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	d.keys("ctrl+u")
	d.typ("nestedhvm=true")
	for l.form != nil {
		d.keys("enter")
	}
	if got := s.st.a.Guests[0].ExtraConfig; !reflect.DeepEqual(got, map[string]guests.XLValue{"nestedhvm": guests.XLBoolValue(true)}) {
		t.Errorf("web's extra_config = %v, want nestedhvm=true", got)
	}
	if d := newGuestDraft(s.st.a.Guests[0], 0); d.extra != "nestedhvm=true" {
		t.Errorf("editing again shows %q", d.extra)
	}
}
