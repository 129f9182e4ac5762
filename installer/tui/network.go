package tui

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"charm.land/huh/v2"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// networkForm asks for the bridge's uplink (one NIC or a bond), IPv4 by DHCP or static, and
// an optional management VLAN. Addresses are checked as they are typed by the installer's
// own validation.
type networkForm struct {
	st       *state
	bridge   string
	uplink   string // "" (first NIC with link), a NIC name, or bondChoice
	members  []string
	mode     installer.BondMode
	bondName string
	lacp     string
	ipv4     installer.IPv4Mode
	addr     string
	gw       string
	dns      string
	vlan     string
	mtu      string
	ipv6     installer.IPv6Mode
	addr6    string
	gw6      string
	search   string
	ntp      string
}

const bondChoice = "bond"

func (f *networkForm) load() {
	n := f.st.a.Network
	f.uplink, f.members, f.mode = "", nil, "active-backup"
	switch {
	case n.Bond != nil:
		f.uplink = bondChoice
		f.members = append([]string{}, n.Bond.Members...)
		if n.Bond.Mode != "" {
			f.mode = n.Bond.Mode
		}
	case len(n.Uplinks) > 0:
		f.uplink = n.Uplinks[0]
	}
	f.ipv4 = n.IPv4.Mode
	if f.ipv4 == "" {
		f.ipv4 = installer.IPv4DHCP
	}
	f.addr, f.gw = "", ""
	if n.IPv4.Address.IsValid() {
		f.addr = n.IPv4.Address.String()
	}
	if n.IPv4.Gateway.IsValid() {
		f.gw = n.IPv4.Gateway.String()
	}
	var dns []string
	for _, d := range n.DNS {
		dns = append(dns, d.String())
	}
	f.dns = strings.Join(dns, " ")
	f.vlan = ""
	if n.VLAN != 0 {
		f.vlan = strconv.Itoa(n.VLAN)
	}
	f.bridge = bridgeName(f.st.a)
	f.bondName, f.lacp = "bond0", "slow"
	if n.Bond != nil {
		if n.Bond.Name != "" {
			f.bondName = n.Bond.Name
		}
		if n.Bond.LACPRate != "" {
			f.lacp = string(n.Bond.LACPRate)
		}
	}
	f.mtu = ""
	if n.MTU != 0 {
		f.mtu = strconv.Itoa(n.MTU)
	}
	f.ipv6 = n.IPv6.Mode
	if f.ipv6 == "" {
		f.ipv6 = installer.IPv6RA
	}
	f.addr6, f.gw6 = "", ""
	if n.IPv6.Address.IsValid() {
		f.addr6 = n.IPv6.Address.String()
	}
	if n.IPv6.Gateway.IsValid() {
		f.gw6 = n.IPv6.Gateway.String()
	}
	f.search = strings.Join(n.Search, " ")
	f.ntp = strings.Join(n.NTP, " ")
}

// ifnameCheck validates an interface name by the installer's rules, as typed.
func (f *networkForm) ifnameCheck(field string, v *string) func(string) error {
	return orCurrent(v, f.fieldCheck(field, v, func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New("a name is needed")
		}
		return nil
	}))
}

// ports are the NICs that can be bridge ports: physical and wired.
func ports(r hwdetect.Report) []hwdetect.NIC {
	var out []hwdetect.NIC
	for _, n := range r.NICs {
		if !n.Virtual && !n.Wireless {
			out = append(out, n)
		}
	}
	return out
}

func nicLabel(n hwdetect.NIC) string {
	return fmt.Sprintf("%-10s %-7s %-8s %s", n.Name, linkWord(n), n.Driver, n.MAC)
}

func (f *networkForm) intro() string {
	return wrapText("Guests and the host share a bridge. Pick what connects it to the network.", f.st.width())
}

func (f *networkForm) labels() map[string]string {
	return map[string]string{
		"network": "Network", "network.uplinks": "Uplink of the bridge", "network.bond": "Bond members",
		"network.bond.mode": "Bonding mode", "network.ipv4": "IPv4 address of the host",
		"network.ipv4.address": "Address/prefix", "network.ipv4.gateway": "Gateway",
		"network.dns": "DNS servers", "network.vlan": "Management VLAN",
		"network.bridge": "Bridge name", "network.bond.name": "Bond name", "network.bond.lacp_rate": "LACP rate",
		"network.mtu": "MTU", "network.ipv6": "IPv6 address of the host", "network.ipv6.address": "IPv6 address/prefix",
		"network.ipv6.gateway": "IPv6 gateway", "network.search": "DNS search domains", "network.ntp": "NTP servers",
	}
}

