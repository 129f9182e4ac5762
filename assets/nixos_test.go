package assets

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite flake.nix's vendorHash (and goldens)")

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = ".."

// requireTool returns the path of a tool, or skips the test without it; in CI (CI=true) a
// missing tool fails the test instead.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", name, err)
	}
	t.Skipf("%s not installed (Debian package nix-bin): %v", name, err)
	return ""
}

func run(t *testing.T, dir string, env []string, argv ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%v: %w\n%s", argv, err, errb.Bytes())
	}
	return out.Bytes(), nil
}

// TestNixFilesParse parses every .nix file of the repository (generated goldens, the host
// modules, the examples, the ISO modules, flake.nix).
func TestNixFilesParse(t *testing.T) {
	nix := requireTool(t, "nix-instantiate")
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "result" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".nix") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found %d .nix files under %s, want the repository's (at least 20)", len(files), repoRoot)
	}
	for _, f := range files {
		if _, err := run(t, "", nil, nix, "--parse", f); err != nil {
			t.Errorf("parse %s: %v", f, err)
		}
	}
	t.Logf("parsed %d .nix files", len(files))
}

// tableRow is one row of OPTIONS.md's option table.
type tableRow struct {
	path, typ, def string
	line           int
}

// An option path may hold `<name>` (attrsOf submodule) and `*` (listOf submodule).
var rowRE = regexp.MustCompile("^\\| `(xennix\\.[A-Za-z0-9.<>*]+)` \\| ([^|]*) \\| ([^|]*) \\| ([^|]*) \\|$")

