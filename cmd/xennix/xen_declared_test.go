package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xennix/xennix/internal/xenvm"
)

// declaredGuest is a PV NixOS guest as an operator declares it. Its cfg, unit and scripts
// are what the guests module makes of it (assets/nixos/tests/guests-eval.nix with the lib
// shim: no nixpkgs here, so the guest's NixOS system is the stub's, whose store paths the
// test fills in dom0 with the harness's kernel and busybox initramfs).
const declaredGuest = `{
  xennix.xen.hvm = false;
  xennix.guests.pvtest = {
    kind = "nixos";
    memory = 128;
    network = [ { bridge = "xenbr0"; mac = "00:16:3e:00:00:07"; } ];
    shutdownTimeout = 30;
    # The harness's dom0 cannot attach disks (Xen's block hotplug script fails there), so
    # the store image is left out; everything else is the module's own.
    extraConfig.disk = [ ];
  };
}
`

// moduleUnit is the part of a systemd.services entry guests-eval.nix prints.
type moduleUnit struct {
	Description   string         `json:"description"`
	After         []string       `json:"after"`
	Requires      []string       `json:"requires"`
	UnitConfig    map[string]any `json:"unitConfig"`
	ServiceConfig map[string]any `json:"serviceConfig"`
	PreStart      string         `json:"preStart"`
	PreStop       string         `json:"preStop"`
	PostStop      string         `json:"postStop"`
	Path          []string       `json:"path"`
}