func bridgeName(a installer.Answers) string {
	if a.Network.Bridge == "" {
		return "xenbr0"
	}
	return a.Network.Bridge
}

// live shows the network problems of what is typed so far.
func (f *networkForm) live(shown string) string {
	saved := f.st.a.Network
	defer func() { f.st.a.Network = saved }()
	f.write()
	var lines []string
	for _, err := range sectionProblems(f.st, "network") {
		var fe *installer.FieldError
		if errors.As(err, &fe) && f.ipv4 == installer.IPv4Static && f.addr == "" && fe.Field == "network.ipv4.address" {
			continue // not typed yet
		}
		if errors.As(err, &fe) && f.ipv6 == installer.IPv6Static && f.addr6 == "" && fe.Field == "network.ipv6.address" {
			continue // not typed yet
		}
		if errors.As(err, &fe) && inSection(fe.Field, "network.bond") && !f.st.tried {
			continue // no member picked yet
		}
		text := describe(err, f.labels())
		if text == shown {
			continue // the field shows it
		}
		lines = append(lines, hang(f.st.styles.Error.Render("! "), text, f.st.width()))
	}
	return strings.Join(lines, "\n")
}

func (f *networkForm) pages() []page {
	firstUp := "none has link now"
	for _, n := range ports(f.st.r) {
		if n.Carrier {
			firstUp = n.Name + " now"
			break
		}
	}
	return []page{
		{build: func() *huh.Group {
			opts := []huh.Option[string]{huh.NewOption(fmt.Sprintf("auto       the first NIC with link (%s)", firstUp), "")}
			for _, n := range ports(f.st.r) {
				opts = append(opts, huh.NewOption(nicLabel(n), n.Name))
			}
			if len(ports(f.st.r)) >= 2 {
				opts = append(opts, huh.NewOption("bond       two or more NICs together", bondChoice))
			}
			fields := []huh.Field{huh.NewSelect[string]().Title(choiceTitle(f.st, "Uplink of the bridge", opts, f.uplink)).Options(opts...).Value(&f.uplink)}
			if !f.st.fileSet("network", func(a installer.Answers) any { return a.Network.Bridge }) {
				fields = append(fields, f.st.textField("Bridge name", "Guests' interfaces join it; default xenbr0.", &f.bridge, f.ifnameCheck("network.bridge", &f.bridge), false))
			}
			return huh.NewGroup(fields...)
		}},
		{show: func() bool { return f.uplink == bondChoice }, build: func() *huh.Group {
			var opts []huh.Option[string]
			for _, n := range ports(f.st.r) {
				opts = append(opts, huh.NewOption(nicLabel(n), n.Name).Selected(contains(f.members, n.Name)))
			}
			var modes []huh.Option[installer.BondMode]
			for _, m := range []struct{ m, d string }{
				{"active-backup", "one port at a time; works with any switch"},
				{"802.3ad", "LACP: needs a switch configured for it"},
				{"balance-alb", "adaptive load balancing, any switch"},
				{"balance-tlb", "transmit load balancing, any switch"},
				{"balance-xor", "static aggregation (switch side too)"},
				{"balance-rr", "round robin (switch side too)"},
			} {
				modes = append(modes, huh.NewOption(fmt.Sprintf("%-13s %s", m.m, m.d), installer.BondMode(m.m)))
			}
			return huh.NewGroup(
				huh.NewMultiSelect[string]().Title(picksTitle(f.st, "Bond members", f.members)).Description("Pick two or more with space or x.").Height(len(opts)+3).
					Options(opts...).Value(&f.members).Validate(func(v []string) error {
					if len(v) < 2 && f.st.tried {
						return errors.New("a bond needs at least two members")
					}
					return nil
				}),
				huh.NewSelect[installer.BondMode]().Title(choiceTitle(f.st, "Bonding mode", modes, f.mode)).Options(modes...).Value(&f.mode),
			)
		}},
		{show: func() bool { return f.uplink == bondChoice }, build: func() *huh.Group {
			fields := []huh.Field{f.st.textField("Bond name", "Default bond0.", &f.bondName, f.ifnameCheck("network.bond.name", &f.bondName), false)}
			if f.mode == "802.3ad" {
				rates := []huh.Option[string]{huh.NewOption("slow     every 30 seconds (the default)", "slow"), huh.NewOption("fast     every second", "fast")}
				fields = append(fields, huh.NewSelect[string]().Title(choiceTitle(f.st, "LACP rate", rates, f.lacp)).
					Description("How often the switch is asked for LACP packets; set the switch the same.").
					Options(rates...).Value(&f.lacp))
			}
			return huh.NewGroup(fields...)
		}},
		{build: func() *huh.Group {
			modes := []huh.Option[installer.IPv4Mode]{
				huh.NewOption("dhcp     from a DHCP server", installer.IPv4DHCP),
				huh.NewOption("static   typed here", installer.IPv4Static),
			}
			return huh.NewGroup(
				huh.NewSelect[installer.IPv4Mode]().Title(choiceTitle(f.st, "IPv4 address of the host", modes, f.ipv4)).Options(modes...).Value(&f.ipv4),
				f.st.textField("Management VLAN", "The VLAN id of the host's address (1-4094); empty for untagged.", &f.vlan,
					f.fieldCheck("network.vlan", &f.vlan, func(s string) error { _, err := parseVLAN(s); return err }), true),
				f.st.textField("MTU", "Bytes per frame on the uplink and bridge; empty for the default 1500 (jumbo frames: 9000).", &f.mtu,
					f.fieldCheck("network.mtu", &f.mtu, func(s string) error { _, err := parseMTU(s); return err }), true),
			)
		}},
		{show: func() bool { return f.ipv4 == installer.IPv4Static }, build: func() *huh.Group {
			return huh.NewGroup(
				f.st.textField("Address/prefix", f.st.plainOnly("e.g. 192.0.2.10/24"), &f.addr,
					f.fieldCheck("network.ipv4.address", &f.addr, func(s string) error { _, err := parsePrefix(s); return err }), false).Placeholder("e.g. 192.0.2.10/24"),
				f.st.textField("Gateway", f.st.plainOnly("e.g. 192.0.2.1"), &f.gw,
					f.fieldCheck("network.ipv4.gateway", &f.gw, func(s string) error { _, err := parseAddr(s); return err }), true).Placeholder("e.g. 192.0.2.1"),
				f.st.textField("DNS servers", "Separated by spaces; empty to use none.", &f.dns,
					f.fieldCheck("network.dns", &f.dns, func(s string) error { _, err := parseAddrs(s); return err }), true).Placeholder("e.g. 192.0.2.53"),
			)
		}},
		{build: func() *huh.Group {
			modes := []huh.Option[installer.IPv6Mode]{
				huh.NewOption("auto     router advertisements (SLAAC), the default", installer.IPv6RA),
				huh.NewOption("dhcpv6   from a DHCPv6 server", installer.IPv6DHCPv6),
				huh.NewOption("static   typed here", installer.IPv6Static),
				huh.NewOption("off      no IPv6", installer.IPv6Off),
			}
			return huh.NewGroup(
				huh.NewSelect[installer.IPv6Mode]().Title(choiceTitle(f.st, "IPv6 address of the host", modes, f.ipv6)).Options(modes...).Value(&f.ipv6),
				f.st.textField("DNS search domains", "Names tried after short host names, e.g. example.org; separated by spaces; empty for none.", &f.search,
					f.fieldCheck("network.search", &f.search, func(string) error { return nil }), true),
				f.st.textField("NTP servers", "The clock follows them; empty: those DHCP gives, else the NixOS pool.", &f.ntp,
					f.fieldCheck("network.ntp", &f.ntp, func(string) error { return nil }), true),
			)
		}},
		{show: func() bool { return f.ipv6 == installer.IPv6Static }, build: func() *huh.Group {
			return huh.NewGroup(
				f.st.textField("IPv6 address/prefix", f.st.plainOnly("e.g. 2001:db8::10/64"), &f.addr6,
					f.fieldCheck("network.ipv6.address", &f.addr6, func(s string) error { _, err := parsePrefix6(s); return err }), false).Placeholder("e.g. 2001:db8::10/64"),
				f.st.textField("IPv6 gateway", "Empty to take it from router advertisements.", &f.gw6,
					f.fieldCheck("network.ipv6.gateway", &f.gw6, func(s string) error { _, err := parseAddr(s); return err }), true).Placeholder("e.g. fe80::1"),
			)
		}},
	}
}

