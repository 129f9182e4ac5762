package installer

import (
	//lint:ignore SA1019 a DSA key is made to check that it is refused
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/xennix/xennix/assets"
)

// TestValidateInstallTimeFailures covers answers that validation once accepted and that
// failed only at install time, after the disks were erased (issue "Nix truth", point 2):
// each must be refused by Validate, naming the field and its line.
func TestValidateInstallTimeFailures(t *testing.T) {
	imp := func(preset, extra string) string {
		return base + "storage:\n  preset: " + preset + "\nimpermanence:\n  preset: " + preset + "\n" + extra
	}
	cases := []struct {
		name string
		file string
		want []want
	}{
		{"serial console ttyS4", base + "boot:\n  serial_console: ttyS4\n", []want{{"boot.serial_console", 10, "ttyS0 to ttyS3"}}},
		{"serial console ttyS10", base + "boot:\n  serial_console: ttyS10,115200\n", []want{{"boot.serial_console", 10, "ttyS0 to ttyS3"}}},
		{"serial console ttyUSB0", base + "boot:\n  serial_console: ttyUSB0\n", []want{{"boot.serial_console", 10, "ttyS0 to ttyS3"}}},
		{"serial console ttyAMA0", base + "boot:\n  serial_console: ttyAMA0,115200\n", []want{{"boot.serial_console", 10, "ttyS0 to ttyS3"}}},

		{"persisted twice", imp("btrfs", "  directories: [/srv, /srv]\n"), []want{{"impermanence.directories[1]", 13, "listed twice (also impermanence.directories[0])"}}},
		{"persisted as directory and file", imp("btrfs", "  directories: [/srv]\n  files: [/srv]\n"), []want{{"impermanence.files[0]", 14, "listed twice"}}},
		{"XenNix's own directory", imp("btrfs", "  directories: [/var/lib/xen]\n"), []want{{"impermanence.directories[0]", 13, "persisted by XenNix already"}}},
		{"XenNix's own file", imp("zfs", "  files: [/etc/machine-id]\n"), []want{{"impermanence.files[0]", 13, "persisted by XenNix already"}}},
		{"XenNix's log directory", imp("btrfs", "  directories: [/var/log]\n"), []want{{"impermanence.directories[0]", 13, "persisted by XenNix already"}}},
		{"persist /nix", imp("btrfs", "  directories: [/nix]\n"), []want{{"impermanence.directories[0]", 13, "cannot be persisted"}}},
		{"persist under /nix", imp("btrfs", "  directories: [/nix/var/nix]\n"), []want{{"impermanence.directories[0]", 13, "cannot be persisted"}}},
		{"persist /persist", imp("zfs", "  directories: [/persist]\n"), []want{{"impermanence.directories[0]", 13, "cannot be persisted"}}},
		{"persist /boot", imp("zfs", "  files: [/boot/loader/loader.conf]\n"), []want{{"impermanence.files[0]", 13, "cannot be persisted"}}},

		{"package keyword if", base + "install:\n  extra_packages: [if]\n", []want{{"install.extra_packages[0]", 10, "Nix keyword"}}},
		{"package keyword or", base + "install:\n  extra_packages: [htop, or]\n", []want{{"install.extra_packages[1]", 10, "Nix keyword"}}},
		{"package keyword in a path", base + "install:\n  extra_packages: [python3Packages.with]\n", []want{{"install.extra_packages[0]", 10, "Nix keyword"}}},
		{"package with interpolation", base + "install:\n  extra_packages: [\"${pkgs.evil}\"]\n", []want{{"install.extra_packages[0]", 10, "not a nixpkgs attribute name"}}},
		{"package with a trailing dot", base + "install:\n  extra_packages: [htop.]\n", []want{{"install.extra_packages[0]", 10, "not a nixpkgs attribute name"}}},

		{"NUL in first-boot command", base + "install:\n  first_boot: [\"echo a\\0b\"]\n", []want{{"install.first_boot[0]", 10, "NUL"}}},
		{"NUL in an SSH key", strings.Replace(base, "ops@example.org", `ops\0@example.org`, 1), []want{{"users.root.ssh_keys[0]", 8, "NUL"}}},

		{"swap of 16EiB", base + "storage:\n  swap: 16777215TiB\n", []want{{"storage.swap", 10, "larger than any disk"}}},
		{"swap just above 1EiB", base + "storage:\n  swap: 1048577TiB\n", []want{{"storage.swap", 10, "larger than any disk"}}},
		{"ESP of 2^64-1 bytes", base + "storage:\n  esp_size: 18446744073709551615\n", []want{{"storage.esp_size", 10, "larger than any disk"}}},
		{"root of 1e30 bytes", base + "storage:\n  preset: lvm\n  root_size: 1000000000000000000000000000000\n", []want{{"storage.root_size", 11, "larger than any disk"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.file, tc.want)
		})
	}
}

