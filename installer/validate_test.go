package installer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// base is a valid answers file of 8 lines; cases append to it from line 9 or replace it.
const base = `version: 1
host:
  hostname: xen-01
disks:
  ids: [/dev/disk/by-id/nvme-eui.0001]
users:
  root:
    ssh_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"]
`

// want is one expected problem: its field path, line (0 = no position) and a part of its text.
type want struct {
	field string
	line  int
	text  string
}

func TestBaseIsValid(t *testing.T) {
	a, err := Parse("answers.yaml", []byte(base), Defaults(nil))
	if err == nil {
		err = a.Validate(nil)
	}
	if err != nil {
		t.Fatalf("base answers: %v", err)
	}
}

func TestValidateBadAnswers(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(base, old) {
			panic("base lacks " + old)
		}
		return strings.Replace(base, old, new, 1)
	}
	cases := []struct {
		name string
		file string
		want []want
	}{
		{"unknown top-level key", base + "colour: red\n", []want{{"colour", 9, "unknown key"}}},
		{"unknown nested key", replace("  hostname: xen-01\n", "  hostname: xen-01\n  hostnmae: typo\n"), []want{{"host.hostnmae", 4, "unknown key; known keys here: hostname, domain"}}},
		{"duplicate key", base + "host:\n  hostname: other\n", []want{{"host", 9, "duplicate key (first given at line 2)"}}},
		{"duplicate nested key", replace("  hostname: xen-01\n", "  hostname: xen-01\n  hostname: xen-02\n"), []want{{"host.hostname", 4, "duplicate key"}}},
		{"version is a string", replace("version: 1", `version: "1"`), []want{{"version", 1, "want a whole number"}}},
		{"version 2", replace("version: 1", "version: 2"), []want{{"version", 1, "2 is not supported"}}},
		{"version missing", strings.TrimPrefix(base, "version: 1\n"), []want{{"version", 1, "missing"}}},
		{"yes is not a boolean", base + "install:\n  wipe: yes\n", []want{{"install.wipe", 10, `want true or false, got "yes"`}}},
		{"list for a string", replace("hostname: xen-01", "hostname: [a, b]"), []want{{"host.hostname", 3, "want a string, got a list"}}},
		{"mapping for a list", replace("ids: [/dev/disk/by-id/nvme-eui.0001]", "ids: {a: b}"), []want{{"disks.ids", 5, "want a list"}}},
		{"scalar for a section", base + "network: xenbr0\n", []want{{"network", 9, "want a mapping"}}},
		{"unknown preset", base + "storage:\n  preset: xfs\n", []want{{"storage.preset", 10, `"xfs" is not one of ext4, lvm, btrfs, zfs, tmpfs-root`}}},
		{"unknown firmware", base + "boot:\n  firmware: efi\n", []want{{"boot.firmware", 10, "is not one of auto, uefi, bios"}}},
		{"address without prefix", base + "network:\n  ipv4:\n    mode: static\n    address: 10.0.0.1\n", []want{{"network.ipv4.address", 12, "10.0.0.1"}}},
		{"bad CIDR", base + "network:\n  ipv4:\n    mode: static\n    address: 10.0.0.300/24\n", []want{{"network.ipv4.address", 12, ""}}},
		{"gateway outside subnet", base + "network:\n  ipv4:\n    mode: static\n    address: 10.0.0.5/24\n    gateway: 10.1.0.1\n", []want{{"network.ipv4.gateway", 13, "10.1.0.1 is outside the subnet 10.0.0.0/24"}}},
		{"gateway is own address", base + "network:\n  ipv4:\n    mode: static\n    address: 10.0.0.5/24\n    gateway: 10.0.0.5\n", []want{{"network.ipv4.gateway", 13, "own address"}}},
		{"static without address", base + "network:\n  ipv4:\n    mode: static\n", []want{{"network.ipv4.address", 10, "required with mode static"}}},
		{"address with dhcp", base + "network:\n  ipv4:\n    address: 10.0.0.5/24\n", []want{{"network.ipv4.address", 11, "only used with mode static"}}},
		{"ipv6 address in ipv4", base + "network:\n  ipv4:\n    mode: static\n    address: 2001:db8::5/64\n", []want{{"network.ipv4.address", 12, "not an IPv4 address"}}},
		{"ipv6 gateway outside", base + "network:\n  ipv6:\n    mode: static\n    address: 2001:db8::5/64\n    gateway: 2001:db9::1\n", []want{{"network.ipv6.gateway", 13, "outside the subnet 2001:db8::/64"}}},
		{"bad DNS server", base + "network:\n  dns: [8.8.8]\n", []want{{"network.dns[0]", 10, ""}}},
		{"hostname with a quote (Nix injection)", replace("hostname: xen-01", `hostname: 'x"; users.users.evil = {}; "'`), []want{{"host.hostname", 3, "not a valid host name"}}},
		{"hostname with dot", replace("hostname: xen-01", "hostname: xen.example.org"), []want{{"host.hostname", 3, "host.domain"}}},
		{"hostname too long", replace("hostname: xen-01", "hostname: "+strings.Repeat("a", 64)), []want{{"host.hostname", 3, ""}}},
		{"hostname empty", replace("hostname: xen-01", `hostname: ""`), []want{{"host.hostname", 3, "missing"}}},
		{"bad time zone", base + "  timezone: Mars/Olympus\n", nil},
		{"path with interpolation", base + "impermanence:\n  preset: none\n  directories: ['/var/lib/${evil}']\n", []want{{"impermanence.directories[0]", 11, "not a clean absolute path"}}},
		{"relative persisted path", base + "storage:\n  preset: btrfs\nimpermanence:\n  preset: btrfs\n  files: [etc/machine-id]\n", []want{{"impermanence.files[0]", 13, "not a clean absolute path"}}},
		{"dotdot persisted path", base + "storage:\n  preset: btrfs\nimpermanence:\n  preset: btrfs\n  directories: [/var/../etc]\n", []want{{"impermanence.directories[0]", 13, ""}}},
		{"negative size", base + "storage:\n  swap: -1GiB\n", []want{{"storage.swap", 10, "negative"}}},
		{"bad size unit", base + "storage:\n  swap: 8 gigs\n", []want{{"storage.swap", 10, "want a size like"}}},
		{"fractional bytes", base + "storage:\n  swap: 1.5B\n", []want{{"storage.swap", 10, "whole number of bytes"}}},
		{"too many disks for the preset", replace("ids: [/dev/disk/by-id/nvme-eui.0001]", "ids: [/dev/disk/by-id/nvme-eui.0001, /dev/disk/by-id/nvme-eui.0002]"), []want{{"disks.ids", 5, "2 disks given but storage.mirror is off"}}},
		{"mirror with one disk", base + "storage:\n  preset: zfs\n  mirror: true\n", []want{{"storage.mirror", 11, "needs two disks, got 1"}}},
		{"ids and filter", replace("  ids: [/dev/disk/by-id/nvme-eui.0001]\n", "  ids: [/dev/disk/by-id/nvme-eui.0001]\n  filter:\n    type: nvme\n"), []want{{"disks", 4, "not both"}}},
		{"no disks", strings.Replace(base, "disks:\n  ids: [/dev/disk/by-id/nvme-eui.0001]\n", "", 1), []want{{"disks", 0, "missing"}}},
		{"kernel name instead of by-id", replace("/dev/disk/by-id/nvme-eui.0001", "/dev/sda"), []want{{"disks.ids[0]", 5, "not a /dev/disk/by-id/ path"}}},
		{"by-id with shell characters", replace("/dev/disk/by-id/nvme-eui.0001", `"/dev/disk/by-id/x;rm -rf /"`), []want{{"disks.ids[0]", 5, ""}}},
		{"duplicate disk", replace("ids: [/dev/disk/by-id/nvme-eui.0001]", "ids: [/dev/disk/by-id/nvme-eui.0001, /dev/disk/by-id/nvme-eui.0001]") + "storage:\n  mirror: true\n", []want{{"disks.ids[1]", 5, "listed twice"}}},
		{"filter min above max", strings.Replace(base, "  ids: [/dev/disk/by-id/nvme-eui.0001]\n", "  filter:\n    min_size: 2TiB\n    max_size: 1TiB\n", 1), []want{{"disks.filter.max_size", 7, "below min_size"}}},
		{"filter count three", strings.Replace(base, "  ids: [/dev/disk/by-id/nvme-eui.0001]\n", "  filter:\n    count: 3\n", 1), []want{{"disks.filter.count", 6, "1 or 2"}}},
		{"filter bad glob", strings.Replace(base, "  ids: [/dev/disk/by-id/nvme-eui.0001]\n", "  filter:\n    model: \"[\"\n", 1), []want{{"disks.filter.model", 6, "not a valid glob"}}},
		{"impermanence does not fit storage", base + "impermanence:\n  preset: btrfs\n", []want{{"impermanence.preset", 10, "btrfs needs storage preset btrfs (preset is ext4)"}}},
		{"tmpfs-root without tmpfs impermanence", base + "storage:\n  preset: tmpfs-root\n", []want{{"impermanence.preset", 0, "impermanence must be tmpfs"}}},
		{"BIOS with systemd-boot", base + "boot:\n  firmware: bios\n  loader: systemd-boot\n", []want{{"boot.loader", 11, "systemd-boot needs UEFI"}}},
		{"Secure Boot required", base + "boot:\n  secure_boot: true\n", []want{{"boot.secure_boot", 10, "Xen cannot boot with Secure Boot"}}},
		{"bad serial console", base + "boot:\n  serial_console: com1\n", []want{{"boot.serial_console", 10, ""}}},
		{"passthrough not a PCI address", base + "xen:\n  passthrough: [03:00]\n", []want{{"xen.passthrough[0]", 10, "not a PCI address"}}},
		{"xen cmdline with space", base + "xen:\n  cmdline: [\"a=1 b=2\"]\n", []want{{"xen.cmdline[0]", 10, "single Xen command-line parameter"}}},
		{"xen cmdline sets dom0_mem", base + "xen:\n  cmdline: [dom0_mem=1G]\n", []want{{"xen.cmdline[0]", 10, "xen.dom0_memory"}}},
		{"dom0 memory too small", base + "xen:\n  dom0_memory: 100MiB\n", []want{{"xen.dom0_memory", 10, "at least 512MiB"}}},
		{"dom0 max below memory", base + "xen:\n  dom0_memory: 4GiB\n  dom0_max_memory: 2GiB\n", []want{{"xen.dom0_max_memory", 11, "below dom0_memory"}}},
		{"bad SSH key", replace("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0", "ssh-ed25519 AAAAnotbase64!!"), []want{{"users.root.ssh_keys[0]", 8, "not an SSH public key"}}},
		{"password hash not crypt", base + "    hashed_password: hunter2\n", []want{{"users.root.hashed_password", 9, "not a crypt(3) hash"}}},
		{"password and hash", base + "    hashed_password: \"$6$abcdefgh$abcdefghijk\"\n    password: hunter2\n", []want{{"users.root.password", 10, "not both"}}},
		{"admin named root", base + "  admin:\n    name: root\n    ssh_keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk x\"]\n", []want{{"users.admin.name", 10, "system account"}}},
		{"admin bad name", base + "  admin:\n    name: Bob Smith\n", []want{{"users.admin.name", 10, "not a user name"}}},
		{"admin without name", base + "  admin:\n    hashed_password: \"!\"\n", []want{{"users.admin.name", 9, "no name"}}},
		{"nobody can log in", strings.Replace(base, "    ssh_keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org\"]\n", "    hashed_password: \"!\"\n", 1), []want{{"users", 6, "nobody could log in"}}},
		{"bond with one member", base + "network:\n  bond:\n    mode: 802.3ad\n    members: [eno1]\n", []want{{"network.bond.members", 12, "at least 2 members, got 1"}}},
		{"bond and uplinks", base + "network:\n  uplinks: [eno1]\n  bond:\n    mode: active-backup\n    members: [eno2, eno3]\n", []want{{"network.uplinks", 10, "not used together with network.bond"}}},
		{"bond member twice", base + "network:\n  bond:\n    mode: active-backup\n    members: [eno1, eno1]\n", []want{{"network.bond.members[1]", 12, "already used"}}},
		{"unknown bond mode", base + "network:\n  bond:\n    mode: lacp\n    members: [eno1, eno2]\n", []want{{"network.bond.mode", 11, "is not one of active-backup"}}},
		{"lacp rate without 802.3ad", base + "network:\n  bond:\n    mode: active-backup\n    members: [eno1, eno2]\n    lacp_rate: fast\n", []want{{"network.bond.lacp_rate", 13, "only used with mode 802.3ad"}}},
		{"VLAN out of range", base + "network:\n  vlan: 5000\n", []want{{"network.vlan", 10, "not a VLAN id"}}},
		{"MTU too small", base + "network:\n  mtu: 100\n", []want{{"network.mtu", 10, "100 is out of range (want 1280..9216 while IPv6 is on"}}},
		{"interface name too long", base + "network:\n  uplinks: [enp0s31f6abcdefghij]\n", []want{{"network.uplinks[0]", 10, "not a valid interface name"}}},
		{"bridge name with slash", base + "network:\n  bridge: xen/br0\n", []want{{"network.bridge", 10, "not a valid interface name"}}},
		{"both IP families off", base + "network:\n  ipv4:\n    mode: \"off\"\n  ipv6:\n    mode: \"off\"\n", []want{{"network", 9, "unreachable"}}},
		{"bad search domain", base + "network:\n  search: [\"-bad-.example\"]\n", []want{{"network.search[0]", 10, "not a domain name"}}},
		{"webhook not http", base + "install:\n  webhook: ftp://example.org/hook\n", []want{{"install.webhook", 10, "not an http(s) URL"}}},
		{"package with code", base + "install:\n  extra_packages: [\"htop; rm -rf /\"]\n", []want{{"install.extra_packages[0]", 10, "not a nixpkgs attribute name"}}},
		{"empty first-boot command", base + "install:\n  first_boot: [\"  \"]\n", []want{{"install.first_boot[0]", 10, "empty command"}}},
		{"thin pool on ext4", base + "storage:\n  guests:\n    kind: thin-pool\n", []want{{"storage.guests.kind", 11, "thin-pool needs the lvm preset"}}},
		{"zvol on btrfs", base + "storage:\n  preset: btrfs\n  guests:\n    kind: zvol\n", []want{{"storage.guests.kind", 12, "zvol needs the zfs preset"}}},
		{"root size on ext4", base + "storage:\n  root_size: 64GiB\n", []want{{"storage.root_size", 10, "only the lvm preset has a sized root volume"}}},
		{"ESP too small", base + "storage:\n  esp_size: 100MiB\n", []want{{"storage.esp_size", 10, "too small"}}},
		{"passphrase file relative", base + "storage:\n  encryption:\n    enabled: true\n    passphrase_file: key.txt\n", []want{{"storage.encryption.passphrase_file", 12, "not a clean absolute path"}}},
		{"unknown interactive section", base + "interactive: [network, colours]\n", []want{{"interactive[1]", 9, `"colours" is not one of host`}}},
		{"bad locale", base + "host:\n  locale: english\n", []want{{"host", 9, "duplicate key"}}},
		{"bad keymap", replace("  hostname: xen-01\n", "  hostname: xen-01\n  keymap: \"us; rm\"\n"), []want{{"host.keymap", 4, "not a console keymap"}}},
		{"bad timezone", replace("  hostname: xen-01\n", "  hostname: xen-01\n  timezone: Mars/Olympus\n"), []want{{"host.timezone", 4, "not an IANA time zone"}}},
		{"empty file", "", []want{{"", 0, "empty"}}},
		{"comments only", "# nothing\n", []want{{"", 0, "empty"}}},
		{"not YAML", "version: 1\nhost: [\n", []want{{"", 0, "not valid YAML"}}},
		{"two documents", base + "---\nversion: 1\n", []want{{"", 9, "second YAML document"}}},
		{"top level is a list", "- version: 1\n", []want{{"", 1, "want a mapping"}}},
		{"key is a mapping", base + "? {a: b}\n: c\n", []want{{"", 9, "a key must be a plain word"}}},
		{"anchor reuse is fine but unknown key is not", base + "x: &a 1\n", []want{{"x", 9, "unknown key"}}},
		{"NUL in hostname", replace("hostname: xen-01", "hostname: \"xen\\0\""), []want{{"host.hostname", 3, "not a valid host name"}}},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.file, tc.want)
		})
	}
}

