package installer

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/xennix/xennix/assets"
)

// TestMarshalRoundTrip checks that every example survives Marshal then Parse unchanged.
func TestMarshalRoundTrip(t *testing.T) {
	names, err := fs.Glob(assets.Examples, "examples/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("examples/*.yaml: %q, %v; want the examples", names, err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, _ := fs.ReadFile(assets.Examples, name)
			a, err := Parse(name, data, Defaults(nil))
			if err != nil {
				t.Fatal(err)
			}
			out, err := a.Marshal("saved by a test")
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse("saved.yaml", out, Defaults(nil))
			if err != nil {
				t.Fatalf("Parse(Marshal) = %v\n%s", err, out)
			}
			a.pos, b.pos, a.file, b.file = nil, nil, "", ""
			if !reflect.DeepEqual(a, b) {
				t.Errorf("round trip differs:\n%+v\n%+v\n%s", a, b, out)
			}
			if err := b.Validate(nil); err != nil {
				t.Errorf("saved answers invalid: %v", err)
			}
		})
	}
}

func TestMarshalNoPlaintext(t *testing.T) {
	a, err := Parse("a.yaml", []byte(base+"    password: \"hunter2-secret\"\n  admin:\n    name: ops\n    password: \"other-secret\"\n"), Defaults(nil))
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if strings.Contains(s, "hunter2-secret") || strings.Contains(s, "other-secret") || strings.Contains(s, "password: ") && !strings.Contains(s, "hashed_password: ") {
		t.Errorf("saved answers leak a plaintext password:\n%s", s)
	}
	if strings.Count(s, "hashed_password: $6$") != 2 {
		t.Errorf("saved answers lack the two hashes:\n%s", s)
	}
}