// TestValidateOverflowOnMachine checks that sizes near the bound cannot wrap the layout's
// minimum size around and "fit" on a small disk.
func TestValidateOverflowOnMachine(t *testing.T) {
	r := fixtureMachine("uefi-ext4-dhcp")
	file := strings.Replace(base, "ids: [/dev/disk/by-id/nvme-eui.0001]", "filter: {type: nvme}", 1) + "storage:\n  swap: 1048576TiB\n  esp_size: 1048576TiB\n"
	a, err := Parse("answers.yaml", []byte(file), Defaults(&r))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	err = a.Validate(&r)
	if err == nil || !strings.Contains(err.Error(), "needs at least") {
		t.Fatalf("Validate of a 1 EiB swap and ESP on the test machine = %v, want a disk that is too small", err)
	}
}

// TestCryptHashes checks hashes of each format, as mkpasswd, openssl and Go's crypt write
// them, against damaged ones.
func TestCryptHashes(t *testing.T) {
	made, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	good := []string{
		made,
		"!", "*",
		// mkpasswd -m yescrypt (libxcrypt)
		"$y$j9T$ZqGvY2T0r1jtpQ8qvXhp5.$9K8SEJpbvoxo/5bRHBGJfk6XApMiLzd4cQnqAMkgBC8",
		// mkpasswd -m sha-512 with rounds
		"$6$rounds=10000$saltsaltsalt$" + strings.Repeat("a", 86),
		// openssl passwd -5
		"$5$Nb6Fb0vYw5G3DwJr$" + strings.Repeat("Z", 43),
		// bcrypt (htpasswd -B writes $2y$)
		"$2b$12$" + strings.Repeat("N", 53),
		"$2y$05$" + strings.Repeat(".", 53),
		// scrypt, libxcrypt
		"$7$CU..../....SSSSSSSSSSSSSSSSSSSSSS$" + strings.Repeat("h", 43),
	}
	for _, h := range good {
		if err := checkCryptHash(h); err != nil {
			t.Errorf("checkCryptHash(%q) = %v, want nil", h, err)
		}
	}
	bad := []struct{ hash, text string }{
		{"hunter2", "not a crypt(3) hash"},
		{"$1$saltsalt$abcdefghijklmnopqrstuv", "not a crypt(3) hash"}, // MD5: not accepted
		{"$6$abcdefgh$abcdefghijk", "malformed SHA-512"},
		{"$6$salt$" + strings.Repeat("a", 85), "malformed SHA-512"},
		{"$6$salt$" + strings.Repeat("a", 87), "malformed SHA-512"},
		{"$6$salt$" + strings.Repeat("a", 85) + "!", "malformed SHA-512"},
		{"$6$" + strings.Repeat("s", 17) + "$" + strings.Repeat("a", 86), "malformed SHA-512"},
		{"$y$j9T$salt$short", "malformed yescrypt"},
		{"$y$$salt$" + strings.Repeat("a", 43), "malformed yescrypt"},
		{"$2b$99$" + strings.Repeat("N", 53), "malformed bcrypt"},
		{"$2b$12$" + strings.Repeat("N", 52), "malformed bcrypt"},
		{"$5$salt$" + strings.Repeat("a", 86), "malformed SHA-256"},
		{"$7$short$" + strings.Repeat("h", 43), "malformed scrypt"},
		{"!!", "not a crypt(3) hash"},
		{"$6$", "malformed SHA-512"},
		{"$", "not a crypt(3) hash"},
	}
	for _, tc := range bad {
		err := checkCryptHash(tc.hash)
		if err == nil || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("checkCryptHash(%q) = %v, want an error containing %q", tc.hash, err, tc.text)
		}
	}
}

