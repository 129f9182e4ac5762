package installer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree builds a fixture tree: keys are paths under root; a value starting with "-> " makes a
// symlink, anything else a file with that content.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const (
	sysPath  = "/nix/store/0a1b2c3d-nixos-system-xen-01-25.11"
	unitPath = "/nix/store/9f8e7d6c-unit-xennix-verify.service/xennix-verify.service"
	bootV2   = `{"org.nixos.bootspec.v1":{"init":"` + sysPath + `/init"},"org.xenproject.bootspec.v2":{"efiPath":"/nix/store/x-xen/boot/xen.efi","multibootPath":"/nix/store/x-xen/boot/xen.gz","params":["dom0_mem=4096M"],"version":"4.19.3"}}`
	bootNone = `{"org.nixos.bootspec.v1":{"init":"` + sysPath + `/init"}}`
)

func installedSystem(boot string) map[string]string {
	return map[string]string{
		"nix/var/nix/profiles/system":        "-> system-1-link",
		"nix/var/nix/profiles/system-1-link": "-> " + sysPath,
		sysPath[1:] + "/boot.json":           boot,
		sysPath[1:] + "/etc/systemd/system/multi-user.target.wants/xennix-verify.service": "-> " + unitPath,
		unitPath[1:]: "[Unit]\n",
	}
}

func with(m map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestVerifyTarget(t *testing.T) {
	sdboot := map[string]string{
		"boot/loader/loader.conf":                     "timeout 5\ndefault xen-generation-1.conf\n",
		"boot/loader/entries/nixos-generation-1.conf": "title NixOS\nlinux /EFI/nixos/k.efi\n",
		"boot/loader/entries/xen-generation-1.conf":   "title NixOS (with Xen Hypervisor)\nefi /EFI/nixos/xen-generation-1.efi\n",
		"boot/EFI/nixos/xen-generation-1.efi":         "MZ",
	}
	limine := map[string]string{
		"boot/limine/limine.conf":  "timeout: 5\n/+NixOS default profile\n//Generation 1 with Xen 4.19.3\nprotocol: multiboot\npath: boot():/limine/xen/1/xen.gz\n//Generation 1\nprotocol: linux\n",
		"boot/limine/xen/1/xen.gz": "x",
	}
	cases := []struct {
		name     string
		files    map[string]string
		loader   Loader
		fw       Firmware
		ok       bool
		failWant string
	}{
		{"uefi systemd-boot", with(installedSystem(bootV2), sdboot), LoaderSystemdBoot, FirmwareUEFI, true, ""},
		{"v1 bootspec", with(installedSystem(`{"org.xenproject.bootspec.v1":{"xen":"/x","xenParams":["a=1"]}}`), sdboot), LoaderSystemdBoot, FirmwareUEFI, true, ""},
		{"default is the plain entry", with(installedSystem(bootV2), with(sdboot, map[string]string{"boot/loader/loader.conf": "default nixos-generation-1.conf\n"})), LoaderSystemdBoot, FirmwareUEFI, false, "nixpkgs#350051"},
		{"xen efi missing", with(installedSystem(bootV2), with(sdboot, map[string]string{"boot/EFI/nixos/xen-generation-1.efi": "-> /nonexistent"})), LoaderSystemdBoot, FirmwareUEFI, false, "not on the ESP"},
		{"no xen entries", with(installedSystem(bootV2), map[string]string{"boot/loader/loader.conf": "default nixos-generation-1.conf\n"}), LoaderSystemdBoot, FirmwareUEFI, false, "boot builder did not run"},
		{"xen not enabled", with(installedSystem(bootNone), sdboot), LoaderSystemdBoot, FirmwareUEFI, false, "virtualisation.xen is not enabled"},
		{"bios limine", with(installedSystem(bootV2), limine), LoaderLimine, FirmwareBIOS, true, ""},
		{"bios limine without multiboot", with(installedSystem(`{"org.xenproject.bootspec.v1":{"xen":"/x"}}`), limine), LoaderLimine, FirmwareBIOS, false, "cannot boot Xen by BIOS"},
		{"limine not installed", installedSystem(bootV2), LoaderLimine, FirmwareBIOS, false, "Limine was not installed"},
		{"nothing installed", map[string]string{"etc/hostname": "x"}, LoaderSystemdBoot, FirmwareUEFI, false, "no installed system"},
		{"verify unit missing", with(with(installedSystem(bootV2), sdboot), map[string]string{sysPath[1:] + "/etc/systemd/system/multi-user.target.wants/xennix-verify.service": "-> /nix/store/gone"}), LoaderSystemdBoot, FirmwareUEFI, false, "not enabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := tree(t, tc.files)
			v := VerifyTarget(root, tc.loader, tc.fw)
			if v.OK != tc.ok || !strings.Contains(v.String(), tc.failWant) {
				t.Errorf("VerifyTarget = ok %v:\n%s\nwant ok %v and %q", v.OK, v, tc.ok, tc.failWant)
			}
		})
	}
}

func TestVerifyHost(t *testing.T) {
	xl, err := os.ReadFile("testdata/xl-info-dom0.txt")
	if err != nil {
		t.Fatal(err)
	}
	dom0 := map[string]string{
		"sys/hypervisor/type":                "xen\n",
		"proc/xen/capabilities":              "control_d\n",
		"proc/meminfo":                       "MemTotal:        4096000 kB\n",
		"sys/class/net/xenbr0/operstate":     "up\n",
		"sys/class/net/xenbr0/brif/enp1s0f0": "",
	}
	active := func(string) (bool, error) { return true, nil }
	xlOK := func() ([]byte, error) { return xl, nil }
	cases := []struct {
		name  string
		files map[string]string
		hc    HostChecks
		ok    bool
		want  string
	}{
		{"dom0", dom0, HostChecks{XLInfo: xlOK, UnitActive: active}, true, "Xen 4.19.3, 130771 MiB total"},
		{"plain boot without xen", map[string]string{"proc/meminfo": "MemTotal: 1 kB\n"}, HostChecks{XLInfo: xlOK, UnitActive: active}, false, "nixpkgs#350051"},
		{"domU", with(dom0, map[string]string{"proc/xen/capabilities": ""}), HostChecks{XLInfo: xlOK, UnitActive: active}, false, "guest (domU)"},
		{"xenstored down", dom0, HostChecks{XLInfo: xlOK, UnitActive: func(u string) (bool, error) { return u != "xenstored.service", nil }}, false, "FAIL xenstored.service"},
		{"bridge without port", with(dom0, map[string]string{"sys/class/net/xenbr0/brif/enp1s0f0": "-> /nonexistent-but-listed"}), HostChecks{XLInfo: xlOK, UnitActive: active}, true, "up with enp1s0f0"},
		{"bridge down", with(dom0, map[string]string{"sys/class/net/xenbr0/operstate": "down\n"}), HostChecks{XLInfo: xlOK, UnitActive: active}, false, "xenbr0 is down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := VerifyHost(tree(t, tc.files), "xenbr0", tc.hc)
			if v.OK != tc.ok || !strings.Contains(v.String(), tc.want) {
				t.Errorf("VerifyHost = ok %v:\n%s\nwant ok %v and %q", v.OK, v, tc.ok, tc.want)
			}
		})
	}
}
