package netsetup

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// fields returns the fields named by the problems in err.
func fields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if fe, ok := e.(*FieldError); ok {
			out = append(out, fe.Field)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		walk(errors.Unwrap(e))
	}
	walk(err)
	return out
}

var testNICs = []NIC{
	{Name: "eno1", MAC: macEno1, PermanentMAC: macEno1},
	{Name: "eno2", MAC: macEno2, PermanentMAC: macEno2},
	{Name: "docker0", MAC: mustMAC("02:42:00:00:00:01"), Virtual: true},
}

func TestValidateOK(t *testing.T) {
	for _, sc := range scenarios() {
		if err := sc.cfg.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", sc.name, err)
		}
	}
	ok := []Config{
		{Uplinks: []Uplink{{Name: "eno1"}}},
		{Uplinks: []Uplink{{MAC: macEno2}}},
		{Uplinks: []Uplink{{Name: "eno1", MAC: macEno1}}, VLAN: 4094},
		{Bond: &Bond{Members: []Uplink{{Name: "eno1"}, {MAC: macEno2}}}},
		{Uplinks: []Uplink{{Name: "eno1"}}, IPv4: IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.10/24")}},
		{Uplinks: []Uplink{{Name: "eno1"}}, MTU: 576, IPv6: IPv6{Mode: IPv6Off}},
		{Uplinks: []Uplink{{Name: "eno1"}}, IPv6: IPv6{Mode: IPv6Static, Address: netip.MustParsePrefix("2001:db8::10/64"), Gateway: netip.MustParseAddr("2001:db8::1")}},
	}
	for i, c := range ok {
		if err := c.ValidateFor(testNICs); err != nil {
			t.Errorf("Validate(ok[%d]) = %v, want nil", i, err)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	static := func(addr, gw string) IPv4 {
		v := IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix(addr)}
		if gw != "" {
			v.Gateway = netip.MustParseAddr(gw)
		}
		return v
	}
	eno1 := []Uplink{{Name: "eno1"}}
	tests := []struct {
		name string
		cfg  Config
		nics []NIC
		want []string // fields, in order
	}{
		{"missing uplink", Config{Uplinks: []Uplink{{Name: "eno9"}}}, testNICs, []string{"network.uplinks[0].name"}},
		{"missing uplink by MAC", Config{Uplinks: []Uplink{{MAC: mustMAC("52:54:00:aa:bb:cc")}}}, testNICs, []string{"network.uplinks[0].mac"}},
		{"name and MAC of two NICs", Config{Uplinks: []Uplink{{Name: "eno1", MAC: macEno2}}}, testNICs, []string{"network.uplinks[0]"}},
		{"virtual NIC", Config{Uplinks: []Uplink{{Name: "docker0"}}}, testNICs, []string{"network.uplinks[0]"}},
		{"no uplinks", Config{}, nil, []string{"network.uplinks"}},
		{"uplinks and bond", Config{Uplinks: eno1, Bond: &Bond{Members: []Uplink{{Name: "eno2"}, {Name: "eno3"}}}}, nil, []string{"network.uplinks"}},
		{"empty uplink", Config{Uplinks: []Uplink{{}}}, nil, []string{"network.uplinks[0]"}},
		{"gateway outside subnet", Config{Uplinks: eno1, IPv4: static("192.0.2.10/24", "198.51.100.1")}, nil, []string{"network.ipv4.gateway"}},
		{"address is gateway", Config{Uplinks: eno1, IPv4: static("192.0.2.10/24", "192.0.2.10")}, nil, []string{"network.ipv4.gateway"}},
		{"gateway is broadcast", Config{Uplinks: eno1, IPv4: static("192.0.2.10/24", "192.0.2.255")}, nil, []string{"network.ipv4.gateway"}},
		{"address is network", Config{Uplinks: eno1, IPv4: static("192.0.2.0/24", "")}, nil, []string{"network.ipv4.address"}},
		{"static without address", Config{Uplinks: eno1, IPv4: IPv4{Mode: IPv4Static}}, nil, []string{"network.ipv4.address"}},
		{"IPv6 in ipv4", Config{Uplinks: eno1, IPv4: static("2001:db8::1/64", "")}, nil, []string{"network.ipv4.address"}},
		{"address with dhcp", Config{Uplinks: eno1, IPv4: IPv4{Address: netip.MustParsePrefix("192.0.2.10/24")}}, nil, []string{"network.ipv4.address"}},
		{"bad ipv4 mode", Config{Uplinks: eno1, IPv4: IPv4{Mode: "auto"}}, nil, []string{"network.ipv4.mode"}},
		{"ipv6 gateway outside", Config{Uplinks: eno1, IPv6: IPv6{Mode: IPv6Static, Address: netip.MustParsePrefix("2001:db8::10/64"), Gateway: netip.MustParseAddr("2001:db8:1::1")}}, nil, []string{"network.ipv6.gateway"}},
		{"ipv6 address is gateway", Config{Uplinks: eno1, IPv6: IPv6{Mode: IPv6Static, Address: netip.MustParsePrefix("2001:db8::10/64"), Gateway: netip.MustParseAddr("2001:db8::10")}}, nil, []string{"network.ipv6.gateway"}},
		{"ipv6 link-local address", Config{Uplinks: eno1, IPv6: IPv6{Mode: IPv6Static, Address: netip.MustParsePrefix("fe80::10/64")}}, nil, []string{"network.ipv6.address"}},
		{"bond with one member", Config{Bond: &Bond{Members: []Uplink{{Name: "eno1"}}}}, nil, []string{"network.bond.members"}},
		{"bond mode unknown", Config{Bond: &Bond{Mode: "lacp", Members: []Uplink{{Name: "eno1"}, {Name: "eno2"}}}}, nil, []string{"network.bond.mode"}},
		{"lacp rate without 802.3ad", Config{Bond: &Bond{LACPRate: "fast", Members: []Uplink{{Name: "eno1"}, {Name: "eno2"}}}}, nil, []string{"network.bond.lacp_rate"}},
		{"hash policy unknown", Config{Bond: &Bond{Mode: Bond8023AD, HashPolicy: "layer4", Members: []Uplink{{Name: "eno1"}, {Name: "eno2"}}}}, nil, []string{"network.bond.hashPolicy"}},
		{"duplicate members by name", Config{Bond: &Bond{Members: []Uplink{{Name: "eno1"}, {Name: "eno1"}}}}, nil, []string{"network.bond.members[1].name"}},
		{"duplicate members by MAC", Config{Bond: &Bond{Members: []Uplink{{MAC: macEno1}, {MAC: macEno1}}}}, nil, []string{"network.bond.members[1].mac"}},
		{"duplicate members name and MAC", Config{Bond: &Bond{Members: []Uplink{{Name: "eno1"}, {MAC: macEno1}}}}, testNICs, []string{"network.bond.members[1]"}},
		{"duplicate uplinks", Config{Uplinks: []Uplink{{Name: "eno1"}, {Name: "eno1"}}}, nil, []string{"network.uplinks[1].name"}},
		{"VLAN 5000", Config{Uplinks: eno1, VLAN: 5000}, nil, []string{"network.vlan"}},
		{"VLAN 4095", Config{Uplinks: eno1, VLAN: 4095}, nil, []string{"network.vlan"}},
		{"VLAN -1", Config{Uplinks: eno1, VLAN: -1}, nil, []string{"network.vlan"}},
		{"VLAN name too long", Config{Bridge: "xenbr-uplink01", Uplinks: eno1, VLAN: 100}, nil, []string{"network.vlan"}},
		{"MTU too small", Config{Uplinks: eno1, MTU: 500, IPv6: IPv6{Mode: IPv6Off}}, nil, []string{"network.mtu"}},
		{"MTU too small for IPv6", Config{Uplinks: eno1, MTU: 1000}, nil, []string{"network.mtu"}},
		{"MTU too big", Config{Uplinks: eno1, MTU: 9217}, nil, []string{"network.mtu"}},
		{"bridge name with slash", Config{Bridge: "xen/br0", Uplinks: eno1}, nil, []string{"network.bridge"}},
		{"bridge name with space", Config{Bridge: "xen br0", Uplinks: eno1}, nil, []string{"network.bridge"}},
		{"bridge name too long", Config{Bridge: "xenbridge-number1", Uplinks: eno1}, nil, []string{"network.bridge"}},
		{"bridge name glob", Config{Bridge: "xenbr*", Uplinks: eno1}, nil, []string{"network.bridge"}},
		{"bridge name reserved", Config{Bridge: "vif0", Uplinks: eno1}, nil, []string{"network.bridge"}},
		{"uplink is bridge", Config{Uplinks: []Uplink{{Name: "xenbr0"}}}, nil, []string{"network.uplinks[0].name"}},
		{"bond named like bridge", Config{Bridge: "br0", Bond: &Bond{Name: "br0", Members: []Uplink{{Name: "eno1"}, {Name: "eno2"}}}}, nil, []string{"network.bond.name"}},
		{"multicast MAC", Config{Uplinks: []Uplink{{MAC: mustMAC("01:00:5e:00:00:01")}}}, nil, []string{"network.uplinks[0].mac"}},
		{"pinNames without MAC", Config{Uplinks: eno1, PinNames: true}, nil, []string{"network.uplinks[0].mac"}},
		{"bad DNS", Config{Uplinks: eno1, DNS: []netip.Addr{{}, netip.MustParseAddr("0.0.0.0")}}, nil, []string{"network.dns[0]", "network.dns[1]"}},
		{"bad search", Config{Uplinks: eno1, Search: []string{"ok.example", "bad_domain", "-x.example"}}, nil, []string{"network.search[1]", "network.search[2]"}},
		{"several problems", Config{Bond: &Bond{Members: []Uplink{{Name: "eno1"}}}, VLAN: 5000, IPv4: static("192.0.2.10/24", "192.0.2.10")}, nil,
			[]string{"network.bond.members", "network.vlan", "network.ipv4.gateway"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.nics != nil {
				err = tc.cfg.ValidateFor(tc.nics)
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors for %q", tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate() = %v, not ErrInvalid", err)
			}
			if got := fields(err); !slices.Equal(got, tc.want) {
				t.Errorf("Validate() fields = %q, want %q\n%v", got, tc.want, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "network.") {
					t.Errorf("problem %q does not start with its field", line)
				}
			}
		})
	}
}