func optionsTable(t *testing.T) []tableRow {
	t.Helper()
	b, err := fs.ReadFile(NixOS, "nixos/OPTIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []tableRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "| `xennix.") {
			continue
		}
		m := rowRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("OPTIONS.md:%d: option row not in the form | `path` | type | default | meaning |: %s", n, line)
		}
		rows = append(rows, tableRow{path: m[1], typ: strings.TrimSpace(m[2]), def: strings.TrimSpace(m[3]), line: n})
	}
	if len(rows) == 0 {
		t.Fatal("OPTIONS.md has no option rows")
	}
	return rows
}

// tableDefault turns an OPTIONS.md default cell into JSON, or ok=false for a description
// ("systemd-boot on uefi, limine on bios") of a computed default.
func tableDefault(cell string) (v any, ok bool) {
	switch cell {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	case "[ ]", "[]":
		return []any{}, true
	case "{ }", "{}":
		return map[string]any{}, true
	}
	var x any
	if err := json.Unmarshal([]byte(cell), &x); err == nil {
		return x, true
	}
	return nil, false
}

// TestDeclaredOptionsMatchOptionsTable keeps the modules and OPTIONS.md from drifting: the
// same option paths, the same types and the same literal defaults.
func TestDeclaredOptionsMatchOptionsTable(t *testing.T) {
	requireTool(t, "nix-instantiate")
	opts, err := OptionDeclarations()
	if err != nil {
		t.Fatal(err)
	}
	rows := optionsTable(t)

	declared := map[string]Option{}
	for _, o := range opts {
		declared[o.Path] = o
	}
	documented := map[string]tableRow{}
	for _, r := range rows {
		if _, dup := documented[r.path]; dup {
			t.Errorf("OPTIONS.md:%d: %s is listed twice", r.line, r.path)
		}
		documented[r.path] = r
	}
	for _, o := range opts {
		if _, ok := documented[o.Path]; !ok {
			t.Errorf("%s is declared by the host modules but missing from OPTIONS.md", o.Path)
		}
		if !strings.HasPrefix(o.Path, "xennix.") {
			t.Errorf("%s: the host modules declare options under xennix.* only", o.Path)
		}
		if !o.HasDescription {
			t.Errorf("%s has no description", o.Path)
		}
		if !o.HasDefault {
			t.Errorf("%s has no default (every xennix option must have one)", o.Path)
		}
	}
	for _, r := range rows {
		o, ok := declared[r.path]
		if !ok {
			t.Errorf("OPTIONS.md:%d: %s is not declared by the host modules", r.line, r.path)
			continue
		}
		// "int (MiB)" -> "int": the parenthesis is a unit, not a type.
		wantType := strings.TrimSpace(regexp.MustCompile(`\s*\(.*\)$`).ReplaceAllString(r.typ, ""))
		if o.Type != wantType {
			t.Errorf("%s: declared type %q, OPTIONS.md:%d says %q", r.path, o.Type, r.line, wantType)
		}
		want, literal := tableDefault(r.def)
		switch {
		case literal && o.DefaultText != nil:
			t.Errorf("%s: OPTIONS.md:%d gives the literal default %s, but the module computes it (%s)", r.path, r.line, r.def, *o.DefaultText)
		case literal:
			var got any
			if err := json.Unmarshal(o.Default, &got); err != nil {
				t.Errorf("%s: default %s: %v", r.path, o.Default, err)
			} else if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
				t.Errorf("%s: declared default %s, OPTIONS.md:%d says %s", r.path, o.Default, r.line, r.def)
			}
		case o.DefaultText == nil:
			t.Errorf("%s: OPTIONS.md:%d describes a computed default (%q), but the module declares the literal %s", r.path, r.line, r.def, o.Default)
		}
	}
	t.Logf("%d options declared, %d rows in OPTIONS.md", len(opts), len(rows))
}

// TestDeclaredOptionsMissingTool checks the error contract of DeclaredOptions: without
// nix-instantiate it wraps exec.ErrNotFound.
func TestDeclaredOptionsMissingTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := DeclaredOptions()
	if !errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("DeclaredOptions() without nix-instantiate = %v, want an error wrapping exec.ErrNotFound", err)
	}
}

// TestHostModules checks the embedded host modules: host.nix imports every other top-level
// module, and every import exists.
func TestHostModules(t *testing.T) {
	entries, err := fs.ReadDir(NixOS, "nixos")
	if err != nil {
		t.Fatal(err)
	}
	host, err := fs.ReadFile(NixOS, "nixos/host.nix")
	if err != nil {
		t.Fatal(err)
	}
	var modules []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".nix") {
			modules = append(modules, e.Name())
		}
	}
	for _, m := range modules {
		if m != "host.nix" && !bytes.Contains(host, []byte("./"+m)) {
			t.Errorf("host.nix does not import ./%s", m)
		}
	}
	for _, m := range regexp.MustCompile(`\./([a-z0-9-]+\.nix)`).FindAllSubmatch(host, -1) {
		if !slices.Contains(modules, string(m[1])) {
			t.Errorf("host.nix imports ./%s, which is not embedded", m[1])
		}
	}
	if len(modules) < 8 {
		t.Errorf("host modules = %v, want host.nix and its seven parts", modules)
	}
}

// TestEvalModulesReal evaluates the modules with nixpkgs' real lib.evalModules against stub
// NixOS option declarations (nixos/tests/eval-real.nix) for example hosts. Opt-in: set
// NIXPKGS_LIB to a checkout of github:nix-community/nixpkgs.lib (the dev shell does).
func TestEvalModulesReal(t *testing.T) {
	if os.Getenv("NIXPKGS_LIB") == "" {
		t.Skip("NIXPKGS_LIB not set (a checkout of github:nix-community/nixpkgs.lib)")
	}
	nix := requireTool(t, "nix-instantiate")
	out, err := run(t, "", nil, nix, "--eval", "--strict", "--json", "nixos/tests/eval-real.nix")
	if err != nil {
		t.Fatal(err)
	}
	type unit struct {
		Before []string `json:"before"`
		After  []string `json:"after"`
		Script string   `json:"script"`
	}
	var got map[string]struct {
		FailedAssertions []string `json:"failedAssertions"`
		Virtualisation   struct {
			Xen struct {
				XenCommandLine []string       `json:"xenCommandLine"`
				OptionUsed     string         `json:"optionUsed"`
				Dom0Resources  map[string]int `json:"dom0Resources"`
			} `json:"xen"`
		} `json:"virtualisation"`
		Boot struct {
			KernelParams []string `json:"kernelParams"`
			Initrd       struct {
				SystemdEnable   bool            `json:"systemdEnable"`
				SystemdServices map[string]unit `json:"systemdServices"`
			} `json:"initrd"`
			Loader struct {
				Grub   struct{ Enable bool } `json:"grub"`
				Limine map[string]any        `json:"limine"`
			} `json:"loader"`
		} `json:"boot"`
		Environment struct {
			Persistence map[string]struct {
				Directories []string `json:"directories"`
				Files       []string `json:"files"`
			} `json:"persistence"`
		} `json:"environment"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}

	uefi := got["uefi-ext4"]
	if len(uefi.FailedAssertions) != 0 {
		t.Errorf("uefi-ext4: failed assertions %q", uefi.FailedAssertions)
	}
	if want := []string{"iommu=required", "console=com1,vga", "com1=115200,8n1", "sched=credit2"}; !slices.Equal(uefi.Virtualisation.Xen.XenCommandLine, want) {
		t.Errorf("uefi-ext4: Xen command line = %q, want %q", uefi.Virtualisation.Xen.XenCommandLine, want)
	}
	if !slices.Contains(uefi.Boot.KernelParams, "xen-pciback.hide=(0000:03:00.0)") || !slices.Contains(uefi.Boot.KernelParams, "console=hvc0") {
		t.Errorf("uefi-ext4: kernel params = %q, want xen-pciback.hide and console=hvc0", uefi.Boot.KernelParams)
	}
	if !uefi.Boot.Initrd.SystemdEnable || uefi.Boot.Loader.Grub.Enable {
		t.Errorf("uefi-ext4: systemd initrd %v, grub %v; want true, false", uefi.Boot.Initrd.SystemdEnable, uefi.Boot.Loader.Grub.Enable)
	}
	if got := got["uefi-ext4-old-xen-module"].Virtualisation.Xen.OptionUsed; got != "virtualisation.xen.bootParams" {
		t.Errorf("old Xen module: option used = %q, want virtualisation.xen.bootParams", got)
	}

	bios := got["bios-btrfs-impermanence"]
	if len(bios.FailedAssertions) != 0 {
		t.Errorf("bios-btrfs-impermanence: failed assertions %q", bios.FailedAssertions)
	}
	if bios.Boot.Loader.Limine["biosSupport"] != true || bios.Boot.Loader.Limine["efiSupport"] != false {
		t.Errorf("bios-btrfs-impermanence: limine = %v, want biosSupport and no efiSupport", bios.Boot.Loader.Limine)
	}
	rb, ok := bios.Boot.Initrd.SystemdServices["xennix-rollback"]
	if !ok || !slices.Contains(rb.Before, "sysroot.mount") || !strings.Contains(rb.Script, "btrfs subvolume snapshot") {
		t.Errorf("bios-btrfs-impermanence: rollback unit = %+v, want a btrfs snapshot before sysroot.mount", rb)
	}
	p := bios.Environment.Persistence["/persist"]
	for _, d := range []string{"/etc/nixos", "/var/lib/nixos", "/var/lib/xen", "/var/lib/xennix", "/home"} {
		if !slices.Contains(p.Directories, d) {
			t.Errorf("bios-btrfs-impermanence: %s not persisted (directories %q)", d, p.Directories)
		}
	}
	if slices.Contains(p.Directories, "/var/log") {
		t.Errorf("bios-btrfs-impermanence: /var/log is its own filesystem, yet persisted")
	}

	old := got["bios-old-xen-module"]
	if !slices.ContainsFunc(old.FailedAssertions, func(m string) bool { return strings.Contains(m, "cannot boot by BIOS") }) {
		t.Errorf("BIOS on the old Xen module: failed assertions %q, want the BIOS one", old.FailedAssertions)
	}
}

