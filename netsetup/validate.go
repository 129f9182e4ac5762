package netsetup

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every problem Validate reports.
var ErrInvalid = errors.New("invalid network configuration")

// FieldError is one problem found by Validate, naming the field with its path in the
// answers file (network.ipv4.gateway, network.bond.members[1].mac), so the installer can
// point at the line. It matches ErrInvalid.
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: message".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Is reports whether target is ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// MTU bounds accepted by Validate. 576 is the smallest datagram every IPv4 host must
// accept (RFC 791); 9216 is the largest jumbo frame common switches and NICs support. With
// IPv6 enabled the floor is 1280 (RFC 8200, section 5): below it the kernel disables IPv6 on
// the link.
const (
	MinMTU     = 576
	MinMTUIPv6 = 1280
	MaxMTU     = 9216
)

// ifNameRE is deliberately stricter than the kernel's dev_valid_name (net/core/dev.c: up
// to 15 bytes, no '/', ':' or whitespace): a name also lands in systemd [Match] Name=, which
// takes shell globs and a leading '!' for negation (systemd.network(5)), so only plain
// characters are allowed.
var ifNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$`)

// domainLabelRE is one label of a DNS name (RFC 1123 section 2.1).
var domainLabelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// guestPrefixes are the name prefixes of Xen guest interfaces (vifD.N from xen-netback,
// vifD.N-emu and tapN from qemu), which the rendered configuration leaves unmanaged.
var guestPrefixes = []string{"vif", "tap"}

// Validation comes in three depths, so that each rule lives here once and a caller picks
// what it can know:
//
//   - ValidateForm checks every value given, and how the values given go together: names,
//     addresses, modes, ranges. It needs nothing but c, so an answers file can be checked
//     away from the machine.
//   - Validate adds what a complete configuration needs: an uplink or a bond, and with
//     PinNames both the name and the MAC of every uplink. Render and Apply require it.
//     Where the installer takes uplinks and MACs from the machine, these are known only there.
//   - ValidateFor adds the machine: every uplink and bond member exists among nics (by name
//     or by permanent or current MAC), is a wired physical NIC, and a name and MAC given
//     together belong to the same NIC.
//
// Each returns every problem found (after WithDefaults), joined with errors.Join; each is a
// *FieldError.

// ValidateForm checks the form of every value in c; see the depths above.
func (c Config) ValidateForm() error { return c.validate(false, nil) }

// Validate checks that c is complete and well-formed: what Render and Apply need.
func (c Config) Validate() error { return c.validate(true, nil) }

// ValidateFor checks c completely and against the machine's NICs.
func (c Config) ValidateFor(nics []NIC) error {
	if nics == nil {
		nics = []NIC{} // a machine without NICs: every uplink is missing
	}
	return c.validate(true, nics)
}

// validate is the one body of the three: complete adds the required values, nics != nil
// the machine.
func (c Config) validate(complete bool, nics []NIC) error {
	c = c.WithDefaults()
	v := &validator{}

	v.ifName("network.bridge", c.Bridge)
	names := map[string]string{c.Bridge: "network.bridge"}

	switch {
	case c.Bond != nil && len(c.Uplinks) > 0:
		v.add("network.uplinks", "not used together with network.bond: list the NICs as network.bond.members")
	case c.Bond == nil && len(c.Uplinks) == 0 && complete:
		v.add("network.uplinks", "at least one uplink (or a bond) is required")
	}

	var ports []Uplink
	portsField := "network.uplinks"
	if b := c.Bond; b != nil {
		ports, portsField = b.Members, "network.bond.members"
		if v.ifName("network.bond.name", b.Name) {
			v.unique(names, b.Name, "network.bond.name")
		}
		if !b.Mode.Valid() {
			v.add("network.bond.mode", "%q is not a bond mode (want one of %s)", string(b.Mode), words(BondModes))
		}
		if len(b.Members) < 2 {
			v.add("network.bond.members", "a bond needs at least 2 members, got %d", len(b.Members))
		}
		if b.MIIMonMs < 0 || b.MIIMonMs > 60000 {
			v.add("network.bond.miimon", "%d is out of range (want 1..60000 milliseconds)", b.MIIMonMs)
		}
		switch {
		case b.LACPRate == "":
		case !b.LACPRate.Valid():
			v.add("network.bond.lacp_rate", "%q is not a LACP rate (want %s)", string(b.LACPRate), words(LACPRates))
		case b.Mode != Bond8023AD:
			v.add("network.bond.lacp_rate", "only used with mode 802.3ad, not %s", b.Mode)
		}
		switch {
		case b.HashPolicy == "":
		case !b.HashPolicy.Valid():
			v.add("network.bond.hashPolicy", "%q is not a transmit hash policy (want one of %s)", string(b.HashPolicy), words(HashPolicies))
		case !b.Mode.hashes():
			v.add("network.bond.hashPolicy", "only used with modes balance-xor, 802.3ad and balance-tlb, not %s", b.Mode)
		}
	} else {
		ports = c.Uplinks
	}
	v.ports(portsField, ports, nics, complete && c.PinNames, names)

	if c.VLAN != 0 {
		if err := CheckVLAN(c.VLAN); err != nil {
			v.add("network.vlan", "%v", err)
		} else if n := c.vlanName(); len(n) > 15 {
			v.add("network.vlan", "the VLAN interface name %q is longer than 15 characters: shorten network.bridge", n)
		} else {
			v.unique(names, n, "network.vlan")
		}
	}

	if c.MTU != 0 {
		min := MinMTU
		if c.IPv6.Mode != IPv6Off {
			min = MinMTUIPv6
		}
		if c.MTU < min || c.MTU > MaxMTU {
			why := ""
			if min == MinMTUIPv6 {
				why = " while IPv6 is on"
			}
			v.add("network.mtu", "%d is out of range (want %d..%d%s, or 0 for the default)", c.MTU, min, MaxMTU, why)
		}
	}

	v.ipv4(c.IPv4)
	v.ipv6(c.IPv6)

	for i, a := range c.DNS {
		f := fmt.Sprintf("network.dns[%d]", i)
		switch {
		case !a.IsValid():
			v.add(f, "empty address")
		case a.IsUnspecified() || a.IsMulticast():
			v.add(f, "%s is not a name server address", a)
		case a.Is4In6():
			v.add(f, "%s is an IPv4-mapped IPv6 address: write it as %s", a, a.Unmap())
		}
	}
	for i, d := range c.Search {
		if !IsDomain(d) {
			v.add(fmt.Sprintf("network.search[%d]", i), "%q is not a domain name", d)
		}
	}
	for i, s := range c.NTP {
		if a, err := netip.ParseAddr(s); err == nil && !a.IsUnspecified() && !a.IsMulticast() {
			continue
		}
		if !IsDomain(s) {
			v.add(fmt.Sprintf("network.ntp[%d]", i), "%q is not a host name or address", s)
		}
	}
	return errors.Join(v.errs...)
}

// words lists an enumeration's values for a message: "a, b or c".
func words[T ~string](all []T) string {
	s := make([]string, len(all))
	for i, w := range all {
		s[i] = string(w)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

type validator struct {
	errs []error
}

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// ifName checks an interface name and reports whether it is valid.
func (v *validator) ifName(field, name string) bool {
	if name == "" {
		v.add(field, "required")
		return false
	}
	if err := CheckIfName(name); err != nil {
		v.add(field, "%v", err)
		return false
	}
	return true
}

// CheckIfName says why name cannot be the name of a bridge, bond or uplink, or returns nil.
// It is the rule Validate applies, for callers that take such a name elsewhere (a guest's
// bridge).
func CheckIfName(name string) error {
	if !ifNameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("%q is not a valid interface name (want up to 15 letters, digits, '-', '_' or '.')", name)
	}
	for _, p := range guestPrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("%q starts with %q, which is reserved for Xen guest interfaces", name, p)
		}
	}
	return nil
}

// unique records that name is used by field, reporting a clash with an earlier field; it
// reports whether name was unused.
func (v *validator) unique(names map[string]string, name, field string) bool {
	return v.uniqueAs(names, name, field, field)
}

// uniqueAs is unique for a name that is part of owner (an uplink's name): a clash is
// reported at field and names owner, the entry as the user wrote it.
func (v *validator) uniqueAs(names map[string]string, name, field, owner string) bool {
	if prev, ok := names[name]; ok {
		v.add(field, "%q is already used by %s", name, prev)
		return false
	}
	names[name] = owner
	return true
}

func (v *validator) ports(field string, ports []Uplink, nics []NIC, pin bool, names map[string]string) {
	seenNIC := map[string]string{}
	seenMAC := map[string]string{}
	for i, u := range ports {
		f := fmt.Sprintf("%s[%d]", field, i)
		if u.Name == "" && len(u.MAC) == 0 {
			v.add(f, "give the NIC's name or its MAC")
			continue
		}
		nameOK := u.Name != "" && v.ifName(f+".name", u.Name)
		macOK := len(u.MAC) != 0 && v.mac(f+".mac", u.MAC)
		if pin && u.Name == "" {
			v.add(f+".name", "required with network.pin_names")
		}
		if pin && len(u.MAC) == 0 {
			v.add(f+".mac", "required with network.pin_names (the .link file matches the permanent MAC)")
		}
		dup := false // a clash is already reported for this entry
		if nameOK && !v.uniqueAs(names, u.Name, f+".name", f) {
			dup = true
		}
		if macOK {
			k := u.MAC.String()
			if prev, ok := seenMAC[k]; ok {
				v.add(f+".mac", "%s is already used by %s", k, prev)
				dup = true
			} else {
				seenMAC[k] = f
			}
		}
		if nics == nil || (!nameOK && !macOK) {
			continue
		}
		var byName, byMAC *NIC
		if nameOK {
			byName = findNIC(nics, func(n NIC) bool { return n.Name == u.Name })
			if byName == nil {
				v.add(f+".name", "no interface named %q on this machine (have %s)", u.Name, nicNames(nics))
			}
		}
		if macOK {
			byMAC = findNIC(nics, func(n NIC) bool { return n.hasMAC(u.MAC) })
			if byMAC == nil {
				v.add(f+".mac", "no interface with MAC %s on this machine", u.MAC)
			}
		}
		if byName != nil && byMAC != nil && byName.Name != byMAC.Name {
			v.add(f, "name %q and MAC %s are two different NICs (%s has MAC %s)", u.Name, u.MAC, byMAC.Name, u.MAC)
			continue
		}
		n := byName
		if n == nil {
			n = byMAC
		}
		if n == nil {
			continue
		}
		if n.Virtual {
			v.add(f, "%s is a virtual interface, not a NIC", n.Name)
			continue
		}
		if n.Wireless {
			v.add(f, "%s is wireless: a Wi-Fi interface cannot be a bridge port or bond member", n.Name)
			continue
		}
		if prev, ok := seenNIC[n.Name]; ok {
			if !dup {
				v.add(f, "%s is already used by %s", n.Name, prev)
			}
			continue
		}
		seenNIC[n.Name] = f
	}
}

func (v *validator) mac(field string, mac net.HardwareAddr) bool {
	switch {
	case len(mac) != 6:
		v.add(field, "%q is not an Ethernet MAC address", mac.String())
	case mac[0]&1 != 0:
		v.add(field, "%s is a multicast address, not a NIC's", mac)
	case bytes.Equal(mac, make(net.HardwareAddr, 6)):
		v.add(field, "00:00:00:00:00:00 is not a NIC's address")
	default:
		return true
	}
	return false
}

func (v *validator) ipv4(c IPv4) {
	switch c.Mode {
	case IPv4DHCP, IPv4Off:
		if c.Address.IsValid() {
			v.add("network.ipv4.address", "only used with mode static, not %s", c.Mode)
		}
		if c.Gateway.IsValid() {
			v.add("network.ipv4.gateway", "only used with mode static, not %s", c.Mode)
		}
		return
	case IPv4Static:
	default:
		v.add("network.ipv4.mode", "%q is not an IPv4 mode (want dhcp, static or off)", c.Mode)
		return
	}
	v.staticIPv4("network.ipv4", "the host's own address (network.ipv4.address)", "network.ipv4.address", c.Address, c.Gateway)
}

// CheckStaticIPv4 checks a static IPv4 address with its prefix and an optional gateway by
// the rules of the host's own (network.ipv4): its problems are FieldErrors at
// prefix+".address" and prefix+".gateway". Messages call the address own when the gateway
// is the address itself ("the guest's own address") and subnetOf when it lies outside its
// subnet ("its address"), in the words of whoever shows them.
func CheckStaticIPv4(prefix, own, subnetOf string, p netip.Prefix, g netip.Addr) error {
	v := &validator{}
	v.staticIPv4(prefix, own, subnetOf, p, g)
	return errors.Join(v.errs...)
}

func (v *validator) staticIPv4(prefix, own, subnetOf string, p netip.Prefix, g netip.Addr) {
	af, gf := prefix+".address", prefix+".gateway"
	switch {
	case !p.IsValid():
		v.add(af, "required with mode static (e.g. 192.0.2.10/24)")
		return
	case !p.Addr().Is4():
		v.add(af, "%s is not an IPv4 address", p)
		return
	case p.Bits() < 8:
		v.add(af, "/%d is too short a prefix for a host's subnet", p.Bits())
		return
	case p.Addr().IsUnspecified() || p.Addr().IsLoopback() || p.Addr().IsMulticast() || p.Addr() == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		v.add(af, "%s is not a host address", p.Addr())
		return
	case p.Bits() <= 30 && p.Addr() == p.Masked().Addr():
		v.add(af, "%s is the network address of %s, not a host's", p.Addr(), p.Masked())
		return
	case p.Bits() <= 30 && p.Addr() == broadcast4(p):
		v.add(af, "%s is the broadcast address of %s, not a host's", p.Addr(), p.Masked())
		return
	}
	switch {
	case !g.IsValid():
	case !g.Is4():
		v.add(gf, "%s is not an IPv4 address", g)
	case g == p.Addr():
		v.add(gf, "%s is %s", g, own)
	case !p.Contains(g):
		v.add(gf, "%s is outside the subnet %s of %s", g, p.Masked(), subnetOf)
	case p.Bits() <= 30 && (g == p.Masked().Addr() || g == broadcast4(p)):
		v.add(gf, "%s is the network or broadcast address of %s", g, p.Masked())
	}
}

// CheckVLAN checks a VLAN id: 1 to 4094 (802.1Q reserves 0 and 4095).
func CheckVLAN(id int) error {
	if id < 1 || id > 4094 {
		return fmt.Errorf("%d is not a VLAN id (want 1..4094, or 0 for none)", id)
	}
	return nil
}

func (v *validator) ipv6(c IPv6) {
	switch c.Mode {
	case IPv6RA, IPv6DHCPv6, IPv6Off:
		if c.Address.IsValid() {
			v.add("network.ipv6.address", "only used with mode static, not %s", c.Mode)
		}
		if c.Gateway.IsValid() {
			v.add("network.ipv6.gateway", "only used with mode static, not %s", c.Mode)
		}
		return
	case IPv6Static:
	default:
		v.add("network.ipv6.mode", "%q is not an IPv6 mode (want ra, dhcpv6, static or off)", c.Mode)
		return
	}
	p := c.Address
	switch {
	case !p.IsValid():
		v.add("network.ipv6.address", "required with mode static (e.g. 2001:db8::10/64)")
		return
	case !p.Addr().Is6() || p.Addr().Is4In6():
		v.add("network.ipv6.address", "%s is not an IPv6 address", p)
		return
	case p.Bits() < 8:
		v.add("network.ipv6.address", "/%d is too short a prefix for a host's subnet", p.Bits())
		return
	case p.Addr().IsUnspecified() || p.Addr().IsLoopback() || p.Addr().IsMulticast() || p.Addr().IsLinkLocalUnicast():
		v.add("network.ipv6.address", "%s is not a global or unique-local host address", p.Addr())
		return
	}
	g := c.Gateway
	switch {
	case !g.IsValid():
	case !g.Is6() || g.Is4In6():
		v.add("network.ipv6.gateway", "%s is not an IPv6 address", g)
	case g.WithZone("") == p.Addr():
		v.add("network.ipv6.gateway", "%s is the host's own address (network.ipv6.address)", g)
	case g.IsLinkLocalUnicast():
		// A link-local router address (fe80::1) is the usual IPv6 gateway.
		if g.Zone() != "" {
			v.add("network.ipv6.gateway", "%s: leave out the zone; the gateway is on the host's link", g)
		}
	case !p.Contains(g):
		v.add("network.ipv6.gateway", "%s is outside the subnet %s of network.ipv6.address (or use a link-local fe80:: address)", g, p.Masked())
	}
}

func broadcast4(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		a[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom4(a)
}

// IsLabel reports whether s is one DNS label (RFC 1123: letters, digits and inner hyphens,
// at most 63), as a host name without its domain must be.
func IsLabel(s string) bool { return domainLabelRE.MatchString(s) }

// IsDomain reports whether d is a DNS domain name of such labels (a final dot allowed), at
// most 253 characters: a search domain, the host's domain.
func IsDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if !domainLabelRE.MatchString(l) {
			return false
		}
	}
	return true
}

func (n NIC) hasMAC(mac net.HardwareAddr) bool {
	return bytes.Equal(n.PermanentMAC, mac) || bytes.Equal(n.MAC, mac)
}

func findNIC(nics []NIC, f func(NIC) bool) *NIC {
	for i := range nics {
		if f(nics[i]) {
			return &nics[i]
		}
	}
	return nil
}

func nicNames(nics []NIC) string {
	var s []string
	for _, n := range nics {
		if !n.Virtual {
			s = append(s, n.Name)
		}
	}
	if len(s) == 0 {
		return "no NICs"
	}
	return strings.Join(s, ", ")
}