func TestRenderRejectsInvalid(t *testing.T) {
	_, err := Config{Uplinks: []Uplink{{Name: "eno1"}}, VLAN: 5000}.RenderFile()
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("RenderFile(VLAN 5000) error = %v, want ErrInvalid", err)
	}
}

func TestWithDefaultsDoesNotModify(t *testing.T) {
	b := &Bond{Members: []Uplink{{Name: "eno1"}, {Name: "eno2"}}}
	c := Config{Bond: b}
	d := c.WithDefaults()
	if b.Name != "" || b.Mode != "" || b.MIIMonMs != 0 {
		t.Errorf("WithDefaults changed the caller's Bond: %+v", *b)
	}
	if d.Bridge != DefaultBridge || d.Bond.Name != DefaultBond || d.Bond.Mode != BondActiveBackup || d.Bond.MIIMonMs != 100 ||
		d.IPv4.Mode != IPv4DHCP || d.IPv6.Mode != IPv6RA {
		t.Errorf("WithDefaults() = %+v (bond %+v)", d, *d.Bond)
	}
}

// TestValidateDepths: what the machine decides (the default uplink, the MACs pinned names
// match) is required by Validate and not by ValidateForm; the NICs only by ValidateFor.
func TestValidateDepths(t *testing.T) {
	for _, tc := range []struct {
		name                string
		cfg                 Config
		form, full, machine []string
	}{
		{"no uplink", Config{}, nil, []string{"network.uplinks"}, []string{"network.uplinks"}},
		{"pinned name without MAC", Config{Uplinks: []Uplink{{Name: "eno1"}}, PinNames: true}, nil, []string{"network.uplinks[0].mac"}, []string{"network.uplinks[0].mac"}},
		{"absent NIC", Config{Uplinks: []Uplink{{Name: "eno9"}}}, nil, nil, []string{"network.uplinks[0].name"}},
		{"wireless NIC", Config{Uplinks: []Uplink{{Name: "wlp4s0"}}}, nil, nil, []string{"network.uplinks[0]"}},
		{"bad name", Config{Uplinks: []Uplink{{Name: "eth*"}}}, []string{"network.uplinks[0].name"}, []string{"network.uplinks[0].name"}, []string{"network.uplinks[0].name"}},
		{"MTU 1000 with IPv6 off", Config{Uplinks: []Uplink{{Name: "eno1"}}, MTU: 1000, IPv6: IPv6{Mode: IPv6Off}}, nil, nil, nil},
		{"MTU 1000 with IPv6 on", Config{Uplinks: []Uplink{{Name: "eno1"}}, MTU: 1000}, []string{"network.mtu"}, []string{"network.mtu"}, []string{"network.mtu"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nics := append(slices.Clone(testNICs), NIC{Name: "wlp4s0", MAC: mustMAC("3c:a9:f4:00:00:01"), Wireless: true})
			if got := fields(tc.cfg.ValidateForm()); !slices.Equal(got, tc.form) {
				t.Errorf("ValidateForm() fields = %q, want %q", got, tc.form)
			}
			if got := fields(tc.cfg.Validate()); !slices.Equal(got, tc.full) {
				t.Errorf("Validate() fields = %q, want %q", got, tc.full)
			}
			if got := fields(tc.cfg.ValidateFor(nics)); !slices.Equal(got, tc.machine) {
				t.Errorf("ValidateFor() fields = %q, want %q", got, tc.machine)
			}
		})
	}
}

// TestEnumsValid: every listed value of each enumeration is Valid (its switch has a case),
// and a value outside the list is not.
func TestEnumsValid(t *testing.T) {
	for _, m := range BondModes {
		if !m.Valid() {
			t.Errorf("BondMode(%q).Valid() = false", m)
		}
	}
	for _, r := range LACPRates {
		if !r.Valid() {
			t.Errorf("LACPRate(%q).Valid() = false", r)
		}
	}
	for _, h := range HashPolicies {
		if !h.Valid() {
			t.Errorf("HashPolicy(%q).Valid() = false", h)
		}
	}
	if BondMode("lacp").Valid() || LACPRate("medium").Valid() || HashPolicy("layer4").Valid() || BondMode("").Valid() {
		t.Error("a value outside its enumeration is Valid")
	}
}
