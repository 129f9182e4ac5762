package installer

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/xennix/xennix/disko"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
)

// TestOneProblemPerRule: a rule that both the installer and a leaf once had gives one
// problem. Before, an 8 GiB disk got "needs at least 17GiB" (the installer's copy) and
// "needs at least 9.0 GiB" (disko's) on the same line, and mtu 1000 with IPv6 off was
// refused by the installer's copy (1280) though netsetup takes 576 and more without IPv6.
func TestOneProblemPerRule(t *testing.T) {
	small := disk("vdb", "/dev/disk/by-id/virtio-small", "", "small", "virtio", 8*GiB, false)
	r := fixtureMachine("uefi-ext4-dhcp")
	r.Disks = append([]hwdetect.Disk{small}, r.Disks...)
	byID := strings.Replace(base, "/dev/disk/by-id/nvme-eui.0001", small.ByID, 1)
	byFilter := strings.Replace(base, "  ids: [/dev/disk/by-id/nvme-eui.0001]\n", "  filter:\n    max_size: 10GiB\n", 1)
	for _, tc := range []struct {
		name, file, field string
		line              int
	}{
		{"by id", byID, "disks.ids[0]", 5},
		{"by filter", byFilter, "disks.filter", 5},
	} {
		t.Run("8GiB disk "+tc.name, func(t *testing.T) {
			a, err := Parse("answers.yaml", []byte(tc.file), Defaults(&r))
			if err != nil {
				t.Fatal(err)
			}
			var sizes []*FieldError
			for _, p := range Problems(a.Validate(&r)) {
				if strings.Contains(p.Error(), "needs at least") || strings.Contains(p.Error(), "too small") {
					sizes = append(sizes, p)
				}
			}
			if len(sizes) != 1 || sizes[0].Field != tc.field || sizes[0].Pos.Line != tc.line {
				t.Fatalf("size problems = %v, want exactly one, at %s line %d", sizes, tc.field, tc.line)
			}
			if want := "virtio-small is 8 GiB, too small for ext4: needs at least 9.0 GiB"; !strings.Contains(sizes[0].Error(), want) {
				t.Errorf("size problem = %q, want it to say %q", sizes[0], want)
			}
		})
	}

	// On the machine the example's disk is there: only the MTU is in question.
	onMachine := strings.Replace(base, "/dev/disk/by-id/nvme-eui.0001", "/dev/disk/by-id/nvme-eui.0025385b71b2c3d4", 1)
	mtu := func(ipv6 string) string {
		return onMachine + "network:\n  mtu: 1000\n  ipv6:\n    mode: \"" + ipv6 + "\"\n"
	}
	for _, report := range []*hwdetect.Report{nil, &r} {
		hw := report != nil
		if _, err := ParseAndValidate("answers.yaml", []byte(mtu("off")), Defaults(report), report); err != nil {
			t.Errorf("mtu 1000 with IPv6 off (hardware %t) = %v, want it accepted (netsetup takes %d and more without IPv6)", hw, err, netsetup.MinMTU)
		}
		_, err := ParseAndValidate("answers.yaml", []byte(mtu("ra")), Defaults(report), report)
		got := Problems(err)
		if len(got) != 1 || got[0].Field != "network.mtu" || got[0].Pos.Line != 10 || !strings.Contains(got[0].Error(), "want 1280..9216 while IPv6 is on") {
			t.Errorf("mtu 1000 with IPv6 on (hardware %t) = %v, want one problem at network.mtu line 10 naming the 1280 floor", hw, got)
		}
	}
}

// TestEnumsConvert: every word the answers accept for an enumeration that a leaf also has
// converts to a value that leaf takes; a word outside the list is an error naming its field
// (only Go code can make one), never a panic.
func TestEnumsConvert(t *testing.T) {
	for _, p := range presets {
		got, err := diskoPreset(p)
		if err != nil || string(got) != string(p) {
			t.Errorf("diskoPreset(%q) = %q, %v", p, got, err)
		}
	}
	for _, m := range bondModes {
		got, err := netBondMode(m)
		if err != nil || !got.Valid() || string(got) != string(m) {
			t.Errorf("netBondMode(%q) = %q, %v", m, got, err)
		}
	}
	for _, r := range lacpRates {
		got, err := netLACPRate(r)
		if err != nil || !got.Valid() || string(got) != string(r) {
			t.Errorf("netLACPRate(%q) = %q, %v", r, got, err)
		}
	}
	for _, f := range firmwares[1:] { // auto is resolved before it converts
		if got, err := diskoFirmware(f); err != nil || string(got) != string(f) {
			t.Errorf("diskoFirmware(%q) = %q, %v", f, got, err)
		}
	}
	for _, l := range loaders[1:] {
		if got, err := diskoLoader(l); err != nil || string(got) != string(l) {
			t.Errorf("diskoLoader(%q) = %q, %v", l, got, err)
		}
	}
	for _, k := range guestKinds {
		if got, err := diskoGuestKind(k); err != nil || string(got) != string(k) {
			t.Errorf("diskoGuestKind(%q) = %q, %v", k, got, err)
		}
	}
	for _, p := range impermanencePresets {
		if got, err := diskoImpermanence(p); err != nil || got != string(p) {
			t.Errorf("diskoImpermanence(%q) = %q, %v", p, got, err)
		}
	}
	if _, err := diskoFirmware(FirmwareAuto); err == nil {
		t.Error("diskoFirmware(auto) converted: auto must be resolved first")
	}
	if len(bondModes) != len(netsetup.BondModes) || len(lacpRates) != len(netsetup.LACPRates) || len(presets) != len(disko.Presets) {
		t.Errorf("the answers offer %d bond modes, %d LACP rates and %d presets; netsetup and disko have %d, %d and %d",
			len(bondModes), len(lacpRates), len(presets), len(netsetup.BondModes), len(netsetup.LACPRates), len(disko.Presets))
	}
	a := Answers{Storage: Storage{Preset: "xfs", Guests: GuestStorage{Kind: "ceph"}}, Impermanence: Impermanence{Preset: "overlay"}, Network: Network{Bond: &Bond{Mode: "lacp", LACPRate: "medium", Members: []string{"eno1", "eno2"}}}}
	want := map[string]bool{"storage.preset": true, "storage.guests.kind": true, "impermanence.preset": true, "network.bond.mode": true, "network.bond.lacp_rate": true}
	for _, p := range Problems(a.Validate(nil)) {
		if want[p.Field] && strings.Contains(p.Error(), "has no counterpart") {
			delete(want, p.Field)
		}
	}
	if len(want) > 0 {
		t.Errorf("Validate of unknown words made in Go: no problem at %v", want)
	}
}

