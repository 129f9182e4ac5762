package netsetup

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
)

// Defaults applied by Config.WithDefaults.
const (
	// DefaultBridge is the name of the bridge guests attach to. Xen's own tooling and most
	// guides call it xenbr0 (xl-network-configuration(5), bridge=).
	DefaultBridge = "xenbr0"
	// DefaultBond is the name of the bond when Bond.Name is empty.
	DefaultBond = "bond0"
	// DefaultBondMode is the bond mode when Bond.Mode is empty: active-backup needs no switch
	// configuration and is safe under a bridge (kernel Documentation/networking/bonding.rst).
	DefaultBondMode = BondActiveBackup
	// DefaultMIIMonMs is the link monitoring interval in milliseconds when Bond.MIIMonMs is
	// 0. Without miimon (or ARP monitoring) a bond never notices a dead member (bonding.rst,
	// "miimon": 100 is the value the document suggests).
	DefaultMIIMonMs = 100
)

// IPv4 address modes (IPv4.Mode).
const (
	IPv4DHCP   = "dhcp"
	IPv4Static = "static"
	IPv4Off    = "off"
)

// IPv6 address modes (IPv6.Mode). RA is stateless autoconfiguration from router
// advertisements; DHCPv6 adds a DHCPv6 client; Static is a fixed address and gateway.
const (
	IPv6RA     = "ra"
	IPv6DHCPv6 = "dhcpv6"
	IPv6Static = "static"
	IPv6Off    = "off"
)

// BondMode is a bonding mode, as the kernel bonding driver and systemd.netdev(5) [Bond]
// Mode= name it.
type BondMode string

// Bond modes.
const (
	BondBalanceRR    BondMode = "balance-rr"
	BondActiveBackup BondMode = "active-backup"
	BondBalanceXOR   BondMode = "balance-xor"
	BondBroadcast    BondMode = "broadcast"
	Bond8023AD       BondMode = "802.3ad"
	BondBalanceTLB   BondMode = "balance-tlb"
	BondBalanceALB   BondMode = "balance-alb"
)

// BondModes are all bond modes, in the order errors list them.
var BondModes = []BondMode{BondBalanceRR, BondActiveBackup, BondBalanceXOR, BondBroadcast, Bond8023AD, BondBalanceTLB, BondBalanceALB}

// Valid reports whether m is one of BondModes. The switch, not a list, is the rule, so that
// a mode added above without a case here fails TestEnumsValid.
func (m BondMode) Valid() bool {
	switch m {
	case BondBalanceRR, BondActiveBackup, BondBalanceXOR, BondBroadcast, Bond8023AD, BondBalanceTLB, BondBalanceALB:
		return true
	}
	return false
}

// hashes reports whether the mode uses a transmit hash policy: bonding.rst,
// xmit_hash_policy, "valid for balance-xor, 802.3ad, and tlb modes".
func (m BondMode) hashes() bool {
	switch m {
	case BondBalanceXOR, Bond8023AD, BondBalanceTLB:
		return true
	case BondBalanceRR, BondActiveBackup, BondBroadcast, BondBalanceALB:
		return false
	}
	return false
}

// LACPRate is how often an 802.3ad partner is asked for LACPDUs (bonding.rst, lacp_rate;
// systemd.netdev(5) LACPTransmitRate=).
type LACPRate string

// LACP rates.
const (
	LACPSlow LACPRate = "slow"
	LACPFast LACPRate = "fast"
)

// LACPRates are all LACP rates.
var LACPRates = []LACPRate{LACPSlow, LACPFast}

// Valid reports whether r is one of LACPRates.
func (r LACPRate) Valid() bool {
	switch r {
	case LACPSlow, LACPFast:
		return true
	}
	return false
}

// HashPolicy is a bond's transmit hash policy, as systemd.netdev(5) TransmitHashPolicy= and
// the NixOS check (networkd.nix, sectionBond) accept it.
type HashPolicy string

// Transmit hash policies.
const (
	HashLayer2   HashPolicy = "layer2"
	HashLayer2_3 HashPolicy = "layer2+3"
	HashLayer3_4 HashPolicy = "layer3+4"
	HashEncap2_3 HashPolicy = "encap2+3"
	HashEncap3_4 HashPolicy = "encap3+4"
)

// HashPolicies are all transmit hash policies.
var HashPolicies = []HashPolicy{HashLayer2, HashLayer2_3, HashLayer3_4, HashEncap2_3, HashEncap3_4}

// Valid reports whether h is one of HashPolicies.
func (h HashPolicy) Valid() bool {
	switch h {
	case HashLayer2, HashLayer2_3, HashLayer3_4, HashEncap2_3, HashEncap3_4:
		return true
	}
	return false
}

