package xenvm

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path"
	"strings"
)

// baseModules are what a dom0 needs of Xen and of a bridge: xenfs needs xen-privcmd
// loaded first (insmod does not resolve dependencies, so the modules' own depends= decide
// the order).
var baseModules = []string{"xen-privcmd", "xen-evtchn", "xen-gntdev", "xen-gntalloc", "xenfs",
	"xen-blkback", "xen-netback", "bridge"}

// modName is a module's name as the kernel spells it: file name without .ko[.xz|.zst|.gz],
// dashes as underscores (modprobe treats them alike).
func modName(file string) string {
	b := path.Base(file)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return strings.ReplaceAll(b, "-", "_")
}

// modDepends reads the depends= entry of a module's .modinfo section (what depmod turns
// into modules.dep; Debian's package ships no modules.dep, depmod makes it at install).
func modDepends(file string) ([]string, error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, fmt.Errorf("kernel module %s: %w", file, err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("kernel module %s: no .modinfo section", file)
	}
	b, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("kernel module %s: %w", file, err)
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			if len(v) == 0 {
				return nil, nil
			}
			return strings.Split(string(v), ","), nil
		}
	}
	return nil, nil
}

// moduleOrder resolves names against modules.order (every module file of the kernel) and
// modules.builtin (modules that need no loading) into module files, each after the modules
// it depends on (depends reads a file's dependencies), each once. An unknown name is an
// error naming it.
func moduleOrder(order, builtin []byte, names []string, depends func(file string) ([]string, error)) ([]string, error) {
	file := map[string]string{}
	for _, l := range strings.Split(string(order), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			file[modName(l)] = l
		}
	}
	isBuiltin := map[string]bool{}
	for _, l := range strings.Split(string(builtin), "\n") {
		if l != "" {
			isBuiltin[modName(l)] = true
		}
	}
	var out, unknown []string
	placed := map[string]bool{}
	var place func(name, who string) error
	place = func(name, who string) error {
		n := modName(name)
		if placed[n] || isBuiltin[n] {
			return nil
		}
		f, ok := file[n]
		if !ok {
			unknown = append(unknown, name+who)
			return nil
		}
		placed[n] = true
		deps, err := depends(f)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := place(d, " (needed by "+n+")"); err != nil {
				return err
			}
		}
		out = append(out, f)
		return nil
	}
	for _, name := range names {
		if err := place(name, ""); err != nil {
			return nil, err
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("kernel modules not in modules.order or modules.builtin: %s", strings.Join(unknown, ", "))
	}
	return out, nil
}

// modulesDep renders modules.dep for the modules in order (each listed with its
// dependencies, transitively, as depmod writes it), so that modprobe in dom0 can load them.
func modulesDep(order []string, depends func(file string) ([]string, error)) ([]byte, error) {
	byName := map[string]string{}
	for _, f := range order {
		byName[modName(f)] = f
	}
	var b bytes.Buffer
	for _, f := range order {
		var all []string
		seen := map[string]bool{}
		var walk func(f string) error
		walk = func(f string) error {
			deps, err := depends(f)
			if err != nil {
				return err
			}
			for _, d := range deps {
				df, ok := byName[modName(d)]
				if !ok || seen[df] {
					continue // built in
				}
				seen[df] = true
				all = append(all, df)
				if err := walk(df); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(f); err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s:", f)
		for _, d := range all {
			fmt.Fprintf(&b, " %s", d)
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}
