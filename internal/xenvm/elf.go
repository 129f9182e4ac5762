package xenvm

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// libDir is where the dom0 keeps every shared library (Debian's multiarch directory, a
// default search path of its dynamic loader, so no ld.so.cache is needed).
const libDir = "/usr/lib/x86_64-linux-gnu"

// libIndex maps a shared library's file name (its soname, usually a symlink) to the file
// in an unpacked package, over the library directories of all the packages.
func libIndex(d debs) map[string]string {
	idx := map[string]string{}
	pkgs := make([]string, 0, len(d))
	for p := range d {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		// systemd keeps its private libraries in a subdirectory (found through its
		// RUNPATH); the dom0 has them in libDir, which the loader searches next.
		for _, sub := range []string{"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64",
			"lib/x86_64-linux-gnu/systemd", "usr/lib/x86_64-linux-gnu/systemd"} {
			ents, err := os.ReadDir(filepath.Join(d[p], sub))
			if err != nil {
				continue
			}
			for _, e := range ents {
				if !strings.Contains(e.Name(), ".so") {
					continue
				}
				full := filepath.Join(d[p], sub, e.Name())
				if _, ok := idx[e.Name()]; !ok {
					if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() {
						idx[e.Name()] = full
					}
				}
			}
		}
	}
	return idx
}

// elfNeeds returns the DT_NEEDED libraries and the interpreter of an ELF file, or ok false
// when the file is not a dynamically linked ELF (a script, a static binary, data).
func elfNeeds(file string) (needed []string, interp string, ok bool, err error) {
	f, err := elf.Open(file)
	if err != nil {
		return nil, "", false, nil // not ELF
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return nil, "", false, fmt.Errorf("%s: read interpreter: %w", file, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	needed, err = f.ImportedLibraries()
	if err != nil {
		return nil, "", false, fmt.Errorf("%s: %w", file, err)
	}
	return needed, interp, len(needed) > 0 || interp != "", nil
}

// addLibraries copies into t every library the ELF files of t need, transitively, from
// idx, and the dynamic loader at its path. A library that none of the packages has is an
// error naming it and who needs it.
func addLibraries(t tree, idx map[string]string) error {
	var missing []string
	done := map[string]bool{}
	var visit func(who, file string) error
	visit = func(who, file string) error {
		needed, interp, ok, err := elfNeeds(file)
		if err != nil || !ok {
			return err
		}
		if interp != "" && !done[interp] {
			done[interp] = true
			src, found := idx[filepath.Base(interp)]
			if !found {
				missing = append(missing, fmt.Sprintf("%s (interpreter of %s)", interp, who))
			} else {
				t.file(libDir+"/"+filepath.Base(interp), src, 0o755)
				if clean(interp) != libDir+"/"+filepath.Base(interp) {
					t.symlink(clean(interp), libDir+"/"+filepath.Base(interp))
				}
			}
		}
		for _, n := range needed {
			if done[n] {
				continue
			}
			done[n] = true
			src, found := idx[n]
			if !found {
				missing = append(missing, fmt.Sprintf("%s (needed by %s)", n, who))
				continue
			}
			t.file(libDir+"/"+n, src, 0o755)
			if err := visit(n, src); err != nil {
				return err
			}
		}
		return nil
	}
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if nd := t[n]; nd.src != "" && nd.mode&0o111 != 0 {
			if err := visit(n, nd.src); err != nil {
				return err
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("shared libraries not in any fetched package: %s", strings.Join(missing, ", "))
	}
	return nil
}