// narHash is the SRI sha256 of the NAR serialisation of a path: what `nix-hash --type
// sha256` (hex) and a fixed-output derivation's outputHash (buildGoModule's vendorHash) hash.
func narHash(path string) (string, error) {
	h := sha256.New()
	n := narWriter{w: h}
	n.str("nix-archive-1")
	if err := n.node(path); err != nil {
		return "", err
	}
	return "sha256-" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// narWriter writes the NAR format (Eelco Dolstra's thesis, figure 5.2; nix src/libutil/archive.cc):
// strings as a little-endian uint64 length, the bytes, and zero padding to 8 bytes.
type narWriter struct{ w hash.Hash }

func (n narWriter) bytes(b []byte) {
	var l [8]byte
	binary.LittleEndian.PutUint64(l[:], uint64(len(b)))
	n.w.Write(l[:])
	n.w.Write(b)
	if pad := (8 - len(b)%8) % 8; pad > 0 {
		n.w.Write(make([]byte, pad))
	}
}

func (n narWriter) str(s string) { n.bytes([]byte(s)) }

func (n narWriter) node(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	n.str("(")
	n.str("type")
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		n.str("symlink")
		n.str("target")
		n.str(target)
	case fi.IsDir():
		n.str("directory")
		entries, err := os.ReadDir(path) // sorted by name, byte-wise, as NAR wants
		if err != nil {
			return err
		}
		for _, e := range entries {
			n.str("entry")
			n.str("(")
			n.str("name")
			n.str(e.Name())
			n.str("node")
			if err := n.node(filepath.Join(path, e.Name())); err != nil {
				return err
			}
			n.str(")")
		}
	case fi.Mode().IsRegular():
		n.str("regular")
		if fi.Mode()&0o100 != 0 {
			n.str("executable")
			n.str("")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n.str("contents")
		n.bytes(b)
	default:
		return fmt.Errorf("nar %s: unsupported file type %v", path, fi.Mode())
	}
	n.str(")")
	return nil
}

// TestNarHash checks narHash against a value nix-hash computed (nix-hash --type sha256 on
// the same tree gave c3ede68b…), and against nix-hash itself when it is installed.
func TestNarHash(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "h")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "a"), []byte("hi\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "sub", "run"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Symlink("a", filepath.Join(root, "link")))

	got, err := narHash(root)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString("c3ede68bf573447c44b7190d12b78b164453a587f5bb48130d59543e8f278a86")
	if want := "sha256-" + base64.StdEncoding.EncodeToString(raw); got != want {
		t.Errorf("narHash(tree) = %s, want %s", got, want)
	}
	if nixHash, err := exec.LookPath("nix-hash"); err == nil {
		out, err := run(t, "", nil, nixHash, "--type", "sha256", root)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := hex.DecodeString(strings.TrimSpace(string(out)))
		if want := "sha256-" + base64.StdEncoding.EncodeToString(raw); got != want {
			t.Errorf("narHash(tree) = %s, nix-hash says %s", got, want)
		}
	}
}

