package installer

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestSetGuest(t *testing.T) {
	g := Guest{Name: "web", Memory: 2 * GiB, Network: []GuestInterface{{Bridge: "xenbr0"}}}
	got, err := SetGuest(g, []string{"memory=4GiB", "vcpus=2", "network[0].ipv4.address=192.0.2.21/24",
		"network[1].bridge=xenbr1", "autostart=false", "pci=[03:00.0]", "network[0].bridge="})
	if err != nil {
		t.Fatal(err)
	}
	if got.Memory != 4*GiB || got.VCPUs != 2 || got.Autostart == nil || *got.Autostart || len(got.PCI) != 1 || got.PCI[0].String() != "0000:03:00.0" {
		t.Errorf("SetGuest = %+v", got)
	}
	if len(got.Network) != 2 || got.Network[0].IPv4.Address != netip.MustParsePrefix("192.0.2.21/24") || got.Network[0].Bridge != "" || got.Network[1].Bridge != "xenbr1" {
		t.Errorf("SetGuest network = %+v", got.Network)
	}
	if g.Memory != 2*GiB {
		t.Errorf("SetGuest changed its argument")
	}
	x, err := SetGuest(g, []string{"extra_config.viridian=[defaults]", "extra_config.videoram=16", "extra_config.device.model=x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(x.ExtraConfig); got != `map[device.model:"x" videoram:16 viridian:[ "defaults" ]]` {
		t.Errorf("SetGuest extra_config = %s", got)
	}
	if x, err = SetGuest(x, []string{"extra_config.videoram="}); err != nil || len(x.ExtraConfig) != 2 {
		t.Errorf("SetGuest(extra_config.videoram=) = %v, %v; want the key removed", x.ExtraConfig, err)
	}
	for _, tc := range []struct {
		set   []string
		field string
		text  string
	}{
		{[]string{"extra_config.videoram=1.5"}, "extra_config.videoram", "want a string, a whole number or true/false"},
		{[]string{"memory=lots"}, "memory", "lots"},
		{[]string{"colour=red"}, "colour", "unknown key"},
		{[]string{"memory"}, "memory", "not KEY=VALUE"},
		{[]string{"name=db"}, "name", "cannot be renamed"},
		{[]string{"network[3].mac=00:16:3e:00:00:01"}, "network[3].mac", "past the end"},
		{[]string{"network[0].mac=01:00:5e:00:00:01"}, "network[0].mac", "multicast"},
		{[]string{"kind=windows", "vcpus=many"}, "kind", "is not one of nixos, iso, image"},
	} {
		_, err := SetGuest(g, tc.set)
		found := false
		for _, p := range Problems(err) {
			if p.Field == tc.field && strings.Contains(p.Error(), tc.text) && p.Pos.Line == 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("SetGuest(%q) = %v, want a problem at %s with %q", tc.set, err, tc.field, tc.text)
		}
	}
}

func TestParseGuest(t *testing.T) {
	g, err := ParseGuest("db.yaml", []byte("name: db\nmemory: 4GiB\ndisks:\n  - volume: data\n    size: 50GiB\n"))
	if err != nil || g.Name != "db" || g.Memory != 4*GiB || len(g.Disks) != 1 || g.Disks[0].Size != 50*GiB {
		t.Fatalf("ParseGuest = %+v, %v", g, err)
	}
	_, err = ParseGuest("db.yaml", []byte("name: db\nmemory: 4GiB\nmemroy: 2\ndisks:\n  - volume: data\n    sise: 1\n"))
	p := Problems(err)
	if len(p) != 2 || p[0].Error() != "db.yaml:3:1: memroy: unknown key; known keys here: name, enable, kind, type, uuid, memory, max_memory, vcpus, cpus, disks, network, no_network, pci, firmware, boot_order, iso, vnc, ssh_keys, after, autostart, restart_if_changed, shutdown_timeout, on_crash, extra_config" || p[1].Field != "disks[0].sise" || p[1].Pos.Line != 6 {
		t.Errorf("ParseGuest problems = %q", p)
	}
}
