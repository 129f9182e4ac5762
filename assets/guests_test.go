package assets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The guests module (nixos/guests.nix) is tested here without nixpkgs: nixos/tests/guests-eval.nix
// evaluates example hosts with the lib shim and a small evalModules (mode shim, always), and
// with the real lib.evalModules against stub NixOS options when NIXPKGS_LIB is set (mode
// real); both must give the goldens under testdata/guests/. Xen's own parser, libxlutil,
// reads the golden cfgs back (TestGuestCfgsParseWithLibxlutil).

// guestsEval is what guests-eval.nix prints for one host.
type guestsEval struct {
	FailedAssertions []string                     `json:"failedAssertions"`
	Warnings         []string                     `json:"warnings"`
	Xendomains       string                       `json:"xendomains"`
	Target           json.RawMessage              `json:"target"`
	Tmpfiles         []string                     `json:"tmpfiles"`
	Cfgs             map[string]string            `json:"cfgs"`
	Manifest         json.RawMessage              `json:"manifest"`
	Settings         map[string][]xlSetting       `json:"settings"`
	Units            map[string]map[string]any    `json:"units"`
	Guests           map[string]json.RawMessage   `json:"guests"`
	unitScripts      map[string]map[string]string // unit -> preStart/preStop/postStop
}

type xlSetting struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

type manifest struct {
	Version int `json:"version"`
	Guests  map[string]struct {
		Kind       string `json:"kind"`
		Type       string `json:"type"`
		UUID       string `json:"uuid"`
		Unit       string `json:"unit"`
		ConfigFile string `json:"configFile"`
		PCI        []string
		Disks      []struct {
			Target   string `json:"target"`
			Format   string `json:"format"`
			Vdev     string `json:"vdev"`
			ReadOnly bool   `json:"readOnly"`
			CDROM    bool   `json:"cdrom"`
		} `json:"disks"`
		Interfaces []struct {
			Bridge string `json:"bridge"`
			MAC    string `json:"mac"`
			VLAN   *int   `json:"vlan"`
		} `json:"interfaces"`
	} `json:"guests"`
}

func evalGuests(t *testing.T, mode string) map[string]*guestsEval {
	t.Helper()
	nix := requireTool(t, "nix-instantiate")
	out, err := run(t, "", nil, nix, "--eval", "--strict", "--json", "nixos/tests/guests-eval.nix", "--argstr", "mode", mode)
	if err != nil {
		t.Fatal(err)
	}
	var hosts map[string]*guestsEval
	if err := json.Unmarshal(out, &hosts); err != nil {
		t.Fatalf("decode guests-eval.nix output: %v", err)
	}
	for _, h := range hosts {
		h.unitScripts = map[string]map[string]string{}
		for name, u := range h.Units {
			s := map[string]string{}
			for _, k := range []string{"preStart", "preStop", "postStop"} {
				if v, ok := u[k].(string); ok {
					s[k] = v
					delete(u, k)
				}
			}
			h.unitScripts[name] = s
		}
	}
	return hosts
}

func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b []byte
	var err error
	if raw, ok := v.(json.RawMessage); ok {
		var buf bytes.Buffer
		err = json.Indent(&buf, raw, "", "  ")
		b = buf.Bytes()
	} else {
		b, err = json.MarshalIndent(v, "", "  ")
	}
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// guestFiles renders the evaluation as the golden files: path (under testdata/guests) -> bytes.
func guestFiles(t *testing.T, hosts map[string]*guestsEval) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for hn, h := range hosts {
		dir := hn + "/"
		summary := map[string]any{
			"failedAssertions": h.FailedAssertions,
			"warnings":         h.Warnings,
		}
		if hn == "bad" {
			files[dir+"assertions.json"] = indentJSON(t, summary)
			continue
		}
		summary["xendomains"] = h.Xendomains
		summary["target"] = h.Target
		summary["tmpfiles"] = h.Tmpfiles
		files[dir+"host.json"] = indentJSON(t, summary)
		for etc, text := range h.Cfgs {
			files[dir+strings.TrimPrefix(etc, "xen/xennix/")] = []byte(text)
		}
		files[dir+"guests.json"] = indentJSON(t, h.Manifest)
		for unit, u := range h.Units {
			files[dir+unit+".service.json"] = indentJSON(t, u)
			for k, s := range h.unitScripts[unit] {
				files[dir+unit+"."+strings.ToLower(k)+".sh"] = []byte(s)
			}
		}
		for g, sys := range h.Guests {
			files[dir+"guest-"+g+".nixos.json"] = indentJSON(t, sys)
		}
	}
	return files
}

