package installer

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/nixexpr"
)

// TestReservedXLKeysMatchModule keeps the Go list of the xl.cfg keys extra_config refuses
// equal to the module's reservedKeys, whose assertion refuses them on the host.
func TestReservedXLKeysMatchModule(t *testing.T) {
	src, err := os.ReadFile("../assets/nixos/guests/default.nix")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\breservedKeys = \[(.*?)\];`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no reservedKeys = [ ... ]; in assets/nixos/guests/default.nix")
	}
	var nix []string
	for _, q := range regexp.MustCompile(`"([^"]*)"`).FindAllSubmatch(m[1], -1) {
		nix = append(nix, string(q[1]))
	}
	if !slices.Equal(guests.ReservedXLKeys, nix) {
		t.Errorf("guests.ReservedXLKeys = %q, want the module's reservedKeys %q", guests.ReservedXLKeys, nix)
	}
}

// TestExtraConfig decodes a guest's free xl.cfg keys, writes the answers back and reads
// them again (the same values, a quoted number staying a string), and renders them as the
// module's extraConfig.
func TestExtraConfig(t *testing.T) {
	file := guest("kind: image", "disks: [{target: /srv/a.img}]", "extra_config:",
		"  viridian: [defaults, time_ref_count]",
		"  videoram: 16",
		"  nestedhvm: true",
		`  vga: "8"`,
		"  x.y: 'a \"quoted\" \\ value'")
	a, err := Parse("a.yaml", []byte(file), Answers{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]guests.XLValue{
		"viridian":  guests.XLListValue(guests.XLScalar{Kind: guests.XLString, Str: "defaults"}, guests.XLScalar{Kind: guests.XLString, Str: "time_ref_count"}),
		"videoram":  guests.XLIntValue(16),
		"nestedhvm": guests.XLBoolValue(true),
		"vga":       guests.XLStringValue("8"),
		"x.y":       guests.XLStringValue(`a "quoted" \ value`),
	}
	got := a.Guests[0].ExtraConfig
	if !mapsEqual(got, want) {
		t.Fatalf("Parse extra_config = %v, want %v", got, want)
	}
	b, err := a.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("again.yaml", b, Answers{})
	if err != nil || !mapsEqual(again.Guests[0].ExtraConfig, want) {
		t.Fatalf("Parse(Marshal) extra_config = %v, %v; want %v\n%s", again.Guests[0].ExtraConfig, err, want, b)
	}
	attrs, err := guestAttrs(a.Guests[0].Model())
	if err != nil {
		t.Fatal(err)
	}
	b, err = nixexpr.Print(attrs)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, line := range []string{
		`nestedhvm = true;`,
		`vga = "8";`,
		`videoram = 16;`,
		`viridian = [`,
		`"x.y" = "a \"quoted\" \\ value";`,
	} {
		if !strings.Contains(out, line) {
			t.Errorf("rendered guest lacks %q:\n%s", line, out)
		}
	}
	// A value the answers could not hold is refused by the renderer too.
	bad := a.Guests[0].Model()
	bad.ExtraConfig = map[string]guests.XLValue{"uuid": guests.XLStringValue("x")}
	if _, err := guestAttrs(bad); err == nil || !strings.Contains(err.Error(), "uuid") {
		t.Errorf("guestAttrs(extraConfig.uuid) = %v, want a refusal naming uuid", err)
	}
}

func mapsEqual(a, b map[string]guests.XLValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.String() != w.String() || v.List != w.List {
			return false
		}
	}
	return true
}