// TestAuthorizedKeys checks keys of each kind sshd takes or refuses, made fresh by the test.
func TestAuthorizedKeys(t *testing.T) {
	line := func(pub any) string {
		t.Helper()
		k, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	}
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	var dk dsa.PrivateKey
	if err := dsa.GenerateParameters(&dk.Parameters, rand.Reader, dsa.L1024N160); err != nil {
		t.Fatal(err)
	}
	if err := dsa.GenerateKey(&dk, rand.Reader); err != nil {
		t.Fatal(err)
	}
	ed := line(edPub)
	signer, _ := ssh.NewSignerFromKey(edPriv)
	sshEd, _ := ssh.NewPublicKey(edPub)
	cert := &ssh.Certificate{Key: sshEd, CertType: ssh.UserCert, ValidPrincipals: []string{"root"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, signer); err != nil {
		t.Fatal(err)
	}
	certLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(cert)))

	good := []string{
		ed,
		ed + " ops@example.org",
		line(&ec.PublicKey) + " ec",
		line(&rsa2048.PublicKey) + " rsa2048",
		`restrict,command="/bin/true" ` + ed,
		`from="10.0.0.0/8",no-pty,no-agent-forwarding ` + ed,
		`cert-authority,principals="root" ` + ed,
	}
	for _, k := range good {
		if err := checkAuthorizedKey(k); err != nil {
			t.Errorf("checkAuthorizedKey(%.60q) = %v, want nil", k, err)
		}
	}
	bad := []struct{ key, text string }{
		{line(&rsa1024.PublicKey), "RSA key of 1024 bits"},
		{line(&dk.PublicKey), "DSA key"},
		{certLine, "certificate"},
		{`no-such-option ` + ed, `unknown option "no-such-option"`},
		{`command ` + ed, "needs a value"},
		{`no-pty="x" ` + ed, "takes no value"},
		{ed + "\n" + ed, "line breaks"},
		{ed + "\x00", "NUL"},
		{"ssh-ed25519 AAAAnotbase64!!", "not an SSH public key"},
		{"ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk", "not an SSH public key"},
		{"", "not an SSH public key"},
	}
	for _, tc := range bad {
		err := checkAuthorizedKey(tc.key)
		if err == nil || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("checkAuthorizedKey(%.60q) = %v, want an error containing %q", tc.key, err, tc.text)
		}
	}
	// And through Validate, with the field and line.
	checkProblems(t, strings.Replace(base, `"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC0/3/AsQp5CvKlxPyQoGVM2+WDfk3H+Ri/Wd3FN83hk ops@example.org"`, fmt.Sprintf("%q", line(&rsa1024.PublicKey)), 1),
		[]want{{"users.root.ssh_keys[0]", 8, "RSA key of 1024 bits"}})
}

// TestXenNixPersistedMatchesModule keeps xennixPersisted equal to the paths
// assets/nixos/impermanence.nix persists by itself (defaultDirectories, defaultFiles).
func TestXenNixPersistedMatchesModule(t *testing.T) {
	src, err := fs.ReadFile(assets.NixOS, "nixos/impermanence.nix")
	if err != nil {
		t.Fatal(err)
	}
	var inModule []string
	for _, name := range []string{"defaultDirectories", "defaultFiles"} {
		m := regexp.MustCompile(`(?s)\n  ` + name + ` =(.*?);\n`).FindSubmatch(src)
		if m == nil {
			t.Fatalf("impermanence.nix has no %s", name)
		}
		for _, q := range regexp.MustCompile(`"(/[^"]*)"`).FindAllSubmatch(m[1], -1) {
			inModule = append(inModule, string(q[1]))
		}
	}
	got, want := slices.Sorted(slices.Values(xennixPersisted)), slices.Compact(slices.Sorted(slices.Values(inModule)))
	if !slices.Equal(got, want) {
		t.Errorf("xennixPersisted = %q, want the module's %q", got, want)
	}
}