var vendorHashRE = regexp.MustCompile(`vendorHash = "(sha256-[A-Za-z0-9+/=]+)";`)

// TestVendorHash recomputes buildGoModule's vendorHash — the NAR hash of the vendor
// directory `go mod vendor` writes — in a copy of the repository and compares it with
// flake.nix. After changing dependencies run `just vendor-hash` (this test with -update).
func TestVendorHash(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: vendoring copies the repository")
	}
	goTool := requireTool(t, "go")
	flakePath := filepath.Join(repoRoot, "flake.nix")
	flake, err := os.ReadFile(flakePath)
	if err != nil {
		t.Fatal(err)
	}
	m := vendorHashRE.FindSubmatch(flake)
	if m == nil {
		t.Fatalf("%s: no vendorHash = \"sha256-…\";", flakePath)
	}

	work := filepath.Join(t.TempDir(), "src")
	if err := copyTree(repoRoot, work); err != nil {
		t.Fatal(err)
	}
	env := []string{"GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local"}
	if _, err := run(t, work, env, goTool, "mod", "vendor"); err != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("go mod vendor failed (no module cache or network?): %v", err)
		}
		t.Fatal(err)
	}
	got, err := narHash(filepath.Join(work, "vendor"))
	if err != nil {
		t.Fatal(err)
	}
	if nixHash, err := exec.LookPath("nix-hash"); err == nil {
		out, err := run(t, "", nil, nixHash, "--type", "sha256", filepath.Join(work, "vendor"))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := hex.DecodeString(strings.TrimSpace(string(out)))
		if want := "sha256-" + base64.StdEncoding.EncodeToString(raw); got != want {
			t.Fatalf("vendor NAR hash: ours %s, nix-hash %s", got, want)
		}
	}
	if got == string(m[1]) {
		return
	}
	if *update {
		updated := bytes.Replace(flake, m[0], []byte(`vendorHash = "`+got+`";`), 1)
		if err := os.WriteFile(flakePath, updated, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("flake.nix: vendorHash %s -> %s", m[1], got)
		return
	}
	t.Errorf("flake.nix vendorHash = %s, but go mod vendor gives %s: run `just vendor-hash`", m[1], got)
}

