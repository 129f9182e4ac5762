package netsetup

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// check is one value asserted on the evaluated module.
type check struct {
	path []string
	want any
}

func p(path ...string) []string { return path }

type scenario struct {
	name   string
	cfg    Config
	checks []check
}

var (
	macEno1 = mustMAC("52:54:00:12:34:56")
	macEno2 = mustMAC("52:54:00:12:34:57")
)

func scenarios() []scenario {
	nw := func(n string, rest ...string) []string {
		return append([]string{"systemd", "network", "networks", n}, rest...)
	}
	nd := func(n string, rest ...string) []string {
		return append([]string{"systemd", "network", "netdevs", n}, rest...)
	}
	return []scenario{
		{
			name: "dhcp-single",
			cfg:  Config{Uplinks: []Uplink{{Name: "eno1", MAC: macEno1}}},
			checks: []check{
				{p("networking", "useNetworkd"), true},
				{p("networking", "useDHCP"), false},
				{p("systemd", "network", "enable"), true},
				{nd("20-xenbr0", "netdevConfig"), map[string]any{"Name": "xenbr0", "Kind": "bridge", "MACAddress": "52:54:00:12:34:56"}},
				{nw("05-xen-guests"), map[string]any{"matchConfig": map[string]any{"Name": "vif* tap*"}, "linkConfig": map[string]any{"Unmanaged": true}}},
				{nw("30-eno1", "matchConfig", "Name"), "eno1"},
				{nw("30-eno1", "networkConfig", "Bridge"), "xenbr0"},
				{nw("30-eno1", "linkConfig", "RequiredForOnline"), "enslaved"},
				{nw("40-xenbr0", "networkConfig"), map[string]any{"DHCP": "ipv4", "IPv6AcceptRA": true}},
				{nw("40-xenbr0", "dhcpV4Config", "ClientIdentifier"), "mac"},
				{nw("40-xenbr0", "linkConfig", "RequiredForOnline"), "routable"},
			},
		},
		{
			name: "static",
			cfg: Config{
				Uplinks: []Uplink{{Name: "eno1"}},
				MTU:     9000,
				IPv4:    IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("192.0.2.10/24"), Gateway: netip.MustParseAddr("192.0.2.1")},
				IPv6:    IPv6{Mode: IPv6Off},
				DNS:     []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("198.51.100.53")},
				Search:  []string{"example.org", "lab.example.org"},
			},
			checks: []check{
				{nd("20-xenbr0", "netdevConfig"), map[string]any{"Name": "xenbr0", "Kind": "bridge", "MACAddress": "none", "MTUBytes": "9000"}},
				{nw("30-eno1", "linkConfig", "MTUBytes"), "9000"},
				{nw("40-xenbr0", "address"), []any{"192.0.2.10/24"}},
				{nw("40-xenbr0", "routes"), []any{map[string]any{"Gateway": "192.0.2.1"}}},
				{nw("40-xenbr0", "dns"), []any{"192.0.2.53", "198.51.100.53"}},
				{nw("40-xenbr0", "domains"), []any{"example.org", "lab.example.org"}},
				{nw("40-xenbr0", "networkConfig"), map[string]any{"IPv6AcceptRA": false, "LinkLocalAddressing": false}},
				{nw("40-xenbr0", "linkConfig", "RequiredFamilyForOnline"), "ipv4"},
			},
		},
		{
			name: "bond-lacp-vlan",
			cfg: Config{
				Bond: &Bond{Mode: Bond8023AD, Members: []Uplink{{Name: "eno1", MAC: macEno1}, {Name: "eno2", MAC: macEno2}},
					LACPRate: "fast", HashPolicy: "layer3+4"},
				VLAN: 10,
				MTU:  9000,
				IPv4: IPv4{Mode: IPv4Static, Address: netip.MustParsePrefix("198.51.100.10/24"), Gateway: netip.MustParseAddr("198.51.100.1")},
			},
			checks: []check{
				{nd("20-bond0", "netdevConfig"), map[string]any{"Name": "bond0", "Kind": "bond", "MACAddress": "52:54:00:12:34:56", "MTUBytes": "9000"}},
				{nd("20-bond0", "bondConfig"), map[string]any{"Mode": "802.3ad", "MIIMonitorSec": "100ms", "LACPTransmitRate": "fast", "TransmitHashPolicy": "layer3+4"}},
				{nd("20-xenbr0.10", "vlanConfig", "Id"), 10.0},
				{nd("20-xenbr0.10", "netdevConfig", "Kind"), "vlan"},
				{nw("30-eno1", "networkConfig", "Bond"), "bond0"},
				{nw("30-eno2", "networkConfig", "Bond"), "bond0"},
				{nw("30-eno2", "linkConfig", "RequiredForOnline"), false},
				{nw("35-bond0", "networkConfig", "Bridge"), "xenbr0"},
				{nw("35-bond0", "linkConfig", "RequiredForOnline"), "enslaved"},
				{nw("40-xenbr0", "networkConfig", "VLAN"), "xenbr0.10"},
				{nw("40-xenbr0", "linkConfig", "RequiredForOnline"), false},
				{nw("50-xenbr0.10", "matchConfig", "Name"), "xenbr0.10"},
				{nw("50-xenbr0.10", "address"), []any{"198.51.100.10/24"}},
				{nw("50-xenbr0.10", "networkConfig", "IPv6AcceptRA"), true},
				{nw("50-xenbr0.10", "linkConfig", "RequiredForOnline"), "routable"},
			},
		},
		{
			name: "ipv6-static",
			cfg: Config{
				Uplinks: []Uplink{{Name: "enp3s0f0", MAC: macEno1}},
				IPv4:    IPv4{Mode: IPv4Off},
				IPv6:    IPv6{Mode: IPv6Static, Address: netip.MustParsePrefix("2001:db8::10/64"), Gateway: netip.MustParseAddr("fe80::1")},
				DNS:     []netip.Addr{netip.MustParseAddr("2001:db8::53")},
			},
			checks: []check{
				{nw("40-xenbr0", "address"), []any{"2001:db8::10/64"}},
				{nw("40-xenbr0", "routes"), []any{map[string]any{"Gateway": "fe80::1"}}},
				{nw("40-xenbr0", "networkConfig"), map[string]any{"IPv6AcceptRA": false}},
				{nw("40-xenbr0", "linkConfig", "RequiredFamilyForOnline"), "ipv6"},
				{nw("40-xenbr0", "dns"), []any{"2001:db8::53"}},
			},
		},
		{
			name: "mac-matched",
			cfg: Config{
				Bridge:  "xenbr1",
				Uplinks: []Uplink{{MAC: macEno2}},
				IPv6:    IPv6{Mode: IPv6DHCPv6},
			},
			checks: []check{
				{nw("30-uplink-525400123457", "matchConfig"), map[string]any{"PermanentMACAddress": "52:54:00:12:34:57"}},
				{nw("30-uplink-525400123457", "networkConfig", "Bridge"), "xenbr1"},
				{nd("20-xenbr1", "netdevConfig", "MACAddress"), "52:54:00:12:34:57"},
				{nw("40-xenbr1", "networkConfig"), map[string]any{"DHCP": "yes", "IPv6AcceptRA": true}},
			},
		},
		{
			name: "pin-names",
			cfg: Config{
				Bond:     &Bond{Members: []Uplink{{Name: "lan0", MAC: macEno1}, {Name: "lan1", MAC: macEno2}}},
				PinNames: true,
			},
			checks: []check{
				{p("systemd", "network", "links", "10-xennix-lan0"), map[string]any{
					"matchConfig": map[string]any{"PermanentMACAddress": "52:54:00:12:34:56"},
					"linkConfig":  map[string]any{"Name": "lan0"},
				}},
				{p("systemd", "network", "links", "10-xennix-lan1", "linkConfig", "Name"), "lan1"},
				{nd("20-bond0", "bondConfig"), map[string]any{"Mode": "active-backup", "MIIMonitorSec": "100ms"}},
				{nw("30-lan1", "matchConfig", "Name"), "lan1"},
			},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			got, err := sc.cfg.RenderFile()
			if err != nil {
				t.Fatalf("RenderFile() error: %v", err)
			}
			again, err := sc.cfg.RenderFile()
			if err != nil || !bytes.Equal(got, again) {
				t.Fatalf("RenderFile() twice differs (err %v):\n%s\n---\n%s", err, got, again)
			}
			golden := filepath.Join("testdata", sc.name+".nix")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./netsetup -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("RenderFile(%s) = \n%s\nwant (%s):\n%s", sc.name, got, golden, want)
			}
		})
	}
}

