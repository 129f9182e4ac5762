package netsetup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNoInterface is returned (wrapped) by Apply when an uplink or bond member is not
// present in the network namespace.
var ErrNoInterface = errors.New("no such interface")

// ErrConflict is returned (wrapped) by Apply when a device of the configuration exists but
// is of another kind or shape than configured (a "xenbr0" that is not a bridge, a bond in
// another mode, a VLAN with another id or parent). Apply does not delete what it did not
// create: remove the device, or Revert, and apply again.
var ErrConflict = errors.New("existing interface does not match the configuration")

// Snapshot is the state of a network namespace that Revert restores: every link with its
// master, up/down flag, MTU, MAC and addresses, and the main routing table of both
// families, plus the devices Apply created. It holds plain data (interface indexes, not
// kernel handles), so it can be saved as JSON between `xennix-setup apply --try` and its
// rollback, as long as the machine has not rebooted.
type Snapshot struct {
	Links  []LinkState
	Routes []RouteState
	// Created names the devices Apply created, in order; Revert deletes them.
	Created []string
}

// LinkState is one link in a Snapshot.
type LinkState struct {
	Index int
	Name  string
	// Kind is netlink's link type: "device" for a NIC, or "bridge", "bond", "vlan", "veth"…
	Kind string
	// Master is the index of the bridge or bond the link is enslaved to, 0 for none.
	Master int
	Up     bool
	MTU    int
	MAC    string
	Addrs  []AddrState
}

// AddrState is one address of a link in a Snapshot.
type AddrState struct {
	Prefix netip.Prefix
	Scope  int
	// Flags are the IFA_F_* flags (linux/if_addr.h).
	Flags int
	// ValidLft and PreferedLft are the remaining lifetimes in seconds at capture time;
	// 0xffffffff is forever.
	ValidLft    int
	PreferedLft int
}

// RouteState is one route of the main routing table in a Snapshot.
type RouteState struct {
	// Dst is the destination; the zero Prefix for a default route.
	Dst       netip.Prefix
	Gateway   netip.Addr
	Src       netip.Addr
	Family    int
	LinkIndex int
	Table     int
	Protocol  int
	Scope     int
	Priority  int
	Type      int
}

// lifetimeForever is the "forever" address lifetime (linux/if_addr.h, INFINITY_LIFE_TIME).
const lifetimeForever = 0xffffffff

// settableAddrFlags are the IFA_F_* flags an address can be created with; the others
// (tentative, deprecated, permanent…) are state the kernel keeps.
const settableAddrFlags = unix.IFA_F_NODAD | unix.IFA_F_HOMEADDRESS | unix.IFA_F_MANAGETEMPADDR |
	unix.IFA_F_NOPREFIXROUTE | unix.IFA_F_MCAUTOJOIN

func handle(h *netlink.Handle) *netlink.Handle {
	if h == nil {
		return &netlink.Handle{} // the zero Handle talks to the current network namespace
	}
	return h
}

// Capture records the state of the network namespace h talks to (nil: the current one).
func Capture(h *netlink.Handle) (*Snapshot, error) {
	h = handle(h)
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	s := &Snapshot{}
	for _, l := range links {
		a := l.Attrs()
		ls := LinkState{
			Index:  a.Index,
			Name:   a.Name,
			Kind:   l.Type(),
			Master: a.MasterIndex,
			Up:     a.Flags&net.FlagUp != 0,
			MTU:    a.MTU,
			MAC:    a.HardwareAddr.String(),
		}
		addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return nil, fmt.Errorf("list addresses of %s: %w", a.Name, err)
		}
		for _, ad := range addrs {
			if as, ok := addrState(ad); ok {
				ls.Addrs = append(ls.Addrs, as)
			}
		}
		s.Links = append(s.Links, ls)
	}
	routes, err := mainRoutes(h)
	if err != nil {
		return nil, err
	}
	s.Routes = routes
	return s, nil
}

func addrState(a netlink.Addr) (AddrState, bool) {
	if a.IPNet == nil {
		return AddrState{}, false
	}
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok {
		return AddrState{}, false
	}
	ones, _ := a.Mask.Size()
	return AddrState{
		Prefix:      netip.PrefixFrom(ip.Unmap(), ones),
		Scope:       a.Scope,
		Flags:       a.Flags,
		ValidLft:    a.ValidLft,
		PreferedLft: a.PreferedLft,
	}, true
}

