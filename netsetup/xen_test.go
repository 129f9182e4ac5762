package netsetup

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xennix/xennix/internal/xenvm"
)

// TestXenVMLive runs this package's live Apply/Revert tests (TestApply*) inside a real Xen
// dom0 (internal/xenvm), whose Debian kernel has the bonding and 8021q drivers that this
// machine's kernel may lack: there none of them may skip. The test binary is this
// package's own, built with go test -c. Run only the VM tests with: go test -run '^TestXenVM' ./...
func TestXenVMLive(t *testing.T) {
	if err := xenvm.Prerequisites(); err != nil {
		skipOrFail(t, "%v", err)
	}
	bin := filepath.Join(t.TempDir(), "netsetup.test")
	cmd := exec.Command("go", "test", "-c", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	res, err := xenvm.Boot(context.Background(), xenvm.Options{
		Files:    map[string]string{bin: "/usr/bin/netsetup.test"},
		Packages: []string{"iproute2"},
		Modules:  []string{"veth", "bonding", "8021q"},
		// Inside the VM a missing prerequisite must fail, not skip.
		Env: []string{"CI=true"},
		Steps: []xenvm.Step{
			{Name: "list", Script: "netsetup.test -test.list '^TestApply'"},
			{Name: "run", Script: "netsetup.test -test.run '^TestApply' -test.v -test.count=1 -test.timeout=4m", Timeout: 5 * time.Minute},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("boot %s, total %s", res.BootTime, res.Total)
	list, _ := res.Step("list")
	run, _ := res.Step("run")
	var names []string
	for _, l := range strings.Fields(list.Output) {
		if strings.HasPrefix(l, "TestApply") {
			names = append(names, l)
		}
	}
	if len(names) < 3 || list.ExitCode != 0 {
		t.Fatalf("netsetup.test -test.list in dom0: exit %d, %q", list.ExitCode, list.Output)
	}
	if run.ExitCode != 0 {
		t.Errorf("live tests in dom0 exited %d", run.ExitCode)
	}
	for _, n := range names {
		if !strings.Contains(run.Output, "--- PASS: "+n+" ") {
			t.Errorf("%s did not pass in dom0", n)
		}
	}
	var verdicts []string
	for _, l := range strings.Split(run.Output, "\n") {
		if strings.HasPrefix(l, "--- ") {
			verdicts = append(verdicts, l)
		}
	}
	t.Logf("in dom0:\n%s", strings.Join(verdicts, "\n"))
	if strings.Contains(run.Output, "--- SKIP") || t.Failed() {
		t.Errorf("live tests in dom0 (want all %d passed, none skipped):\n%s", len(names), run.Output)
	}
}