// TestLeafFieldsAreAnswersFields: every field disko and netsetup name in their problems
// is, through leafFields, a field of the answers file, so that each problem lands on a line
// the user wrote. A leaf field that drifts from the answers (netsetup once said pinNames)
// fails here.
func TestLeafFieldsAreAnswersFields(t *testing.T) {
	var leaf []string
	for _, src := range []struct {
		file string
		re   *regexp.Regexp
	}{
		{"../disko/validate.go", regexp.MustCompile(`Field[A-Za-z]+ += "([^"]+)"`)},
		{"../netsetup/validate.go", regexp.MustCompile(`"(network\.[A-Za-z0-9_.]+)"`)},
	} {
		b, err := os.ReadFile(src.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range src.re.FindAllStringSubmatch(string(b), -1) {
			leaf = append(leaf, m[1])
		}
	}
	// Fields built with an index (fmt.Sprintf("%s[%d]", …)).
	leaf = append(leaf, "disks[0]", "disks[1]", "network.dns[0]", "network.search[1]", "network.ntp[0]",
		"network.uplinks[0]", "network.uplinks[0].name", "network.uplinks[1].mac",
		"network.bond.members[0]", "network.bond.members[1].name", "network.bond.members[0].mac")
	if len(leaf) < 40 {
		t.Fatalf("only %d leaf fields found: %q", len(leaf), leaf)
	}
	for _, filter := range []bool{false, true} {
		v := &validator{}
		if filter {
			v.a.Disks.Filter = &DiskFilter{}
		}
		for _, f := range leaf {
			if got := v.answersField(f); !isAnswersField(reflect.TypeFor[Answers](), got) {
				t.Errorf("leaf field %s maps to %s (filter %t), which the answers file does not have", f, got, filter)
			}
		}
	}
	if got := (&validator{}).answersField("network.bond.members[1].mac"); got != "network.bond.members[1]" {
		t.Errorf("answersField(network.bond.members[1].mac) = %s, want the member as written", got)
	}
}

// isAnswersField reports whether field is a path of yaml keys (with list indexes) in t.
func isAnswersField(t reflect.Type, field string) bool {
	if field == "" {
		return true
	}
	key, rest, _ := strings.Cut(field, ".")
	index := regexp.MustCompile(`^([a-z_0-9]+)(\[[0-9]+\])?$`).FindStringSubmatch(key)
	if index == nil {
		return false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != index[1] {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if index[2] != "" {
			if ft.Kind() != reflect.Slice {
				return false
			}
			ft = ft.Elem()
		}
		return isAnswersField(ft, rest)
	}
	return false
}

// TestDiskIDsCheckedByDisko: the ids of the answers are disko's to check, as written and, on
// the machine, as the disks they name: a kernel name is refused even though the machine has
// the disk, and two links of one disk are that disk twice.
func TestDiskIDsCheckedByDisko(t *testing.T) {
	r := fixtureMachine("uefi-ext4-dhcp")
	nvme := r.Disks[0]
	nvme.ByIDLinks = append(nvme.ByIDLinks, "/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_1TB_S6Z1NJ0W100001")
	r.Disks[0] = nvme
	ids := func(list string) string {
		return strings.Replace(base, "[/dev/disk/by-id/nvme-eui.0001]", list, 1)
	}
	for _, tc := range []struct {
		name, file, field, text string
	}{
		{"kernel name", ids("[/dev/nvme0n1]"), "disks.ids[0]", "is not a /dev/disk/by-id/ path"},
		{"two links of one disk", ids("["+nvme.ByIDLinks[0]+", "+nvme.ByIDLinks[1]+"]") + "storage:\n  preset: zfs\n  mirror: true\n", "disks.ids[1]", "is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAndValidate("answers.yaml", []byte(tc.file), Defaults(&r), &r)
			var got []string
			for _, p := range Problems(err) {
				if p.Field == tc.field && strings.Contains(p.Error(), tc.text) && p.Pos.Line == 5 {
					got = append(got, p.Error())
				}
			}
			if len(got) != 1 {
				t.Errorf("ParseAndValidate = %v; want one problem at %s line 5 saying %q", err, tc.field, tc.text)
			}
		})
	}
}