func mainRoutes(h *netlink.Handle) ([]RouteState, error) {
	var out []RouteState
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := h.RouteListFiltered(fam, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return nil, fmt.Errorf("list routes: %w", err)
		}
		for _, r := range rs {
			if len(r.MultiPath) > 0 {
				continue // not something this package creates or moves
			}
			out = append(out, routeState(r))
		}
	}
	return out, nil
}

func routeState(r netlink.Route) RouteState {
	rs := RouteState{
		Family:    r.Family,
		LinkIndex: r.LinkIndex,
		Table:     r.Table,
		Protocol:  int(r.Protocol),
		Scope:     int(r.Scope),
		Priority:  r.Priority,
		Type:      r.Type,
	}
	if r.Dst != nil {
		if ip, ok := netip.AddrFromSlice(r.Dst.IP); ok {
			ones, _ := r.Dst.Mask.Size()
			rs.Dst = netip.PrefixFrom(ip.Unmap(), ones)
		}
	}
	if ip, ok := netip.AddrFromSlice(r.Gw); ok {
		rs.Gateway = ip.Unmap()
	}
	if ip, ok := netip.AddrFromSlice(r.Src); ok {
		rs.Src = ip.Unmap()
	}
	return rs
}

func (r RouteState) isDefault() bool { return !r.Dst.IsValid() || r.Dst.Bits() == 0 }

// kernelOwned reports whether the kernel made the route itself (connected subnets,
// router advertisements): it comes back with the address or link and is not restored.
func (r RouteState) kernelOwned() bool {
	return r.Protocol == unix.RTPROT_KERNEL || r.Protocol == unix.RTPROT_RA
}

func (r RouteState) String() string {
	var b strings.Builder
	if r.isDefault() {
		b.WriteString("default")
	} else {
		b.WriteString(r.Dst.String())
	}
	if r.Gateway.IsValid() {
		b.WriteString(" via " + r.Gateway.String())
	}
	return b.String()
}

func (r RouteState) netlink() *netlink.Route {
	nr := &netlink.Route{
		LinkIndex: r.LinkIndex,
		Table:     r.Table,
		Protocol:  netlink.RouteProtocol(r.Protocol),
		Scope:     netlink.Scope(r.Scope),
		Priority:  r.Priority,
		Type:      r.Type,
		Family:    r.Family,
	}
	if r.Dst.IsValid() && r.Dst.Bits() > 0 {
		nr.Dst = prefixIPNet(r.Dst)
	}
	if r.Gateway.IsValid() {
		nr.Gw = net.IP(r.Gateway.AsSlice())
	}
	if r.Src.IsValid() {
		nr.Src = net.IP(r.Src.AsSlice())
	}
	return nr
}

// managed reports whether Apply and Revert handle an address: not IPv6 link-local ones,
// and not IPv6 addresses without the permanent flag (SLAAC, temporary), which the kernel
// derives from the MAC and router advertisements by itself.
func (a AddrState) managed() bool {
	if a.Prefix.Addr().Is6() {
		return !a.Prefix.Addr().IsLinkLocalUnicast() && a.Flags&unix.IFA_F_PERMANENT != 0
	}
	return true
}

func (a AddrState) netlink() *netlink.Addr {
	na := &netlink.Addr{IPNet: prefixIPNet(a.Prefix), Scope: a.Scope, Flags: a.Flags & settableAddrFlags}
	if a.ValidLft != lifetimeForever && a.ValidLft > 0 {
		na.ValidLft, na.PreferedLft = a.ValidLft, a.PreferedLft
	}
	return na
}

func prefixIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Apply configures c live through netlink in the network namespace h talks to (nil: the
// current one), the same way Render's configuration will at boot: it creates the bond,
// bridge and VLAN that are missing (with the first uplink's MAC), enslaves the uplinks,
// sets the MTU and brings every link of the chain up, moves the uplinks' addresses and
// routes onto the bridge, adds static addresses and replaces the default route of each
// static family.
//
// Addresses already on the uplinks are handled per family: for a DHCP, RA or DHCPv6 family
// they move to the bridge together with their routes, so that a running lease keeps
// working on the bridge, which carries the same MAC; Apply runs no DHCP client itself and
// never will: restarting the client on the bridge is up to the running system. For a
// static family they are dropped in favour of the configured address, and for an "off"
// family they are dropped. Kernel-made IPv6 addresses (link-local, SLAAC) are left to the
// kernel.
//
// Apply is idempotent: on a namespace that already matches c it changes nothing and
// returns no changes. It returns the Snapshot taken before the first change (for Revert)
// and one line per change made, for the installer's log and `xennix-setup apply --try`.
// When a step fails, Apply reverts what it did and returns the error.
func Apply(ctx context.Context, h *netlink.Handle, c Config) (*Snapshot, []string, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("apply network configuration: %w", err)
	}
	c = c.WithDefaults()
	h = handle(h)
	snap, err := Capture(h)
	if err != nil {
		return nil, nil, fmt.Errorf("apply network configuration: %w", err)
	}
	a := &applier{ctx: ctx, h: h, c: c, snap: snap}
	if err := a.run(); err != nil {
		changes := a.changes
		if len(changes) > 0 {
			undo, rerr := Revert(context.WithoutCancel(ctx), h, snap)
			changes = append(changes, undo...)
			if rerr != nil {
				err = errors.Join(err, fmt.Errorf("revert: %w", rerr))
			}
		}
		return snap, changes, fmt.Errorf("apply network configuration: %w", err)
	}
	return snap, a.changes, nil
}

type applier struct {
	ctx     context.Context
	h       *netlink.Handle
	c       Config
	snap    *Snapshot
	changes []string
}

func (a *applier) logf(format string, args ...any) {
	a.changes = append(a.changes, fmt.Sprintf(format, args...))
}

// family is an address family with the configured mode of the host for it.
type family struct {
	nl      int
	dynamic bool // addresses come from DHCP/RA: move the uplinks' ones to the bridge
}

func (a *applier) families() map[int]family {
	return map[int]family{
		netlink.FAMILY_V4: {netlink.FAMILY_V4, a.c.IPv4.Mode == IPv4DHCP},
		netlink.FAMILY_V6: {netlink.FAMILY_V6, a.c.IPv6.Mode == IPv6RA || a.c.IPv6.Mode == IPv6DHCPv6},
	}
}

func (a *applier) run() error {
	c := a.c
	ports, err := a.resolvePorts()
	if err != nil {
		return err
	}
	mac := effectiveMAC(ports[0])

	// What the ports carry now, to move or drop once they are enslaved.
	var moveAddrs []AddrState
	var moveRoutes []RouteState
	fams := a.families()
	for _, p := range ports {
		if err := a.ctx.Err(); err != nil {
			return err
		}
		addrs, err := a.h.AddrList(p, netlink.FAMILY_ALL)
		if err != nil {
			return fmt.Errorf("list addresses of %s: %w", p.Attrs().Name, err)
		}
		routes, err := a.h.RouteList(p, netlink.FAMILY_ALL)
		if err != nil {
			return fmt.Errorf("list routes of %s: %w", p.Attrs().Name, err)
		}
		for _, r := range routes {
			rs := routeState(r)
			if rs.Table != unix.RT_TABLE_MAIN || rs.kernelOwned() || len(r.MultiPath) > 0 {
				continue
			}
			if err := a.h.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("delete route %s from %s: %w", rs, p.Attrs().Name, err)
			}
			if fams[rs.Family].dynamic {
				moveRoutes = append(moveRoutes, rs)
			} else {
				a.logf("delete route %s dev %s", rs, p.Attrs().Name)
			}
		}
		for _, ad := range addrs {
			as, ok := addrState(ad)
			if !ok || as.Prefix.Addr().IsLinkLocalUnicast() && as.Prefix.Addr().Is6() {
				continue
			}
			if err := a.h.AddrDel(p, &ad); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
				return fmt.Errorf("delete address %s from %s: %w", as.Prefix, p.Attrs().Name, err)
			}
			fam := netlink.FAMILY_V4
			if as.Prefix.Addr().Is6() {
				fam = netlink.FAMILY_V6
			}
			if fams[fam].dynamic && as.managed() {
				moveAddrs = append(moveAddrs, as)
				a.logf("move address %s from %s to %s", as.Prefix, p.Attrs().Name, c.Bridge)
			} else {
				a.logf("delete address %s from %s", as.Prefix, p.Attrs().Name)
			}
		}
	}

	bridgePort := ports
	if b := c.Bond; b != nil {
		bond, err := a.ensureBond(b, mac)
		if err != nil {
			return err
		}
		for _, p := range ports {
			if err := a.enslave(p, bond, true); err != nil {
				return err
			}
		}
		bridgePort = []netlink.Link{bond}
	} else {
		for _, p := range ports {
			if err := a.setMTU(p); err != nil {
				return err
			}
		}
	}

	br, err := a.ensureBridge(mac)
	if err != nil {
		return err
	}
	for _, p := range bridgePort {
		if err := a.enslave(p, br, false); err != nil {
			return err
		}
	}
	for _, p := range ports {
		if err := a.setUp(p); err != nil {
			return err
		}
	}
	for _, p := range bridgePort {
		if err := a.setUp(p); err != nil {
			return err
		}
	}
	if err := a.setUp(br); err != nil {
		return err
	}
	host := br
	if c.VLAN != 0 {
		if host, err = a.ensureVLAN(br, mac); err != nil {
			return err
		}
		if err := a.setUp(host); err != nil {
			return err
		}
	}

	for _, as := range moveAddrs {
		if err := a.addAddr(br, as, false); err != nil {
			return err
		}
	}
	for _, rs := range moveRoutes {
		rs.LinkIndex = br.Attrs().Index
		if err := a.addRoute(rs, c.Bridge); err != nil {
			return err
		}
	}
	if c.IPv4.Mode == IPv4Static {
		if err := a.static(host, netlink.FAMILY_V4, c.IPv4.Address, c.IPv4.Gateway); err != nil {
			return err
		}
	}
	if c.IPv6.Mode == IPv6Static {
		if err := a.static(host, netlink.FAMILY_V6, c.IPv6.Address, c.IPv6.Gateway); err != nil {
			return err
		}
	}
	return a.ctx.Err()
}

