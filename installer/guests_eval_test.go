package installer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xennix/xennix/guests"
)

// evalGeneratedGuests evaluates a tree's generated xennix/guests.nix with the guests module
// itself (assets/nixos/tests/guests-eval.nix, lib shim), as the host would, and returns the
// failed assertions and the manifest the module writes for it.
func evalGeneratedGuests(t *testing.T, etc string, a Answers) ([]string, guests.Manifest) {
	failed, m, _ := evalGeneratedGuestCfgs(t, etc, a)
	return failed, m
}

// evalGeneratedGuestCfgs is evalGeneratedGuests that also returns the xl.cfg files the
// module writes, by path under /etc (xen/xennix/web.cfg).
func evalGeneratedGuestCfgs(t *testing.T, etc string, a Answers) ([]string, guests.Manifest, map[string]string) {
	t.Helper()
	nix := nixInstantiate(t)
	pj, _ := json.Marshal(a.Passthrough())
	path := a.Storage.Guests.Path
	if path == "" {
		path = "/var/lib/xen/images"
	}
	storage := fmt.Sprintf(`{ kind = %q; path = %q; thinPool = "vg0/thinpool"; zvolParent = "rpool/guests"; }`, a.GuestKind(), path)
	cmd := exec.Command(nix, "--eval", "--strict", "--json", "../assets/nixos/tests/guests-eval.nix",
		"--arg", "file", filepath.Join(etc, GuestsFile),
		"--arg", "passthrough", "builtins.fromJSON ''"+string(pj)+"''",
		"--arg", "storage", storage)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("evaluate %s with the guests module: %v\n%s", GuestsFile, err, stderr.String())
	}
	var res struct {
		FailedAssertions []string          `json:"failedAssertions"`
		Manifest         json.RawMessage   `json:"manifest"`
		Cfgs             map[string]string `json:"cfgs"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	m, err := guests.ParseManifest(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	return res.FailedAssertions, m, res.Cfgs
}

// TestGeneratedGuestsEvaluate renders the example's guests and each xennix-setup guest edit,
// evaluates the result with the guests module, and checks that no assertion fails and that
// the manifest (what `xennix guest list` reads) holds what the answers say.
func TestGeneratedGuestsEvaluate(t *testing.T) {
	type tree struct {
		name string
		etc  string
		a    Answers
	}
	var trees []tree
	root, _ := installedTree(t, "guests-thinpool")
	a, _, _ := examplePlan(t, "guests-thinpool", PlanOptions{Inputs: testInputs, HostModules: testModules})
	trees = append(trees, tree{"install/guests-thinpool", filepath.Join(root, "etc/nixos"), a})
	for _, e := range setupEdits {
		if !strings.Contains(e.name, "guest") {
			continue
		}
		root, rep := installedTree(t, setupExample)
		h, err := LoadHost(root, rep)
		if err != nil {
			t.Fatal(err)
		}
		next := h.Answers
		e.edit(&next)
		if _, err := h.Apply(t.Context(), next, true, &rebuildRunner{}); err != nil {
			t.Fatal(err)
		}
		trees = append(trees, tree{"setup/" + e.name, filepath.Join(root, "etc/nixos"), next})
	}
	for _, tr := range trees {
		t.Run(tr.name, func(t *testing.T) {
			failed, m, cfgs := evalGeneratedGuestCfgs(t, tr.etc, tr.a)
			for _, f := range failed {
				t.Errorf("failed assertion: %s", f)
			}
			var want []string
			for _, g := range tr.a.Guests {
				if boolOr(g.Enable, true) {
					want = append(want, g.Name)
				}
			}
			slices.Sort(want)
			if got := m.Names(); !slices.Equal(got, want) {
				t.Fatalf("manifest guests %v, want %v", got, want)
			}
			for _, g := range tr.a.Guests {
				e := m.Guests[g.Name]
				mg := g.Model()
				if mem := max(mg.Memory, 1024); e.Memory != mem {
					t.Errorf("%s: manifest memory %d, want %d", g.Name, e.Memory, mem)
				}
				if v := max(mg.VCPUs, 1); e.VCPUs != v {
					t.Errorf("%s: manifest vcpus %d, want %d", g.Name, e.VCPUs, v)
				}
				if e.Kind != mg.Kind || e.Autostart != mg.Autostart || e.RestartIfChanged != mg.RestartIfChanged {
					t.Errorf("%s: manifest kind %s autostart %v restartIfChanged %v, want %s %v %v", g.Name, e.Kind, e.Autostart, e.RestartIfChanged, mg.Kind, mg.Autostart, mg.RestartIfChanged)
				}
				var pci []string
				for _, p := range g.PCI {
					pci = append(pci, p.String())
				}
				if !slices.Equal(e.PCI, pci) && (len(e.PCI) > 0 || len(pci) > 0) {
					t.Errorf("%s: manifest pci %v, want %v", g.Name, e.PCI, pci)
				}
				for i, n := range g.Network {
					if i >= len(e.Interfaces) {
						t.Errorf("%s: manifest has %d interfaces, want %d", g.Name, len(e.Interfaces), len(g.Network))
						break
					}
					got := e.Interfaces[i]
					if !n.MAC.IsZero() && got.MAC != n.MAC.String() {
						t.Errorf("%s: interface %d MAC %s, want %s", g.Name, i, got.MAC, n.MAC)
					}
					if n.IPv4.Address.IsValid() && (got.IPv4 == nil || netip.MustParsePrefix(*got.IPv4) != n.IPv4.Address) {
						t.Errorf("%s: interface %d address %v, want %s", g.Name, i, got.IPv4, n.IPv4.Address)
					}
				}
				// extra_config reaches the xl.cfg, once, as the answers give it.
				cfg := cfgs["xen/xennix/"+g.Name+".cfg"]
				for k, v := range g.ExtraConfig {
					line := k + " = " + v.String() + "\n"
					if strings.Count(cfg, "\n"+k+" = ") != 1 || !strings.Contains(cfg, "\n"+line) {
						t.Errorf("%s: xl.cfg lacks %q once:\n%s", g.Name, line, cfg)
					}
				}
				var targets []string
				for _, d := range e.Disks {
					if d.Role == "disk" {
						targets = append(targets, d.Target)
					}
				}
				if len(targets) != len(g.Disks) {
					t.Errorf("%s: manifest disks %v, want %d", g.Name, targets, len(g.Disks))
				}
			}
		})
	}
}