// Config is the host's Xen bridge networking: one bridge that guests' vifs join, whose
// ports are either the uplinks or a bond of them, optionally with the host's own address
// on a management VLAN on top of the bridge.
//
// An uplink may be given by name, by MAC, or both. The bridge (and bond and VLAN) take the
// MAC of the first uplink (first bond member) so that a DHCP lease, a MAC reservation and
// switch port security keep working when the NIC becomes a bridge port. Render can only
// write that MAC when it is known: the installer fills Uplink.MAC from the hardware report
// for an uplink given by name. Without it the rendered netdevs say MACAddress=none and the
// kernel picks the MAC (see Render).
type Config struct {
	// Bridge is the bridge name; DefaultBridge when empty.
	Bridge string
	// Uplinks are the bridge's ports when there is no bond (usually one).
	Uplinks []Uplink
	// Bond, when not nil, is put between the uplinks and the bridge; its members replace
	// Uplinks.
	Bond *Bond
	// VLAN is the management VLAN id (1..4094) or 0 for none. With a VLAN the host's
	// address lives on the VLAN interface <Bridge>.<VLAN> and the bridge itself carries
	// no address; guests still get the untagged (and any tagged) traffic of the bridge.
	VLAN int
	// MTU is set on every link of the chain (uplinks, bond, bridge, VLAN); 0 leaves the
	// default (1500 for Ethernet).
	MTU int
	// IPv4 is the host's IPv4 configuration.
	IPv4 IPv4
	// IPv6 is the host's IPv6 configuration.
	IPv6 IPv6
	// DNS are the name servers, and Search the search domains, of the host's link.
	DNS    []netip.Addr
	Search []string
	// NTP are the time servers of the host's link (systemd.network(5) [Network] NTP=),
	// which systemd-timesyncd follows.
	NTP []string
	// PinNames writes one systemd .link file per uplink that names the NIC with its
	// permanent MAC (systemd.link(5) [Match] PermanentMACAddress=, [Link] Name=), so that a
	// firmware or kernel update cannot rename it. Every uplink then needs both Name and MAC.
	PinNames bool
}

// Uplink is a NIC used as a bridge port or bond member, identified by Name, by MAC (then
// Name may be empty), or both. MAC is the NIC's permanent address.
type Uplink struct {
	Name string
	MAC  net.HardwareAddr
}

// Bond is a Linux bond of uplinks (kernel Documentation/networking/bonding.rst).
type Bond struct {
	// Name is the bond device name; DefaultBond when empty.
	Name string
	// Mode is one of the Bond* constants; DefaultBondMode when empty. balance-tlb and
	// balance-alb rewrite source MACs and do not work for bridged guest traffic (bonding.rst,
	// "balance-alb"); prefer active-backup or 802.3ad under a Xen bridge.
	Mode BondMode
	// Members are the NICs in the bond; at least two.
	Members []Uplink
	// MIIMonMs is the MII link monitoring interval in milliseconds; DefaultMIIMonMs when 0.
	MIIMonMs int
	// LACPRate is LACPSlow or LACPFast (802.3ad only); empty leaves the kernel default (slow).
	LACPRate LACPRate
	// HashPolicy is the transmit hash policy (balance-xor, 802.3ad and balance-tlb only):
	// one of HashPolicies; empty leaves the kernel default.
	HashPolicy HashPolicy
}

// IPv4 is the host's IPv4 configuration.
type IPv4 struct {
	// Mode is IPv4DHCP (the default), IPv4Static or IPv4Off.
	Mode string
	// Address is the host address with its prefix length, such as 192.0.2.10/24 (static).
	Address netip.Prefix
	// Gateway is the default gateway (static, optional); it must be inside Address's subnet.
	Gateway netip.Addr
}

// IPv6 is the host's IPv6 configuration.
type IPv6 struct {
	// Mode is IPv6RA (the default), IPv6DHCPv6, IPv6Static or IPv6Off.
	Mode string
	// Address is the host address with its prefix length (static).
	Address netip.Prefix
	// Gateway is the default gateway (static, optional): inside Address's subnet or a
	// link-local address such as fe80::1.
	Gateway netip.Addr
}

// NIC is a network interface of the machine, as Validate checks uplinks against it. The
// installer converts the hardware report into this.
type NIC struct {
	Name         string
	MAC          net.HardwareAddr
	PermanentMAC net.HardwareAddr
	// Virtual is true for software devices (bridges, bonds, veth, tun); they cannot be
	// uplinks.
	Virtual bool
	// Wireless is true for Wi-Fi interfaces: an access point takes frames only from the MAC
	// that associated, so a Wi-Fi NIC cannot be a bridge port or a bond member.
	Wireless bool
}

// WithDefaults returns a copy of c with empty fields set to their defaults: the bridge and
// bond names, the bond mode and MII interval, and the address modes (IPv4 DHCP, IPv6
// router advertisements). It never changes c or what c points to.
func (c Config) WithDefaults() Config {
	if c.Bridge == "" {
		c.Bridge = DefaultBridge
	}
	c.Uplinks = slices.Clone(c.Uplinks)
	c.DNS = slices.Clone(c.DNS)
	c.Search = slices.Clone(c.Search)
	c.NTP = slices.Clone(c.NTP)
	if c.Bond != nil {
		b := *c.Bond
		b.Members = slices.Clone(b.Members)
		if b.Name == "" {
			b.Name = DefaultBond
		}
		if b.Mode == "" {
			b.Mode = DefaultBondMode
		}
		if b.MIIMonMs == 0 {
			b.MIIMonMs = DefaultMIIMonMs
		}
		c.Bond = &b
	}
	if c.IPv4.Mode == "" {
		c.IPv4.Mode = IPv4DHCP
	}
	if c.IPv6.Mode == "" {
		c.IPv6.Mode = IPv6RA
	}
	return c
}

// ports are the NICs that carry the bridge's traffic: the bond members, or the uplinks.
func (c Config) ports() []Uplink {
	if c.Bond != nil {
		return c.Bond.Members
	}
	return c.Uplinks
}

// hostLink is the name of the interface that carries the host's addresses.
func (c Config) hostLink() string {
	if c.VLAN != 0 {
		return c.vlanName()
	}
	return c.Bridge
}

func (c Config) vlanName() string {
	return c.Bridge + "." + strconv.Itoa(c.VLAN)
}

// bridgeMAC is the MAC the bridge, bond and VLAN take: the first port's, when known.
func (c Config) bridgeMAC() net.HardwareAddr {
	if p := c.ports(); len(p) > 0 {
		return p[0].MAC
	}
	return nil
}