// resolvePorts finds the uplinks or bond members in the namespace.
func (a *applier) resolvePorts() ([]netlink.Link, error) {
	links, err := a.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []netlink.Link
	for _, u := range a.c.ports() {
		var found netlink.Link
		for _, l := range links {
			if u.Name != "" && l.Attrs().Name != u.Name {
				continue
			}
			if len(u.MAC) != 0 && (!nicKind(l) || !bytes.Equal(effectiveMAC(l), u.MAC)) {
				continue
			}
			found = l
			break
		}
		if found == nil {
			what := u.Name
			if what == "" {
				what = "with MAC " + u.MAC.String()
			} else if len(u.MAC) != 0 {
				what += " with MAC " + u.MAC.String()
			}
			return nil, fmt.Errorf("uplink %s: %w", what, ErrNoInterface)
		}
		out = append(out, found)
	}
	return out, nil
}

// nicKind reports whether l can be an uplink: a NIC ("device") or, in tests and
// containers, a veth. Bridges, bonds and VLANs carry an uplink's MAC too and must not match.
func nicKind(l netlink.Link) bool {
	return l.Type() == "device" || l.Type() == "veth"
}

// effectiveMAC is the NIC's own MAC: its permanent address (IFLA_PERM_ADDRESS) when it has
// one, else the one a bond saved when enslaving it (bonding changes members' MACs), else
// the current one (veth has no permanent address).
func effectiveMAC(l netlink.Link) net.HardwareAddr {
	a := l.Attrs()
	if len(a.PermHWAddr) != 0 && !bytes.Equal(a.PermHWAddr, make([]byte, len(a.PermHWAddr))) {
		return a.PermHWAddr
	}
	if s, ok := a.Slave.(*netlink.BondSlave); ok && len(s.PermHardwareAddr) != 0 {
		return s.PermHardwareAddr
	}
	return a.HardwareAddr
}

func (a *applier) created(name string) {
	a.snap.Created = append(a.snap.Created, name)
}

