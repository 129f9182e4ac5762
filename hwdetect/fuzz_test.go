package hwdetect

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Fuzz targets below run their seeds as tests on every `go test`; fuzz them with
// e.g. go test ./hwdetect -fuzz FuzzParseMountinfo -fuzztime 30s.

func seedFiles(f *testing.F, rel ...string) {
	for _, fx := range fixtures {
		for _, r := range rel {
			if b, err := os.ReadFile(filepath.Join("testdata", fx.name, r)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte("\x00\xff\n:\n"))
}

func FuzzParseMeminfo(f *testing.F) {
	seedFiles(f, "proc/meminfo")
	f.Add([]byte("MemTotal: 18014398509481983 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parseMemTotal(b)
		if err != nil && n != 0 {
			t.Errorf("parseMemTotal(%q) = %d with error %v, want 0", b, n, err)
		}
	})
}

func FuzzParseCPUInfo(f *testing.F) {
	seedFiles(f, "proc/cpuinfo")
	f.Fuzz(func(t *testing.T, b []byte) {
		ci, err := parseCPUInfo(b)
		if err == nil && ci.Logical == 0 {
			t.Errorf("parseCPUInfo(%q) found no processors but no error", b)
		}
		if ci.Cores > ci.Logical && ci.Logical > 0 && bytes.Count(b, []byte("processor")) >= ci.Logical {
			// More cores than "processor" blocks can only come from repeated core ids in
			// one block; not an error, but the counts stay bounded by the input.
			if ci.Cores > len(b) {
				t.Errorf("parseCPUInfo(%q) cores %d exceed input size", b, ci.Cores)
			}
		}
	})
}

func FuzzParseUdevDB(f *testing.F) {
	seedFiles(f, "run/udev/data/b8:0", "run/udev/data/b259:0", "run/udev/data/b8:1", "run/udev/data/b254:0")
	f.Add([]byte("E:ID_MODEL_ENC=\\x\\x4\\xzz\\x41\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, _ := parseUdevDB(b)
		for k, v := range rec.Env {
			if k == "" {
				t.Errorf("parseUdevDB(%q) kept a property without a key", b)
			}
			// A decoded value is printable; one that would not be stays as udev wrote it.
			if d := udevDecode(v); !printable(d) && d != strings.TrimSpace(v) {
				t.Errorf("udevDecode(%q) = %q: neither printable nor the value as written", v, d)
			}
		}
	})
}

func FuzzParseMountinfo(f *testing.F) {
	seedFiles(f, "proc/4242/mountinfo")
	f.Add([]byte("1 2 8:1 /a\\04 /b\\ - ext4 /dev/x\\0 rw\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, _ := parseMountinfo(b)
		for _, m := range ms {
			if m.MajMin == "" || m.FSType == "" {
				t.Errorf("parseMountinfo(%q) gave entry %+v without major:minor or type", b, m)
			}
		}
	})
}

func FuzzParseSwaps(f *testing.F) {
	seedFiles(f, "proc/swaps")
	f.Fuzz(func(t *testing.T, b []byte) {
		devs, err := parseSwaps(b)
		if err == nil && !bytes.HasPrefix(b, []byte("Filename")) {
			t.Errorf("parseSwaps(%q) = %q without the Filename header and no error", b, devs)
		}
		if n := bytes.Count(b, []byte("\n")); len(devs) > n {
			t.Errorf("parseSwaps(%q) found %d devices in %d lines after the header", b, len(devs), n)
		}
	})
}

func FuzzParseXLInfo(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "xen-dom0.xl-info")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("xen_version : 4\n  continued\nnr_cpus : 99999999999\ncores_per_socket : 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		xi, err := parseXLInfo(b)
		if err == nil && xi.Version == "" && xi.VirtCaps == "" {
			t.Errorf("parseXLInfo(%q) = %+v: neither version nor virt_caps, and no error", b, xi)
		}
		if xi.NrCPUs < 0 || xi.NrCPUs > 1<<20 {
			t.Errorf("parseXLInfo(%q) nr_cpus %d, want 0 to 2^20", b, xi.NrCPUs)
		}
		// Cores are sockets times cores per socket: both known, or neither.
		if sockets, cores := xlTopology(b); (sockets == 0) != (cores == 0) || cores < sockets {
			t.Errorf("xlTopology(%q) = %d sockets, %d cores", b, sockets, cores)
		}
	})
}

func FuzzParsePCIIDs(f *testing.F) {
	f.Add([]byte(pciIDsSample))
	f.Add([]byte("8086  \n\t\n\t12  x\nC 02  Network\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := map[string]bool{"8086": true, "1af4": true}
		ids, _ := parsePCIIDs(bytes.NewReader(b), want)
		for v, name := range ids.Vendors {
			if !want[v] || !printable(name) {
				t.Errorf("parsePCIIDs(%q) kept vendor %s %q, want only 8086 and 1af4, printable", b, v, name)
			}
		}
		for d, name := range ids.Devices {
			v, _, _ := strings.Cut(d, ":")
			if _, ok := ids.Vendors[v]; !ok || !printable(name) {
				t.Errorf("parsePCIIDs(%q) kept device %s %q without its vendor or printable name", b, d, name)
			}
		}
	})
}

func FuzzParseEFIBool(f *testing.F) {
	f.Add([]byte{6, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseEFIBool(b)
		if err != nil && v {
			t.Errorf("parseEFIBool(%v) = true with error", b)
		}
	})
}
