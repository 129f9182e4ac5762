package assets

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// Examples holds the example answers files, examples/*.yaml.
//
//go:embed examples/*.yaml
var Examples embed.FS

// NixOS holds the XenNix NixOS host modules under nixos/. The .nix files directly in
// nixos/ are the modules the installer copies to /etc/nixos/xennix/ (host.nix imports the
// others), with nixos/guests/ (the xl.cfg writer and the NixOS guests' own module, which
// guests.nix uses) and nixos/lib/ (what the modules import); nixos/OPTIONS.md is their
// option contract; nixos/tests/ (the lib shim and the evaluators the tests use) is not
// copied. nixos/examples/ (the flake's example
// hosts, the installer's own output for each example) is not embedded.
//
//go:embed nixos/*.nix nixos/guests nixos/lib nixos/OPTIONS.md nixos/tests
var NixOS embed.FS

// Option is one option declared by the host modules, as nixos/tests/declared-options.nix
// reports it: its dotted path, its type written the way OPTIONS.md writes types, and its
// default (JSON, null when the default reads config; then DefaultText describes it).
type Option struct {
	Path        string          `json:"path"`
	Type        string          `json:"type"`
	HasDefault  bool            `json:"hasDefault"`
	Default     json.RawMessage `json:"default"`
	DefaultText *string         `json:"defaultText"`
	// HasDescription is false for an option declared without a description.
	HasDescription bool `json:"hasDescription"`
}

// DeclaredOptions returns the sorted dotted paths of every option the host modules declare
// (xennix.enable, xennix.boot.firmware, ...). It evaluates the embedded modules with
// nix-instantiate and a small lib shim, so it needs no nixpkgs; when nix-instantiate is not
// installed the error wraps exec.ErrNotFound.
func DeclaredOptions() ([]string, error) {
	opts, err := OptionDeclarations()
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(opts))
	for i, o := range opts {
		paths[i] = o.Path
	}
	sort.Strings(paths)
	return paths, nil
}

// OptionDeclarations returns every option the host modules declare with its type and
// default, sorted by path. Like DeclaredOptions it needs nix-instantiate (the error wraps
// exec.ErrNotFound without it).
func OptionDeclarations() ([]Option, error) {
	nix, err := exec.LookPath("nix-instantiate")
	if err != nil {
		return nil, fmt.Errorf("evaluate host module options: %w", err)
	}
	dir, err := os.MkdirTemp("", "xennix-nixos-")
	if err != nil {
		return nil, fmt.Errorf("evaluate host module options: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := writeFS(NixOS, dir); err != nil {
		return nil, fmt.Errorf("evaluate host module options: %w", err)
	}
	argv := []string{nix, "--eval", "--strict", "--json", filepath.Join(dir, "nixos", "tests", "declared-options.nix")}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("evaluate host module options: %v: %w\n%s", argv, err, stderr.Bytes())
	}
	var opts []Option
	if err := json.Unmarshal(stdout.Bytes(), &opts); err != nil {
		return nil, fmt.Errorf("evaluate host module options: decode nix-instantiate output: %w", err)
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].Path < opts[j].Path })
	return opts, nil
}

// writeFS copies fsys into dir, keeping its paths.
func writeFS(fsys fs.FS, dir string) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}
