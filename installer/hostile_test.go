package installer

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/xennix/xennix/hwdetect"
)

// stringField is a field of Answers that holds text: a string (or a word type such as
// Preset) or a list of them, found by walking the type, so a field added later is covered.
type stringField struct {
	path  string // YAML keys: network.bond.name
	index []int  // reflect field indexes from Answers
	list  bool
	word  bool // a word type (Preset, Section) that accepts only its words
}

var (
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func stringFields(t reflect.Type, prefix string, index []int) []stringField {
	var out []stringField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" {
			continue
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		idx := append(slices.Clone(index), i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.String:
			out = append(out, stringField{path, idx, false, ft != reflect.TypeFor[string]()})
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			out = append(out, stringField{path, idx, true, ft.Elem() != reflect.TypeFor[string]()})
		case ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(textUnmarshalerType) && !ft.Implements(textMarshalerType):
			out = append(out, stringFields(ft, path, idx)...)
		}
	}
	return out
}

// set stores s in the field of a (allocating the structs on the way), as the only
// element of a list field.
func (f stringField) set(a *Answers, s string) {
	v := reflect.ValueOf(a).Elem()
	for _, i := range f.index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if f.list {
		l := reflect.MakeSlice(v.Type(), 1, 1)
		l.Index(0).SetString(s)
		v.Set(l)
		return
	}
	v.SetString(s)
}

