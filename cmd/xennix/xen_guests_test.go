package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xennix/xennix/guests"
	"github.com/xennix/xennix/internal/xenvm"
)

// vmGuestManifest declares one guest, xnguest, as the guests module writes the manifest
// (OPTIONS.md, "The manifest"): its unit, its cfg, the booted marker.
const vmGuestManifest = `{"version": 1, "guests": {"xnguest": {
  "kind": "image", "type": "pv", "uuid": "5e98cbc2-e141-5ea9-9ef7-3e51b9454e9c",
  "memory": 128, "maxMemory": 128, "vcpus": 1, "autostart": true, "restartIfChanged": true,
  "unit": "xen-guest-xnguest.service", "configFile": "/etc/xen/xennix/store-xl-xnguest.cfg",
  "link": "/etc/xen/xennix/xnguest.cfg", "booted": "/run/xennix/guests/xnguest.booted.cfg",
  "pci": [], "disks": [],
  "interfaces": [{"bridge": "xenbr0", "mac": "00:16:3e:00:00:01", "vlan": null, "ipv4": "192.0.2.20/24"}],
  "toplevel": null}}}`

// vmGuestUnit is the guest's unit as the module makes it, reduced to what Debian's dom0
// has (no jq): link the booted marker, xl create -F, shut down gracefully on stop, clean up.
// DefaultDependencies=no as the harness's units: sysinit.target would start Debian's
// tmpfiles and /tmp mount under the running scripts.
const vmGuestUnit = `[Unit]
Description=Xen guest xnguest (xennix.guests.xnguest)
DefaultDependencies=no
After=xenstored.service xenconsoled.service xen-init-dom0.service
Requires=xenstored.service
[Service]
Type=simple
Environment=PATH=/usr/sbin:/usr/bin:/usr/lib/xen-4.17/bin
ExecStartPre=/usr/bin/sh -c 'mkdir -p /run/xennix/guests && ln -sfn /etc/xen/xennix/store-xl-xnguest.cfg /run/xennix/guests/xnguest.booted.cfg'
ExecStart=/usr/lib/xen-4.17/bin/xl create -F /etc/xen/xennix/store-xl-xnguest.cfg
ExecStop=/usr/bin/sh -c 'timeout 120 xl shutdown -w -F xnguest || xl destroy xnguest'
ExecStopPost=/usr/bin/sh -c 'xl destroy xnguest 2>/dev/null; rm -f /run/xennix/guests/xnguest.booted.cfg'
TimeoutStopSec=150
KillMode=mixed
StandardOutput=append:/var/log/xen/xen-guest-xnguest.out
StandardError=inherit
`

// vmGuestCfg is a PV guest of the harness's kernel and busybox initramfs.
func vmGuestCfg(name, uuid, mac string) string {
	return `name = "` + name + `"
uuid = "` + uuid + `"
type = "pv"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.cpio"
extra = "console=hvc0 quiet"
memory = 128
vif = [ "bridge=xenbr0,mac=` + mac + `" ]
`
}

// waitDomain waits (at most about 100 s) until xl list has (or, with gone, no longer has)
// the domain, and says what it saw when it times out.
func waitDomain(name string, gone bool) string {
	cond := "xl list | grep -q '^" + name + " '"
	if gone {
		cond = "! " + cond
	}
	return "end=$(( $(cut -d. -f1 /proc/uptime) + 100 )); while ! " + cond + " && [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do sleep 1; done; " + cond +
		" || { echo 'timed out waiting for " + name + "'; xl list; systemctl status --no-pager xen-guest-xnguest.service; cat /var/log/xen/xen-guest-xnguest.out /var/log/xen/xl-*.log; exit 1; }\n"
}

