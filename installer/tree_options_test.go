package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xennix/xennix/internal/nixcheck"
)

var (
	checkerOnce sync.Once
	checker     *nixcheck.Checker
	checkerErr  error
)

// treeChecker returns the shared nixcheck.Checker. Without nix-instantiate or shared/data it
// skips, and fails in CI.
func treeChecker(t *testing.T) *nixcheck.Checker {
	t.Helper()
	checkerOnce.Do(func() { checker, checkerErr = nixcheck.New("..") })
	if checkerErr != nil {
		if os.Getenv("CI") != "true" && (errors.Is(checkerErr, exec.ErrNotFound) || errors.Is(checkerErr, nixcheck.ErrNoData)) {
			t.Skip(checkerErr)
		}
		t.Fatal(checkerErr)
	}
	return checker
}

// checkGeneratedTree runs the checker on one tree and returns its problems and the number of
// definitions checked.
func checkGeneratedTree(t *testing.T, dir string) ([]string, int) {
	t.Helper()
	problems, n, err := treeChecker(t).Tree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return problems, n
}

// TestGeneratedTreesOptions evaluates every /etc/nixos tree the installer and xennix-setup
// write — each example's install, and each xennix-setup edit applied to an installed tree —
// and checks every option it sets against NixOS' and XenNix's declarations.
func TestGeneratedTreesOptions(t *testing.T) {
	forEachGeneratedTree(t, func(t *testing.T, etc string, install bool) {
		problems, n := checkGeneratedTree(t, etc)
		for _, p := range problems {
			t.Error(p)
		}
		if install && n < 20 {
			t.Errorf("only %d definitions checked", n)
		}
	})
}

// forEachGeneratedTree runs check, in a subtest each, on the /etc/nixos of every example's
// install (install true) and of every xennix-setup edit applied to an installed tree.
func forEachGeneratedTree(t *testing.T, check func(t *testing.T, etc string, install bool)) {
	for _, name := range exampleNames(t) {
		t.Run("install/"+name, func(t *testing.T) {
			root, _ := installedTree(t, name)
			check(t, filepath.Join(root, "etc/nixos"), true)
		})
	}
	for _, e := range setupEdits {
		t.Run("setup/"+e.name, func(t *testing.T) {
			root, rep := installedTree(t, setupExample)
			h, err := LoadHost(root, rep)
			if err != nil {
				t.Fatal(err)
			}
			next := h.Answers
			e.edit(&next)
			if _, err := h.Apply(t.Context(), next, true, &rebuildRunner{}); err != nil {
				t.Fatal(err)
			}
			check(t, filepath.Join(root, "etc/nixos"), false)
		})
	}
}

// TestCheckGeneratedTreeCatches proves the check fails where NixOS would: on the quoted
// "system.stateVersion" every install once had, an unknown option, a wrong type and an
// import of a missing file.
func TestCheckGeneratedTreeCatches(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"quoted dotted name", `{ "system.stateVersion" = "25.11"; }`, "sets system.stateVersion"},
		{"unknown option", `{ services.opensshd.enable = true; }`, "sets services.opensshd.enable, which neither"},
		{"bool as string", `{ services.openssh.enable = "yes"; }`, "a string value for an option of type bool"},
		{"int as string", `{ xennix.xen.dom0Memory = "4096"; }`, "a string value for an option of type int"},
		{"enum value", `{ xennix.boot.firmware = "efi"; }`, `"efi" is not one of`},
		{"list of ints", `{ networking.nameservers = [ 1 ]; }`, "element 0 is a int"},
		{"missing import", `{ imports = [ ./nope.nix ]; }`, "which the tree does not have"},
		{"networkd bool", `{ systemd.network.networks.x.networkConfig.IPv6AcceptRA = "maybe"; }`, "not a boolean for networkd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "configuration.nix"), []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			problems, _ := checkGeneratedTree(t, dir)
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("checkGeneratedTree(%s) reported %q, want %q", tc.file, problems, tc.want)
			}
		})
	}
}

