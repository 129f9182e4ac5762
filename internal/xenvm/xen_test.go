package xenvm

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// needVM skips the test outside CI when this machine cannot boot the VM, and fails it in
// CI (CI=true).
func needVM(t *testing.T) {
	t.Helper()
	err := Prerequisites()
	if err == nil {
		if _, lerr := exec.LookPath("apt-cache"); lerr != nil {
			err = lerr
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("required in CI: %v", err)
		}
		t.Skipf("%v", err)
	}
}

func TestXenBoot(t *testing.T) {
	needVM(t)
	res, err := Boot(context.Background(), Options{
		Script: "xl info | grep -E '^(xen_version|total_memory)'; cat /proc/xen/capabilities",
		Steps: []Step{
			{Name: "fails", Script: "echo out; echo err >&2; exit 7"},
			{Name: "units", Script: "systemctl is-active xenstored.service xenconsoled.service xen-init-dom0.service nosuch.service"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot %s, total %s", res.BootTime, res.Total)
	if res.ExitCode != 0 || !strings.Contains(res.Output, "xen_version            : 4.17") || !strings.Contains(res.Output, "control_d") {
		t.Errorf("script: exit %d, output:\n%s", res.ExitCode, res.Output)
	}
	if s, _ := res.Step("fails"); s.ExitCode != 7 || s.Output != "out\nerr\n" {
		t.Errorf("step fails = %+v, want exit 7 and out, err", s)
	}
	if s, _ := res.Step("units"); s.ExitCode != 3 || s.Output != "active\nactive\nactive\ninactive\n" {
		t.Errorf("step units = %+v, want three active, one inactive, exit 3", s)
	}
	_ = time.Second
}

func TestXenGuest(t *testing.T) {
	needVM(t)
	res, err := Boot(context.Background(), Options{
		Guest: Guest{Script: "echo hello from the guest; ls /sys/class/net"},
		Script: `set -x
ip link add xenbr0 type bridge && ip link set xenbr0 up
cat > /etc/xen/g1.cfg <<CFG
name = "g1"
type = "pv"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.cpio"
extra = "console=hvc0 quiet"
memory = 128
vif = [ "bridge=xenbr0" ]
CFG
xl create /etc/xen/g1.cfg || exit 1
for i in $(seq 120); do grep -q XENVM-GUEST-RC /var/log/xen/guest-g1.log 2>/dev/null && break; sleep 0.5; done
xl list
ls /sys/class/net/xenbr0/brif
cat /var/log/xen/guest-g1.log
time xl shutdown -w g1
xl list
`,
	})
	t.Logf("boot %s total %s\n%s", res.BootTime, res.Total, res.Output)
	if err != nil {
		t.Fatal(err)
	}
}
