package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/internal/xenvm"
)

// The Xen tests boot a real Xen 4.17 with a Debian dom0 under QEMU (internal/xenvm) and
// run the xennix binary in it. Run only them with: go test -run TestXenVM ./cmd/xennix

// needXenVM skips outside CI when this machine cannot boot the VM, and fails in CI.
func needXenVM(t *testing.T) {
	t.Helper()
	if err := xenvm.Prerequisites(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("required in CI: %v", err)
		}
		t.Skipf("%v", err)
	}
}

// buildXennix builds the binary that ships, statically (dom0 has Debian's libc, but a
// static binary needs nothing of it).
func buildXennix(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xennix")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// xenBridge makes xenbr0 as a XenNix host has it: a bridge, up, with an uplink (a dummy
// NIC: the VM has no network card, so nothing leaves it).
const xenBridge = `ip link add eth9 type dummy && ip link add xenbr0 type bridge &&
ip link set eth9 master xenbr0 && ip link set eth9 up && ip link set xenbr0 up || exit 1
for i in $(seq 50); do [ "$(cat /sys/class/net/xenbr0/operstate)" = up ] && exit 0; sleep 0.1; done
echo "xenbr0 is $(cat /sys/class/net/xenbr0/operstate)"; exit 1
`

// guestCfg is the xl.cfg of the PV guest: the Debian kernel and the harness's busybox
// initramfs, on xenbr0.
const guestCfg = `name = "xnguest"
type = "pv"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.cpio"
extra = "console=hvc0 quiet"
memory = 128
vif = [ "bridge=xenbr0,mac=00:16:3e:00:00:01" ]
`

// guestScript starts the guest with xl create, waits for its console to show that its
// script ran, checks its vif is a port of xenbr0, shuts it down and waits until xl list
// no longer has it.
const guestScript = `cat > /etc/xen/xnguest.cfg <<'CFG'
` + guestCfg + `CFG
# libxl waits 10 s for the vif backend; under TCG on a loaded machine that can run out.
if ! xl create /etc/xen/xnguest.cfg; then
	echo "xenvm-test: xl create failed once, retrying"; sleep 2
	xl create /etc/xen/xnguest.cfg || exit 1
fi
id=$(xl domid xnguest) || exit 1
log=/var/log/xen/guest-xnguest.log
for i in $(seq 240); do grep -q XENVM-GUEST-RC $log 2>/dev/null && break; sleep 0.5; done
echo "== console"; cat $log
echo "== bridge ports"; ls /sys/class/net/xenbr0/brif
echo "== list"; xl list
echo "== shutdown"; xl shutdown -w xnguest || exit 1
for i in $(seq 100); do xl list | grep -q '^xnguest ' || break; sleep 0.2; done
echo "== after"; xl list
echo "domid $id"
`

// TestXenVMHost boots Xen once and runs, in order: verify on a dom0 set up like a XenNix
// host, probe beside xl info, a PV guest on xenbr0, then verify with each piece taken
// away (xenconsoled stopped, then killed; the bridge without ports; no bridge; xenstored
// stopped).
func TestXenVMHost(t *testing.T) {
	needXenVM(t)
	bin := buildXennix(t)
	verify := "xennix verify; echo \"rc=$?\""
	res, err := xenvm.Boot(context.Background(), xenvm.Options{
		Files:   map[string]string{bin: "/usr/bin/xennix"},
		Modules: []string{"dummy"},
		Guest:   xenvm.Guest{Script: "echo guest says hello; cat /sys/class/net/eth0/address"},
		Steps: []xenvm.Step{
			{Name: "bridge", Script: xenBridge},
			{Name: "verify", Script: verify},
			{Name: "probe", Script: "xennix probe --json"},
			{Name: "xlinfo", Script: "xl info; echo; grep MemTotal /proc/meminfo"},
			{Name: "guest", Script: guestScript, Timeout: 3 * time.Minute},
			{Name: "no-xenconsoled", Script: "systemctl stop xenconsoled.service && " + verify + "; systemctl start xenconsoled.service"},
			// A daemon that died: systemd marks its unit failed.
			{Name: "xenconsoled-killed", Script: "kill -9 $(pidof xenconsoled) && sleep 0.5 && " + verify + "; systemctl start xenconsoled.service"},
			{Name: "no-ports", Script: "ip link set eth9 nomaster && " + verify + "; ip link set eth9 master xenbr0"},
			{Name: "no-bridge", Script: "ip link del xenbr0 && " + verify + "\n(ip link del eth9; " + xenBridge + ")"},
			{Name: "no-xenstored", Script: "systemctl stop xenstored.service && " + verify, Timeout: time.Minute},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot %s, total %s", res.BootTime, res.Total)
	for _, s := range res.Steps {
		t.Logf("step %-18s exit %d in %s", s.Name, s.ExitCode, s.Duration)
	}
	step := func(name string) xenvm.StepResult {
		s, ok := res.Step(name)
		if !ok {
			t.Fatalf("no result for step %s", name)
		}
		return s
	}
	if s := step("bridge"); s.ExitCode != 0 {
		t.Fatalf("bridge setup: exit %d:\n%s", s.ExitCode, s.Output)
	}

	t.Run("verify", func(t *testing.T) {
		out := step("verify").Output
		for _, want := range []string{
			"ok   hypervisor             Xen dom0 (control_d)",
			"ok   xl info                Xen 4.17.",
			"ok   xenstored.service      active",
			"ok   xenconsoled.service    active",
			"ok   bridge                 xenbr0 up with eth9",
			"verdict: this host is a working Xen dom0",
			"rc=0",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("xennix verify on a XenNix-like dom0: no %q in\n%s", want, out)
			}
		}
	})

	t.Run("verify fails", func(t *testing.T) {
		for _, tc := range []struct {
			step string
			want []string
		}{
			{"no-xenconsoled", []string{"FAIL xenconsoled.service    not active"}},
			{"xenconsoled-killed", []string{"FAIL xenconsoled.service    not active"}},
			{"no-ports", []string{"FAIL bridge                 xenbr0 has no ports"}},
			{"no-bridge", []string{"FAIL bridge                 xenbr0 does not exist"}},
			// xenconsoled.service Requires xenstored.service (as upstream's does): systemd
			// stops both.
			{"no-xenstored", []string{"FAIL xenstored.service      not active", "FAIL xenconsoled.service    not active"}},
		} {
			out := step(tc.step).Output
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: xennix verify output lacks %q:\n%s", tc.step, w, out)
				}
			}
			if !strings.Contains(out, "NOT a working Xen dom0") || !strings.Contains(out, "rc=1") {
				t.Errorf("%s: xennix verify output lacks the NOT verdict or rc=1:\n%s", tc.step, out)
			}
			if n := strings.Count(out, "FAIL"); n != len(tc.want) {
				t.Errorf("%s: %d failed checks, want %d:\n%s", tc.step, n, len(tc.want), out)
			}
		}
	})

	t.Run("probe", func(t *testing.T) {
		p := step("probe")
		var rep hwdetect.Report
		if err := json.Unmarshal([]byte(p.Output), &rep); err != nil || p.ExitCode != 0 {
			t.Fatalf("xennix probe --json: exit %d, %v:\n%s", p.ExitCode, err, p.Output)
		}
		xl := parseColonLines(step("xlinfo").Output)
		if rep.Hypervisor != hwdetect.HypervisorXenDom0 || rep.HypervisorVendor != "Xen" {
			t.Errorf("probe hypervisor = %s %q, want xen-dom0 Xen", rep.Hypervisor, rep.HypervisorVendor)
		}
		if rep.Xen == nil {
			t.Fatalf("probe has no xen section:\n%s", p.Output)
		}
		if rep.Xen.Version != xl["xen_version"] || !strings.HasPrefix(rep.Xen.Version, "4.17.") {
			t.Errorf("probe xen_version = %q, xl info says %q", rep.Xen.Version, xl["xen_version"])
		}
		if got := strconv.FormatUint(rep.Xen.TotalMemoryMiB, 10); got != xl["total_memory"] {
			t.Errorf("probe total_memory_mib = %s, xl info says %s", got, xl["total_memory"])
		}
		if rep.Xen.VirtCaps != xl["virt_caps"] {
			t.Errorf("probe virt_caps = %q, xl info says %q", rep.Xen.VirtCaps, xl["virt_caps"])
		}
		// QEMU's machine has no IOMMU: Xen's virt_caps lacks hvm_directio.
		wantIOMMU := strings.Contains(xl["virt_caps"], "hvm_directio")
		if rep.IOMMU.Active != wantIOMMU || rep.IOMMU.Source != "xl-info" {
			t.Errorf("probe iommu = active %v from %q, want %v from xl-info (virt_caps %q)", rep.IOMMU.Active, rep.IOMMU.Source, wantIOMMU, xl["virt_caps"])
		}
		// dom0's memory: its kernel's MemTotal, within dom0_mem=768M.
		memKiB, _ := strconv.ParseUint(strings.TrimSuffix(xl["MemTotal"], " kB"), 10, 64)
		if rep.Memory.KernelBytes != memKiB*1024 || rep.Memory.KernelBytes > 768<<20 || rep.Memory.KernelBytes < 512<<20 {
			t.Errorf("probe kernel_bytes = %d, dom0's MemTotal is %d kB (dom0_mem=768M)", rep.Memory.KernelBytes, memKiB)
		}
		if rep.Memory.TotalBytes != rep.Xen.TotalMemoryMiB<<20 {
			t.Errorf("probe total_bytes = %d, want xl info's total_memory %d MiB", rep.Memory.TotalBytes, rep.Xen.TotalMemoryMiB)
		}
	})

	t.Run("guest", func(t *testing.T) {
		g := step("guest")
		out := g.Output
		if g.ExitCode != 0 {
			t.Fatalf("guest script: exit %d:\n%s", g.ExitCode, out)
		}
		console := section(out, "console")
		for _, want := range []string{"XENVM-GUEST-UP", "guest says hello", "00:16:3e:00:00:01", "XENVM-GUEST-RC 0"} {
			if !strings.Contains(console, want) {
				t.Errorf("guest console log lacks %q:\n%s", want, console)
			}
		}
		domid := strings.TrimSpace(out[strings.LastIndex(out, "domid ")+len("domid "):])
		if ports := section(out, "bridge ports"); !strings.Contains(ports, "vif"+domid+".0") {
			t.Errorf("xenbr0 ports = %q, want vif%s.0", ports, domid)
		}
		if !strings.Contains(section(out, "list"), "xnguest ") {
			t.Errorf("xl list while running lacks xnguest:\n%s", section(out, "list"))
		}
		if after := section(out, "after"); strings.Contains(after, "xnguest") || !strings.Contains(after, "Domain-0") {
			t.Errorf("xl list after shutdown still has xnguest (or lost Domain-0):\n%s", after)
		}
	})
}

// TestXenVMNoHypervisor boots the same kernel and root without Xen: what a machine shows
// that booted NixOS without the hypervisor.
func TestXenVMNoHypervisor(t *testing.T) {
	needXenVM(t)
	bin := buildXennix(t)
	res, err := xenvm.Boot(context.Background(), xenvm.Options{
		NoXen: true,
		Files: map[string]string{bin: "/usr/bin/xennix"},
		Steps: []xenvm.Step{
			{Name: "verify", Script: "xennix verify; echo \"rc=$?\""},
			{Name: "probe", Script: "xennix probe --json"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := res.Step("verify")
	for _, want := range []string{"FAIL hypervisor             not running on Xen", "NOT a working Xen dom0", "rc=1"} {
		if !strings.Contains(v.Output, want) {
			t.Errorf("xennix verify without Xen: no %q in\n%s", want, v.Output)
		}
	}
	p, _ := res.Step("probe")
	var rep hwdetect.Report
	if err := json.Unmarshal([]byte(p.Output), &rep); err != nil {
		t.Fatalf("xennix probe --json: %v:\n%s", err, p.Output)
	}
	if rep.Xen != nil || rep.Hypervisor == hwdetect.HypervisorXenDom0 || rep.Hypervisor == hwdetect.HypervisorXenDomU {
		t.Errorf("probe without Xen: hypervisor %s, xen %+v; want no Xen", rep.Hypervisor, rep.Xen)
	}
}

// parseColonLines reads "key : value" lines (xl info, /proc/meminfo).
func parseColonLines(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// section returns the lines after "== name" up to the next "== " line.
func section(out, name string) string {
	_, rest, ok := strings.Cut(out, "== "+name+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n== "); i >= 0 {
		rest = rest[:i+1]
	}
	return rest
}
