package hwdetect

import (
	"io"
	"path/filepath"
	"testing"
)

func BenchmarkScan(b *testing.B) {
	b.Setenv("PCIDB_PATH", "")
	for _, fx := range fixtures {
		b.Run(fx.name, func(b *testing.B) {
			root, opts := filepath.Join("testdata", fx.name), fixtureOptions(fx.name)
			for b.Loop() {
				if _, err := ScanWith(root, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("root", func(b *testing.B) {
		for b.Loop() {
			if _, err := Scan("/"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkWriteText(b *testing.B) {
	rep := scanFixture(b, "uefi-intel-server")
	for b.Loop() {
		if err := rep.WriteText(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