func (a *applier) ensureBond(b *Bond, mac net.HardwareAddr) (netlink.Link, error) {
	mode := netlink.StringToBondMode(string(b.Mode))
	l, err := a.h.LinkByName(b.Name)
	switch {
	case err == nil:
		bond, ok := l.(*netlink.Bond)
		if !ok {
			return nil, fmt.Errorf("%s is a %s, not a bond: %w", b.Name, l.Type(), ErrConflict)
		}
		if bond.Mode != mode {
			return nil, fmt.Errorf("bond %s is in mode %s, not %s: %w", b.Name, bond.Mode, b.Mode, ErrConflict)
		}
		if err := a.setMAC(l, mac); err != nil {
			return nil, err
		}
		return l, a.setMTU(l)
	case !isNotFound(err):
		return nil, fmt.Errorf("find %s: %w", b.Name, err)
	}
	bond := netlink.NewLinkBond(netlink.LinkAttrs{Name: b.Name, HardwareAddr: mac, MTU: a.c.MTU})
	bond.Mode = mode
	bond.Miimon = b.MIIMonMs
	if b.LACPRate != "" {
		bond.LacpRate = netlink.StringToBondLacpRate(string(b.LACPRate))
	}
	if b.HashPolicy != "" {
		bond.XmitHashPolicy = netlink.StringToBondXmitHashPolicy(string(b.HashPolicy))
	}
	if err := a.h.LinkAdd(bond); err != nil {
		return nil, fmt.Errorf("create bond %s: %w", b.Name, err)
	}
	a.created(b.Name)
	a.logf("create bond %s (mode %s, miimon %dms, mac %s)", b.Name, b.Mode, b.MIIMonMs, mac)
	return a.h.LinkByName(b.Name)
}

func (a *applier) ensureBridge(mac net.HardwareAddr) (netlink.Link, error) {
	name := a.c.Bridge
	l, err := a.h.LinkByName(name)
	switch {
	case err == nil:
		if _, ok := l.(*netlink.Bridge); !ok {
			return nil, fmt.Errorf("%s is a %s, not a bridge: %w", name, l.Type(), ErrConflict)
		}
		if err := a.setMAC(l, mac); err != nil {
			return nil, err
		}
		return l, a.setMTU(l)
	case !isNotFound(err):
		return nil, fmt.Errorf("find %s: %w", name, err)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: mac, MTU: a.c.MTU}}
	if err := a.h.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("create bridge %s: %w", name, err)
	}
	a.created(name)
	a.logf("create bridge %s (mac %s)", name, mac)
	return a.h.LinkByName(name)
}

func (a *applier) ensureVLAN(parent netlink.Link, mac net.HardwareAddr) (netlink.Link, error) {
	name := a.c.vlanName()
	l, err := a.h.LinkByName(name)
	switch {
	case err == nil:
		v, ok := l.(*netlink.Vlan)
		if !ok {
			return nil, fmt.Errorf("%s is a %s, not a VLAN: %w", name, l.Type(), ErrConflict)
		}
		if v.VlanId != a.c.VLAN || v.ParentIndex != parent.Attrs().Index {
			return nil, fmt.Errorf("VLAN %s has id %d on link %d, not id %d on %s: %w", name, v.VlanId, v.ParentIndex, a.c.VLAN, a.c.Bridge, ErrConflict)
		}
		if err := a.setMAC(l, mac); err != nil {
			return nil, err
		}
		return l, a.setMTU(l)
	case !isNotFound(err):
		return nil, fmt.Errorf("find %s: %w", name, err)
	}
	v := &netlink.Vlan{
		LinkAttrs:    netlink.LinkAttrs{Name: name, ParentIndex: parent.Attrs().Index, HardwareAddr: mac, MTU: a.c.MTU},
		VlanId:       a.c.VLAN,
		VlanProtocol: netlink.VLAN_PROTOCOL_8021Q,
	}
	if err := a.h.LinkAdd(v); err != nil {
		return nil, fmt.Errorf("create VLAN %s: %w", name, err)
	}
	a.created(name)
	a.logf("create VLAN %s (id %d on %s)", name, a.c.VLAN, a.c.Bridge)
	return a.h.LinkByName(name)
}

// enslave makes master the master of l. A bond only takes members that are down
// (bond_enslave in drivers/net/bonding/bond_main.c).
func (a *applier) enslave(l, master netlink.Link, bond bool) error {
	l, err := a.h.LinkByIndex(l.Attrs().Index)
	if err != nil {
		return fmt.Errorf("find %s: %w", l.Attrs().Name, err)
	}
	if l.Attrs().MasterIndex == master.Attrs().Index {
		return nil
	}
	if bond && l.Attrs().Flags&net.FlagUp != 0 {
		if err := a.h.LinkSetDown(l); err != nil {
			return fmt.Errorf("set %s down: %w", l.Attrs().Name, err)
		}
	}
	if err := a.h.LinkSetMasterByIndex(l, master.Attrs().Index); err != nil {
		return fmt.Errorf("add %s to %s: %w", l.Attrs().Name, master.Attrs().Name, err)
	}
	a.logf("add %s to %s", l.Attrs().Name, master.Attrs().Name)
	return nil
}