// evalDeclaredGuest evaluates declaredGuest with the guests module and returns the cfg's
// text and the unit.
func evalDeclaredGuest(t *testing.T) (string, moduleUnit) {
	t.Helper()
	nix, err := exec.LookPath("nix-instantiate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nix-instantiate is required in CI: %v", err)
		}
		t.Skip(err)
	}
	file := filepath.Join(t.TempDir(), "guests.nix")
	if err := os.WriteFile(file, []byte(declaredGuest), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(nix, "--eval", "--strict", "--json", "nixos/tests/guests-eval.nix", "--argstr", "file", file)
	cmd.Dir = "../../assets"
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("evaluate the guests module: %v\n%s", err, stderr.String())
	}
	var res struct {
		FailedAssertions []string              `json:"failedAssertions"`
		Cfgs             map[string]string     `json:"cfgs"`
		Units            map[string]moduleUnit `json:"units"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.FailedAssertions) > 0 {
		t.Fatalf("the declaration fails the module's assertions: %q", res.FailedAssertions)
	}
	cfg, ok := res.Cfgs["xen/xennix/pvtest.cfg"]
	u, ok2 := res.Units["xen-guest-pvtest"]
	if !ok || !ok2 {
		t.Fatalf("no cfg or unit for pvtest: cfgs %v, units %v", res.Cfgs, res.Units)
	}
	return cfg, u
}

// systemdUnit writes the module's unit as NixOS would (ExecStartPre, ExecStop and
// ExecStopPost from preStart, preStop and postStop; PATH from path), with the store's
// packages mapped to dom0's own programs.
func systemdUnit(u moduleUnit, scripts string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\n", u.Description)
	// DefaultDependencies=no, as the harness's own units: sysinit.target would start
	// Debian's tmpfiles under the running scripts.
	b.WriteString("DefaultDependencies=no\n")
	// Only the Xen units dom0 has (no xendomains or QEMU disk backend in the harness).
	for _, a := range u.After {
		if a == "xenstored.service" || a == "xenconsoled.service" || a == "xen-init-dom0.service" {
			fmt.Fprintf(&b, "After=%s\n", a)
		}
	}
	b.WriteString("Requires=xenstored.service\n")
	keys := make([]string, 0, len(u.UnitConfig))
	for k := range u.UnitConfig {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v\n", k, u.UnitConfig[k])
	}
	b.WriteString("[Service]\n")
	keys = keys[:0]
	for k := range u.ServiceConfig {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v\n", k, u.ServiceConfig[k])
	}
	fmt.Fprintf(&b, "Environment=PATH=/usr/sbin:/usr/bin:/usr/lib/xen-4.17/bin:/bin\n")
	fmt.Fprintf(&b, "ExecStartPre=/bin/bash %s/prestart.sh\nExecStop=/bin/bash %s/prestop.sh\nExecStopPost=/bin/bash %s/poststop.sh\n", scripts, scripts, scripts)
	b.WriteString("StandardOutput=append:/var/log/xen/xen-guest-pvtest.out\nStandardError=inherit\n")
	return b.String()
}

// TestXenVMDeclaredGuest boots a guest the guests module rendered — its xl.cfg byte for
// byte as the module's writer wrote it — with the unit the module declares (xl create -F),
// reads its console, and stops it with the unit's own stop command.
func TestXenVMDeclaredGuest(t *testing.T) {
	needXenVM(t)
	cfg, u := evalDeclaredGuest(t)
	const store = "/nix/store/00000000000000000000000000000000-"
	cfgPath := store + "xl-pvtest.cfg"
	if !strings.Contains(fmt.Sprint(u.ServiceConfig["ExecStart"]), "xl create -F "+cfgPath) {
		t.Fatalf("ExecStart = %v, want xl create -F %s", u.ServiceConfig["ExecStart"], cfgPath)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unit := systemdUnit(u, "/etc/xennix-test")
	files := map[string]string{
		write("pvtest.cfg", cfg):                cfgPath,
		write("prestart.sh", u.PreStart):        "/etc/xennix-test/prestart.sh",
		write("prestop.sh", u.PreStop):          "/etc/xennix-test/prestop.sh",
		write("poststop.sh", u.PostStop):        "/etc/xennix-test/poststop.sh",
		write("unit", unit):                     "/etc/systemd/system/xen-guest-pvtest.service",
		write("declaration.nix", declaredGuest): "/etc/xennix-test/declaration.nix",
	}
	// The store paths the cfg names: the guest system's kernel and initrd (the harness's),
	// and the xl of ExecStart.
	storeFill := "mkdir -p " + store + "nixos-system-pvtest " + store + "xen/bin\n" +
		"cp /guest/vmlinuz " + store + "nixos-system-pvtest/kernel\n" +
		"cp /guest/initrd.cpio " + store + "nixos-system-pvtest/initrd\n" +

		"ln -sfn /usr/lib/xen-4.17/bin/xl " + store + "xen/bin/xl\n"
	start := "systemctl daemon-reload || exit 1\n" +
		"systemctl --no-block start xen-guest-pvtest.service || exit 1\n" +
		"end=$(( $(cut -d. -f1 /proc/uptime) + 120 )); while ! grep -q XENVM-GUEST-UP /var/log/xen/guest-pvtest.log 2>/dev/null && [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do sleep 1; done\n" +
		"systemctl is-active xen-guest-pvtest.service; xl list; cat /run/xennix/guests/pvtest.uuid; readlink /run/xennix/guests/pvtest.booted.cfg\n" +
		"grep -q XENVM-GUEST-UP /var/log/xen/guest-pvtest.log || { systemctl status --no-pager xen-guest-pvtest.service; cat /var/log/xen/xen-guest-pvtest.out /var/log/xen/xl-*.log; exit 1; }\n"
	stop := "timeout 150 systemctl stop xen-guest-pvtest.service; echo rc=$?\n" +
		"systemctl is-active xen-guest-pvtest.service; xl list; ls /run/xennix/guests/\n"
	res, err := xenvm.Boot(context.Background(), xenvm.Options{
		Files:    files,
		Packages: []string{"jq"},
		Modules:  []string{"dummy"},
		Steps: []xenvm.Step{
			{Name: "bridge", Script: xenBridge},
			{Name: "store", Script: storeFill},
			{Name: "start", Script: start, Timeout: 3 * time.Minute},
			{Name: "console", Script: "cat /var/log/xen/guest-pvtest.log"},
			{Name: "stop", Script: stop, Timeout: 3 * time.Minute},
		},
		Timeout: 10 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot %s, total %s", res.BootTime, res.Total)
	step := func(name string) xenvm.StepResult {
		t.Helper()
		s, ok := res.Step(name)
		if !ok {
			t.Fatalf("no result for step %s", name)
		}
		t.Logf("step %s: exit %d in %s\n%s", s.Name, s.ExitCode, s.Duration, s.Output)
		return s
	}
	for _, n := range []string{"bridge", "store", "start"} {
		if s := step(n); s.ExitCode != 0 {
			t.Fatalf("%s: exit %d", n, s.ExitCode)
		}
	}
	started := step("start").Output
	if !strings.Contains(started, "active") || !strings.Contains(started, "pvtest ") || !strings.Contains(started, cfgPath) {
		t.Errorf("after start: want the unit active, pvtest in xl list and the booted link to %s:\n%s", cfgPath, started)
	}
	if c := step("console"); !strings.Contains(c.Output, "XENVM-GUEST-UP") {
		t.Errorf("the guest's console shows no boot:\n%s", c.Output)
	}
	s := step("stop")
	if !strings.Contains(s.Output, "rc=0") || strings.Contains(s.Output, "pvtest ") || strings.Contains(s.Output, "pvtest.uuid") {
		t.Errorf("after the unit's stop: want rc=0, pvtest gone from xl list and its marker removed:\n%s", s.Output)
	}
}