// flakeConfigurations evaluates the outputs of an installed flake.nix with stand-in inputs
// (nixosSystem returns its arguments) and returns the names of its nixosConfigurations.
func flakeConfigurations(t *testing.T, etc string) []string {
	t.Helper()
	expr := `let
  flake = import ` + filepath.Join(etc, "flake.nix") + `;
  inputs = {
    self = { };
    nixpkgs.lib.nixosSystem = args: args;
    disko.nixosModules.disko = { };
    impermanence.nixosModules.impermanence = { };
    xennix.overlays.default = null;
  };
in builtins.attrNames (flake.outputs inputs).nixosConfigurations`
	var stderr strings.Builder
	cmd := exec.Command(nixInstantiate(t), "--eval", "--strict", "--json", "-E", expr)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("evaluate %s/flake.nix: %v\n%s", etc, err, stderr.String())
	}
	var names []string
	if err := json.Unmarshal(out, &names); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestFlakeFollowsHostName checks that the host flake's configuration is named after the host
// as settings.nix sets it, at install time and after xennix-setup renames the host, so that
// the `nixos-rebuild --flake /etc/nixos#NAME` setup runs finds it.
func TestFlakeFollowsHostName(t *testing.T) {
	root, rep := installedTree(t, setupExample)
	etc := filepath.Join(root, "etc/nixos")
	if got := flakeConfigurations(t, etc); !slices.Equal(got, []string{"vault-01"}) {
		t.Fatalf("installed flake's configurations = %q, want [vault-01]", got)
	}
	h, err := LoadHost(root, rep)
	if err != nil {
		t.Fatal(err)
	}
	next := h.Answers
	next.Host.Hostname = "vault-02"
	run := &rebuildRunner{}
	if _, err := h.Apply(t.Context(), next, true, run); err != nil {
		t.Fatal(err)
	}
	if got := flakeConfigurations(t, etc); !slices.Equal(got, []string{"vault-02"}) {
		t.Errorf("after the rename, configurations = %q, want [vault-02]", got)
	}
	if len(run.ran) != 1 || run.ran[0][len(run.ran[0])-1] != "/etc/nixos#vault-02" {
		t.Errorf("rebuild ran %q, want --flake /etc/nixos#vault-02", run.ran)
	}
}

// realEvalSources are the checkouts TestEvalGeneratedTreesReal needs, by environment
// variable: nix-community/nixpkgs.lib, disko and impermanence.
var realEvalSources = []string{"NIXPKGS_LIB", "DISKO_SRC", "IMPERMANENCE_SRC"}

