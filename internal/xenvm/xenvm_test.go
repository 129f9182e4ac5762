package xenvm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDepends(t *testing.T) {
	// apt-cache depends output, as Debian bookworm prints it.
	out := []byte(`iproute2
 |Depends: debconf
  Depends: <debconf-2.0>
    cdebconf
    debconf
  Depends: libbpf1
  Depends: libc6
  Recommends: libatm1
libxenmisc4.17
  Depends: libc6
  PreDepends: zlib1g
  Depends: <python3:any>
    python3
`)
	got := parseDepends(out)
	want := map[string][]string{
		"iproute2":       {"debconf", "libbpf1", "libc6"},
		"libxenmisc4.17": {"libc6", "zlib1g"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDepends = %q, want %q", got, want)
	}
}

func TestParsePrintURIs(t *testing.T) {
	out := []byte("'http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_amd64.deb' libc6_2.36-9+deb12u14_amd64.deb 2759320 SHA256:ba4f\n" +
		"'http://deb.debian.org/debian/pool/main/b/busybox/busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb' busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb 1 SHA256:00\n" +
		"W: something else\n")
	got := parsePrintURIs(out)
	want := []string{"libc6_2.36-9+deb12u14_amd64.deb", "busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsePrintURIs = %q, want %q", got, want)
	}
}

func TestParseResults(t *testing.T) {
	cases := []struct {
		name        string
		in          string
		steps       []StepResult
		ready, done bool
		err         string
	}{
		{"empty", "", nil, false, false, ""},
		{"ready", "XENVM-READY\n", nil, true, false, ""},
		{"complete", "XENVM-READY\nXENVM-OUT a 7\nx\nXENV\nXENVM-RC a 3 1.25\nXENVM-OUT b 0\nXENVM-RC b 0\nXENVM-DONE\n",
			[]StepResult{{"a", "x\nXENV\n", 3, 1250 * time.Millisecond}, {"b", "", 0, 0}}, true, true, ""},
		{"output cut short", "XENVM-READY\nXENVM-OUT a 10\nabc", nil, true, false, ""},
		{"rc line not yet there", "XENVM-READY\nXENVM-OUT a 1\nx", nil, true, false, ""},
		{"size lies", "XENVM-READY\nXENVM-OUT a 1\nxyz\nXENVM-RC a 0\n", nil, true, false, "want XENVM-RC a"},
		{"garbage", "XENVM-READY\nhello\n", nil, true, false, `unexpected line "hello"`},
		{"daemons", "XENVM-FAILED the Xen daemons did not start: xenstored\n", nil, false, false, "dom0: the Xen daemons did not start: xenstored"},
		{"bad duration", "XENVM-OUT a 0\nXENVM-RC a 0 soon\n", nil, false, false, "bad duration"},
		{"bad rc", "XENVM-OUT a 0\nXENVM-RC a x\n", nil, false, false, "bad exit code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, ready, done, err := parseResults([]byte(tc.in))
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("parseResults(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			if !reflect.DeepEqual(steps, tc.steps) || ready != tc.ready || done != tc.done {
				t.Errorf("parseResults(%q) = %+v, %v, %v; want %+v, %v, %v", tc.in, steps, ready, done, tc.steps, tc.ready, tc.done)
			}
		})
	}
}