func (a *applier) setMTU(l netlink.Link) error {
	if a.c.MTU == 0 {
		return nil
	}
	l, err := a.h.LinkByIndex(l.Attrs().Index)
	if err != nil {
		return fmt.Errorf("find %s: %w", l.Attrs().Name, err)
	}
	if l.Attrs().MTU == a.c.MTU {
		return nil
	}
	if err := a.h.LinkSetMTU(l, a.c.MTU); err != nil {
		return fmt.Errorf("set MTU %d on %s: %w", a.c.MTU, l.Attrs().Name, err)
	}
	a.logf("set MTU of %s to %d (was %d)", l.Attrs().Name, a.c.MTU, l.Attrs().MTU)
	return nil
}

func (a *applier) setMAC(l netlink.Link, mac net.HardwareAddr) error {
	if len(mac) == 0 || bytes.Equal(l.Attrs().HardwareAddr, mac) {
		return nil
	}
	if err := a.h.LinkSetHardwareAddr(l, mac); err != nil {
		return fmt.Errorf("set MAC %s on %s: %w", mac, l.Attrs().Name, err)
	}
	a.logf("set MAC of %s to %s (was %s)", l.Attrs().Name, mac, l.Attrs().HardwareAddr)
	return nil
}

func (a *applier) setUp(l netlink.Link) error {
	l, err := a.h.LinkByIndex(l.Attrs().Index)
	if err != nil {
		return fmt.Errorf("find %s: %w", l.Attrs().Name, err)
	}
	if l.Attrs().Flags&net.FlagUp != 0 {
		return nil
	}
	if err := a.h.LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up: %w", l.Attrs().Name, err)
	}
	a.logf("set %s up", l.Attrs().Name)
	return nil
}

// addAddr adds as to l unless it is there. With exclusive, the other managed addresses of
// the same family on l are deleted.
func (a *applier) addAddr(l netlink.Link, as AddrState, exclusive bool) error {
	fam := netlink.FAMILY_V4
	if as.Prefix.Addr().Is6() {
		fam = netlink.FAMILY_V6
	}
	cur, err := a.h.AddrList(l, fam)
	if err != nil {
		return fmt.Errorf("list addresses of %s: %w", l.Attrs().Name, err)
	}
	have := false
	for _, ad := range cur {
		s, ok := addrState(ad)
		if !ok {
			continue
		}
		if s.Prefix == as.Prefix {
			have = true
			continue
		}
		if exclusive && s.managed() {
			if err := a.h.AddrDel(l, &ad); err != nil {
				return fmt.Errorf("delete address %s from %s: %w", s.Prefix, l.Attrs().Name, err)
			}
			a.logf("delete address %s from %s", s.Prefix, l.Attrs().Name)
		}
	}
	if have {
		return nil
	}
	if err := a.h.AddrAdd(l, as.netlink()); err != nil {
		return fmt.Errorf("add address %s to %s: %w", as.Prefix, l.Attrs().Name, err)
	}
	if exclusive {
		a.logf("add address %s to %s", as.Prefix, l.Attrs().Name)
	}
	return nil
}

func (a *applier) addRoute(rs RouteState, dev string) error {
	cur, err := mainRoutes(a.h)
	if err != nil {
		return err
	}
	if slices.Contains(cur, rs) {
		return nil
	}
	if err := a.h.RouteAdd(rs.netlink()); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add route %s dev %s: %w", rs, dev, err)
	}
	a.logf("move route %s to %s", rs, dev)
	return nil
}

