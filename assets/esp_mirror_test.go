package assets

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// espSyncScript evaluates nixos/esp-mirror.nix with the lib shim for a systemd-boot host
// whose ESP is src and whose mirror is dst, and returns the commands it adds to
// boot.loader.systemd-boot.extraInstallCommands (under mkIf and mkAfter), with the store
// paths of rsync and util-linux pointing at the machine's own (/usr).
func espSyncScript(t *testing.T, loader, src, dst string) (string, bool) {
	t.Helper()
	nix := requireTool(t, "nix-instantiate")
	expr := `let
  lib = import ./nixos/tests/lib-shim.nix;
  m = import ./nixos/esp-mirror.nix {
    inherit lib;
    config = {
      xennix = {
        enable = true;
        boot = {
          loader = "` + loader + `";
          firmware = "uefi";
          mirroredESPs = [ ` + nixString(dst) + ` ];
          mirrorBIOSDevice = null;
          biosPartitionIndex = null;
        };
      };
      boot.loader.efi.efiSysMountPoint = ` + nixString(src) + `;
    };
    options.boot.loader = { };
    pkgs = { util-linux = "/usr"; rsync = "/usr"; };
  };
  # mkIf cfg.enable (mkMerge [ assertions, mkIf systemd-boot { ... }, limine ])
  parts = m.config.content.contents;
  sd = builtins.elemAt parts 1;
  cmds = sd.content.boot.loader.systemd-boot.extraInstallCommands;
in { condition = m.config.condition && sd.condition; order = cmds._type; script = cmds.content; }`
	cmd := exec.Command(nix, "--eval", "--strict", "--json", "-E", expr)
	cmd.Dir = "."
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("evaluate esp-mirror.nix: %v\n%s", err, stderr.String())
	}
	var res struct {
		Condition bool   `json:"condition"`
		Order     string `json:"order"`
		Script    string `json:"script"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Order != "order" {
		t.Errorf("the copy is not ordered after the Xen boot builder (mkAfter): _type %q", res.Order)
	}
	return res.Script, res.Condition
}

func nixString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestESPMirrorSync runs the commands esp-mirror.nix adds to the systemd-boot install on a
// real mounted mirror (a tmpfs: this kernel has no vfat) and checks that the mirror becomes a
// copy of the ESP, keeps its own random seed, follows deletions, and that an unmounted mirror
// (a failed disk) is reported without failing the boot loader install.
func TestESPMirrorSync(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root (mount) in CI")
		}
		t.Skip("needs root to mount the mirror")
	}
	if _, err := exec.LookPath("rsync"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("rsync missing in CI (.ci/run installs it)")
		}
		t.Skip("rsync not installed")
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "boot"), filepath.Join(dir, "boot-fallback")
	script, on := espSyncScript(t, "systemd-boot", src, dst)
	if !on {
		t.Fatal("esp-mirror.nix adds nothing for a systemd-boot mirror")
	}
	files := map[string]string{
		"EFI/BOOT/BOOTX64.EFI":                 "systemd-boot",
		"EFI/nixos/xen-abc.efi":                "xen",
		"loader/entries/xen-nixos-gen-12.conf": "title Xen",
		"loader/loader.conf":                   "default xen-nixos-gen-12.conf",
		"loader/random-seed":                   "seed of the first disk",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755)
		if err := os.WriteFile(filepath.Join(src, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(dst, 0o755)
	run := func() string {
		t.Helper()
		out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("sync: %v\n%s", err, out)
		}
		return string(out)
	}

	// Not mounted: a warning, no copy, no failure.
	if out := run(); !strings.Contains(out, "is not mounted") {
		t.Errorf("unmounted mirror: output %q, want a warning", out)
	}
	if _, err := os.Stat(filepath.Join(dst, "loader/loader.conf")); err == nil {
		t.Error("copied into a mirror that is not mounted")
	}

	if err := syscall.Mount("tmpfs", dst, "tmpfs", 0, "size=16m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(dst, 0) })
	os.MkdirAll(filepath.Join(dst, "loader"), 0o755)
	os.WriteFile(filepath.Join(dst, "loader/random-seed"), []byte("seed of the second disk"), 0o644)
	os.WriteFile(filepath.Join(dst, "stale-generation.conf"), []byte("old"), 0o644)
	if out := run(); !strings.Contains(out, "copied") {
		t.Errorf("output %q, want a copy", out)
	}
	for p, c := range files {
		got, err := os.ReadFile(filepath.Join(dst, p))
		want := c
		if p == "loader/random-seed" {
			want = "seed of the second disk"
		}
		if err != nil || string(got) != want {
			t.Errorf("mirror %s = %q (%v), want %q", p, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "stale-generation.conf")); err == nil {
		t.Error("a file gone from the ESP stays on the mirror")
	}
	// A generation removed from the ESP disappears from the mirror at the next install.
	os.Remove(filepath.Join(src, "EFI/nixos/xen-abc.efi"))
	run()
	if _, err := os.Stat(filepath.Join(dst, "EFI/nixos/xen-abc.efi")); err == nil {
		t.Error("a deleted Xen image stays on the mirror")
	}
}
