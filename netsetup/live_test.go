package netsetup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The live tests build small networks out of network namespaces and veth pairs: veths in
// the "host" namespace stand in for NICs, their peers sit in other namespaces the test
// creates. Nothing is sent anywhere else, and every namespace is deleted by t.Cleanup.

// skipOrFail skips the test outside CI and fails it in CI (CI=true).
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required in CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

func needNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "network namespace tests need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skipOrFail(t, "iproute2 (ip) not installed: %v", err)
	}
}

var nsCounter atomic.Int64

type testNS struct {
	name string
	ns   netns.NsHandle
	h    *netlink.Handle
}

// newNS creates a named network namespace with lo up and IPv6 duplicate address detection
// off (so addresses are usable at once), deleted when the test ends.
func newNS(t *testing.T, role string) *testNS {
	t.Helper()
	name := fmt.Sprintf("xnt%d-%s%d", os.Getpid(), role, nsCounter.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		skipOrFail(t, "cannot create network namespace: ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open namespace %s: %v", name, err)
	}
	t.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", name, err)
	}
	t.Cleanup(h.Close)
	n := &testNS{name: name, ns: ns, h: h}
	n.ip(t, "link", "set", "lo", "up")
	err = n.do(func() error {
		for _, f := range []string{"all", "default"} {
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+f+"/accept_dad", []byte("0"), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("turn off IPv6 DAD in %s: %v", name, err)
	}
	return n
}

// needKind skips the test when the kernel cannot make links of a kind (this machine's
// kernel, for one, has neither CONFIG_BONDING nor CONFIG_VLAN_8021Q). It skips in CI too:
// a kernel without a driver is not a missing test prerequisite that CI can install.
func needKind(t *testing.T, n *testNS, kind string) {
	t.Helper()
	name := "probe-" + kind
	if len(name) > 15 {
		name = name[:15]
	}
	out, err := exec.Command("ip", "-n", n.name, "link", "add", name, "type", kind).CombinedOutput()
	switch {
	case err == nil:
		n.ip(t, "link", "del", name)
	case strings.Contains(string(out), "Unknown device type"):
		t.Skipf("the kernel cannot create %s links (ip link add type %s: %v: %s)", kind, kind, err, strings.TrimSpace(string(out)))
	}
	// Any other error (a VLAN needs a parent and an id) means the driver is there.
}

// ip runs ip -n <ns> args… and returns its output.
func (n *testNS) ip(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", n.name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v\n%s", n.name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// do runs f on an OS thread switched into the namespace. Sockets made in f stay in it.
func (n *testNS) do(f func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	if err := netns.Set(n.ns); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := f()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: the runtime ends it with this goroutine.
		return fmt.Errorf("restore namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// veth creates a veth pair: name in n, peer in other, both up unless down is set.
func veth(t *testing.T, n *testNS, name string, other *testNS, peer string) {
	t.Helper()
	n.ip(t, "link", "add", name, "type", "veth", "peer", "name", peer, "netns", other.name)
	n.ip(t, "link", "set", name, "up")
	other.ip(t, "link", "set", peer, "up")
	// The kernel adds each end's IPv6 link-local address once the pair has carrier, a moment
	// later: wait for both, so that a test's "before" snapshot does not miss them.
	waitLinkLocal(t, n, name)
	waitLinkLocal(t, other, peer)
}

// waitLinkLocal waits (at most 5 s) until link name in n has an IPv6 link-local address.
func waitLinkLocal(t *testing.T, n *testNS, name string) {
	t.Helper()
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
		return // a kernel without IPv6 adds none
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if l, err := n.h.LinkByName(name); err == nil {
			addrs, _ := n.h.AddrList(l, netlink.FAMILY_V6)
			for _, a := range addrs {
				if a.IP.IsLinkLocalUnicast() {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s in %s has no IPv6 link-local address after 5s", name, n.name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exchange opens a TCP connection from namespace from to addr in namespace to and echoes a
// message, optionally binding the client to device dev. It fails after about a second.
func exchange(from, to *testNS, addr, dev string) error {
	var ln net.Listener
	err := to.do(func() error {
		var err error
		ln, err = net.Listen("tcp", net.JoinHostPort(addr, "0"))
		return err
	})
	if err != nil {
		return fmt.Errorf("listen on %s in %s: %w", addr, to.name, err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		io.Copy(c, c)
	}()
	var conn net.Conn
	err = from.do(func() error {
		d := net.Dialer{Timeout: time.Second}
		if dev != "" {
			d.Control = func(_, _ string, rc syscall.RawConn) error {
				var serr error
				err := rc.Control(func(fd uintptr) {
					serr = syscall.SetsockoptString(int(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, dev)
				})
				if err != nil {
					return err
				}
				return serr
			}
		}
		var err error
		conn, err = d.Dial("tcp", ln.Addr().String())
		return err
	})
	if err != nil {
		return fmt.Errorf("connect from %s to %s: %w", from.name, ln.Addr(), err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	msg := []byte("xennix " + from.name)
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, buf); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	if string(buf) != string(msg) {
		return fmt.Errorf("echo = %q, want %q", buf, msg)
	}
	return nil
}

// eventually retries f for up to d.
func eventually(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func apply(t *testing.T, n *testNS, c Config) (*Snapshot, []string) {
	t.Helper()
	snap, changes, err := Apply(context.Background(), n.h, c)
	if err != nil {
		t.Fatalf("Apply() error: %v\nchanges:\n  %s", err, strings.Join(changes, "\n  "))
	}
	if len(changes) == 0 {
		t.Fatalf("Apply() reported no changes on a fresh namespace")
	}
	t.Logf("Apply() changes:\n  %s", strings.Join(changes, "\n  "))
	return snap, changes
}

func applyAgainNoChanges(t *testing.T, n *testNS, c Config) {
	t.Helper()
	_, changes, err := Apply(context.Background(), n.h, c)
	if err != nil {
		t.Fatalf("second Apply() error: %v", err)
	}
	if len(changes) != 0 {
		t.Errorf("second Apply() changes = %q, want none", changes)
	}
}

func link(t *testing.T, n *testNS, name string) netlink.Link {
	t.Helper()
	l, err := n.h.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s in %s: %v", name, n.name, err)
	}
	return l
}

func TestApplyBridgeStatic(t *testing.T) {
	needNetns(t)
	host, peer := newNS(t, "h"), newNS(t, "p")
	veth(t, host, "up0", peer, "p0")
	host.ip(t, "link", "set", "up0", "down")
	peer.ip(t, "addr", "add", "192.0.2.2/24", "dev", "p0")

	c := Config{
		Uplinks: []Uplink{{Name: "up0"}},
		IPv4:    IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.1/24")},
		IPv6:    IPv6{Mode: IPv6Off},
	}
	apply(t, host, c)
	br, up := link(t, host, "xenbr0"), link(t, host, "up0")
	if up.Attrs().MasterIndex != br.Attrs().Index {
		t.Errorf("up0 master = %d, want xenbr0 (%d)", up.Attrs().MasterIndex, br.Attrs().Index)
	}
	if br.Attrs().HardwareAddr.String() != up.Attrs().HardwareAddr.String() {
		t.Errorf("xenbr0 MAC = %s, want up0's %s", br.Attrs().HardwareAddr, up.Attrs().HardwareAddr)
	}
	if err := eventually(3*time.Second, func() error { return exchange(host, peer, "192.0.2.2", "") }); err != nil {
		t.Errorf("peer not reachable through the bridge: %v", err)
	}
	applyAgainNoChanges(t, host, c)
}

func TestApplyBondFailover(t *testing.T) {
	needNetns(t)
	host, peer := newNS(t, "h"), newNS(t, "p")
	needKind(t, host, "bond")
	veth(t, host, "nic0", peer, "q0")
	veth(t, host, "nic1", peer, "q1")
	// The peer side is a switch (a bridge) with both cables and an address.
	peer.ip(t, "link", "add", "sw", "type", "bridge")
	peer.ip(t, "link", "set", "q0", "master", "sw")
	peer.ip(t, "link", "set", "q1", "master", "sw")
	peer.ip(t, "addr", "add", "192.0.2.2/24", "dev", "sw")
	peer.ip(t, "link", "set", "sw", "up")

	c := Config{
		Bond: &Bond{Mode: BondActiveBackup, Members: []Uplink{{Name: "nic0"}, {Name: "nic1"}}, MIIMonMs: 50},
		IPv4: IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.1/24")},
		IPv6: IPv6{Mode: IPv6Off},
	}
	apply(t, host, c)
	applyAgainNoChanges(t, host, c)
	if err := eventually(3*time.Second, func() error { return exchange(host, peer, "192.0.2.2", "") }); err != nil {
		t.Fatalf("peer not reachable through the bond: %v", err)
	}

	activeSlave := func() (netlink.Link, error) {
		b, ok := link(t, host, "bond0").(*netlink.Bond)
		if !ok {
			return nil, fmt.Errorf("bond0 is not a bond")
		}
		if b.ActiveSlave <= 0 {
			return nil, fmt.Errorf("bond0 has no active member")
		}
		return host.h.LinkByIndex(b.ActiveSlave)
	}
	var active netlink.Link
	if err := eventually(3*time.Second, func() (err error) { active, err = activeSlave(); return err }); err != nil {
		t.Fatal(err)
	}
	if err := host.h.LinkSetDown(active); err != nil {
		t.Fatalf("set active member %s down: %v", active.Attrs().Name, err)
	}
	t.Logf("set active member %s down", active.Attrs().Name)
	err := eventually(3*time.Second, func() error {
		now, err := activeSlave()
		if err != nil {
			return err
		}
		if now.Attrs().Index == active.Attrs().Index {
			return fmt.Errorf("bond0 still uses %s", active.Attrs().Name)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("no failover: %v", err)
	}
	if err := eventually(3*time.Second, func() error { return exchange(host, peer, "192.0.2.2", "") }); err != nil {
		t.Errorf("peer not reachable after failover: %v", err)
	}
}

func TestApplyVLAN(t *testing.T) {
	needNetns(t)
	host, sw := newNS(t, "h"), newNS(t, "s")
	on10, on20 := newNS(t, "v10-"), newNS(t, "v20-")
	needKind(t, host, "vlan")
	// host's NIC -- switch -- two peers, one on VLAN 10 and one on VLAN 20, with addresses
	// in the same subnet, so only the tag separates them.
	veth(t, host, "up0", sw, "s0")
	veth(t, on10, "e0", sw, "s1")
	veth(t, on20, "e0", sw, "s2")
	sw.ip(t, "link", "add", "sw", "type", "bridge")
	for _, p := range []string{"s0", "s1", "s2"} {
		sw.ip(t, "link", "set", p, "master", "sw")
	}
	sw.ip(t, "link", "set", "sw", "up")
	for _, x := range []struct {
		ns   *testNS
		id   string
		addr string
	}{{on10, "10", "192.0.2.2/24"}, {on20, "20", "192.0.2.3/24"}} {
		x.ns.ip(t, "link", "add", "link", "e0", "name", "e0."+x.id, "type", "vlan", "id", x.id)
		x.ns.ip(t, "addr", "add", x.addr, "dev", "e0."+x.id)
		x.ns.ip(t, "link", "set", "e0."+x.id, "up")
	}

	c := Config{
		Uplinks: []Uplink{{Name: "up0"}},
		VLAN:    10,
		IPv4:    IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.1/24")},
		IPv6:    IPv6{Mode: IPv6Off},
	}
	apply(t, host, c)
	applyAgainNoChanges(t, host, c)
	if v, ok := link(t, host, "xenbr0.10").(*netlink.Vlan); !ok || v.VlanId != 10 {
		t.Fatalf("xenbr0.10 = %#v, want a VLAN with id 10", link(t, host, "xenbr0.10"))
	}
	if err := eventually(3*time.Second, func() error { return exchange(host, on10, "192.0.2.2", "") }); err != nil {
		t.Errorf("peer on VLAN 10 not reachable: %v", err)
	}
	if err := exchange(host, on20, "192.0.2.3", ""); err == nil {
		t.Errorf("peer on VLAN 20 reachable from the management VLAN 10")
	}
	// Control: the VLAN 20 peer does answer on VLAN 20.
	host.ip(t, "link", "add", "link", "xenbr0", "name", "xenbr0.20", "type", "vlan", "id", "20")
	host.ip(t, "addr", "add", "192.0.2.9/24", "dev", "xenbr0.20")
	host.ip(t, "link", "set", "xenbr0.20", "up")
	if err := eventually(3*time.Second, func() error { return exchange(host, on20, "192.0.2.3", "xenbr0.20") }); err != nil {
		t.Errorf("control: peer on VLAN 20 not reachable over VLAN 20 either: %v", err)
	}
}

// dump is the state Revert must restore, read with iproute2 rather than this package:
// links (name, kind, master, up flag, MTU, MAC), addresses and main-table routes.
func dump(t *testing.T, n *testNS) []string {
	t.Helper()
	var out []string
	var links []struct {
		Ifname   string   `json:"ifname"`
		Flags    []string `json:"flags"`
		MTU      int      `json:"mtu"`
		Master   string   `json:"master"`
		Address  string   `json:"address"`
		Linkinfo struct {
			Kind string `json:"info_kind"`
		} `json:"linkinfo"`
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			Prefixlen int    `json:"prefixlen"`
			Scope     string `json:"scope"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(n.ip(t, "-j", "-d", "addr", "show")), &links); err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		out = append(out, fmt.Sprintf("link %s kind=%s master=%s up=%v mtu=%d mac=%s",
			l.Ifname, l.Linkinfo.Kind, l.Master, slices.Contains(l.Flags, "UP"), l.MTU, l.Address))
		for _, a := range l.AddrInfo {
			out = append(out, fmt.Sprintf("addr %s %s %s/%d scope %s", l.Ifname, a.Family, a.Local, a.Prefixlen, a.Scope))
		}
	}
	for _, fam := range []string{"-4", "-6"} {
		var routes []struct {
			Dst      string `json:"dst"`
			Gateway  string `json:"gateway"`
			Dev      string `json:"dev"`
			Protocol string `json:"protocol"`
			Scope    string `json:"scope"`
			Metric   int    `json:"metric"`
			Prefsrc  string `json:"prefsrc"`
			Type     string `json:"type"`
		}
		if err := json.Unmarshal([]byte(n.ip(t, "-j", fam, "route", "show", "table", "main")), &routes); err != nil {
			t.Fatal(err)
		}
		for _, r := range routes {
			out = append(out, fmt.Sprintf("route %s %s via=%s dev=%s proto=%s scope=%s metric=%d src=%s type=%s",
				fam, r.Dst, r.Gateway, r.Dev, r.Protocol, r.Scope, r.Metric, r.Prefsrc, r.Type))
		}
	}
	slices.Sort(out)
	return out
}

func diff(a, b []string) string {
	var s []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			s = append(s, "- "+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			s = append(s, "+ "+x)
		}
	}
	return strings.Join(s, "\n")
}

// revertAndCompare reverts snap and expects the namespace to look exactly like before.
func revertAndCompare(t *testing.T, n *testNS, snap *Snapshot, before []string) {
	t.Helper()
	changes, err := Revert(context.Background(), n.h, snap)
	t.Logf("Revert() changes:\n  %s", strings.Join(changes, "\n  "))
	if err != nil {
		t.Fatalf("Revert() error: %v", err)
	}
	var after []string
	err = eventually(3*time.Second, func() error {
		after = dump(t, n)
		if d := diff(before, after); d != "" {
			return fmt.Errorf("%s", d)
		}
		return nil
	})
	if err != nil {
		t.Errorf("state after Revert differs from before Apply (- before, + after):\n%v", err)
	}
	again, err := Revert(context.Background(), n.h, snap)
	if err != nil || len(again) != 0 {
		t.Errorf("second Revert() = %q, %v; want no changes", again, err)
	}
}

// TestApplyIdempotentAndRevert applies a bridge with static IPv4 and IPv6, gateways and an
// MTU over an uplink that carries addresses and routes, applies again (no changes), and
// reverts to exactly the starting state.
func TestApplyIdempotentAndRevert(t *testing.T) {
	needNetns(t)
	host, peer := newNS(t, "h"), newNS(t, "p")
	veth(t, host, "nic0", peer, "q0")
	veth(t, host, "other", peer, "q2") // not part of the configuration: must stay as it is
	host.ip(t, "addr", "add", "198.51.100.10/24", "dev", "nic0")
	host.ip(t, "addr", "add", "2001:db8:1::10/64", "dev", "nic0")
	host.ip(t, "route", "add", "default", "via", "198.51.100.1", "dev", "nic0")
	host.ip(t, "route", "add", "203.0.113.0/24", "via", "198.51.100.254", "dev", "nic0")
	host.ip(t, "addr", "add", "192.0.2.200/24", "dev", "other")
	host.ip(t, "link", "set", "other", "mtu", "1400")
	before := dump(t, host)

	c := Config{
		Uplinks: []Uplink{{Name: "nic0"}},
		MTU:     9000,
		IPv4:    IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.1/24"), Gateway: netip.MustParseAddr("192.0.2.254")},
		IPv6:    IPv6{Mode: IPv6Static, Address: netip.MustParsePrefix("2001:db8::1/64"), Gateway: netip.MustParseAddr("fe80::1")},
	}
	snap, _ := apply(t, host, c)
	applied := dump(t, host)
	nicMAC := link(t, host, "nic0").Attrs().HardwareAddr.String()
	for _, want := range []string{
		"link nic0 kind=veth master=xenbr0 up=true mtu=9000",
		"link xenbr0 kind=bridge master= up=true mtu=9000 mac=" + nicMAC,
		"addr xenbr0 inet 192.0.2.1/24 scope global",
		"addr xenbr0 inet6 2001:db8::1/64 scope global",
		"route -4 default via=192.0.2.254 dev=xenbr0",
		"route -6 default via=fe80::1 dev=xenbr0",
		"link other kind=veth master= up=true mtu=1400",
		"addr other inet 192.0.2.200/24",
	} {
		if !slices.ContainsFunc(applied, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("after Apply, no %q in\n%s", want, strings.Join(applied, "\n"))
		}
	}
	for _, gone := range []string{"addr nic0 inet 198.51.100.10/24", "addr nic0 inet6 2001:db8:1::10/64", "route -4 203.0.113.0/24", "route -4 default via=198.51.100.1"} {
		if slices.ContainsFunc(applied, func(s string) bool { return strings.HasPrefix(s, gone) }) {
			t.Errorf("after Apply, %q still there (a static family replaces the uplink's addresses)", gone)
		}
	}
	applyAgainNoChanges(t, host, c)
	revertAndCompare(t, host, snap, before)
}

// TestApplyBondVLANRevert is TestApplyIdempotentAndRevert with a bond of two members (one
// down at the start) and a management VLAN.
func TestApplyBondVLANRevert(t *testing.T) {
	needNetns(t)
	host, peer := newNS(t, "h"), newNS(t, "p")
	needKind(t, host, "bond")
	needKind(t, host, "vlan")
	veth(t, host, "nic0", peer, "q0")
	veth(t, host, "nic1", peer, "q1")
	host.ip(t, "link", "set", "nic1", "down")
	host.ip(t, "addr", "add", "198.51.100.10/24", "dev", "nic0")
	host.ip(t, "route", "add", "default", "via", "198.51.100.1", "dev", "nic0")
	before := dump(t, host)

	c := Config{
		Bond: &Bond{Mode: BondActiveBackup, Members: []Uplink{{Name: "nic0"}, {Name: "nic1"}}},
		VLAN: 10,
		MTU:  9000,
		IPv4: IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.1/24"), Gateway: netip.MustParseAddr("192.0.2.254")},
		IPv6: IPv6{Mode: IPv6Static, Address: netip.MustParsePrefix("2001:db8::1/64"), Gateway: netip.MustParseAddr("fe80::1")},
	}
	snap, _ := apply(t, host, c)
	applied := dump(t, host)
	for _, want := range []string{
		"link bond0 kind=bond master=xenbr0 up=true mtu=9000",
		"link nic0 kind=veth master=bond0 up=true mtu=9000",
		"link nic1 kind=veth master=bond0 up=true mtu=9000",
		"link xenbr0 kind=bridge master= up=true mtu=9000",
		"link xenbr0.10 kind=vlan master= up=true mtu=9000",
		"addr xenbr0.10 inet 192.0.2.1/24 scope global",
		"addr xenbr0.10 inet6 2001:db8::1/64 scope global",
		"route -4 default via=192.0.2.254 dev=xenbr0.10",
		"route -6 default via=fe80::1 dev=xenbr0.10",
	} {
		if !slices.ContainsFunc(applied, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("after Apply, no %q in\n%s", want, strings.Join(applied, "\n"))
		}
	}
	bondMAC := link(t, host, "bond0").Attrs().HardwareAddr.String()
	for _, l := range []string{"xenbr0", "xenbr0.10"} {
		if got := link(t, host, l).Attrs().HardwareAddr.String(); got != bondMAC {
			t.Errorf("%s MAC = %s, want the bond's (first member's) %s", l, got, bondMAC)
		}
	}
	applyAgainNoChanges(t, host, c)
	revertAndCompare(t, host, snap, before)
}

func TestApplyDHCPMovesLease(t *testing.T) {
	needNetns(t)
	host, peer := newNS(t, "h"), newNS(t, "p")
	veth(t, host, "up0", peer, "p0")
	peer.ip(t, "addr", "add", "198.51.100.1/24", "dev", "p0")
	// What a DHCP client left on the NIC: an address with a lease lifetime and routes.
	host.ip(t, "addr", "add", "198.51.100.10/24", "dev", "up0", "valid_lft", "3600", "preferred_lft", "3600")
	host.ip(t, "route", "add", "default", "via", "198.51.100.1", "dev", "up0", "proto", "dhcp", "metric", "1024")
	before := dump(t, host)

	c := Config{Uplinks: []Uplink{{Name: "up0"}}, IPv6: IPv6{Mode: IPv6Off}}
	snap, _ := apply(t, host, c)
	applied := dump(t, host)
	for _, want := range []string{
		"addr xenbr0 inet 198.51.100.10/24",
		"route -4 default via=198.51.100.1 dev=xenbr0 proto=dhcp",
	} {
		if !slices.ContainsFunc(applied, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("after Apply, no %q in\n%s", want, strings.Join(applied, "\n"))
		}
	}
	if err := eventually(3*time.Second, func() error { return exchange(host, peer, "198.51.100.1", "") }); err != nil {
		t.Errorf("gateway not reachable over the bridge: %v", err)
	}
	applyAgainNoChanges(t, host, c)
	revertAndCompare(t, host, snap, before)
}

func TestApplyMissingUplink(t *testing.T) {
	needNetns(t)
	host := newNS(t, "h")
	before := dump(t, host)
	_, changes, err := Apply(context.Background(), host.h, Config{Uplinks: []Uplink{{Name: "eno9"}}})
	if err == nil || !strings.Contains(err.Error(), "eno9") {
		t.Fatalf("Apply(missing uplink) error = %v, want one naming eno9", err)
	}
	if len(changes) != 0 {
		t.Errorf("Apply(missing uplink) changes = %q, want none", changes)
	}
	if d := diff(before, dump(t, host)); d != "" {
		t.Errorf("failed Apply changed the namespace:\n%s", d)
	}
}

func TestApplyRollsBackOnError(t *testing.T) {
	needNetns(t)
	host, peer := newNS(t, "h"), newNS(t, "p")
	veth(t, host, "up0", peer, "p0")
	// A veth named like the bridge: Apply has already dropped up0's address when it finds
	// that xenbr0 is not a bridge, and must put the address back.
	veth(t, host, "xenbr0", peer, "p1")
	host.ip(t, "addr", "add", "198.51.100.10/24", "dev", "up0")
	before := dump(t, host)
	c := Config{
		Uplinks: []Uplink{{Name: "up0"}},
		IPv4:    IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.1/24")},
	}
	_, changes, err := Apply(context.Background(), host.h, c)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("Apply() over a veth named xenbr0: error = %v, want ErrConflict", err)
	}
	t.Logf("Apply() error: %v\nchanges:\n  %s", err, strings.Join(changes, "\n  "))
	if d := diff(before, dump(t, host)); d != "" {
		t.Errorf("failed Apply left changes behind (- before, + after):\n%s", d)
	}
}