// copyTree copies the Go module at src to dst, without .git, result links and any vendor
// directory.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "vendor" || d.Name() == "result") && rel != "." {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			return nil
		case !d.Type().IsRegular():
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// TestOptionsKnownToNixOS checks that every NixOS option the host modules can set (the
// stub declarations of nixos/tests/stubs.nix, against which eval-real.nix fails for anything
// undeclared) is a real one: listed in a NixOS option table (NIXOS_OPTIONS_TSV, e.g. the
// project's shared nixos-options.tsv) or in nixos/tests/core-options.txt, and not in the
// removed list beside it. Opt-in: needs NIXPKGS_LIB and NIXOS_OPTIONS_TSV.
func TestOptionsKnownToNixOS(t *testing.T) {
	tsv := os.Getenv("NIXOS_OPTIONS_TSV")
	if tsv == "" || os.Getenv("NIXPKGS_LIB") == "" {
		t.Skip("NIXOS_OPTIONS_TSV and NIXPKGS_LIB not set")
	}
	nix := requireTool(t, "nix-instantiate")
	out, err := run(t, "", nil, nix, "--eval", "--strict", "--json", "nixos/tests/stub-options.nix")
	if err != nil {
		t.Fatal(err)
	}
	var stubs []string
	if err := json.Unmarshal(out, &stubs); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	readList := func(path string, col int) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, "\t")
			if line == "" || strings.HasPrefix(line, "#") || len(f) <= col {
				continue
			}
			known[strings.TrimSpace(f[col])] = true
		}
	}
	readList(tsv, 0)
	readList("nixos/tests/core-options.txt", 0)
	removed := map[string]bool{}
	if b, err := os.ReadFile(strings.TrimSuffix(tsv, ".tsv") + "-removed.tsv"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			removed[strings.Split(line, "\t")[0]] = true
		}
	}
	// The one removed name set on purpose: the older Xen module's own option (see xen.nix).
	removed["virtualisation.xen.bootParams"] = false
	sort.Strings(stubs)
	for _, s := range stubs {
		if removed[s] {
			t.Errorf("%s is a removed/renamed NixOS option", s)
		}
		if !known[s] && s != "virtualisation.xen.bootParams" {
			t.Errorf("%s is set by the host modules but is in neither %s nor core-options.txt", s, tsv)
		}
	}
	t.Logf("%d NixOS options checked", len(stubs))
}