const guestGoldens = "testdata/guests"

func compareGoldens(t *testing.T, files map[string][]byte, update bool) {
	t.Helper()
	if update {
		if err := os.RemoveAll(guestGoldens); err != nil {
			t.Fatal(err)
		}
	}
	for p, b := range files {
		path := filepath.Join(guestGoldens, p)
		if update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (run go test ./assets -run TestGuestsModuleGoldens -update)", path, err)
			continue
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s differs from the evaluation:\n--- got\n%s\n--- want\n%s", path, b, want)
		}
	}
	// No stale goldens.
	err := filepath.WalkDir(guestGoldens, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(guestGoldens, p)
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			t.Errorf("%s is a golden the evaluation no longer produces", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGuestsModuleGoldens evaluates the guests module with the lib shim (no nixpkgs needed)
// and compares the cfgs, units, unit scripts, manifest and guest systems with the goldens;
// a second evaluation must give the same bytes.
func TestGuestsModuleGoldens(t *testing.T) {
	files := guestFiles(t, evalGuests(t, "shim"))
	again := guestFiles(t, evalGuests(t, "shim"))
	for p, b := range files {
		if !bytes.Equal(b, again[p]) {
			t.Errorf("%s: two evaluations differ", p)
		}
	}
	compareGoldens(t, files, *update)
	t.Logf("%d golden files", len(files))
}

// TestGuestsModuleRealLib evaluates the same hosts through host.nix with nixpkgs' real
// lib.evalModules (type checks, priorities, submodules as NixOS does them): the result must
// be the goldens too. Opt-in: NIXPKGS_LIB.
func TestGuestsModuleRealLib(t *testing.T) {
	if os.Getenv("NIXPKGS_LIB") == "" {
		t.Skip("NIXPKGS_LIB not set (a checkout of github:nix-community/nixpkgs.lib)")
	}
	compareGoldens(t, guestFiles(t, evalGuests(t, "real")), false)
}

// TestGuestAssertions checks that each broken guest of the "bad" host fails with its message,
// and that the good hosts fail none.
func TestGuestAssertions(t *testing.T) {
	hosts := evalGuests(t, "shim")
	for _, h := range []string{"example", "thin", "flake-example"} {
		if got := hosts[h].FailedAssertions; len(got) != 0 {
			t.Errorf("host %s: failed assertions %q, want none", h, got)
		}
	}
	got := hosts["bad"].FailedAssertions
	tests := []struct{ name, want string }{
		{"name is a DNS label", "xennix.guests.Bad_Name: the guest name must be one lower-case DNS label"},
		{"iso guest has an iso", "xennix.guests.noiso: kind = \"iso\" needs xennix.guests.noiso.iso"},
		{"image guest has a disk", "xennix.guests.nodisk: kind = \"image\" needs at least one disk"},
		{"PVH has no PCI", "xennix.guests.pvhpci: PVH guests cannot have PCI devices"},
		{"PCI hidden from dom0", "xennix.guests.hidden.pci: 0000:05:00.0 must be a PCI address like 0000:03:00.0 that is also in xennix.xen.passthrough"},
		{"PCI in one guest only", "xennix.guests: the PCI devices 0000:04:00.0 are given to more than one guest"},
		{"MACs unique", "xennix.guests: the MAC addresses 00:16:3e:00:00:01 are used by more than one interface"},
		{"MAC unicast", "xennix.guests.multicast.network.0.mac: \"01:16:3e:00:00:02\" is not a unicast MAC"},
		{"disk with two sources", "xennix.guests.twosources.disks.0: give exactly one of target"},
		{"disk with no source", "xennix.guests.nosource.disks.0: give exactly one of target"},
		{"relative target", "xennix.guests.relative.disks.0.target: \"images/a.img\" is not an absolute path"},
		{"volume without storage", "xennix.guests.nowhere.disks.0.volume: xennix.storage.guests.kind is \"none\""},
		{"volume without size", "xennix.guests.nosize.disks.0.size: a volume needs a size"},
		{"IPv4 address", "xennix.guests.badip.network.0.ipv4.address: \"192.168.1.300/24\" is not an IPv4 address"},
		{"gateway without address", "xennix.guests.nogateway.network.0.ipv4.gateway: want an IPv4 address"},
		{"bridge name", "xennix.guests.badbridge.network.0.bridge: \"a bridge name that is far too long\" is not an interface name"},
		{"maxMemory below memory", "xennix.guests.badmem.maxMemory (1024 MiB) is below xennix.guests.badmem.memory (2048 MiB)"},
		{"uuid", "xennix.guests.baduuid.uuid: \"not-a-uuid\" is not a lower-case UUID"},
		{"HVM needs hardware virtualisation", "xennix.guests.hidden: type = \"hvm\" needs hardware virtualisation"},
		{"foreign guests are HVM", "xennix.guests.pvimage: kind = \"image\" guests boot their own boot loader, which needs type = \"hvm\""},
		{"extraConfig cannot rename", "xennix.guests.rename.extraConfig: name on_poweroff cannot be set there"},
		{"after names other guests", "xennix.guests.order.after: order nosuch is not another enabled guest"},
		{"at most 26 disks", "xennix.guests.toomany: 27 disks, but XenNix names at most 26"},
		{"vdevs unique", "xennix.guests.samevdev: two disks use the same vdev (xvda)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.ContainsFunc(got, func(m string) bool { return strings.HasPrefix(m, tc.want) }) {
				t.Errorf("failed assertions = %q, want one starting %q", got, tc.want)
			}
		})
	}
	// Every message names the option to fix.
	for _, m := range got {
		if !strings.HasPrefix(m, "xennix.guests") {
			t.Errorf("assertion message %q does not start with the option path", m)
		}
	}
}

