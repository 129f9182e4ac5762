package installer

import (
	"fmt"
	"strconv"
	"testing"
)

// hostileIfNames are interface names that must be refused with or without the machine:
// systemd's [Match] Name= takes globs and a leading '!' (systemd.network(5)), '%' is a
// specifier in unit files, and control characters break every file they reach.
var hostileIfNames = []string{
	"eth*", "eth?", "en[op]1", "!eth0", "eth%d", "%i", "eth0\r", "eth0\x00", "eth0\n", "\teth0",
	"-eth0", ".eth0", "eth 0", "eth/0", "eth:0", "eth0;", "$(id)", "${x}", `a"b`, "eth0'", "`id`",
	"eth\\0", "ümlaut", "0123456789abcdef", ".", "..", "vif1.0", "tap0",
}

// hostilePaths are paths that must be refused with or without the machine.
var hostilePaths = []string{
	"/persist/../etc", "/a/./b", "/a//b", "/a/", "/..", "/.", "/a@b", "/@root", "/var/lib/xen@snap",
	"relative", "./x", "/a b", "/a\x00b", "/a\rb", "/a\nb", "/a*b", "/a?b", "/a$b", "/a%b", "/a${b}",
	`/a"b`, "/a\\b", "~/x", "/ä",
}

// TestFormChecksWithoutHardware: names and paths are checked for their form by validate
// without --hardware (and so by answers-media) exactly as on the machine. Before, names
// with globs, '!', '%', CR or NUL and paths with .. or @ passed without the machine.
func TestFormChecksWithoutHardware(t *testing.T) {
	q := strconv.Quote
	ifFields := []struct {
		field string
		file  func(v string) string
	}{
		{"network.bridge", func(v string) string { return base + "network:\n  bridge: " + q(v) + "\n" }},
		{"network.uplinks[0]", func(v string) string { return base + "network:\n  uplinks: [" + q(v) + "]\n" }},
		{"network.bond.name", func(v string) string {
			return base + "network:\n  bond:\n    name: " + q(v) + "\n    members: [eno1, eno2]\n"
		}},
		{"network.bond.members[0]", func(v string) string { return base + "network:\n  bond:\n    members: [" + q(v) + ", eno2]\n" }},
	}
	pathFields := []struct {
		field string
		file  func(v string) string
	}{
		{"storage.encryption.passphrase_file", func(v string) string {
			return base + "storage:\n  encryption:\n    enabled: true\n    passphrase_file: " + q(v) + "\n"
		}},
		{"storage.guests.path", func(v string) string {
			return base + "storage:\n  guests:\n    kind: directory\n    path: " + q(v) + "\n"
		}},
		{"impermanence.directories[0]", func(v string) string {
			return base + "storage:\n  preset: btrfs\nimpermanence:\n  preset: btrfs\n  directories: [" + q(v) + "]\n"
		}},
		{"impermanence.files[0]", func(v string) string {
			return base + "storage:\n  preset: btrfs\nimpermanence:\n  preset: btrfs\n  files: [" + q(v) + "]\n"
		}},
	}
	type tc struct{ name, field, file string }
	var bad []tc
	for _, f := range ifFields {
		for _, v := range hostileIfNames {
			bad = append(bad, tc{fmt.Sprintf("%s=%q", f.field, v), f.field, f.file(v)})
		}
	}
	for _, f := range pathFields {
		for _, v := range hostilePaths {
			bad = append(bad, tc{fmt.Sprintf("%s=%q", f.field, v), f.field, f.file(v)})
		}
	}
	// disko's own form checks, which need no disks: a guest directory where NixOS keeps
	// something else.
	for _, v := range []string{"/nix/images", "/boot/guests", "/persist", "/tmp/x"} {
		bad = append(bad, tc{fmt.Sprintf("storage.guests.path=%q", v), "storage.guests.path", pathFields[1].file(v)})
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAndValidate("answers.yaml", []byte(c.file), Defaults(nil), nil)
			for _, p := range Problems(err) {
				if p.Field == c.field {
					return
				}
			}
			t.Errorf("ParseAndValidate without hardware = %v; want a problem at %s", err, c.field)
		})
	}
	t.Logf("%d hostile names and paths refused without the machine", len(bad))

	// What real machines have still passes.
	good := []string{
		base + "network:\n  bridge: xenbr0\n  uplinks: [enp59s0f0, eno1]\n",
		base + "network:\n  uplinks: [\"3c:ec:ef:12:34:56\"]\n",
		base + "network:\n  bond:\n    name: bond0\n    members: [eth0, enx3cecef123456]\n",
		base + "network:\n  bridge: br_lan.1\n",
		base + "storage:\n  encryption:\n    enabled: true\n    passphrase_file: /run/keys/luks-passphrase.txt\n",
		base + "storage:\n  guests:\n    kind: directory\n    path: /var/lib/xen/images\n",
		base + "storage:\n  preset: btrfs\nimpermanence:\n  preset: btrfs\n  directories: [/var/lib/grafana, /srv/data]\n  files: [/etc/xen/xl.local.conf]\n",
	}
	for i, f := range good {
		if _, err := ParseAndValidate("answers.yaml", []byte(f), Defaults(nil), nil); err != nil {
			t.Errorf("good file %d: %v\n%s", i, err, f)
		}
	}
	// Without the machine the uplink may be left to it (the first NIC with carrier).
	if _, err := ParseAndValidate("answers.yaml", []byte(base), Defaults(nil), nil); err != nil {
		t.Errorf("no uplinks, no hardware: %v", err)
	}
}
