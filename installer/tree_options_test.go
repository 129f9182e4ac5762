package installer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xennix/xennix/assets"
)

// declaredOption is one option a generated file may set: its path (with <name> for any
// attribute name) and its type as the declaration writes it.
type declaredOption struct {
	parts []string
	typ   string
	// opaque options take a tree of their own below them, checked by their consumer
	// (disko.devices by disko).
	opaque bool
}

// optionTable is what NixOS (shared/data/nixos-options.tsv), disko and the XenNix host
// modules declare.
type optionTable []declaredOption

// diskoOptions are the options of disko's NixOS module (module.nix, `options.disko`, at
// nix-community/disko 878ec37d) that disko.nix sets; the device tree under disko.devices is
// disko's own type, checked by disko itself (disko/diskocheck_test.go).
var diskoOptions = []string{"disko.devices"}

var (
	tableOnce sync.Once
	table     optionTable
	tableErr  error
)

// loadOptionTable reads the declarations once per test binary. In CI a missing shared/data
// fails; elsewhere it skips.
func loadOptionTable(t *testing.T) optionTable {
	t.Helper()
	tableOnce.Do(func() { table, tableErr = readOptionTable() })
	if tableErr != nil {
		if os.IsNotExist(tableErr) && os.Getenv("CI") != "true" {
			t.Skipf("no shared/data beside the repository: %v", tableErr)
		}
		t.Fatal(tableErr)
	}
	return table
}