// TestXLWriter runs the xl.cfg writer's own checks (nixos/tests/xl-unit.nix, builtins only).
func TestXLWriter(t *testing.T) {
	nix := requireTool(t, "nix-instantiate")
	out, err := run(t, "", nil, nix, "--eval", "--strict", "--json", "nixos/tests/xl-unit.nix")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Cases []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
			Got  any    `json:"got"`
			Want any    `json:"want"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Cases) < 30 {
		t.Fatalf("xl-unit.nix has %d cases, want its full list", len(r.Cases))
	}
	for _, c := range r.Cases {
		if !c.OK {
			if c.Want == nil {
				t.Errorf("%s: got %q, want a refusal (throw)", c.Name, c.Got)
			} else {
				t.Errorf("%s: got %q, want %q", c.Name, c.Got, c.Want)
			}
		}
	}
}

// xlucheck builds testdata/xlucheck against Debian's libxen-dev, or skips without it (fails
// in CI).
func xlucheck(t *testing.T) string {
	t.Helper()
	cc := requireTool(t, "cc")
	if _, err := os.Stat("/usr/include/libxlutil.h"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("libxlutil.h is required in CI (Debian package libxen-dev): %v", err)
		}
		t.Skipf("libxen-dev not installed: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "xlucheck")
	if _, err := run(t, "", nil, cc, "-Wall", "-Werror", "-o", bin, "testdata/xlucheck/xlucheck.c", "-lxlutil", "-lxenlight"); err != nil {
		t.Fatal(err)
	}
	return bin
}

type xluResult struct {
	Values map[string]any `json:"values"`
	Disks  []struct {
		Target    string `json:"target"`
		Vdev      string `json:"vdev"`
		Format    string `json:"format"`
		Readwrite bool   `json:"readwrite"`
		CDROM     bool   `json:"cdrom"`
	} `json:"disks"`
	PCI []struct {
		BDF string `json:"bdf"`
	} `json:"pci"`
}

func runXlucheck(t *testing.T, bin, file string, keys []string) xluResult {
	t.Helper()
	out, err := run(t, "", nil, append([]string{bin, file}, keys...)...)
	if err != nil {
		t.Fatalf("libxlutil refused %s: %v", file, err)
	}
	var r xluResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("xlucheck %s: %v\n%s", file, err, out)
	}
	return r
}

// xlString is how xl reads back a value the writer wrote: numbers and booleans as decimal
// strings, lists element by element.
func xlString(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return "1"
		}
		return "0"
	case float64:
		return fmt.Sprintf("%d", int64(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = xlString(e)
		}
		return out
	}
	return v
}

// TestGuestCfgsParseWithLibxlutil has Xen's parser read every golden cfg: every setting the
// module declared must come back as written, the disks as the manifest lists them (through
// xlu_disk_parse), the PCI devices (xlu_pci_parse_spec_string) and the vifs.
func TestGuestCfgsParseWithLibxlutil(t *testing.T) {
	bin := xlucheck(t)
	hosts := evalGuests(t, "shim")
	checked := 0
	for _, hn := range []string{"example", "thin", "flake-example"} {
		h := hosts[hn]
		var m manifest
		if err := json.Unmarshal(h.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		for name, settings := range h.Settings {
			t.Run(hn+"/"+name, func(t *testing.T) {
				file := filepath.Join(guestGoldens, hn, name+".cfg")
				var keys []string
				want := map[string]any{}
				for _, s := range settings {
					if s.Value != nil {
						keys = append(keys, s.Name)
						want[s.Name] = xlString(s.Value)
					}
				}
				r := runXlucheck(t, bin, file, keys)
				for _, k := range keys {
					if g, w := fmt.Sprint(r.Values[k]), fmt.Sprint(want[k]); g != w {
						t.Errorf("%s: libxlutil reads %s = %s, the module declared %s", file, k, g, w)
					}
				}
				mg := m.Guests[name]
				if len(r.Disks) != len(mg.Disks) {
					t.Fatalf("%s: libxlutil reads %d disks, guests.json lists %d", file, len(r.Disks), len(mg.Disks))
				}
				for i, d := range mg.Disks {
					p := r.Disks[i]
					if p.Target != d.Target || p.Vdev != d.Vdev || p.Format != d.Format || p.CDROM != d.CDROM || p.Readwrite != (!d.ReadOnly && !d.CDROM) {
						t.Errorf("%s: disk %d: libxlutil reads %+v, guests.json says %+v", file, i, p, d)
					}
				}
				var bdfs []string
				for _, p := range r.PCI {
					bdfs = append(bdfs, p.BDF)
				}
				if !slices.Equal(bdfs, mg.PCI) && !(len(bdfs) == 0 && len(mg.PCI) == 0) {
					t.Errorf("%s: libxlutil reads PCI %q, guests.json says %q", file, bdfs, mg.PCI)
				}
				// libxlutil does not parse vifs (xl_parse.c does): split the strings it read.
				vifs, _ := r.Values["vif"].([]any)
				if len(vifs) != len(mg.Interfaces) {
					t.Fatalf("%s: %d vifs, guests.json lists %d interfaces", file, len(vifs), len(mg.Interfaces))
				}
				for i, v := range vifs {
					kv := map[string]string{}
					for _, f := range strings.Split(v.(string), ",") {
						k, val, _ := strings.Cut(f, "=")
						kv[k] = val
					}
					in := mg.Interfaces[i]
					if kv["mac"] != in.MAC || kv["bridge"] != in.Bridge || (in.VLAN != nil) != strings.Contains(kv["script"], "xennix-vif-vlan-") {
						t.Errorf("%s: vif %d = %q, guests.json says %+v", file, i, v, in)
					}
				}
				checked++
			})
		}
	}
	if checked < 4 {
		t.Errorf("checked %d cfgs, want every golden (at least 4)", checked)
	}

	// A cfg made of hostile values: each must come back exactly.
	nix := requireTool(t, "nix-instantiate")
	out, err := run(t, "", nil, nix, "--eval", "--strict", "--json", "nixos/tests/xl-unit.nix")
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		Adversarial struct {
			Text   string         `json:"text"`
			Values map[string]any `json:"values"`
			Disks  []struct {
				Target string `json:"target"`
				Vdev   string `json:"vdev"`
				CDROM  bool   `json:"cdrom"`
			} `json:"disks"`
		} `json:"adversarial"`
	}
	if err := json.Unmarshal(out, &u); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "adversarial.cfg")
	if err := os.WriteFile(file, []byte(u.Adversarial.Text), 0o644); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range u.Adversarial.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	r := runXlucheck(t, bin, file, keys)
	for _, k := range keys {
		if g, w := fmt.Sprintf("%q", r.Values[k]), fmt.Sprintf("%q", u.Adversarial.Values[k]); g != w {
			t.Errorf("adversarial cfg: libxlutil reads %s = %s, written %s", k, g, w)
		}
	}
	if len(r.Disks) != len(u.Adversarial.Disks) {
		t.Fatalf("adversarial cfg: %d disks, want %d", len(r.Disks), len(u.Adversarial.Disks))
	}
	for i, d := range u.Adversarial.Disks {
		if p := r.Disks[i]; p.Target != d.Target || p.Vdev != d.Vdev || p.CDROM != d.CDROM {
			t.Errorf("adversarial cfg: disk %d: libxlutil reads %+v, written %+v", i, p, d)
		}
	}
}

// TestGuestUnitScriptsSyntax checks the golden unit scripts with bash -n.
func TestGuestUnitScriptsSyntax(t *testing.T) {
	bash := requireTool(t, "bash")
	files, err := filepath.Glob(filepath.Join(guestGoldens, "*", "*.sh"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no unit script goldens (%v)", err)
	}
	for _, f := range files {
		if _, err := run(t, "", nil, bash, "-n", f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// fakeXL is a stand-in for xl with domains as files: $FAKEXL/dom/<name> holds the domain's
// UUID; every call is logged to $FAKEXL/log. `xl list -l` prints the JSON shape of xl 4.17
// (an array of {domid, config: {c_info: {name, uuid}}}).
const fakeXL = `#!/bin/bash
state=$FAKEXL
echo "xl $*" >> "$state/log"
case "$1" in
  domid) [ -e "$state/dom/$2" ] && echo 7 || { echo "Can't get domid of domain name '$2', maybe this domain does not exist." >&2; exit 1; } ;;
  list) n="${@: -1}"; [ -e "$state/dom/$n" ] || exit 1
        printf '[{"domid":7,"config":{"c_info":{"name":"%s","uuid":"%s"}}}]\n' "$n" "$(cat "$state/dom/$n")" ;;
  destroy) rm -f "$state/dom/$2" ;;
  shutdown) n="${@: -1}"; [ -e "$state/noshutdown" ] && exit 1; rm -f "$state/dom/$n" ;;
  pci-assignable-list) cat "$state/assignable" 2>/dev/null || true ;;
  pci-assignable-add) echo "$2" >> "$state/assignable" ;;
  *) echo "fake xl: unexpected $*" >&2; exit 99 ;;
