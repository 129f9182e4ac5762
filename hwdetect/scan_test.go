package hwdetect

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// fixtureOptions are the ScanOptions each fixture is scanned with: the dom0 gets its
// `xl info` from a file.
func fixtureOptions(name string) ScanOptions {
	var o ScanOptions
	if name == "xen-dom0" {
		o.XLInfo = func() ([]byte, error) { return os.ReadFile(filepath.Join("testdata", "xen-dom0.xl-info")) }
	}
	return o
}

func scanFixture(t testing.TB, name string) Report {
	t.Helper()
	rep, err := ScanWith(filepath.Join("testdata", name), fixtureOptions(name))
	if err != nil {
		t.Fatalf("ScanWith(%s) error %v", name, err)
	}
	return rep
}

func render(t testing.TB, rep Report) (js, text []byte) {
	t.Helper()
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, '\n')
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return js, b.Bytes()
}

func TestGolden(t *testing.T) {
	// The host's pci.ids must not leak into fixture reports.
	t.Setenv("PCIDB_PATH", "")
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			rep := scanFixture(t, fx.name)
			js, text := render(t, rep)

			// Render twice: the same machine gives the same bytes.
			js2, text2 := render(t, scanFixture(t, fx.name))
			if !bytes.Equal(js, js2) || !bytes.Equal(text, text2) {
				t.Errorf("second scan of %s renders differently", fx.name)
			}

			for _, g := range []struct {
				ext  string
				data []byte
			}{{".json", js}, {".txt", text}} {
				p := filepath.Join("testdata", "golden", fx.name+g.ext)
				if *update {
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, g.data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(p)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if !bytes.Equal(g.data, want) {
					t.Errorf("Scan(%s) %s differs from %s (run go test -update and review the diff):\n%s",
						fx.name, g.ext, p, firstDiff(string(g.data), string(want)))
				}
			}

			// The JSON reads back into the same Report.
			back, err := Load(bytes.NewReader(js))
			if err != nil {
				t.Fatalf("Load(%s) error %v", fx.name, err)
			}
			if !reflect.DeepEqual(back, rep) {
				t.Errorf("Load(json(Scan(%s))) = %+v, want %+v", fx.name, back, rep)
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ": got  " + gl + "\n        want " + wl
		}
	}
	return ""
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestScanNotLinux(t *testing.T) {
	for _, tc := range []struct {
		name string
		root string
		want error
	}{
		{"empty dir", t.TempDir(), ErrNoSysfs},
		{"missing", filepath.Join(t.TempDir(), "nope"), os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Scan(tc.root)
			if !errors.Is(err, tc.want) {
				t.Errorf("Scan(%s) error %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    error
		wantErr bool
	}{
		{name: "minimal", in: `{"version":1,"hypervisor":"xen-dom0"}`},
		{name: "no version", in: `{"hypervisor":"none"}`},
		{name: "newer", in: `{"version":99}`, want: ErrUnsupportedVersion, wantErr: true},
		{name: "bad hypervisor", in: `{"hypervisor":"kvm"}`, wantErr: true},
		{name: "not json", in: `disks: []`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Load(%s) error %v, want error %v (%v)", tc.in, err, tc.wantErr, tc.want)
			}
		})
	}
}
