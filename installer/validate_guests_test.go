package installer

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/xennix/xennix/hwdetect"
)

// guest returns base with a guests section of one guest named web (line 10) and the given
// further lines of that guest (from line 11), each indented under it.
func guest(lines ...string) string {
	s := base + "guests:\n  - name: web\n"
	for _, l := range lines {
		s += "    " + l + "\n"
	}
	return s
}

func TestValidateGuests(t *testing.T) {
	cases := []struct {
		name string
		file string
		want []want
	}{
		{"name missing", base + "guests:\n  - memory: 1GiB\n", []want{{"guests[0].name", 10, "missing"}}},
		{"name upper case", base + "guests:\n  - name: Web\n", []want{{"guests[0].name", 10, "not a guest name"}}},
		{"name with a quote", base + "guests:\n  - name: 'w\"eb'\n", []want{{"guests[0].name", 10, "not a guest name"}}},
		{"name defined twice", base + "guests:\n  - name: web\n  - name: web\n", []want{{"guests[1].name", 11, "web is defined twice (first as guests[0])"}}},
		{"unknown key", guest("colour: red"), []want{{"guests[0].colour", 11, "unknown key"}}},
		{"kind unknown", guest("kind: windows"), []want{{"guests[0].kind", 11, `"windows" is not one of nixos, iso, image`}}},
		{"memory too small", guest("memory: 16MiB"), []want{{"guests[0].memory", 11, "too little"}}},
		{"memory not whole MiB", guest("memory: 1000KiB"), []want{{"guests[0].memory", 11, "whole number of MiB"}}},
		{"max memory below memory", guest("memory: 2GiB", "max_memory: 1GiB"), []want{{"guests[0].max_memory", 12, "below memory 2GiB"}}},
		{"negative vcpus", guest("vcpus: -1"), []want{{"guests[0].vcpus", 11, "negative"}}},
		{"cpus not a list", guest("cpus: all"), []want{{"guests[0].cpus", 11, "not a CPU list"}}},
		{"uuid upper case", guest("uuid: 212F4FA2-02E9-50AF-AC41-FBD56F887CC7"), []want{{"guests[0].uuid", 11, "lower-case UUID"}}},
		{"iso without iso", guest("kind: iso"), []want{{"guests[0].iso", 10, "missing"}}},
		{"image without disks", guest("kind: image"), []want{{"guests[0].disks", 10, "missing"}}},
		{"iso guest pvh", guest("kind: iso", "iso: /var/lib/xen/iso/a.iso", "type: pvh"), []want{{"guests[0].type", 13, "needs hvm"}}},
		{"iso path relative", guest("kind: iso", "iso: debian.iso"), []want{{"guests[0].iso", 12, "not an absolute path"}}},
		{"iso path with dotdot", guest("kind: iso", "iso: /var/lib/xen/../../etc/shadow"), []want{{"guests[0].iso", 12, "not a clean path"}}},
		{"iso path with newline", guest("kind: iso", `iso: "/var/lib/xen/a\nb.iso"`), []want{{"guests[0].iso", 12, "control characters"}}},
		{"pvh with pci", guest("type: pvh", "pci: [03:00.0]"), []want{{"guests[0].type", 11, "pvh guests cannot have PCI devices"}}},
		{"pci malformed", guest("pci: [3:0.0]"), []want{{"guests[0].pci[0]", 11, "not a PCI address"}}},
		{"pci device above 1f", guest("pci: [03:20.0]"), []want{{"guests[0].pci[0]", 11, "above 1f"}}},
		{"pci given twice", base + "guests:\n  - name: a\n    pci: [03:00.0]\n  - name: b\n    pci: [0000:03:00.0]\n", []want{{"guests[1].pci[0]", 13, "also given to guests[0] (a)"}}},
		{"disk with neither", guest("disks:", "  - format: raw"), []want{{"guests[0].disks[0]", 12, "give target"}}},
		{"disk with both", guest("disks:", "  - {target: /srv/a.img, volume: a, size: 1GiB}"), []want{{"guests[0].disks[0]", 12, "not both"}}},
		{"volume without size", guest("disks:", "  - volume: var"), []want{{"guests[0].disks[0].size", 0, "needs a size"}}},
		{"volume bad name", guest("disks:", "  - {volume: Var, size: 1GiB}"), []want{{"guests[0].disks[0].volume", 12, "not a volume name"}}},
		{"volume size not KiB", guest("disks:", "  - {volume: var, size: 1000}"), []want{{"guests[0].disks[0].size", 12, "whole number of KiB"}}},
		{"volume without guest storage", base + "storage:\n  guests:\n    kind: none\nguests:\n  - name: web\n    disks:\n      - {volume: var, size: 1GiB}\n", []want{{"guests[0].disks[0].volume", 15, "storage.guests.kind is none"}}},
		{"target size", guest("disks:", "  - {target: /srv/a.img, size: 1GiB}"), []want{{"guests[0].disks[0].size", 12, "only a new volume"}}},
		{"target by kernel name", guest("disks:", "  - target: /dev/sdb"), []want{{"guests[0].disks[0].target", 12, "stable /dev/disk/by-id/"}}},
		{"target relative", guest("disks:", "  - target: a.img"), []want{{"guests[0].disks[0].target", 12, "not an absolute path"}}},
		{"bad vdev", guest("disks:", "  - {target: /srv/a.img, vdev: vda1}"), []want{{"guests[0].disks[0].vdev", 12, "not a guest device name"}}},
		{"vdev twice", guest("disks:", "  - {target: /srv/a.img, vdev: xvdb}", "  - {target: /srv/b.img, vdev: xvdb}"), []want{{"guests[0].disks[1].vdev", 13, "used by another disk"}}},
		{"multicast mac", guest("network:", "  - mac: 01:16:3e:00:00:01"), []want{{"guests[0].network[0].mac", 12, "multicast"}}},
		{"mac malformed", guest("network:", "  - mac: 00:16:3e:00:00"), []want{{"guests[0].network[0].mac", 12, "not a MAC address"}}},
		{"mac twice", base + "guests:\n  - name: a\n    network: [{mac: '00:16:3e:00:00:01'}]\n  - name: b\n    network: [{mac: '00:16:3E:00:00:01'}]\n", []want{{"guests[1].network[0].mac", 13, "also guests[0].network[0].mac"}}},
		{"bridge name", guest("network:", "  - bridge: 'br 0'"), []want{{"guests[0].network[0].bridge", 12, "not a valid interface name"}}},
		{"vlan out of range", guest("network:", "  - vlan: 4095"), []want{{"guests[0].network[0].vlan", 12, "not a VLAN id"}}},
		{"address without prefix", guest("network:", "  - ipv4: {address: 192.0.2.20}"), []want{{"guests[0].network[0].ipv4.address", 12, ""}}},
		{"ipv6 address", guest("network:", "  - ipv4: {address: '2001:db8::5/64'}"), []want{{"guests[0].network[0].ipv4.address", 12, "not an IPv4 address"}}},
		{"network address", guest("network:", "  - ipv4: {address: 192.0.2.0/24}"), []want{{"guests[0].network[0].ipv4.address", 12, "network address"}}},
		{"gateway outside", guest("network:", "  - ipv4: {address: 192.0.2.20/24, gateway: 198.51.100.1}"), []want{{"guests[0].network[0].ipv4.gateway", 12, "outside the subnet 192.0.2.0/24"}}},
		{"gateway alone", guest("network:", "  - ipv4: {gateway: 192.0.2.1}"), []want{{"guests[0].network[0].ipv4.gateway", 12, "without ipv4.address"}}},
		{"iso on a pvh nixos guest", guest("iso: /var/lib/xen/iso/debian.iso"), []want{{"guests[0].iso", 11, "this nixos guest is pvh (the default)"}}},
		{"iso on a pv nixos guest", guest("type: pv", "iso: /var/lib/xen/iso/debian.iso"), []want{{"guests[0].iso", 12, "this nixos guest is pv"}}},
		{"network and no network", guest("no_network: true", "network: [{}]"), []want{{"guests[0].no_network", 11, "network lists interfaces"}}},
		{"ssh key damaged", guest("ssh_keys: [ssh-ed25519 AAAA]"), []want{{"guests[0].ssh_keys[0]", 11, ""}}},
		{"ssh keys for an iso guest", guest("kind: iso", "iso: /srv/a.iso", "ssh_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org']"), []want{{"guests[0].ssh_keys", 13, "only NixOS guests"}}},
		{"after unknown", guest("after: [db]"), []want{{"guests[0].after[0]", 11, `"db" is not another guest`}}},
		{"after itself", guest("after: [web]"), []want{{"guests[0].after[0]", 11, "not another guest"}}},
		{"on_crash unknown", guest("on_crash: reboot"), []want{{"guests[0].on_crash", 11, "is not one of destroy, restart"}}},
		{"boot order unknown", guest("boot_order: [usb]"), []want{{"guests[0].boot_order[0]", 11, "is not one of disk, cdrom, network"}}},
		{"extra_config key upper case", guest("extra_config:", "  Viridian: 1"), []want{{"guests[0].extra_config.Viridian", 12, "not an xl.cfg key"}}},
		{"extra_config key with a dash", guest("extra_config:", "  device-model: x"), []want{{"guests[0].extra_config.device-model", 12, "not an xl.cfg key"}}},
		{"extra_config key with a space", guest("extra_config:", "  'a b': x"), []want{{`guests[0].extra_config."a b"`, 12, "not an xl.cfg key"}}},
		{"extra_config reserved name", guest("extra_config:", "  name: other"), []want{{"guests[0].extra_config.name", 12, "the guest's unit depends on it"}}},
		{"extra_config reserved on_poweroff", guest("extra_config:", "  on_poweroff: restart"), []want{{"guests[0].extra_config.on_poweroff", 12, "cannot be set here"}}},
		{"extra_config negative", guest("extra_config:", "  shadow_memory: -1"), []want{{"guests[0].extra_config.shadow_memory", 12, "no negative numbers"}}},
		{"extra_config float", guest("extra_config:", "  videoram: 1.5"), []want{{"guests[0].extra_config.videoram", 12, "want a string, a whole number or true/false"}}},
		{"extra_config newline", guest("extra_config:", `  vga: "std\nvga"`), []want{{"guests[0].extra_config.vga", 12, "control character"}}},
		{"extra_config NUL in a list", guest("extra_config:", "  viridian:", `    - "a\0b"`), []want{{"guests[0].extra_config.viridian", 12, "[0]"}}},
		{"extra_config nested list", guest("extra_config:", "  viridian: [[a]]"), []want{{"guests[0].extra_config.viridian[0]", 12, "got a list"}}},
		{"extra_config mapping value", guest("extra_config:", "  viridian: {a: 1}"), []want{{"guests[0].extra_config.viridian", 12, "got a mapping"}}},
		{"extra_config empty value", guest("extra_config:", "  viridian:"), []want{{"guests[0].extra_config.viridian", 12, "no value"}}},
		{"extra_config empty list", guest("extra_config:", "  viridian: []"), []want{{"guests[0].extra_config.viridian", 12, "an empty list"}}},
		{"extra_config not a mapping", guest("extra_config: [viridian]"), []want{{"guests[0].extra_config", 11, "want a mapping"}}},
		{"extra_config key twice", guest("extra_config:", "  vga: stdvga", "  vga: none"), []want{{"guests[0].extra_config.vga", 13, "duplicate key (first given at line 12)"}}},
		{"every problem at once", guest("memory: 1MiB", "vcpus: -2", "cpus: all"), []want{
			{"guests[0].memory", 11, "too little"}, {"guests[0].vcpus", 12, "negative"}, {"guests[0].cpus", 13, "not a CPU list"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.file, tc.want)
		})
	}
}