// TestXenVMGuests runs `xennix guest list`, `stop` and `start` against a real Xen: a declared
// PV guest run by its unit (xl create -F), and an unmanaged one made with xl create, which
// list shows and stop refuses to touch.
func TestXenVMGuests(t *testing.T) {
	needXenVM(t)
	bin := buildXennix(t)
	files := "mkdir -p /etc/xen/xennix /etc/systemd/system\n" +
		"cat > /etc/xen/xennix/guests.json <<'XEOF'\n" + vmGuestManifest + "\nXEOF\n" +
		"cat > /etc/xen/xennix/store-xl-xnguest.cfg <<'XEOF'\n" + vmGuestCfg("xnguest", "5e98cbc2-e141-5ea9-9ef7-3e51b9454e9c", "00:16:3e:00:00:01") + "XEOF\n" +
		"ln -sfn /etc/xen/xennix/store-xl-xnguest.cfg /etc/xen/xennix/xnguest.cfg\n" +
		"cat > /etc/systemd/system/xen-guest-xnguest.service <<'XEOF'\n" + vmGuestUnit + "XEOF\n" +
		"cat > /etc/xen/handmade.cfg <<'XEOF'\n" + vmGuestCfg("handmade", "7b0c8d7e-1111-4222-8333-944455556666", "00:16:3e:00:00:02") + "XEOF\n"
	unit := "systemctl daemon-reload || exit 1\n" +
		// --no-block: the harness's scripts run inside a oneshot unit's start job.
		"systemctl --no-block start xen-guest-xnguest.service || exit 1\n" +
		waitDomain("xnguest", false) + "systemctl is-active xen-guest-xnguest.service\n"
	handmade := "xl create /etc/xen/handmade.cfg || { sleep 2; xl create /etc/xen/handmade.cfg || exit 1; }\n" + waitDomain("handmade", false)
	res, err := xenvm.Boot(context.Background(), xenvm.Options{
		Files:   map[string]string{bin: "/usr/bin/xennix"},
		Modules: []string{"dummy"},
		Steps: []xenvm.Step{
			{Name: "bridge", Script: xenBridge},
			{Name: "files", Script: files},
			{Name: "unit", Script: unit, Timeout: 3 * time.Minute},
			{Name: "handmade", Script: handmade, Timeout: 3 * time.Minute},
			{Name: "xl-list-l", Script: "xl list -l"},
			{Name: "list", Script: "xennix guest list"},
			{Name: "list-json", Script: "xennix guest list --json"},
			{Name: "stop", Script: "timeout 150 xennix guest stop xnguest; echo rc=$?; systemctl is-active xen-guest-xnguest.service; xl list", Timeout: 3 * time.Minute},
			{Name: "list-stopped", Script: "xennix guest list --json"},
			// A new domain is paused while it is built: wait until it runs.
			{Name: "start", Script: "timeout 150 xennix guest start xnguest; echo rc=$?\n" + waitDomain("xnguest", false) +
				"for i in $(seq 100); do xl list | awk '$1 == \"xnguest\" { print $5 }' | grep -q p || break; sleep 1; done\n" +
				"systemctl is-active xen-guest-xnguest.service", Timeout: 3 * time.Minute},
			{Name: "list-started", Script: "xennix guest list --json"},
			{Name: "stop-unmanaged", Script: "xennix guest stop handmade; echo rc=$?; xl list"},
		},
		Timeout: 12 * time.Minute,
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
		t.Logf("step %-15s exit %d in %s", s.Name, s.ExitCode, s.Duration)
		return s
	}
	for _, n := range []string{"bridge", "files", "unit", "handmade"} {
		if s := step(n); s.ExitCode != 0 {
			t.Fatalf("%s: exit %d:\n%s", n, s.ExitCode, s.Output)
		}
	}
	t.Logf("xl list -l of the real Xen:\n%s", step("xl-list-l").Output)
	list := func(name string) map[string]guests.Status {
		t.Helper()
		s := step(name)
		var st []guests.Status
		if err := json.Unmarshal([]byte(s.Output), &st); err != nil || s.ExitCode != 0 {
			t.Fatalf("%s: exit %d, %v:\n%s", name, s.ExitCode, err, s.Output)
		}
		out := map[string]guests.Status{}
		for _, g := range st {
			out[g.Name] = g
		}
		return out
	}

	table := step("list")
	if table.ExitCode != 0 || !strings.HasPrefix(table.Output, "NAME ") {
		t.Fatalf("xennix guest list: exit %d:\n%s", table.ExitCode, table.Output)
	}
	t.Logf("xennix guest list:\n%s", table.Output)
	st := list("list-json")
	g, h := st["xnguest"], st["handmade"]
	if g.Tier != guests.TierDeclared || g.State != "running" || g.Config != guests.ConfigCurrent || g.UnitState != "active" || g.DomID == nil ||
		g.MemoryMiB < 120 || g.MemoryMiB > 130 || g.VCPUs != 1 || g.MAC != "00:16:3e:00:00:01" || g.IPv4 != "192.0.2.20/24" {
		t.Errorf("xnguest = %+v, want declared, running, current, active, ~128 MiB, 1 vCPU, its MAC and address", g)
	}
	if h.Tier != guests.TierUnmanaged || h.State != "running" || h.DomID == nil || h.MAC != "00:16:3e:00:00:02" || h.Unit != "" {
		t.Errorf("handmade = %+v, want unmanaged and running, with its MAC from xl list -l", h)
	}

	stop := step("stop")
	t.Logf("stop:\n%s", stop.Output)
	if s := stop; !strings.Contains(s.Output, "xnguest: stopped\nrc=0\ninactive\n") || strings.Contains(s.Output, "\nxnguest ") || !strings.Contains(s.Output, "\nhandmade ") {
		t.Errorf("xennix guest stop xnguest: exit %d:\n%s", s.ExitCode, s.Output)
	}
	if g := list("list-stopped")["xnguest"]; g.State != "stopped" || g.Config != guests.ConfigNotBooted || g.UnitState != "inactive" || g.DomID != nil {
		t.Errorf("after stop, xnguest = %+v, want stopped, not booted, inactive", g)
	}
	if s := step("start"); s.ExitCode != 0 || !strings.Contains(s.Output, "xnguest: started\nrc=0\n") || !strings.HasSuffix(s.Output, "active\n") {
		t.Errorf("xennix guest start xnguest: exit %d:\n%s", s.ExitCode, s.Output)
	}
	if g := list("list-started")["xnguest"]; g.State != "running" || g.Config != guests.ConfigCurrent || g.DomID == nil {
		t.Errorf("after start, xnguest = %+v, want running and current", g)
	}
	if s := step("stop-unmanaged"); !strings.Contains(s.Output, "an unmanaged domain") || !strings.Contains(s.Output, "rc=1") || !strings.Contains(s.Output, "\nhandmade ") {
		t.Errorf("xennix guest stop handmade must refuse and leave it running:\n%s", s.Output)
	}
}