func readOptionTable() (optionTable, error) {
	var tab optionTable
	f, err := os.Open("../../shared/data/nixos-options.tsv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 2 || cols[0] == "" {
			continue
		}
		tab = append(tab, declaredOption{parts: strings.Split(cols[0], "."), typ: cols[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Real NixOS options the TSV lacks, with their sources and types.
	core, err := os.ReadFile("../assets/nixos/tests/core-options.txt")
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Split(string(core), "\n") {
		cols := strings.Split(l, "\t")
		if strings.HasPrefix(l, "#") || len(cols) < 3 {
			continue
		}
		tab = append(tab, declaredOption{parts: strings.Split(cols[0], "."), typ: cols[2]})
	}
	for _, p := range diskoOptions {
		tab = append(tab, declaredOption{parts: strings.Split(p, "."), opaque: true})
	}
	opts, err := assets.OptionDeclarations()
	if err != nil {
		return nil, fmt.Errorf("the XenNix modules' declarations: %w", err)
	}
	for _, o := range opts {
		tab = append(tab, declaredOption{parts: strings.Split(o.Path, "."), typ: o.Type})
	}
	return tab, nil
}

// lookup finds the declaration of a defined path: an exact match (<name> matching any
// attribute name), or an opaque option above it.
func (tab optionTable) lookup(path []string) (declaredOption, bool) {
	for _, o := range tab {
		if o.opaque && len(path) >= len(o.parts) && matchParts(o.parts, path[:len(o.parts)]) {
			return o, true
		}
		if len(o.parts) == len(path) && matchParts(o.parts, path) {
			return o, true
		}
	}
	return declaredOption{}, false
}

func matchParts(pat, path []string) bool {
	for i := range pat {
		if pat[i] != "<name>" && pat[i] != path[i] {
			return false
		}
	}
	return true
}

// definition is one entry of option-paths.nix's output.
type definition struct {
	Path   []string `json:"path"`
	Type   string   `json:"type"`
	Value  any      `json:"value"`
	Elems  []string `json:"elems"`
	Values []any    `json:"values"`
}

var enumRE = regexp.MustCompile(`^enum \[ (.*) \]$`)

// checkType reports a problem when the value cannot have the declared type. Only simple
// types are checked (bool, int, str, enum, listOf str, nullOr of those, path); others pass.
func checkType(typ string, d definition) string {
	t := strings.TrimSpace(regexp.MustCompile(`\s*\((mkEnableOption|mkPackageOption|internal|readOnly|visible = false)[^)]*\)\s*$`).ReplaceAllString(typ, ""))
	if rest, ok := strings.CutPrefix(t, "nullOr "); ok {
		if d.Type == "null" {
			return ""
		}
		t = strings.Trim(rest, "()")
	}
	want := func(kinds ...string) string {
		if slices.Contains(kinds, d.Type) {
			return ""
		}
		return fmt.Sprintf("a %s value for an option of type %s", d.Type, typ)
	}
	switch {
	case t == "bool":
		return want("bool")
	case t == "int" || strings.HasPrefix(t, "ints.") || strings.HasPrefix(t, "intBetween"):
		return want("int")
	case t == "str" || t == "nonEmptyStr" || t == "lines" || t == "singleLineStr":
		return want("string")
	case t == "path":
		return want("path", "string")
	case t == "listOf str":
		if p := want("list"); p != "" {
			return p
		}
		for i, e := range d.Elems {
			if e != "string" {
				return fmt.Sprintf("element %d is a %s, want str (type %s)", i, e, typ)
			}
		}
	case t == "listOf package":
		if p := want("list"); p != "" {
			return p
		}
		for i, e := range d.Elems {
			if e != "derivation" {
				return fmt.Sprintf("element %d is a %s, want a package", i, e)
			}
		}
	case enumRE.MatchString(t):
		if p := want("string"); p != "" {
			return p
		}
		var allowed []string
		for _, q := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(enumRE.FindStringSubmatch(t)[1], -1) {
			allowed = append(allowed, q[1])
		}
		if s, _ := d.Value.(string); !slices.Contains(allowed, s) {
			return fmt.Sprintf("%q is not one of %q", s, allowed)
		}
	case strings.HasPrefix(t, "enum ") && !strings.Contains(t, "["):
		// The XenNix modules' form: "enum uefi, bios".
		if p := want("string"); p != "" {
			return p
		}
		if s, _ := d.Value.(string); !slices.Contains(strings.Split(strings.TrimPrefix(t, "enum "), ", "), s) {
			return fmt.Sprintf("%q is not one of %s", s, strings.TrimPrefix(t, "enum "))
		}
	case t == "unitOption key accepted by check (bool)":
		// systemd-lib boolValues = [ true false "yes" "no" ].
		if d.Type == "bool" {
			return ""
		}
		if s, _ := d.Value.(string); s == "yes" || s == "no" {
			return ""
		}
		return fmt.Sprintf("%v is not a boolean for networkd", d.Value)
	case t == "unitOption key accepted by check (int)":
		if d.Type == "int" {
			return ""
		}
		if s, ok := d.Value.(string); ok {
			if _, err := strconv.Atoi(s); err == nil {
				return ""
			}
		}
		return fmt.Sprintf("%v is not an integer for networkd", d.Value)
	}
	return ""
}

var pkgRefRE = regexp.MustCompile(`\bpkgs\.([A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*)`)

// hostModuleFiles are the XenNix modules the installer copies into xennix/: they declare
// options and are checked by the assets tests, not here.
func hostModuleFiles(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	entries, err := os.ReadDir("../assets/nixos")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".nix") {
			out["xennix/"+e.Name()] = true
		}
	}
	return out
}

// checkGeneratedTree evaluates every generated .nix module of an /etc/nixos tree (all but
// flake.nix, hardware-configuration.nix and the copied host modules), and fails on any option
// path that neither NixOS, disko nor the XenNix modules declare, on a value of the wrong type
// where the type is simple, and on an import of a file the tree lacks. It returns those
// problems and the number of definitions checked.
func checkGeneratedTree(t *testing.T, dir string) (problems []string, n int) {
	t.Helper()
	nix := nixInstantiate(t)
	tab := loadOptionTable(t)
	skip := hostModuleFiles(t)
	shim, err := filepath.Abs("../assets/nixos/tests/lib-shim.nix")
	if err != nil {
		t.Fatal(err)
	}
	walker, err := filepath.Abs("testdata/option-paths.nix")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".nix") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if skip[rel] || rel == "flake.nix" || rel == "hardware-configuration.nix" {
			return nil
		}
		files++
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var names []string
		for _, m := range pkgRefRE.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
		pj, _ := json.Marshal(names)
		var stderr strings.Builder
		cmd := exec.Command(nix, "--eval", "--strict", "--json", walker,
			"--arg", "file", p, "--arg", "libShim", shim, "--arg", "pkgNames", "builtins.fromJSON ''"+string(pj)+"''")
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			report("%s: evaluate: %v\n%s", rel, err, stderr.String())
			return nil
		}
		var res struct {
			Imports     []string     `json:"imports"`
			Definitions []definition `json:"definitions"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for _, imp := range res.Imports {
			if _, err := os.Stat(imp); err != nil && filepath.Base(imp) != "hardware-configuration.nix" {
				report("%s imports %s, which the tree does not have", rel, imp)
			}
		}
		for _, d := range res.Definitions {
			n++
			path := strings.Join(d.Path, ".")
			o, ok := tab.lookup(d.Path)
			if !ok {
				report("%s: sets %s, which neither NixOS (nixos-options.tsv), disko nor the XenNix modules declare", rel, path)
				continue
			}
			if strings.HasPrefix(d.Type, "_type ") {
				report("%s: %s is a %s, which the module system does not take", rel, path, d.Type)
				continue
			}
			if p := checkType(o.typ, d); p != "" && !o.opaque {
				report("%s: %s: %s", rel, path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("%s: no generated .nix files", dir)
	}
	return problems, n
}

// TestGeneratedTreesOptions evaluates every /etc/nixos tree the installer and xennix-setup
// write — each example's install, and each xennix-setup edit applied to an installed tree —
// and checks every option it sets against NixOS' and XenNix's declarations.
func TestGeneratedTreesOptions(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run("install/"+name, func(t *testing.T) {
			root, _ := installedTree(t, name)
			problems, n := checkGeneratedTree(t, filepath.Join(root, "etc/nixos"))
			for _, p := range problems {
				t.Error(p)
			}
			if n < 20 {
				t.Errorf("only %d definitions checked", n)
			}
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
			problems, _ := checkGeneratedTree(t, filepath.Join(root, "etc/nixos"))
			for _, p := range problems {
				t.Error(p)
			}
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
		for _, m := range pkgRefRE.FindAllStringSubmatch(string(src), -1) {
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
	for _, name := range exampleNames(t) {
		t.Run("install/"+name, func(t *testing.T) {
			root, _ := installedTree(t, name)
			check(t, filepath.Join(root, "etc/nixos"))
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
			check(t, filepath.Join(root, "etc/nixos"))
		})
	}
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