// static sets the configured address of one family on the host link and makes the gateway
// the only default route of that family in the main table.
func (a *applier) static(host netlink.Link, fam int, addr netip.Prefix, gw netip.Addr) error {
	if err := a.addAddr(host, AddrState{Prefix: addr, Scope: int(netlink.SCOPE_UNIVERSE)}, true); err != nil {
		return err
	}
	if !gw.IsValid() {
		return nil
	}
	cur, err := mainRoutes(a.h)
	if err != nil {
		return err
	}
	name := host.Attrs().Name
	have := false
	for _, r := range cur {
		if r.Family != fam || !r.isDefault() || r.Type != unix.RTN_UNICAST || r.kernelOwned() {
			continue // an RA-learned route is the kernel's: it would come back
		}
		if r.Gateway == gw && r.LinkIndex == host.Attrs().Index && !have {
			have = true
			continue
		}
		if err := a.h.RouteDel(r.netlink()); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("delete route %s: %w", r, err)
		}
		a.logf("delete route %s dev %s", r, linkName(a.h, r.LinkIndex))
	}
	if have {
		return nil
	}
	want := RouteState{Gateway: gw, Family: fam, LinkIndex: host.Attrs().Index, Table: unix.RT_TABLE_MAIN,
		Protocol: unix.RTPROT_STATIC, Scope: int(netlink.SCOPE_UNIVERSE), Type: unix.RTN_UNICAST}
	if err := a.h.RouteAdd(want.netlink()); err != nil {
		return fmt.Errorf("add default route via %s dev %s: %w", gw, name, err)
	}
	a.logf("add route default via %s dev %s", gw, name)
	return nil
}

