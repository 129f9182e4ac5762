package hwdetect

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// copyTree copies a fixture, keeping symlinks as symlinks.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		default:
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.Create(to)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			return out.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// mutation damages path p of a tree; the original has been moved to orig, and the
// damage is undone by restore.
type mutation struct {
	name string
	do   func(p, orig string) error
}

var errNotApplicable = errors.New("mutation does not apply")

var mutations = []mutation{
	{"missing", func(p, orig string) error { return nil }},
	{"empty", func(p, orig string) error { return os.WriteFile(p, nil, 0o644) }},
	{"truncated", func(p, orig string) error {
		if st, err := os.Lstat(orig); err != nil || !st.Mode().IsRegular() {
			return errNotApplicable
		}
		b, err := os.ReadFile(orig)
		if err != nil {
			return err
		}
		return os.WriteFile(p, b[:len(b)/2], 0o644)
	}},
	{"binary garbage", func(p, orig string) error {
		return os.WriteFile(p, []byte("\x00\xff\xfe\x01garbage\x00\x80\x7f\n\x1b[31m"), 0o644)
	}},
	// Root reads mode-000 files anyway, so this only bites as non-root; "directory"
	// is what root cannot read.
	{"unreadable", func(p, orig string) error {
		st, err := os.Lstat(orig)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return os.Mkdir(p, 0)
		}
		if !st.Mode().IsRegular() {
			return errNotApplicable
		}
		b, err := os.ReadFile(orig)
		if err != nil {
			return err
		}
		return os.WriteFile(p, b, 0)
	}},
	{"directory", func(p, orig string) error { return os.MkdirAll(filepath.Join(p, "x"), 0o755) }},
	{"dangling link", func(p, orig string) error { return os.Symlink("../../nowhere/at/all", p) }},
	{"link loop", func(p, orig string) error { return os.Symlink(filepath.Base(p), p) }},
}

// damage applies m to rel in root and returns the function that undoes it.
func damage(t testing.TB, root, rel string, m mutation, backup string) (restore func(), err error) {
	p := filepath.Join(root, rel)
	orig := filepath.Join(backup, strings.ReplaceAll(rel, "/", "_"))
	if err := os.Rename(p, orig); err != nil {
		return nil, err
	}
	restore = func() {
		os.Chmod(p, 0o755)
		if err := os.RemoveAll(p); err != nil {
			t.Fatalf("undo %s of %s: %v", m.name, rel, err)
		}
		if err := os.Rename(orig, p); err != nil {
			t.Fatalf("undo %s of %s: %v", m.name, rel, err)
		}
	}
	if err := m.do(p, orig); err != nil {
		restore()
		return nil, err
	}
	return restore, nil
}

func noPanicReport(t testing.TB, dir, machine string, what any) Report {
	t.Helper()
	rep, err := ScanWith(dir, fixtureOptions(machine))
	if err != nil {
		t.Fatalf("ScanWith after %v error %v, want a report", what, err)
	}
	for _, w := range rep.Warnings {
		if strings.Contains(w, "internal error") || strings.Contains(w, dir) {
			t.Errorf("after %v: warning %q (a recovered panic or a leaked temporary path)", what, w)
		}
	}
	render(t, rep)
	return rep
}