// needNix returns the path of nix-instantiate, skipping outside CI when it is missing and
// failing in CI (CI=true).
func needNix(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("nix-instantiate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nix-instantiate is required in CI: %v", err)
		}
		t.Skipf("nix-instantiate not installed (apt-get install nix-bin): %v", err)
	}
	return p
}

// evalModule applies the module in file to a stub lib and returns the result as JSON data.
func evalModule(t *testing.T, file string) map[string]any {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	expr := fmt.Sprintf("(import %s) { lib = { mkDefault = x: x; mkForce = x: x; }; }", abs)
	cmd := exec.Command(needNix(t), "--eval", "--strict", "--json", "-E", expr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nix-instantiate --eval %s: %v\n%s", file, err, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("evaluated %s is not a JSON object: %v\n%s", file, err, out)
	}
	return v
}

func lookup(v any, path []string) (any, bool) {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TestRenderNix parses every golden with nix-instantiate, evaluates it, asserts key values
// as data, and checks every option it sets against the NixOS option tables.
func TestRenderNix(t *testing.T) {
	nix := needNix(t)
	opts, removed := optionTables(t)
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			file := filepath.Join("testdata", sc.name+".nix")
			if out, err := exec.Command(nix, "--parse", file).CombinedOutput(); err != nil {
				t.Fatalf("nix-instantiate --parse %s: %v\n%s", file, err, out)
			}
			v := evalModule(t, file)
			for _, c := range sc.checks {
				got, ok := lookup(v, c.path)
				if !ok {
					t.Errorf("%s: not set", strings.Join(c.path, "."))
					continue
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s = %#v, want %#v", strings.Join(c.path, "."), got, c.want)
				}
			}
			if opts == nil {
				return
			}
			for _, o := range optionPaths(v, nil) {
				if removed[o] {
					t.Errorf("option %s is removed or renamed (nixos-options-removed.tsv)", o)
				}
				if !opts[o] {
					t.Errorf("option %s is not declared in nixos-options.tsv", o)
				}
			}
		})
	}
}