func TestModuleOrder(t *testing.T) {
	order := []byte("kernel/net/llc/llc.ko\nkernel/net/802/stp.ko\nkernel/net/bridge/bridge.ko\n" +
		"kernel/drivers/xen/xen-privcmd.ko\nkernel/fs/xen/xenfs.ko\nkernel/drivers/net/bonding/bonding.ko\n")
	builtin := []byte("kernel/net/ipv6/ipv6.ko\n")
	deps := map[string][]string{
		"kernel/net/bridge/bridge.ko":           {"stp", "llc", "ipv6"},
		"kernel/net/802/stp.ko":                 {"llc"},
		"kernel/fs/xen/xenfs.ko":                {"xen-privcmd"},
		"kernel/drivers/net/bonding/bonding.ko": nil,
	}
	depends := func(f string) ([]string, error) { return deps[f], nil }
	cases := []struct {
		names []string
		want  []string
		err   string
	}{
		{[]string{"xenfs", "bridge"}, []string{"kernel/drivers/xen/xen-privcmd.ko", "kernel/fs/xen/xenfs.ko",
			"kernel/net/llc/llc.ko", "kernel/net/802/stp.ko", "kernel/net/bridge/bridge.ko"}, ""},
		{[]string{"xen_privcmd", "xen-privcmd", "ipv6"}, []string{"kernel/drivers/xen/xen-privcmd.ko"}, ""},
		{[]string{"bonding", "8021q", "nosuch"}, nil, "8021q, nosuch"},
	}
	for _, tc := range cases {
		got, err := moduleOrder(order, builtin, tc.names, depends)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("moduleOrder(%q) error = %v, want %q", tc.names, err, tc.err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("moduleOrder(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
	dep, err := modulesDep([]string{"kernel/net/llc/llc.ko", "kernel/net/802/stp.ko", "kernel/net/bridge/bridge.ko"}, depends)
	want := "kernel/net/llc/llc.ko:\nkernel/net/802/stp.ko: kernel/net/llc/llc.ko\nkernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko\n"
	if err != nil || string(dep) != want {
		t.Errorf("modulesDep = %q, %v; want %q", dep, err, want)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"bin/ip": "/usr/bin/ip", "/sbin/ip": "/usr/sbin/ip", "lib64/ld-linux-x86-64.so.2": "/usr/lib64/ld-linux-x86-64.so.2",
		"/lib": "/usr/lib", "/library": "/library", "etc/../etc/xen": "/etc/xen", "/usr/bin/x": "/usr/bin/x",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCpio writes a tree and unpacks it with cpio(1), the format's other real reader
// beside the kernel (which the VM tests use).
func TestCpio(t *testing.T) {
	cpio, err := exec.LookPath("cpio")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("required in CI: cpio: %v", err)
		}
		t.Skipf("cpio not installed: %v", err)
	}
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("from the host\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tr := tree{}
	tr.symlink("/lib", "usr/lib")
	tr.file("/lib/x/prog", src, 0o755)
	tr.data("/etc/odd", []byte("abc"), 0o600) // not a multiple of 4
	tr.mkdirAll("/empty/dir")
	var b bytes.Buffer
	if err := tr.writeCpio(&b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(cpio, "-idm", "--quiet")
	cmd.Dir, cmd.Stdin = dir, &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -id: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "usr/lib/x/prog")); string(got) != "from the host\n" {
		t.Errorf("usr/lib/x/prog = %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "usr/lib/x/prog")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("usr/lib/x/prog mode = %v, %v; want 0755", fi.Mode(), err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "etc/odd")); string(got) != "abc" {
		t.Errorf("etc/odd = %q, want abc", got)
	}
	if l, err := os.Readlink(filepath.Join(dir, "lib")); err != nil || l != "usr/lib" {
		t.Errorf("lib -> %q, %v; want usr/lib", l, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "empty/dir")); err != nil || !fi.IsDir() {
		t.Errorf("empty/dir: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{
		Steps:   []Step{{Name: ""}, {Name: "a b"}, {Name: "x"}, {Name: "x"}, {Name: "script"}},
		Script:  "true",
		Files:   map[string]string{"/nonexistent/xennix": "usr/bin/xennix"},
		Env:     []string{"NOVALUE", "A='b'"},
		Dom0MiB: 2048, MemoryMiB: 1024,
	}.validate()
	if err == nil {
		t.Fatal("validate() = nil, want errors")
	}
	for _, want := range []string{"steps[0].name: empty", `steps[1].name: "a b"`, `steps[3].name: "x" used twice`,
		`steps[4].name: "script" used twice`, "files[/nonexistent/xennix]: dom0 path", "no such file",
		`env: "NOVALUE"`, `env: "A='b'"`, "memory: dom0 2048 MiB in a machine of 1024 MiB"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validate() error lacks %q:\n%v", want, err)
		}
	}
	if err := (Options{}).validate(); err != nil {
		t.Errorf("Options{}.validate() = %v, want nil", err)
	}
}

func TestPrerequisitesNamesPackages(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Prerequisites()
	if err == nil {
		t.Fatal("Prerequisites() with an empty PATH = nil, want an error")
	}
	for _, want := range []string{"qemu-system-x86_64 (Debian package qemu-system-x86)", "apt-get (Debian package apt)", "dpkg-deb (Debian package dpkg)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Prerequisites() = %v, want it to name %q", err, want)
		}
	}
}
