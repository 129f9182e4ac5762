package nixcheck

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/xennix/xennix/assets"
)

//go:embed option-paths.nix
var walker []byte

// ErrNoData is returned (wrapped) when shared/data is not beside the repository.
var ErrNoData = errors.New("no shared/data beside the repository")

// option is one declared option: its path (with <name> for any attribute name) and its type
// as the declaration writes it. An opaque option takes a tree of its own below it, checked
// by its consumer (disko.devices by disko).
type option struct {
	parts  []string
	typ    string
	opaque bool
}

// diskoOptions are the options of disko's NixOS module (module.nix, `options.disko`, at
// nix-community/disko 878ec37d) that disko.nix sets; the device tree under disko.devices is
// disko's own type, checked by disko itself (disko/diskocheck_test.go).
var diskoOptions = []string{"disko.devices"}

// Checker holds the declarations and the tools a check needs.
type Checker struct {
	nix     string
	options []option
	shim    string
	walker  string
	modules map[string]bool
}

// New reads the declarations: shared/data/nixos-options.tsv beside the repository at repo,
// assets/nixos/tests/core-options.txt, disko's options and the XenNix modules' own. It needs
// nix-instantiate (the error wraps exec.ErrNotFound) and shared/data (ErrNoData).
func New(repo string) (*Checker, error) {
	nix, err := exec.LookPath("nix-instantiate")
	if err != nil {
		return nil, err
	}
	c := &Checker{nix: nix, modules: map[string]bool{}}
	tsv := filepath.Join(repo, "..", "shared", "data", "nixos-options.tsv")
	f, err := os.Open(tsv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoData, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 2 || cols[0] == "" {
			continue
		}
		c.options = append(c.options, option{parts: strings.Split(cols[0], "."), typ: cols[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", tsv, err)
	}
	// Real NixOS options the TSV lacks, with their sources and types.
	core, err := os.ReadFile(filepath.Join(repo, "assets", "nixos", "tests", "core-options.txt"))
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Split(string(core), "\n") {
		cols := strings.Split(l, "\t")
		if strings.HasPrefix(l, "#") || len(cols) < 3 {
			continue
		}
		c.options = append(c.options, option{parts: strings.Split(cols[0], "."), typ: cols[2]})
	}
	for _, p := range diskoOptions {
		c.options = append(c.options, option{parts: strings.Split(p, "."), opaque: true})
	}
	decl, err := assets.OptionDeclarations()
	if err != nil {
		return nil, fmt.Errorf("the XenNix modules' declarations: %w", err)
	}
	for _, o := range decl {
		c.options = append(c.options, option{parts: strings.Split(o.Path, "."), typ: o.Type})
	}
	if c.shim, err = filepath.Abs(filepath.Join(repo, "assets", "nixos", "tests", "lib-shim.nix")); err != nil {
		return nil, err
	}
	// The host modules as the installer copies them: subdirectories too (guests/), not
	// tests/ or examples/.
	err = fs.WalkDir(os.DirFS(filepath.Join(repo, "assets", "nixos")), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "tests" || d.Name() == "examples") {
			return fs.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".nix") {
			c.modules["xennix/"+p] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "nixcheck")
	if err != nil {
		return nil, err
	}
	c.walker = filepath.Join(dir, "option-paths.nix")
	if err := os.WriteFile(c.walker, walker, 0o644); err != nil {
		return nil, err
	}
	return c, nil
}

// Close removes the checker's temporary files.
func (c *Checker) Close() error { return os.RemoveAll(filepath.Dir(c.walker)) }

// lookup finds the declaration of a defined path: an exact match (<name> matching any
// attribute name), or an opaque option above it.
func (c *Checker) lookup(path []string) (option, bool) {
	for _, o := range c.options {
		if (o.opaque || freeAttrs(o.typ)) && len(path) > len(o.parts) && matchParts(o.parts, path[:len(o.parts)]) {
			// Below an option that takes free attribute names (xennix.guests.<name>
			// .extraConfig.viridian), the walker's paths are the option's value.
			return option{parts: o.parts, typ: o.typ, opaque: true}, true
		}
		if o.opaque && len(path) == len(o.parts) && matchParts(o.parts, path) {
			return o, true
		}
		if len(o.parts) == len(path) && matchParts(o.parts, path) {
			return o, true
		}
	}
	return option{}, false
}

// freeAttrs reports whether an option of type typ takes attribute names of the user's
// choosing whose values are not options (attrsOf anything, attrsOf str, ...; not attrsOf
// submodule, whose entries' options are declared as <name>.…).
func freeAttrs(typ string) bool {
	t := strings.TrimSpace(typeNoteRE.ReplaceAllString(typ, ""))
	rest, ok := strings.CutPrefix(t, "attrsOf ")
	return ok && !strings.HasPrefix(strings.Trim(rest, "( "), "submodule")
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
	// Items holds, for a list, the definitions inside each attribute-set element (nil for
	// other elements), relative to the element.
	Items [][]definition `json:"items"`
}

var (
	enumRE     = regexp.MustCompile(`^enum \[ (.*) \]$`)
	typeNoteRE = regexp.MustCompile(`\s*\((mkEnableOption|mkPackageOption|internal|readOnly|visible = false)[^)]*\)\s*$`)
	quotedRE   = regexp.MustCompile(`"([^"]*)"`)
	// PkgRefRE finds the package attributes a file names (pkgs.htop, pkgs.python3Packages.x).
	PkgRefRE = regexp.MustCompile(`\bpkgs\.([A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*)`)
)

// checkType reports a problem when the value cannot have the declared type. Only simple
// types are checked (bool, int, str, enum, listOf str, nullOr of those, path); others pass.
func checkType(typ string, d definition) string {
	t := strings.TrimSpace(typeNoteRE.ReplaceAllString(typ, ""))
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
	elems := func(kind, name string) string {
		if p := want("list"); p != "" {
			return p
		}
		for i, e := range d.Elems {
			if e != kind {
				return fmt.Sprintf("element %d is a %s, want %s (type %s)", i, e, name, typ)
			}
		}
		return ""
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
		return elems("string", "str")
	case t == "listOf package":
		return elems("derivation", "a package")
	case enumRE.MatchString(t):
		if p := want("string"); p != "" {
			return p
		}
		var allowed []string
		for _, q := range quotedRE.FindAllStringSubmatch(enumRE.FindStringSubmatch(t)[1], -1) {
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
		if s, _ := d.Value.(string); d.Type == "bool" || s == "yes" || s == "no" {
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

// Tree evaluates every generated .nix module of an /etc/nixos tree (all but flake.nix,
// hardware-configuration.nix and the copied host modules), and reports every option path
// that neither NixOS, disko nor the XenNix modules declare, every value of the wrong type
// where the type is simple, and every import of a file the tree lacks. It returns those
// problems (each naming the file and the path) and the number of definitions checked; an
// error means the check itself could not run.
func (c *Checker) Tree(dir string) (problems []string, n int, err error) {
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	files := 0
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".nix") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if c.modules[rel] || rel == "flake.nix" || rel == "hardware-configuration.nix" {
			return nil
		}
		files++
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var names []string
		for _, m := range PkgRefRE.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(names, m[1]) {
				names = append(names, m[1])
			}
		}
		pj, _ := json.Marshal(names)
		var stderr strings.Builder
		cmd := exec.Command(c.nix, "--eval", "--strict", "--json", c.walker,
			"--arg", "file", p, "--arg", "libShim", c.shim, "--arg", "pkgNames", "builtins.fromJSON ''"+string(pj)+"''")
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
		var check func(d definition, shown string)
		check = func(d definition, shown string) {
			n++
			o, ok := c.lookup(d.Path)
			switch {
			case !ok:
				report("%s: sets %s, which neither NixOS (nixos-options.tsv), disko nor the XenNix modules declare", rel, shown)
			case strings.HasPrefix(d.Type, "_type "):
				report("%s: %s is a %s, which the module system does not take", rel, shown, d.Type)
			case !o.opaque:
				if p := checkType(o.typ, d); p != "" {
					report("%s: %s: %s", rel, shown, p)
				}
				// A list of submodules: each element's own definitions, as <path>.*.<key>.
				if strings.HasPrefix(strings.TrimSpace(typeNoteRE.ReplaceAllString(o.typ, "")), "listOf submodule") {
					for i, item := range d.Items {
						for _, sub := range item {
							sub.Path = append(append(slices.Clone(d.Path), "*"), sub.Path...)
							check(sub, fmt.Sprintf("%s[%d].%s", shown, i, strings.Join(sub.Path[len(d.Path)+1:], ".")))
						}
					}
				}
			}
		}
		for _, d := range res.Definitions {
			check(d, strings.Join(d.Path, "."))
		}
		return nil
	})
	if err == nil && files == 0 {
		err = fmt.Errorf("%s: no generated .nix files", dir)
	}
	return problems, n, err
}
