package hwdetect

import (
	"bytes"
	"os"
	"path/filepath"
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
		for _, v := range rec.Env {
			udevDecode(v)
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
	f.Fuzz(func(t *testing.T, b []byte) { parseSwaps(b) })
}

func FuzzParseXLInfo(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "xen-dom0.xl-info")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("xen_version : 4\n  continued\nnr_cpus : 99999999999\ncores_per_socket : 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseXLInfo(b)
		xlTopology(b)
	})
}

func FuzzParsePCIIDs(f *testing.F) {
	f.Add([]byte(pciIDsSample))
	f.Add([]byte("8086  \n\t\n\t12  x\nC 02  Network\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parsePCIIDs(bytes.NewReader(b), map[string]bool{"8086": true, "1af4": true})
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