func parseMTU(s string) (int, error) {
	// Only the number: its range is netsetup's, and depends on IPv6 (fieldCheck).
	return parseNumber(s, "is not an MTU (a number of bytes, or empty for 1500)")
}

func parseVLAN(s string) (int, error) {
	// Only the number: its range is netsetup's (fieldCheck).
	return parseNumber(s, "is not a VLAN id (1-4094, or empty)")
}

// parseNumber reads a whole number typed in a field, empty for 0; notA completes the
// refusal of anything else ("x" is not a VLAN id …).
func parseNumber(s, notA string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q %s", s, notA)
	}
	return v, nil
}

func parsePrefix6(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv6 address with prefix length (e.g. 2001:db8::10/64)", s)
	}
	return p, nil
}

// fieldCheck validates one field: its own syntax, then the installer's validation of the
// whole network with the value just typed in place (huh's accessible prompts validate
// before they store it), keeping the problems of that field.
func (f *networkForm) fieldCheck(field string, v *string, parse func(string) error) func(string) error {
	return func(s string) error {
		if err := parse(s); err != nil {
			return err
		}
		saved, old := f.st.a.Network, *v
		defer func() { f.st.a.Network, *v = saved, old }()
		*v = s
		f.write()
		// The field's first problem, if any.
		if errs := sectionProblems(f.st, field); len(errs) > 0 {
			var fe *installer.FieldError
			if errors.As(errs[0], &fe) {
				return errors.New(inWords(fe.Err.Error(), f.labels()))
			}
			return errs[0]
		}
		return nil
	}
}