// doc is an answers file setting path to value (a string, or a list of one).
func doc(t *testing.T, path string, value any) []byte {
	t.Helper()
	keys := strings.Split(path, ".")
	var v any = value
	for i := len(keys) - 1; i >= 0; i-- {
		v = map[string]any{keys[i]: v}
	}
	m := v.(map[string]any)
	if _, ok := m["version"]; !ok {
		m["version"] = 1
	}
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStringFieldsFound(t *testing.T) {
	fields := stringFields(reflect.TypeFor[Answers](), "", nil)
	var paths []string
	for _, f := range fields {
		paths = append(paths, f.path)
	}
	for _, p := range []string{"host.hostname", "boot.serial_console", "disks.ids", "disks.filter.model", "network.bond.members", "xen.cmdline", "users.admin.ssh_keys", "install.first_boot", "interactive"} {
		if !slices.Contains(paths, p) {
			t.Errorf("stringFields lacks %s (found %s)", p, strings.Join(paths, " "))
		}
	}
	if len(fields) < 30 {
		t.Errorf("stringFields found %d fields, want at least 30", len(fields))
	}
}

// TestParseRefusesYAMLFeatures: aliases, anchors, tags and leading-zero integers are
// refused with the field and line, not read some way the writer did not mean.
func TestParseRefusesYAMLFeatures(t *testing.T) {
	cases := []struct {
		name string
		file string
		want []want
	}{
		{"anchor and alias", strings.Replace(base, "hostname: xen-01\n", "hostname: &h xen-01\n  domain: *h\n", 1), []want{
			{"host.hostname", 3, "a YAML anchor (&h): anchors and aliases are not accepted"}, {"host.domain", 4, "a YAML alias (*h): aliases are not accepted in an answers file; write the value out"}}},
		{"alias of a section", "version: 1\nhost: &h {hostname: a}\nboot: *h\n", []want{{"host", 2, "anchor (&h)"}, {"boot", 3, "alias (*h)"}}},
		{"merge key", "version: 1\nhost: &h\n  hostname: a\nboot:\n  <<: *h\n", []want{{"host", 2, "anchor"}, {`boot."<<"`, 5, "unknown key"}}},
		{"alias in a list", base + "network:\n  search: [&d example.org, *d]\n", []want{{"network.search[0]", 10, "anchor (&d)"}, {"network.search[1]", 10, "alias (*d)"}}},
		{"alias as a key", base + "network:\n  &k bridge: br0\n  *k : br1\n", []want{{"network.bridge", 10, "anchor (&k)"}, {"network", 11, "a key must be a plain word"}}},
		{"!!binary", strings.Replace(base, "hostname: xen-01", "hostname: !!binary eGVuLTAx", 1), []want{{"host.hostname", 3, "the YAML tag !!binary is not accepted"}}},
		{"!!str on a number", base + "network:\n  vlan: !!str 12\n", []want{{"network.vlan", 10, "the YAML tag !!str is not accepted"}}},
		{"!!str on a string", strings.Replace(base, "hostname: xen-01", "hostname: !!str xen-01", 1), []want{{"host.hostname", 3, "tag !!str"}}},
		{"custom tag", strings.Replace(base, "hostname: xen-01", "hostname: !vault xen-01", 1), []want{{"host.hostname", 3, "tag !vault"}}},
		{"verbatim tag", strings.Replace(base, "hostname: xen-01", "hostname: !<tag:yaml.org,2002:str> xen-01", 1), []want{{"host.hostname", 3, "tag !!str"}}},
		{"tag on a section", base + "network: !!map\n  bridge: br0\n", []want{{"network", 9, "tag !!map"}}},
		{"tag on a list", base + "network:\n  search: !!seq [example.org]\n", []want{{"network.search", 10, "tag !!seq"}}},
		{"tag on a key", base + "network:\n  !!str bridge: br0\n", []want{{"network.bridge", 10, "tag !!str"}}},
		{"tag on the document", "!!map\n" + base, []want{{"", 1, "tag !!map"}}},
		{"leading zero", base + "network:\n  vlan: 024\n", []want{{"network.vlan", 10, "024 has a leading zero"}}},
		{"leading zeros", base + "network:\n  mtu: 09000\n", []want{{"network.mtu", 10, "09000 has a leading zero"}}},
		{"negative leading zero", base + "xen:\n  dom0_vcpus: -04\n", []want{{"xen.dom0_vcpus", 10, "-04 has a leading zero"}}},
		{"double zero", base + "network:\n  vlan: 00\n", []want{{"network.vlan", 10, "00 has a leading zero"}}},
		{"leading zero size", base + "storage:\n  swap: 010\n", []want{{"storage.swap", 10, "010 has a leading zero"}}},
		{"leading zero version", strings.Replace(base, "version: 1", "version: 01", 1), []want{{"version", 1, "01 has a leading zero"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("answers.yaml", []byte(tc.file), Defaults(nil))
			got := Problems(err)
			if len(got) != len(tc.want) {
				t.Fatalf("Parse gave %d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Field != w.field || g.Pos.Line != w.line || !strings.Contains(g.Err.Error(), w.text) {
					t.Errorf("problem %d = %s (field %q, line %d), want field %q, line %d, text %q", i, g, g.Field, g.Pos.Line, w.field, w.line, w.text)
				}
			}
		})
	}
	// What is still accepted: plain zero, explicit octal and hex, quoted strings.
	ok := base + "network:\n  vlan: 0o24\n  mtu: 0x2328\nxen:\n  dom0_vcpus: 0\n"
	a, err := Parse("answers.yaml", []byte(ok), Defaults(nil))
	if err != nil || a.Network.VLAN != 20 || a.Network.MTU != 9000 {
		t.Errorf("Parse(0o24, 0x2328) = vlan %d, mtu %d, %v; want 20, 9000", a.Network.VLAN, a.Network.MTU, err)
	}
}

// TestParseAliasBomb: a file of aliases is refused at once, without expanding them.
// Before, a 104 KB file of aliases became three 100 MB files: here, a first-boot command
// of 10 KB given once and referred to 10,000 times (100 MB), and a "billion laughs" of
// lists nested nine deep.
func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nhost:\n  hostname: &c \"" + strings.Repeat("x", 10<<10) + "\"\ninstall:\n  first_boot: [")
	b.WriteString(strings.TrimSuffix(strings.Repeat("*c, ", 10000), ", ") + "]\n")
	b.WriteString("network:\n  search: &a0 [" + strings.Repeat("x.example.org, ", 9) + "x.example.org]\nxen:\n  cmdline: [&a1 [")
	// Each level is a list of ten aliases of the one before: 10^9 strings if expanded.
	for lvl := 1; lvl <= 9; lvl++ {
		if lvl > 1 {
			b.WriteString(", &a" + fmt.Sprint(lvl) + " [")
		}
		b.WriteString(strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", lvl-1), 10), ", ") + "]")
	}
	b.WriteString("]\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(b.String()), Defaults(nil))
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "aliases are not accepted") {
		t.Fatalf("Parse(alias bomb) error = %.300v, want aliases refused", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("Parse(alias bomb of %d KB) allocated %d MiB", b.Len()>>10, alloc>>20)
	}
	if took > 5*time.Second {
		t.Errorf("Parse(alias bomb) took %s", took)
	}
	if n := len(Problems(err)); n > 10100 {
		t.Errorf("Parse(alias bomb) gave %d problems; one per alias in the file is at most 10,091", n)
	}
}

// hostileLong is a value of 1 MiB with quotes, a newline and Nix interpolation.
var hostileLong = strings.Repeat("x\"${a}\n", 1<<20/7)

// TestLongValuesAreCut: a 1 MiB value in any field gives messages of a readable length
// that say how long the value was. Before, a 1 MB host name gave a 1 MB line.
func TestLongValuesAreCut(t *testing.T) {
	r := fixtureMachine("uefi-ext4-dhcp")
	var cases []struct {
		name string
		file []byte
	}
	add := func(name string, file []byte) {
		cases = append(cases, struct {
			name string
			file []byte
		}{name, file})
	}
	for _, f := range stringFields(reflect.TypeFor[Answers](), "", nil) {
		var v any = hostileLong
		if f.list {
			v = []string{hostileLong}
		}
		add(f.path, doc(t, f.path, v))
	}
	for _, path := range []string{"version", "network.vlan", "network.mtu", "xen.dom0_vcpus", "install.wipe", "ssh.enable",
		"storage.swap", "xen.dom0_memory", "network.ipv4.address", "network.ipv4.gateway", "network.dns", "host", "disks.filter"} {
		add(path+" (wrong type)", doc(t, path, hostileLong))
	}
	// Parsed where read, as guests.PCIAddress: no longer a string field.
	add("xen.passthrough", doc(t, "xen.passthrough", []string{hostileLong}))
	add("long number", []byte("version: 1\nnetwork:\n  vlan: "+strings.Repeat("9", 1<<20)+"\n"))
	add("long unknown key", []byte("version: 1\n"+strings.Repeat("k", 1<<20)+": 1\n"))
	add("long unknown nested key", []byte("version: 1\nhost:\n  \""+strings.Repeat("\\n", 1<<19)+"\": 1\n"))
	add("long alias", []byte("version: 1\nhost:\n  hostname: &"+strings.Repeat("a", 1<<20)+" x\n"))
	add("long tag", []byte("version: 1\nhost:\n  hostname: !"+strings.Repeat("t", 1<<20)+" x\n"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, report := range []*hwdetect.Report{nil, &r} {
				_, err := ParseAndValidate("answers.yaml", tc.file, Defaults(report), report)
				if err == nil {
					continue // a field that takes anything (a first-boot command) is not this test's business
				}
				for _, p := range Problems(err) {
					if s := p.Error(); len(s) > 1024 {
						t.Errorf("a problem of %d bytes (hardware %v): %.300s…", len(s), report != nil, s)
					}
				}
				if len(err.Error()) > 16<<10 {
					t.Errorf("the error is %d bytes (hardware %v)", len(err.Error()), report != nil)
				}
			}
		})
	}
	// The cut says what it cut.
	_, err := Parse("answers.yaml", doc(t, "host.hostname", []string{hostileLong}), Defaults(nil))
	if want := "want a string, got a list"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Parse(list hostname) = %v", err)
	}
	a, err := Parse("answers.yaml", doc(t, "host.hostname", hostileLong), Defaults(nil))
	if err == nil {
		err = a.Validate(nil)
	}
	if want := `"x\"${a}\nx\"${a}\n`; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprintf("…(%d bytes)", len(hostileLong))) {
		t.Errorf("Validate(long hostname) = %.300v, want the value quoted, cut, with its length", err)
	}
}

