package installer

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// exampleHostsDir holds the repository flake's example hosts: for each answers example, the
// /etc/nixos the installer writes for it (flake.nix and flake.lock aside: the repository's
// flake takes their place). `nix flake check` evaluates exactly these trees.
const exampleHostsDir = "../assets/nixos/examples"

// exampleHostFiles are the files of an installed /etc/nixos kept in an example host;
// flake.nix and flake.lock are the host's own flake, which the repository's flake replaces.
func exampleHostFiles(name string) bool {
	return name != "flake.nix" && name != "flake.lock" && !strings.HasSuffix(name, ".prev")
}

// TestExampleHostsAreInstallerOutput keeps assets/nixos/examples/<example>/ equal to what
// the installer writes to /etc/nixos for assets/examples/<example>.yaml on its machine: the
// generated files byte for byte, the copied host modules as symlinks to the modules
// themselves, and hardware-configuration.nix (which nixos-generate-config writes at install
// time) as a link to one shared stand-in. With -update it writes them. Nothing else may be
// there: no hand-written twin of the installer's output.
func TestExampleHostsAreInstallerOutput(t *testing.T) {
	// The host modules, as the installer copies them (subdirectories too, not tests/ or
	// examples/): path in the tree -> the symlink to the module, from the link's directory.
	modules := map[string]string{}
	err := fs.WalkDir(os.DirFS("../assets/nixos"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "tests" || d.Name() == "examples") {
			return fs.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".nix") {
			modules["xennix/"+p] = strings.Repeat("../", 3+strings.Count(p, "/")) + p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	names := exampleNames(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			root, _ := installedTree(t, name)
			etc := filepath.Join(root, "etc/nixos")
			dir := filepath.Join(exampleHostsDir, name)
			want := map[string]bool{"hardware-configuration.nix": true}
			err := filepath.WalkDir(etc, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(etc, p)
				if !exampleHostFiles(rel) {
					return nil
				}
				want[rel] = true
				got, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				dst := filepath.Join(dir, rel)
				if link, ok := modules[rel]; ok {
					if *update {
						os.MkdirAll(filepath.Dir(dst), 0o755)
						os.Remove(dst)
						if err := os.Symlink(link, dst); err != nil {
							return err
						}
					}
					if l, err := os.Readlink(dst); err != nil || l != link {
						t.Errorf("%s is not a symlink to %s (%v); go test ./installer -run ExampleHosts -update", dst, link, err)
						return nil
					}
				} else if *update {
					os.MkdirAll(filepath.Dir(dst), 0o755)
					os.Remove(dst)
					if err := os.WriteFile(dst, got, 0o644); err != nil {
						return err
					}
				}
				have, err := os.ReadFile(dst)
				if err != nil || !bytes.Equal(have, got) {
					t.Errorf("%s differs from what the installer writes (%v); go test ./installer -run ExampleHosts -update", dst, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			hw := filepath.Join(dir, "hardware-configuration.nix")
			if *update {
				os.Remove(hw)
				if err := os.Symlink("../hardware-configuration.nix", hw); err != nil {
					t.Fatal(err)
				}
			}
			if l, err := os.Readlink(hw); err != nil || l != "../hardware-configuration.nix" {
				t.Errorf("%s is not a link to the shared stand-in (%v)", hw, err)
			}
			// Nothing in the example that the installer does not write.
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				if !want[rel] {
					if *update {
						return os.Remove(p)
					}
					t.Errorf("%s is not written by the installer: remove it (or -update)", p)
				}
				return nil
			})
		})
	}
	// The repository's flake evaluates each of them, and nothing else.
	flake, err := os.ReadFile("../flake.nix")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\n      examples = \[(.*?)\];`).FindSubmatch(flake)
	if m == nil {
		t.Fatal("flake.nix has no `examples = [ ... ];` list")
	}
	var inFlake []string
	for _, q := range regexp.MustCompile(`"([^"]+)"`).FindAllSubmatch(m[1], -1) {
		inFlake = append(inFlake, string(q[1]))
	}
	if !slices.Equal(inFlake, names) {
		t.Errorf("flake.nix examples = %q, want every answers example %q", inFlake, names)
	}

	// Only the examples' directories, the stand-in and the README.
	entries, err := os.ReadDir(exampleHostsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if n == "README.md" || n == "hardware-configuration.nix" || (e.IsDir() && slices.Contains(names, n)) {
			continue
		}
		if *update {
			os.RemoveAll(filepath.Join(exampleHostsDir, n))
			continue
		}
		t.Errorf("%s/%s is no example's installer output: remove it (or -update)", exampleHostsDir, n)
	}
}