// optionTables reads the NixOS option tables shared by the project (see
// shared/data/README.md); nil when they are not there.
func optionTables(t *testing.T) (opts, removed map[string]bool) {
	dir := os.Getenv("XENNIX_OPTIONS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	read := func(name string) map[string]bool {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil
		}
		defer f.Close()
		m := map[string]bool{}
		s := bufio.NewScanner(f)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			m[strings.SplitN(s.Text(), "\t", 2)[0]] = true
		}
		return m
	}
	opts, removed = read("nixos-options.tsv"), read("nixos-options-removed.tsv")
	if opts == nil || removed == nil {
		t.Logf("option tables not found in %s (set XENNIX_OPTIONS_DIR): option paths not checked", dir)
		return nil, nil
	}
	return opts, removed
}

// optionPaths lists the option paths set in an evaluated module, in the tables' notation:
// <name> for the attribute names under systemd.network.{networks,netdevs,links} and * for
// list elements that are attribute sets.
func optionPaths(v any, path []string) []string {
	switch x := v.(type) {
	case map[string]any:
		var out []string
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			seg := k
			if len(path) == 3 && path[0] == "systemd" && path[1] == "network" {
				seg = "<name>"
			}
			out = append(out, optionPaths(x[k], append(append([]string(nil), path...), seg))...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			if _, ok := e.(map[string]any); ok {
				out = append(out, optionPaths(e, append(append([]string(nil), path...), "*"))...)
			}
		}
		if out == nil {
			return []string{strings.Join(path, ".")}
		}
		return out
	default:
		return []string{strings.Join(path, ".")}
	}
}

func TestOptionPaths(t *testing.T) {
	v := map[string]any{"systemd": map[string]any{"network": map[string]any{"networks": map[string]any{
		"40-xenbr0": map[string]any{
			"address": []any{"192.0.2.1/24"},
			"routes":  []any{map[string]any{"Gateway": "192.0.2.254"}},
		},
	}}}}
	got := optionPaths(v, nil)
	want := []string{"systemd.network.networks.<name>.address", "systemd.network.networks.<name>.routes.*.Gateway"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("optionPaths() = %q, want %q", got, want)
	}
}