func TestQuoteCut(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"xen-01", `"xen-01"`},
		{strings.Repeat("a", 64), `"` + strings.Repeat("a", 64) + `"`},
		{strings.Repeat("a", 65), `"` + strings.Repeat("a", 64) + `"…(65 bytes)`},
		{strings.Repeat("é", 70), `"` + strings.Repeat("é", 64) + `"…(140 bytes)`},
		{"a\x00b\r\n", `"a\x00b\r\n"`},
	} {
		if got := quoteCut(tc.in, maxQuotedRunes); got != tc.want {
			t.Errorf("quoteCut(%.20q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := fmt.Sprintf("%s|%q|%v", shown("ab"), shown("ab"), shown(strings.Repeat("b", 300))); got != `ab|"ab"|`+strings.Repeat("b", 256)+"…(300 bytes)" {
		t.Errorf("shown = %q", got)
	}
}

// yaml11Values are strings a YAML 1.1 reader takes for something else.
var yaml11Values = []string{
	"0000:41:00.0", "41:00.0", "190:20:30", "1:20", "yes", "No", "ON", "off", "y", "N", "~", "null", "NULL",
	"true", "False", "012", "0o12", "0x1F", "0b101", "1_000", "123", "-7", "+3", "1e3", "1E+3", "1.5", ".5",
	".inf", "-.Inf", ".NaN", "2026-01-01", "2026-1-1 10:00:00", "2026-01-01T10:00:00Z", "2026-1-1 10:00:00 +01:00", ".5_0", "1._5", "<<", "=",
	"192.0.2.1",
}

// TestMarshalQuotesForYAML11 writes answers whose every text field holds a string that
// YAML 1.1 reads as a number, boolean, null, date or merge key, and reads the saved file
// with PyYAML, a YAML 1.1 reader: every one must come back a string. Before,
// 0000:41:00.0 was written plain and read as the number 2460 (sexagesimal).
func TestMarshalQuotesForYAML11(t *testing.T) {
	py := "python3"
	if _, err := exec.LookPath(py); err != nil {
		missing(t, "python3 not installed (apt-get install -y python3-yaml)")
	}
	if err := exec.Command(py, "-c", "import yaml").Run(); err != nil {
		missing(t, "PyYAML not installed (apt-get install -y python3-yaml)")
	}
	fields := stringFields(reflect.TypeFor[Answers](), "", nil)
	const script = `
import json, sys, yaml
out = []
def walk(n, path):
    if isinstance(n, yaml.MappingNode):
        for k, v in n.value:
            walk(v, path + "." + k.value if path else k.value)
    elif isinstance(n, yaml.SequenceNode):
        for i, v in enumerate(n.value):
            walk(v, "%s[%d]" % (path, i))
    else:
        out.append([path, n.tag, n.value])
walk(yaml.compose(sys.stdin, Loader=yaml.SafeLoader), "")
json.dump(out, sys.stdout)
`
	checked := 0
	for round := range yaml11Values {
		a := Defaults(nil)
		want := map[string]string{}
		for i, f := range fields {
			if strings.HasSuffix(f.path, ".password") {
				continue // never saved
			}
			v := yaml11Values[(round+i)%len(yaml11Values)]
			f.set(&a, v)
			p := f.path
			if f.list {
				p += "[0]"
			}
			want[p] = v
		}
		out, err := a.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(py, "-c", script)
		cmd.Stdin = strings.NewReader(string(out))
		cmd.Stderr = os.Stderr
		res, err := cmd.Output()
		if err != nil {
			t.Fatalf("PyYAML on the saved answers: %v\n%s", err, out)
		}
		var scalars [][3]string
		if err := json.Unmarshal(res, &scalars); err != nil {
			t.Fatal(err)
		}
		got := map[string][2]string{}
		for _, s := range scalars {
			got[s[0]] = [2]string{s[1], s[2]}
		}
		for p, v := range want {
			g, ok := got[p]
			switch {
			case !ok:
				t.Errorf("round %d: %s (%q) is missing from the saved answers:\n%s", round, p, v, out)
			case g[0] != "tag:yaml.org,2002:str" || g[1] != v:
				t.Errorf("round %d: a YAML 1.1 reader reads %s as %s %q, want the string %q", round, p, g[0], g[1], v)
			default:
				checked++
			}
		}
		// And this program reads back what it wrote (word fields accept only their words,
		// so they keep their defaults for this part).
		a = Defaults(nil)
		for i, f := range fields {
			if !f.word && !strings.HasSuffix(f.path, ".password") {
				f.set(&a, yaml11Values[(round+i)%len(yaml11Values)])
			}
		}
		if out, err = a.Marshal(); err != nil {
			t.Fatal(err)
		}
		b, err := Parse("saved.yaml", out, Defaults(nil))
		if err != nil {
			t.Fatalf("round %d: Parse(Marshal) = %v\n%s", round, err, out)
		}
		for _, f := range fields {
			if f.word || strings.HasSuffix(f.path, ".password") {
				continue
			}
			var x, y Answers = a, b
			fx, fy := fieldValue(&x, f), fieldValue(&y, f)
			if !reflect.DeepEqual(fx.Interface(), fy.Interface()) {
				t.Errorf("round %d: %s = %v after the round trip, want %v", round, f.path, fy, fx)
			}
		}
	}
	t.Logf("%d saved strings read back as strings by PyYAML", checked)
}

func fieldValue(a *Answers, f stringField) reflect.Value {
	v := reflect.ValueOf(a).Elem()
	for _, i := range f.index {
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}

// TestMarshalQuotesRandomForYAML11 saves thousands of strings built from the characters
// YAML 1.1 numbers, dates and booleans are made of, as first-boot commands, and checks
// with PyYAML that each is read back as the string it was.
func TestMarshalQuotesRandomForYAML11(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		missing(t, "python3 not installed (apt-get install -y python3-yaml)")
	}
	if err := exec.Command("python3", "-c", "import yaml").Run(); err != nil {
		missing(t, "PyYAML not installed (apt-get install -y python3-yaml)")
	}
	rng := rand.New(rand.NewPCG(14, 1))
	const alphabet = "0123456789._:-+eExXoObB TtZ~nNyY_"
	words := []string{"yes", "no", "on", "off", "true", "false", "null", "inf", "nan", "Inf", "NaN", "<<", "="}
	var values []string
	for i := 0; i < 4000; i++ {
		var b strings.Builder
		if i%5 == 0 {
			b.WriteString([]string{"", "-", "+", "."}[rng.IntN(4)] + words[rng.IntN(len(words))])
		} else {
			for n := 1 + rng.IntN(10); n > 0; n-- {
				b.WriteByte(alphabet[rng.IntN(len(alphabet))])
			}
		}
		if s := strings.TrimSpace(b.String()); s != "" && s == b.String() {
			values = append(values, s)
		}
	}
	a := Defaults(nil)
	a.Install.FirstBoot = values
	out, err := a.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", `
import json, sys, yaml
n = yaml.compose(sys.stdin, Loader=yaml.SafeLoader)
install = [v for k, v in n.value if k.value == "install"][0]
fb = [v for k, v in install.value if k.value == "first_boot"][0]
json.dump([[x.tag, x.value] for x in fb.value], sys.stdout)
`)
	cmd.Stdin = strings.NewReader(string(out))
	cmd.Stderr = os.Stderr
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyYAML: %v", err)
	}
	var got [][2]string
	if err := json.Unmarshal(res, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(values) {
		t.Fatalf("PyYAML read %d first-boot commands, want %d", len(got), len(values))
	}
	bad := 0
	for i, g := range got {
		if g[0] != "tag:yaml.org,2002:str" || g[1] != values[i] {
			if bad++; bad <= 20 {
				t.Errorf("%q saved, read by a YAML 1.1 reader as %s %q", values[i], g[0], g[1])
			}
		}
	}
	t.Logf("%d random strings, %d misread", len(values), bad)
}