// checkProblems parses and validates file without a machine and checks that every wanted
// problem is among those reported; a nil want only asks for some problem.
func checkProblems(t *testing.T, file string, wants []want) {
	t.Helper()
	a, err := Parse("answers.yaml", []byte(file), Defaults(nil))
	if err == nil {
		err = a.Validate(nil)
	}
	if wants == nil {
		// Only a smoke test: this file must fail somewhere.
		if err == nil {
			t.Fatalf("Validate(%q) = nil, want an error", file)
		}
		return
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error = %v, want ErrInvalid", err)
	}
	got := Problems(err)
	for _, w := range wants {
		found := false
		for _, p := range got {
			if p.Field == w.field && (w.line == 0 || p.Pos.Line == w.line) && strings.Contains(p.Error(), w.text) && p.File == "answers.yaml" {
				found = true
			}
		}
		if !found {
			var lines []string
			for _, p := range got {
				lines = append(lines, fmt.Sprintf("  %s (field %q line %d)", p, p.Field, p.Pos.Line))
			}
			t.Errorf("problems =\n%s\nwant field %q at line %d containing %q", strings.Join(lines, "\n"), w.field, w.line, w.text)
		}
	}
}

// TestErrorFormat pins the exact form of a problem, as operators and scripts see it.
func TestErrorFormat(t *testing.T) {
	file := base + "network:\n  bridge: xenbr0\n  ipv4:\n    mode: static\n    address: 10.0.0.5/24\n    gateway: 10.1.0.1\n"
	a, err := Parse("answers.yaml", []byte(file), Defaults(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := Problems(a.Validate(nil))
	want := "answers.yaml:14:14: network.ipv4.gateway: 10.1.0.1 is outside the subnet 10.0.0.0/24 of network.ipv4.address"
	if len(got) != 1 || got[0].Error() != want {
		t.Errorf("Validate() = %v, want [%s]", got, want)
	}
}

// TestPlaintextPasswordHashed checks that a plaintext password is replaced by a crypt hash
// at once and that the plaintext is nowhere in the answers afterwards.
func TestPlaintextPasswordHashed(t *testing.T) {
	file := base + "    password: \"correct horse battery staple\"\n"
	a, err := Parse("answers.yaml", []byte(file), Defaults(nil))
	if err != nil {
		t.Fatal(err)
	}
	if a.Users.Root.Password != "" {
		t.Errorf("Password = %q, want it cleared", a.Users.Root.Password)
	}
	if !strings.HasPrefix(a.Users.Root.HashedPassword, "$6$") || !cryptRE.MatchString(a.Users.Root.HashedPassword) {
		t.Errorf("HashedPassword = %q, want a $6$ crypt hash", a.Users.Root.HashedPassword)
	}
	if dump := fmt.Sprintf("%#v", a); strings.Contains(dump, "correct horse") {
		t.Errorf("plaintext password still in the answers: %s", dump)
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want Size
		err  bool
	}{
		{"0", 0, false}, {"512", 512, false}, {"64GiB", 64 * GiB, false}, {"512MiB", 512 * MiB, false},
		{"1.5TiB", TiB + TiB/2, false}, {"2TB", 2e12, false}, {"4G", 4 * GiB, false}, {" 8 GiB ", 8 * GiB, false},
		{"-1", 0, true}, {"1.2.3G", 0, true}, {"GiB", 0, true}, {"8gib", 0, true}, {"99999999999TiB", 0, true}, {"", 0, true},
	}
	for _, tc := range cases {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	for _, z := range []Size{0, 1, 1536 * MiB, 64 * GiB, 3 * TiB} {
		back, err := ParseSize(z.String())
		if err != nil || back != z {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", z.String(), back, err, z)
		}
	}
}

// FuzzParseValidate feeds arbitrary bytes to the decoder and validator: they must never
// panic, and any error must be ErrInvalid with its problems listed.
func FuzzParseValidate(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(base + "network:\n  ipv4:\n    mode: static\n    address: 10.0.0.5/24\n"))
	f.Add([]byte("version: 1\nstorage: &s {preset: zfs}\nx: *s\n"))
	f.Add([]byte("version: 1\nhost: {hostname: [1, {a: b}]}\n"))
	f.Add([]byte("version: 0x1\ndisks: {filter: {min_size: 1e9, count: -1}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse("fuzz.yaml", data, Defaults(nil))
		if err == nil {
			err = a.Validate(nil)
		}
		if err != nil && (!errors.Is(err, ErrInvalid) || len(Problems(err)) == 0) {
			t.Fatalf("error %v is not ErrInvalid with problems", err)
		}
	})
}

// TestParseAndValidateReportsBothKinds: a decoding problem does not hide a semantic one.
func TestParseAndValidateReportsBothKinds(t *testing.T) {
	file := base + "network:\n  colour: red\n  ipv4:\n    mode: static\n    address: 10.0.0.5/24\n    gateway: 10.1.0.1\n"
	_, err := ParseAndValidate("answers.yaml", []byte(file), Defaults(nil), nil)
	got := Problems(err)
	var fields []string
	for _, p := range got {
		fields = append(fields, fmt.Sprintf("%d:%s", p.Pos.Line, p.Field))
	}
	if strings.Join(fields, " ") != "10:network.colour 14:network.ipv4.gateway" {
		t.Errorf("problems = %v, want the unknown key and the gateway", got)
	}
}

// TestAddressWordsAreOurs: an address that does not parse is refused in the answers' words,
// with field and line, not in netip's ("netip.ParsePrefix(...): no '/'").
func TestAddressWordsAreOurs(t *testing.T) {
	file := base + "network:\n  ipv4:\n    mode: static\n    address: 10.0.0.5\n    gateway: 10.0.0.x\n"
	_, err := Parse("answers.yaml", []byte(file), Defaults(nil))
	got := Problems(err)
	want := []string{
		`answers.yaml:12:14: network.ipv4.address: "10.0.0.5" is not an address with its prefix length (e.g. 192.0.2.10/24 or 2001:db8::10/64)`,
		`answers.yaml:13:14: network.ipv4.gateway: "10.0.0.x" is not an IP address (e.g. 192.0.2.1 or 2001:db8::1)`,
	}
	if len(got) != len(want) {
		t.Fatalf("Parse = %v, want %d problems", got, len(want))
	}
	for i, p := range got {
		if p.Error() != want[i] {
			t.Errorf("problem %d = %s\nwant        %s", i, p, want[i])
		}
		if strings.Contains(p.Error(), "netip") {
			t.Errorf("problem %d speaks Go: %s", i, p)
		}
	}
}