// TestValidateGuestsOnMachine checks the guests against the example's machine: devices
// present, in an IOMMU group and free, disks not the host's nor the installer medium, and
// memory and vCPUs that fit beside dom0.
func TestValidateGuestsOnMachine(t *testing.T) {
	example, err := os.ReadFile("../assets/examples/guests-thinpool.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := fixtureMachine("guests-thinpool")
	if _, err := ParseAndValidate("answers.yaml", example, Defaults(&r), &r); err != nil {
		t.Fatalf("the example on its machine: %v", err)
	}
	replace := func(old, new string) string {
		if !strings.Contains(string(example), old) {
			panic("example lacks " + old)
		}
		return strings.Replace(string(example), old, new, 1)
	}
	line := func(s string) int {
		i := strings.Index(string(example), s)
		return strings.Count(string(example[:i]), "\n") + 1
	}
	pciLine, diskLine, memLine := line("pci: [0000:41:00.0]"), line("      - target: /dev/disk/by-id/ata-ST4000"), line("memory: 8GiB")
	noIOMMU := r
	noIOMMU.IOMMU = hwdetect.IOMMU{Source: "sysfs"}
	noGroup := r
	noGroup.PCI = []hwdetect.PCIDevice{{Address: "0000:41:00.0", Class: "030000", IOMMUGroup: -1}}
	bridge := r
	bridge.PCI = []hwdetect.PCIDevice{{Address: "0000:41:00.0", Class: "060400", IOMMUGroup: 20}}
	uplinkNIC := r
	uplinkNIC.NICs = append([]hwdetect.NIC(nil), r.NICs...)
	uplinkNIC.NICs[0].PCIAddress = "0000:41:00.0"
	noHVM := r
	noHVM.CPU.Virtualization = ""
	mounted := r
	mounted.Disks = append([]hwdetect.Disk(nil), r.Disks...)
	for i := range mounted.Disks {
		if mounted.Disks[i].Name == "sdc" {
			mounted.Disks[i].Mounted = true
		}
	}
	cases := []struct {
		name string
		file string
		r    hwdetect.Report
		want want
	}{
		{"pci absent", replace("pci: [0000:41:00.0]", "pci: [0000:42:00.0]"), r, want{"guests[2].pci[0]", pciLine, "no PCI device 0000:42:00.0"}},
		{"no iommu", string(example), noIOMMU, want{"guests[2].pci[0]", pciLine, "no active IOMMU"}},
		{"no iommu group", string(example), noGroup, want{"guests[2].pci[0]", pciLine, "in no IOMMU group"}},
		{"pci bridge", string(example), bridge, want{"guests[2].pci[0]", pciLine, "PCI bridge"}},
		{"pci of the uplink", string(example), uplinkNIC, want{"guests[2].pci[0]", pciLine, "used by the host: the network uplink eno1"}},
		{"hvm without vt-x", string(example), noHVM, want{"guests[1].type", 0, "needs hardware virtualisation"}},
		{"disk absent", replace("ata-ST4000NM0035-1V4107_ZC1000AA", "ata-ST4000NM0035-1V4107_ZZ"), r, want{"guests[2].disks[0].target", diskLine, "no disk"}},
		{"host's own disk", replace("ata-ST4000NM0035-1V4107_ZC1000AA", "ata-INTEL_SSDSC2KB960G8_PHYF000000BB960CGN"), r, want{"guests[2].disks[0].target", diskLine, "one of the host's own disks"}},
		{"installer medium", replace("ata-ST4000NM0035-1V4107_ZC1000AA", "usb-SanDisk_Ultra_4C530001230405113031-0:0"), r, want{"guests[2].disks[0].target", diskLine, "installer medium"}},
		{"disk in use", string(example), mounted, want{"guests[2].disks[0].target", diskLine, "in use on this machine"}},
		{"memory does not fit", replace("memory: 8GiB", "memory: 60GiB"), r, want{"guests[2].memory", memLine, "more than this machine's 64GiB"}},
		{"vcpus more than the machine", replace("vcpus: 4", "vcpus: 33"), r, want{"guests[2].vcpus", 0, "this machine has 32 CPUs"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAndValidate("answers.yaml", []byte(tc.file), Defaults(&tc.r), &tc.r)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseAndValidate = %v, want ErrInvalid", err)
			}
			var lines []string
			for _, p := range Problems(err) {
				if p.Field == tc.want.field && (tc.want.line == 0 || p.Pos.Line == tc.want.line) && strings.Contains(p.Error(), tc.want.text) {
					return
				}
				lines = append(lines, fmt.Sprintf("  %s (field %q line %d)", p, p.Field, p.Pos.Line))
			}
			t.Errorf("problems =\n%s\nwant field %q at line %d containing %q", strings.Join(lines, "\n"), tc.want.field, tc.want.line, tc.want.text)
		})
	}
}