// evalTreeReal evaluates an /etc/nixos tree with assets/nixos/tests/eval-tree.nix: the real
// module system, impermanence module and disko types, against NixOS declarations made from
// shared/data/nixos-options.tsv. It returns the result, or the evaluation's error text.
func evalTreeReal(t *testing.T, etc string) (map[string]any, string) {
	t.Helper()
	// nixos-generate-config writes hardware-configuration.nix on the target; the example
	// hosts' stand-in takes its place.
	hw := filepath.Join(etc, "hardware-configuration.nix")
	if _, err := os.Stat(hw); err != nil {
		b, err := os.ReadFile(filepath.Join(exampleHostsDir, "hardware-configuration.nix"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(hw, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	add := func(src []byte) {
		for _, m := range nixcheck.PkgRefRE.FindAllStringSubmatch(string(src), -1) {
			if n := strings.SplitN(m[1], ".", 2)[0]; !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	filepath.WalkDir(etc, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".nix") {
			b, _ := os.ReadFile(p)
			add(b)
		}
		return nil
	})
	imp, err := os.ReadFile(filepath.Join(os.Getenv("IMPERMANENCE_SRC"), "nixos.nix"))
	if err != nil {
		t.Fatal(err)
	}
	add(imp)
	// Functions eval-tree.nix defines itself.
	names = slices.DeleteFunc(names, func(n string) bool {
		return slices.Contains([]string{"runCommand", "writeShellScript", "writeShellScriptBin", "writeShellApplication", "writeScript", "writeText", "callPackage", "stdenv"}, n)
	})
	pj, _ := json.Marshal(names)
	args := []string{"--eval", "--strict", "--json", "../assets/nixos/tests/eval-tree.nix",
		"--argstr", "tree", etc,
		"--argstr", "libSrc", os.Getenv("NIXPKGS_LIB"),
		"--argstr", "diskoSrc", os.Getenv("DISKO_SRC"),
		"--argstr", "impermanenceSrc", os.Getenv("IMPERMANENCE_SRC"),
		"--argstr", "optionsTSV", mustAbs(t, "../../shared/data/nixos-options.tsv"),
		"--argstr", "removedTSV", mustAbs(t, "../../shared/data/nixos-options-removed.tsv"),
		"--arg", "pkgNames", "builtins.fromJSON ''" + string(pj) + "''",
	}
	var stderr strings.Builder
	cmd := exec.Command(nixInstantiate(t), args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var msg []string
		for _, l := range strings.Split(stderr.String(), "\n") {
			if strings.HasPrefix(l, "error:") || (len(msg) > 0 && len(msg) < 6) {
				msg = append(msg, l)
			}
		}
		if len(msg) == 0 {
			msg = []string{err.Error(), stderr.String()}
		}
		return nil, strings.Join(msg, "\n")
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res, ""
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestEvalGeneratedTreesReal evaluates every example's installed tree and every
// xennix-setup edit with the real lib.evalModules, impermanence module and disko types
// (eval-tree.nix), and fails on an evaluation error (an undeclared option among them) or a
// failed assertion. Opt-in: set NIXPKGS_LIB, DISKO_SRC and IMPERMANENCE_SRC to checkouts
// of nix-community/nixpkgs.lib, nix-community/disko and nix-community/impermanence.
func TestEvalGeneratedTreesReal(t *testing.T) {
	for _, v := range realEvalSources {
		if os.Getenv(v) == "" {
			t.Skipf("%s not set (checkouts of nixpkgs.lib, disko and impermanence: %v)", v, realEvalSources)
		}
	}
	check := func(t *testing.T, etc string) {
		res, errText := evalTreeReal(t, etc)
		if errText != "" {
			t.Fatalf("evaluation failed:\n%s", errText)
		}
		if fa, _ := res["failedAssertions"].([]any); len(fa) > 0 {
			t.Errorf("failed assertions: %q", fa)
		}
		fs, _ := res["fileSystems"].(map[string]any)
		loader, _ := res["loader"].(map[string]any)
		kind := "systemd-boot"
		if loader["limine"] != nil {
			kind = "limine"
		}
		mirror := strings.Contains(fmt.Sprint(loader), "xennix_sync_esp")
		t.Logf("ok: host %v, %d filesystems, %s (mirror ESP sync %v), no failed assertions", res["hostName"], len(fs), kind, mirror)
	}
	forEachGeneratedTree(t, func(t *testing.T, etc string, _ bool) { check(t, etc) })
	// And it fails where NixOS would: on the quoted "system.stateVersion" every install once had.
	t.Run("catches a quoted dotted name", func(t *testing.T) {
		root, _ := installedTree(t, "uefi-ext4-dhcp")
		conf := filepath.Join(root, "etc/nixos/configuration.nix")
		b, _ := os.ReadFile(conf)
		bad := regexp.MustCompile(`(?s)system = \{.*?stateVersion = "([0-9.]+)";\s*\};`).ReplaceAll(b, []byte(`"system.stateVersion" = "$1";`))
		if !strings.Contains(string(bad), `"system.stateVersion"`) {
			t.Fatalf("could not quote the name in:\n%s", b)
		}
		os.WriteFile(conf, bad, 0o644)
		if _, errText := evalTreeReal(t, filepath.Join(root, "etc/nixos")); !strings.Contains(errText, "system.stateVersion\"' does not exist") {
			t.Errorf("evaluation error = %q, want the module system's undeclared option error", errText)
		}
	})
}