func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address with prefix length (e.g. 192.0.2.10/24)", s)
	}
	return p, nil
}

func parseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address", s)
	}
	return a, nil
}

func parseAddrs(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, w := range splitList(s) {
		a, err := netip.ParseAddr(w)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address", w)
		}
		out = append(out, a)
	}
	return out, nil
}

// write puts whatever of the draft parses into the answers and returns what did not.
func (f *networkForm) write() []error {
	n := &f.st.a.Network
	var errs []error
	n.Bridge = strings.TrimSpace(f.bridge)
	n.Uplinks = nil
	switch f.uplink {
	case "":
		n.Bond = nil
	case bondChoice:
		b := installer.Bond{}
		if n.Bond != nil {
			b = *n.Bond
		}
		b.Members = append([]string{}, f.members...)
		b.Mode = f.mode
		// The defaults (bond0, slow) stay unset unless the answers wrote them.
		if name := strings.TrimSpace(f.bondName); name != "bond0" || b.Name != "" {
			b.Name = name
		}
		if f.lacp != "slow" || b.LACPRate != "" {
			b.LACPRate = installer.LACPRate(f.lacp)
		}
		if b.Mode != "802.3ad" {
			b.LACPRate = ""
		}
		n.Bond = &b
	default:
		n.Bond = nil
		n.Uplinks = []string{f.uplink}
	}
	n.IPv4.Mode = f.ipv4
	n.IPv4.Address, n.IPv4.Gateway = netip.Prefix{}, netip.Addr{}
	if f.ipv4 == installer.IPv4Static {
		if p, err := parsePrefix(f.addr); err == nil {
			n.IPv4.Address = p
		} else {
			errs = append(errs, bad("network.ipv4.address", err))
		}
		if a, err := parseAddr(f.gw); err == nil {
			n.IPv4.Gateway = a
		} else {
			errs = append(errs, bad("network.ipv4.gateway", err))
		}
		if d, err := parseAddrs(f.dns); err == nil {
			n.DNS = d
		} else {
			errs = append(errs, bad("network.dns", err))
		}
	}
	if v, err := parseVLAN(f.vlan); err == nil {
		n.VLAN = v
	} else {
		errs = append(errs, bad("network.vlan", err))
	}
	if v, err := parseMTU(f.mtu); err == nil {
		n.MTU = v
	} else {
		errs = append(errs, bad("network.mtu", err))
	}
	n.IPv6.Mode = f.ipv6
	n.IPv6.Address, n.IPv6.Gateway = netip.Prefix{}, netip.Addr{}
	if f.ipv6 == installer.IPv6Static {
		if p, err := parsePrefix6(f.addr6); err == nil {
			n.IPv6.Address = p
		} else if strings.TrimSpace(f.addr6) != "" {
			errs = append(errs, bad("network.ipv6.address", err))
		}
		if a, err := parseAddr(f.gw6); err == nil {
			n.IPv6.Gateway = a
		} else {
			errs = append(errs, bad("network.ipv6.gateway", err))
		}
	}
	n.Search = splitList(f.search)
	n.NTP = splitList(f.ntp)
	return errs
}

func (f *networkForm) apply() error {
	errs := f.write()
	if len(errs) == 0 {
		errs = sectionProblems(f.st, "network")
	}
	return errors.Join(errs...)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