// linkName names a link by index for messages.
func linkName(h *netlink.Handle, index int) string {
	if l, err := h.LinkByIndex(index); err == nil {
		return l.Attrs().Name
	}
	return fmt.Sprintf("#%d", index)
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

// Revert restores the network namespace h talks to (nil: the current one) to snap: it
// deletes the devices Apply created, then puts every link of the snapshot back on its
// master with its MAC, MTU and up/down state, restores its addresses (all but the IPv6
// ones the kernel makes itself) and the main table's routes (all but the kernel's own,
// which come back with their addresses). It returns one line per change.
func Revert(ctx context.Context, h *netlink.Handle, snap *Snapshot) ([]string, error) {
	h = handle(h)
	var changes []string
	logf := func(format string, args ...any) { changes = append(changes, fmt.Sprintf(format, args...)) }
	var errs []error
	fail := func(err error) { errs = append(errs, err) }

	inSnap := map[string]bool{}
	for _, ls := range snap.Links {
		inSnap[ls.Name] = true
	}
	for i := len(snap.Created) - 1; i >= 0; i-- {
		name := snap.Created[i]
		if inSnap[name] {
			continue
		}
		l, err := h.LinkByName(name)
		if isNotFound(err) {
			continue
		} else if err != nil {
			fail(fmt.Errorf("find %s: %w", name, err))
			continue
		}
		if err := h.LinkDel(l); err != nil {
			fail(fmt.Errorf("delete %s: %w", name, err))
			continue
		}
		logf("delete %s %s", l.Type(), name)
	}
	if err := ctx.Err(); err != nil {
		return changes, err
	}

	// Masters, MACs and MTUs first, then up/down (a bond member must be down to join), then
	// addresses, and routes last: a link going down takes its routes with it.
	present := map[int]netlink.Link{}
	for _, ls := range snap.Links {
		l, err := h.LinkByIndex(ls.Index)
		if err != nil {
			fail(fmt.Errorf("find %s (index %d): %w", ls.Name, ls.Index, err))
			continue
		}
		present[ls.Index] = l
		at := l.Attrs()
		if at.MasterIndex != ls.Master {
			var err error
			if ls.Master == 0 {
				err = h.LinkSetNoMaster(l)
			} else {
				if m, merr := h.LinkByIndex(ls.Master); merr == nil && m.Type() == "bond" && at.Flags&net.FlagUp != 0 {
					if err := h.LinkSetDown(l); err != nil {
						fail(fmt.Errorf("set %s down: %w", ls.Name, err))
					}
				}
				err = h.LinkSetMasterByIndex(l, ls.Master)
			}
			if err != nil {
				fail(fmt.Errorf("restore master of %s: %w", ls.Name, err))
			} else {
				logf("restore master of %s (%s)", ls.Name, map[bool]string{true: "none", false: linkName(h, ls.Master)}[ls.Master == 0])
			}
			if l, err = h.LinkByIndex(ls.Index); err != nil {
				fail(err)
				continue
			}
			at = l.Attrs()
		}
		if ls.MAC != "" && at.HardwareAddr.String() != ls.MAC {
			mac, err := net.ParseMAC(ls.MAC)
			if err == nil {
				err = h.LinkSetHardwareAddr(l, mac)
			}
			if err != nil {
				fail(fmt.Errorf("restore MAC %s of %s: %w", ls.MAC, ls.Name, err))
			} else {
				logf("restore MAC of %s to %s", ls.Name, ls.MAC)
			}
		}
		if ls.MTU != 0 && at.MTU != ls.MTU {
			if err := h.LinkSetMTU(l, ls.MTU); err != nil {
				fail(fmt.Errorf("restore MTU %d of %s: %w", ls.MTU, ls.Name, err))
			} else {
				logf("restore MTU of %s to %d", ls.Name, ls.MTU)
			}
		}
	}
	for _, ls := range snap.Links {
		if _, ok := present[ls.Index]; !ok {
			continue
		}
		l, err := h.LinkByIndex(ls.Index)
		if err != nil {
			fail(err)
			continue
		}
		up := l.Attrs().Flags&net.FlagUp != 0
		switch {
		case ls.Up && !up:
			err = h.LinkSetUp(l)
		case !ls.Up && up:
			err = h.LinkSetDown(l)
		default:
			continue
		}
		if err != nil {
			fail(fmt.Errorf("restore up/down state of %s: %w", ls.Name, err))
		} else {
			logf("set %s %s", ls.Name, map[bool]string{true: "up", false: "down"}[ls.Up])
		}
	}
	for _, ls := range snap.Links {
		l, ok := present[ls.Index]
		if !ok {
			continue
		}
		cur, err := h.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			fail(fmt.Errorf("list addresses of %s: %w", ls.Name, err))
			continue
		}
		want := map[netip.Prefix]AddrState{}
		for _, as := range ls.Addrs {
			if as.managed() {
				want[as.Prefix] = as
			}
		}
		for _, ad := range cur {
			as, ok := addrState(ad)
			if !ok || !as.managed() {
				continue
			}
			if _, ok := want[as.Prefix]; ok {
				delete(want, as.Prefix)
				continue
			}
			if err := h.AddrDel(l, &ad); err != nil {
				fail(fmt.Errorf("delete address %s from %s: %w", as.Prefix, ls.Name, err))
			} else {
				logf("delete address %s from %s", as.Prefix, ls.Name)
			}
		}
		for _, as := range ls.Addrs { // in snapshot order, so the primary address stays primary
			if _, ok := want[as.Prefix]; !ok {
				continue
			}
			if err := h.AddrAdd(l, as.netlink()); err != nil {
				fail(fmt.Errorf("restore address %s on %s: %w", as.Prefix, ls.Name, err))
			} else {
				logf("restore address %s on %s", as.Prefix, ls.Name)
			}
		}
	}

	cur, err := mainRoutes(h)
	if err != nil {
		fail(err)
		return changes, errors.Join(errs...)
	}
	for _, r := range cur {
		if r.kernelOwned() || slices.Contains(snap.Routes, r) {
			continue
		}
		if err := h.RouteDel(r.netlink()); err != nil && !errors.Is(err, unix.ESRCH) {
			fail(fmt.Errorf("delete route %s: %w", r, err))
		} else {
			logf("delete route %s dev %s", r, linkName(h, r.LinkIndex))
		}
	}
	var missing []RouteState
	for _, r := range snap.Routes {
		if !r.kernelOwned() && !slices.Contains(cur, r) {
			missing = append(missing, r)
		}
	}
	// A route may need another one to reach its gateway: retry the failures once.
	for pass := 0; pass < 2 && len(missing) > 0; pass++ {
		var again []RouteState
		var lastErr []error
		for _, r := range missing {
			if err := h.RouteAdd(r.netlink()); err != nil && !errors.Is(err, unix.EEXIST) {
				again = append(again, r)
				lastErr = append(lastErr, fmt.Errorf("restore route %s dev %s: %w", r, linkName(h, r.LinkIndex), err))
				continue
			}
			logf("restore route %s dev %s", r, linkName(h, r.LinkIndex))
		}
		missing = again
		if pass == 1 {
			errs = append(errs, lastErr...)
		}
	}
	return changes, errors.Join(errs...)
}