esac
`

// guestScripts runs a unit's scripts against fakeXL, with the state directories moved into
// a temporary directory.
type guestScripts struct {
	t                   *testing.T
	dir, run, gc, state string
	scripts             map[string]string
}

func newGuestScripts(t *testing.T, h *guestsEval, unit string) *guestScripts {
	t.Helper()
	requireTool(t, "jq")
	dir := t.TempDir()
	g := &guestScripts{t: t, dir: dir, run: filepath.Join(dir, "run"), gc: filepath.Join(dir, "gcroots"), state: filepath.Join(dir, "xl")}
	for _, d := range []string{filepath.Join(dir, "bin"), filepath.Join(g.state, "dom")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "xl"), []byte(fakeXL), 0o755); err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("/run/xennix/guests", g.run, "/nix/var/nix/gcroots/xennix", g.gc, "/var/lib/xen/images", filepath.Join(dir, "images"))
	g.scripts = map[string]string{}
	for k, s := range h.unitScripts[unit] {
		g.scripts[k] = r.Replace(s)
	}
	if len(g.scripts) != 3 {
		t.Fatalf("%s: scripts %v, want preStart, preStop and postStop", unit, g.scripts)
	}
	return g
}

// exec runs one script as systemd would (bash -e, the unit's PATH) and returns its exit
// status and stderr.
func (g *guestScripts) exec(which string) (int, string) {
	g.t.Helper()
	cmd := exec.Command("bash", "-e", "-c", g.scripts[which])
	cmd.Env = append(os.Environ(), "FAKEXL="+g.state, "PATH="+filepath.Join(g.dir, "bin")+":"+os.Getenv("PATH"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	}
	g.t.Fatalf("%s: %v", which, err)
	return -1, ""
}

func (g *guestScripts) domain(name, uuid string) {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(g.state, "dom", name), []byte(uuid), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *guestScripts) exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// calls returns the xl calls since the last one and forgets them.
func (g *guestScripts) calls() []string {
	g.t.Helper()
	p := filepath.Join(g.state, "log")
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		g.t.Fatal(err)
	}
	os.Remove(p)
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" && !strings.HasPrefix(l, "xl list") && !strings.HasPrefix(l, "xl domid") {
			out = append(out, l)
		}
	}
	return out
}

// TestGuestUnitScripts runs the web guest's ExecStartPre, ExecStop and ExecStopPost scripts
// against a fake xl: the unit only ever shuts down or destroys the domain it started, refuses
// to start beside a hand-made domain of the same name, creates its volume once, and keeps
// the booted-cfg link and the GC root while it runs.
func TestGuestUnitScripts(t *testing.T) {
	hosts := evalGuests(t, "shim")
	h := hosts["example"]
	var m manifest
	if err := json.Unmarshal(h.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	web := m.Guests["web"]
	other := "11111111-2222-5333-8444-555555555555"

	t.Run("start, shut down, clean up", func(t *testing.T) {
		g := newGuestScripts(t, h, "xen-guest-web")
		if code, errs := g.exec("preStart"); code != 0 {
			t.Fatalf("preStart = %d (%s), want 0", code, errs)
		}
		marker, _ := os.ReadFile(filepath.Join(g.run, "web.uuid"))
		if strings.TrimSpace(string(marker)) != web.UUID {
			t.Errorf("marker = %q, want the cfg's uuid %s", marker, web.UUID)
		}
		if l, _ := os.Readlink(filepath.Join(g.run, "web.booted.cfg")); l != web.ConfigFile {
			t.Errorf("booted cfg link -> %q, want %s", l, web.ConfigFile)
		}
		if l, _ := os.Readlink(filepath.Join(g.gc, "web-booted")); l != web.ConfigFile {
			t.Errorf("GC root -> %q, want %s", l, web.ConfigFile)
		}
		vol := filepath.Join(g.dir, "images", "web-var.img")
		fi, err := os.Stat(vol)
		if err != nil || fi.Size() != 10<<30 {
			t.Fatalf("volume %s: %v, size %v; want a 10G sparse file", vol, err, fi)
		}
		if err := os.WriteFile(vol, []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
		g.calls()
		g.domain("web", web.UUID) // xl create -F started it
		if code, errs := g.exec("preStop"); code != 0 {
			t.Fatalf("preStop = %d (%s)", code, errs)
		}
		if got := g.calls(); !slices.Equal(got, []string{"xl shutdown -w -F web"}) {
			t.Errorf("preStop calls %q, want a graceful shutdown only", got)
		}
		if code, _ := g.exec("postStop"); code != 0 || g.exists(filepath.Join(g.run, "web.uuid")) || g.exists(filepath.Join(g.gc, "web-booted")) || g.exists(filepath.Join(g.run, "web.booted.cfg")) {
			t.Errorf("postStop = %d; marker, GC root or booted link left behind", code)
		}
		if got := g.calls(); len(got) != 0 {
			t.Errorf("postStop with the domain gone calls %q, want none", got)
		}
		// A second start keeps the volume as it is.
		if code, errs := g.exec("preStart"); code != 0 {
			t.Fatalf("second preStart = %d (%s)", code, errs)
		}
		if b, _ := os.ReadFile(vol); string(b) != "data" {
			t.Errorf("second start rewrote the volume: %q", b)
		}
	})

	t.Run("shutdown fails: destroy", func(t *testing.T) {
		g := newGuestScripts(t, h, "xen-guest-web")
		g.exec("preStart")
		g.domain("web", web.UUID)
		os.WriteFile(filepath.Join(g.state, "noshutdown"), nil, 0o644)
		g.calls()
		if code, _ := g.exec("preStop"); code != 0 {
			t.Errorf("preStop = %d, want 0", code)
		}
		if got := g.calls(); !slices.Equal(got, []string{"xl shutdown -w -F web", "xl destroy web"}) {
			t.Errorf("preStop calls %q, want shutdown then destroy", got)
		}
	})

	for _, tc := range []struct{ name, uuid string }{
		{"a hand-made domain of the same name", other},
		{"a hand-made domain from the same cfg", web.UUID},
	} {
		t.Run(tc.name+" is never touched", func(t *testing.T) {
			g := newGuestScripts(t, h, "xen-guest-web")
			g.domain("web", tc.uuid)
			code, errs := g.exec("preStart")
			if code != 3 || !strings.Contains(errs, "did not start") {
				t.Errorf("preStart = %d (%q), want 3 and a message", code, errs)
			}
			if g.exists(filepath.Join(g.run, "web.uuid")) {
				t.Errorf("preStart wrote the marker beside a domain it did not start")
			}
			g.exec("preStop")
			g.exec("postStop")
			if got := g.calls(); len(got) != 0 {
				t.Errorf("the unit's scripts called %q on a domain it did not start", got)
			}
			if !g.exists(filepath.Join(g.state, "dom", "web")) {
				t.Errorf("the hand-made domain is gone")
			}
		})
	}

	t.Run("a domain left by an earlier run is destroyed first", func(t *testing.T) {
		g := newGuestScripts(t, h, "xen-guest-web")
		g.exec("preStart")
		g.domain("web", web.UUID)
		g.calls()
		if code, errs := g.exec("preStart"); code != 0 {
			t.Fatalf("preStart = %d (%s)", code, errs)
		}
		if got := g.calls(); !slices.Equal(got, []string{"xl destroy web"}) {
			t.Errorf("preStart calls %q, want the leftover destroyed", got)
		}
	})

	t.Run("after its domain died, a new hand-made one is left alone", func(t *testing.T) {
		g := newGuestScripts(t, h, "xen-guest-web")
		g.exec("preStart")
		g.domain("web", other)
		g.calls()
		g.exec("preStop")
		g.exec("postStop")
		if got := g.calls(); len(got) != 0 {
			t.Errorf("calls %q on someone else's domain", got)
		}
		if g.exists(filepath.Join(g.run, "web.uuid")) {
			t.Errorf("postStop left the marker")
		}
	})

	t.Run("PCI devices are made assignable once", func(t *testing.T) {
		g := newGuestScripts(t, h, "xen-guest-win")
		g.exec("preStart")
		if got := g.calls(); !slices.Equal(got, []string{"xl pci-assignable-list", "xl pci-assignable-add 0000:03:00.0"}) {
			t.Errorf("first start calls %q", got)
		}
		g.exec("postStop")
		g.calls()
		g.exec("preStart")
		if got := g.calls(); !slices.Equal(got, []string{"xl pci-assignable-list"}) {
			t.Errorf("second start calls %q, want no second pci-assignable-add", got)
		}
	})
}

// TestGuestWriterRefusals declares guests whose values would become xl syntax (a key, a
// float, a control character, a comma injected into a vif or disk value, a PCI spec in a
// BDF): rendering their cfg must fail with the writer's message naming the option.
func TestGuestWriterRefusals(t *testing.T) {
	nix := requireTool(t, "nix-instantiate")
	tests := []struct{ refuse, want string }{
		{"key", `xennix xl.cfg: xennix.guests.evil: "Bad-Key" is not an xl.cfg key`},
		{"float", `xennix xl.cfg: xennix.guests.evil.shadow_memory: want a string, an integer or a boolean, got a float`},
		{"control", `xennix xl.cfg: xennix.guests.evil.cmdline: "a\u0007b" holds a control character`},
		{"vif", `xennix xl.cfg: xennix.guests.evil.network.0.mac: "00:16:3e:00:00:01,script=/tmp/evil" holds a comma`},
		{"bridge", `xennix xl.cfg: xennix.guests.evil.network.0.bridge: "xenbr0,script=/tmp/evil" holds a comma`},
		{"vdev", `xennix xl.cfg: xennix.guests.evil.disks.0.vdev: "xvdb,target=/etc/shadow" holds a comma`},
		{"pci", `xennix xl.cfg: xennix.guests.evil.pci: "0000:03:00.0,seize=1" is not a PCI address`},
	}
	for _, tc := range tests {
		t.Run(tc.refuse, func(t *testing.T) {
			out, err := run(t, "", nil, nix, "--eval", "--strict", "--json", "nixos/tests/guests-eval.nix", "--argstr", "refuse", tc.refuse)
			if err == nil {
				t.Fatalf("rendering succeeded: %s", out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestGuestUnitScriptsAfterUUIDChange: a guest kept running on an older cfg (restartIfChanged
// = false) whose uuid changed since is still the unit's own domain, found by the uuid it
// booted with.
func TestGuestUnitScriptsAfterUUIDChange(t *testing.T) {
	h := evalGuests(t, "shim")["example"]
	g := newGuestScripts(t, h, "xen-guest-legacy")
	if code, errs := g.exec("preStart"); code != 0 {
		t.Fatalf("preStart = %d (%s)", code, errs)
	}
	old := "99999999-8888-5777-8666-555555555555"
	if err := os.WriteFile(filepath.Join(g.run, "legacy.uuid"), []byte(old+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g.domain("legacy", old)
	g.calls()
	g.exec("preStop")
	if got := g.calls(); !slices.Equal(got, []string{"xl shutdown -w -F legacy"}) {
		t.Errorf("preStop calls %q, want the booted domain shut down", got)
	}
}