// TestDamagedFiles damages, one at a time, files every section depends on, and expects
// a report with a warning, never a panic or an error.
func TestDamagedFiles(t *testing.T) {
	t.Setenv("PCIDB_PATH", "")
	targets := []struct {
		machine, path string
		warn          bool // whether a missing, empty, garbage or directory file must be reported
	}{
		{"uefi-intel-server", "proc/meminfo", true},
		{"uefi-intel-server", "proc/cpuinfo", true},
		{"uefi-intel-server", "proc/4242/mountinfo", true},
		{"uefi-intel-server", "proc/swaps", true},
		{"uefi-intel-server", "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/size", true},
		{"uefi-intel-server", "run/udev/data/b8:16", false},
		{"uefi-intel-server", "sys/devices/pci0000:ae/0000:ae:00.0/0000:af:00.0/net/ens1f0/address", true},
		{"uefi-intel-server", "sys/devices/pci0000:ae/0000:ae:00.0/0000:af:00.0/net/ens1f0/carrier", false},
		{"uefi-intel-server", "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/class", true},
		{"uefi-intel-server", "sys/devices/system/cpu/cpu3/topology/physical_package_id", true},
		{"uefi-intel-server", "usr/share/hwdata/pci.ids", false},
		{"uefi-amd-secureboot", "sys/firmware/efi/efivars/SecureBoot-" + efiGlobal, false},
		{"uefi-amd-secureboot", "sys/firmware/efi/fw_platform_size", false},
		{"uefi-amd-secureboot", "sys/block", true},
		{"uefi-amd-secureboot", "sys/class/net", true},
		{"uefi-amd-secureboot", "dev/disk/by-id", false},
		{"uefi-amd-secureboot", "sys/devices/virtual/block/loop0/loop/backing_file", false},
		{"virtio-vm", "sys/class/dmi/id", false},
		{"virtio-vm", "sys/bus/pci/devices", false},
		{"xen-dom0", "proc/xen/capabilities", false},
		{"xen-dom0", "sys/hypervisor/type", false},
	}
	roots := map[string]string{}
	for _, tg := range targets {
		if roots[tg.machine] == "" {
			roots[tg.machine] = copyTree(t, filepath.Join("testdata", tg.machine))
		}
		root := roots[tg.machine]
		for _, m := range mutations {
			t.Run(tg.machine+"/"+tg.path+"/"+m.name, func(t *testing.T) {
				restore, err := damage(t, root, tg.path, m, t.TempDir())
				if errors.Is(err, errNotApplicable) {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer restore()
				rep := noPanicReport(t, root, tg.machine, m.name+" "+tg.path)
				mustWarn := tg.warn && m.name != "unreadable" && m.name != "truncated"
				if mustWarn && len(rep.Warnings) == 0 {
					t.Errorf("ScanWith(%s %s) warnings = none, want one", m.name, tg.path)
				}
			})
		}
	}
}

// TestRandomCorruption damages random files and links of every fixture, many times
// over, with a fixed seed: the scan must always return a report.
func TestRandomCorruption(t *testing.T) {
	t.Setenv("PCIDB_PATH", "")
	iterations := 80
	if testing.Short() {
		iterations = 10
	}
	rng := rand.New(rand.NewPCG(20261123, 3))
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			root := copyTree(t, filepath.Join("testdata", fx.name))
			var paths []string
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && p != root {
					rel, _ := filepath.Rel(root, p)
					paths = append(paths, rel)
				}
				return nil
			})
			for i := 0; i < iterations; i++ {
				var done []string
				var undo []func()
				for k := 0; k < 1+rng.IntN(6); k++ {
					rel := paths[rng.IntN(len(paths))]
					m := mutations[rng.IntN(len(mutations))]
					if restore, err := damage(t, root, rel, m, t.TempDir()); err == nil {
						done = append(done, m.name+" "+rel)
						undo = append(undo, restore)
					}
				}
				noPanicReport(t, root, fx.name, done)
				for j := len(undo) - 1; j >= 0; j-- {
					undo[j]()
				}
			}
		})
	}
}

// TestXLInfoFailure: a dom0 whose xl fails still gets a report that says so.
func TestXLInfoFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		out  string
		err  error
	}{
		{"command fails", "", fs.ErrNotExist},
		{"garbage", "\x00\x01 not xl info", nil},
		{"bad numbers", "xen_version : 4.19\nvirt_caps : hvm\ntotal_memory : lots\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := ScanWith(filepath.Join("testdata", "xen-dom0"), ScanOptions{PCIIDs: "-",
				XLInfo: func() ([]byte, error) { return []byte(tc.out), tc.err }})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "xl info") }) {
				t.Errorf("warnings = %q, want one about xl info", rep.Warnings)
			}
		})
	}
}
