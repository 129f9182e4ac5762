package installer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xennix/xennix/assets"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/netsetup"
)

// resumeInstaller is an Installer for an example plan on its fixture machine, with the
// machine seams replaced: root, the report as rescan returns it, no network check.
func resumeInstaller(t *testing.T, name string, rescan func() hwdetect.Report) (*Installer, Plan) {
	t.Helper()
	_, r, p := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
	in := &Installer{Plan: p, Report: r, Headless: true,
		Euid:   func() int { return 0 },
		Rescan: func() (hwdetect.Report, error) { return rescan(), nil },
		Online: func(context.Context) error { return nil },
	}
	return in, p
}

// TestResumeRerunsPreflight: the state file says preflight is done, but a resume checks the
// machine again before disko erases anything; a disk that became the installer medium (or
// was mounted) since stops it before any command runs.
func TestResumeRerunsPreflight(t *testing.T) {
	cases := []struct {
		name    string
		failAt  int // the command that failed in the first run
		change  func(*hwdetect.Disk)
		wantErr string
		ran     int // commands the resume runs
	}{
		{"disk-now-mounted-before-disko", 0, func(d *hwdetect.Disk) { d.Mounted = true }, "is in use", 0},
		{"disk-now-installer-before-disko", 0, func(d *hwdetect.Disk) { d.InstallerMedium = true }, "holds the running installer", 0},
		{"disk-gone-before-disko", 0, func(d *hwdetect.Disk) { d.ByID, d.ByIDLinks = "/dev/disk/by-id/other", nil }, "is gone", 0},
		// After disko the disks are ours and mounted: that is expected, not a refusal.
		{"mounted-after-disko", 1, func(d *hwdetect.Disk) { d.Mounted = true }, "", 4},
		// But a disk that is gone still stops it.
		{"disk-gone-after-disko", 1, func(d *hwdetect.Disk) { d.ByID, d.ByIDLinks = "/dev/disk/by-id/other", nil }, "is gone", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var now hwdetect.Report
			in, p := resumeInstaller(t, "uefi-ext4-dhcp", func() hwdetect.Report { return now })
			now = in.Report
			dir := t.TempDir()
			state := filepath.Join(dir, "state.json")
			rec := &recorder{failAt: tc.failAt}
			if err := Execute(context.Background(), p, rec, ExecOptions{StateFile: state, Root: dir, Hooks: in.Hooks()}); err == nil {
				t.Fatal("first run did not fail")
			}
			// The machine changes between the runs.
			now.Disks = slices.Clone(in.Report.Disks)
			for i := range now.Disks {
				tc.change(&now.Disks[i])
			}
			rec2 := &recorder{failAt: -1}
			hooks := in.Hooks()
			hooks[ActionVerify] = func(context.Context, Step, StepEvents) error { return nil } // no /mnt here
			err := Execute(context.Background(), p, rec2, ExecOptions{StateFile: state, Root: dir, Resume: true, Hooks: hooks})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("resume = %v, want success", err)
				}
			} else if !errors.Is(err, ErrPreflight) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("resume = %v, want the preflight to refuse with %q", err, tc.wantErr)
			}
			if tc.wantErr != "" && len(rec2.ran) != 0 {
				t.Errorf("resume ran %q before the machine checks refused", rec2.ran)
			}
			if tc.wantErr == "" && len(rec2.ran) < tc.ran {
				t.Errorf("resume ran %q", rec2.ran)
			}
		})
	}
}

// TestResumeAfterUnmountDoesNotMount: when the failed step comes after the unmount, a
// resume runs no disko --mode mount (it would reboot into a mounted target).
func TestResumeAfterUnmountDoesNotMount(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			_, _, p := examplePlan(t, name, PlanOptions{Inputs: testInputs, HostModules: testModules})
			all := commands(p)
			reboot := slices.Index(all, "systemctl reboot")
			if reboot < 0 {
				t.Skip("no reboot step")
			}
			dir := t.TempDir()
			state := filepath.Join(dir, "state.json")
			var calls []string
			_ = Execute(context.Background(), p, &recorder{failAt: reboot}, ExecOptions{StateFile: state, Root: dir, Hooks: noopHooks(p, &calls)})
			rec := &recorder{failAt: -1}
			if err := Execute(context.Background(), p, rec, ExecOptions{StateFile: state, Root: dir, Resume: true, Hooks: noopHooks(p, &calls)}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.ran, []string{"systemctl reboot"}) {
				t.Errorf("resume after unmount ran %q, want only the reboot", rec.ran)
			}
		})
	}
}

// TestResumeWithPlaintextPassword: answers with a plaintext password are hashed with a new
// salt on every run; the plan is still the same plan, so --resume works.
func TestResumeWithPlaintextPassword(t *testing.T) {
	r := fixtureMachine("uefi-ext4-dhcp")
	data, _ := fs.ReadFile(assets.Examples, "examples/uefi-ext4-dhcp.yaml")
	file := strings.Replace(string(data), "users:\n  root:\n", "users:\n  root:\n    password: \"hunter2-but-longer\"\n", 1)
	plan := func() Plan {
		a, err := ParseAndValidate("a.yaml", []byte(file), Defaults(&r), &r)
		if err != nil {
			t.Fatal(err)
		}
		p, err := newPlan(a, r, PlanOptions{Inputs: testInputs, HostModules: testModules})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1, p2 := plan(), plan()
	var h1, h2 string
	for i, p := range []Plan{p1, p2} {
		for _, f := range p.Files() {
			if strings.HasSuffix(f.Path, "/secrets/root.hash") {
				if i == 0 {
					h1 = string(f.Data)
				} else {
					h2 = string(f.Data)
				}
			}
		}
	}
	if h1 == "" || h1 == h2 {
		t.Fatalf("hashes %q and %q: want two salted hashes of the password", h1, h2)
	}
	if p1.Hash() != p2.Hash() {
		t.Fatal("the plan hash changes with the password's salt: --resume would always refuse")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	var calls []string
	_ = Execute(context.Background(), p1, &recorder{failAt: 1}, ExecOptions{StateFile: state, Root: dir, Hooks: noopHooks(p1, &calls)})
	if err := Execute(context.Background(), p2, &recorder{failAt: -1}, ExecOptions{StateFile: state, Root: dir, Resume: true, Hooks: noopHooks(p2, &calls)}); err != nil {
		t.Fatalf("resume with the password hashed again: %v", err)
	}
	// A changed answer is still a different plan.
	other := strings.Replace(file, "hostname: ", "hostname: x", 1)
	a, err := ParseAndValidate("a.yaml", []byte(other), Defaults(&r), &r)
	if err != nil {
		t.Fatal(err)
	}
	p3, err := newPlan(a, r, PlanOptions{Inputs: testInputs, HostModules: testModules})
	if err != nil {
		t.Fatal(err)
	}
	if p3.Hash() == p1.Hash() {
		t.Error("a different hostname gives the same plan hash")
	}
}

// TestDryRunFailsAtPreflight: a dry run stops where the real install would, with the same
// error, when the machine checks fail; and runs no later step.
func TestDryRunFailsAtPreflight(t *testing.T) {
	for _, dry := range []bool{false, true} {
		in, p := resumeInstaller(t, "uefi-ext4-dhcp", nil)
		rep := in.Report
		rep.Disks = slices.Clone(rep.Disks)
		for i := range rep.Disks {
			rep.Disks[i].Mounted = true
		}
		in.Rescan = func() (hwdetect.Report, error) { return rep, nil }
		in.DryRun = dry
		dir := t.TempDir()
		run := &DryRunner{}
		err := Execute(context.Background(), p, run, ExecOptions{StateFile: filepath.Join(dir, "s.json"), Root: dir, Hooks: in.Hooks()})
		var se *StepError
		if !errors.As(err, &se) || se.Step != "preflight" || !errors.Is(err, ErrPreflight) || !strings.Contains(err.Error(), "is in use") {
			t.Errorf("dry=%t: Execute = %v, want the preflight failure", dry, err)
		}
		if len(run.Transcript) != 0 {
			t.Errorf("dry=%t: ran %q after a failed preflight", dry, run.Transcript)
		}
		if _, err := os.Stat(filepath.Join(dir, "tmp/xennix/disko.nix")); err == nil {
			t.Errorf("dry=%t: wrote the disk layout after a failed preflight", dry)
		}
	}
}

// deadlineRecorder records the time each command was given.
type deadlineRecorder struct {
	bounds map[string]time.Duration
}

func (d *deadlineRecorder) Run(ctx context.Context, argv []string) ([]byte, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		d.bounds[argv[0]] = -1
		return nil, nil
	}
	d.bounds[argv[0]] = time.Until(dl).Round(time.Minute)
	return nil, nil
}

// TestCommandTimeouts: every command reaches the runner with a deadline that fits its
// step: long for disko and nixos-install, DefaultTimeout for the rest.
func TestCommandTimeouts(t *testing.T) {
	_, _, p := examplePlan(t, "zfs-mirror-impermanence", PlanOptions{Inputs: testInputs, HostModules: testModules})
	d := &deadlineRecorder{bounds: map[string]time.Duration{}}
	var calls []string
	dir := t.TempDir()
	if err := Execute(context.Background(), p, d, ExecOptions{StateFile: filepath.Join(dir, "s.json"), Root: dir, Hooks: noopHooks(p, &calls)}); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"disko": DiskoTimeout, "nixos-install": NixosInstallTimeout,
		"nixos-generate-config": DefaultTimeout, "umount": DefaultTimeout, "zpool": DefaultTimeout, "swapoff": DefaultTimeout, "systemctl": DefaultTimeout}
	for cmd, w := range want {
		if got := d.bounds[cmd]; got != w {
			t.Errorf("%s ran with a bound of %s, want %s", cmd, got, w)
		}
	}
	if len(d.bounds) != len(want) {
		t.Errorf("commands %v, want %v", d.bounds, want)
	}
}

// TestTimeoutKillsTheCommand: a command that outlives its step's bound is killed, with its
// children, and the step fails with ErrTimeout naming the bound.
func TestTimeoutKillsTheCommand(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	p := Plan{Steps: []Step{{Name: "hang", Timeout: 300 * time.Millisecond,
		// The child sleeps in the background and holds the output pipe open.
		Commands: [][]string{{"sh", "-c", "sleep 30 & echo $! > " + pidFile + "; wait"}}}}}
	start := time.Now()
	err := Execute(context.Background(), p, ExecRunner{}, ExecOptions{StateFile: filepath.Join(dir, "s.json"), Root: dir})
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s: the hung command was not stopped at its bound", took)
	}
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "300ms") || !strings.Contains(err.Error(), "step hang") {
		t.Fatalf("Execute = %v, want ErrTimeout naming the bound", err)
	}
	b, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat("/proc/" + strings.TrimSpace(string(b))); err != nil {
			break
		}
		if s, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/stat"); strings.Contains(string(s), ") Z ") {
			break // a zombie: killed, waiting for init to reap it
		}
		if time.Now().After(deadline) {
			t.Fatal("the command's child still runs after the timeout")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// blockingRunner blocks until its context ends, as a long disko would.
type blockingRunner struct{ started chan struct{} }

func (b *blockingRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	close(b.started)
	<-ctx.Done()
	return []byte("partial\n"), &CommandError{Argv: argv, ExitCode: -1, Err: ctx.Err()}
}

// TestInterruptIsAFailure: a cancelled install (SIGINT, SIGTERM) fails the running step
// with ErrInterrupted, records it in the state file, and stops even at a MayFail step.
func TestInterruptIsAFailure(t *testing.T) {
	for _, mayFail := range []bool{false, true} {
		dir := t.TempDir()
		state := filepath.Join(dir, "s.json")
		p := Plan{Steps: []Step{{Name: "disko", Commands: [][]string{{"disko"}}, MayFail: mayFail}, {Name: "after", Commands: [][]string{{"true"}}}}}
		ctx, cancel := context.WithCancel(context.Background())
		b := &blockingRunner{started: make(chan struct{})}
		go func() { <-b.started; cancel() }()
		err := Execute(ctx, p, b, ExecOptions{StateFile: state, Root: dir})
		var se *StepError
		if !errors.As(err, &se) || se.Step != "disko" || !errors.Is(err, ErrInterrupted) {
			t.Fatalf("mayFail=%t: Execute = %v, want an interrupted step disko", mayFail, err)
		}
		st, _ := LoadState(state)
		if st.Failed != "disko" || !strings.Contains(st.Error, "interrupted") {
			t.Errorf("state %+v, want disko failed as interrupted", st)
		}
	}
}

// TestPassphraseScrubbed: the passphrase file the installer wrote is removed as soon as the
// partition step ends, successful or not; a dry run's plan names the same removal.
func TestPassphraseScrubbed(t *testing.T) {
	for _, fail := range []bool{false, true} {
		r := fixtureMachine("uefi-ext4-dhcp")
		data, _ := fs.ReadFile(assets.Examples, "examples/uefi-ext4-dhcp.yaml")
		file := strings.Replace(string(data), "users:\n", "storage:\n  encryption:\n    enabled: true\n    passphrase_file: /tmp/xennix/luks.key\n\nusers:\n", 1)
		a, err := ParseAndValidate("a.yaml", []byte(file), Defaults(&r), &r)
		if err != nil {
			t.Fatal(err)
		}
		p, err := newPlan(a, r, PlanOptions{Inputs: testInputs, HostModules: testModules})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.Transcript(), "# removes /tmp/xennix/luks.key when done") {
			t.Error("the transcript does not say the passphrase is removed")
		}
		dir := t.TempDir()
		key := filepath.Join(dir, "tmp/xennix/luks.key")
		os.MkdirAll(filepath.Dir(key), 0o700)
		os.WriteFile(key, []byte("secret"), 0o600)
		failAt := -1
		if fail {
			failAt = 0 // disko itself
		}
		var calls []string
		var sawKey bool
		rec := &recorder{failAt: failAt}
		hooks := noopHooks(p, &calls)
		_ = Execute(context.Background(), p, runnerFunc(func(ctx context.Context, argv []string) ([]byte, error) {
			if argv[0] == "disko" {
				_, err := os.Stat(key)
				sawKey = err == nil
			}
			return rec.Run(ctx, argv)
		}), ExecOptions{StateFile: filepath.Join(dir, "s.json"), Root: dir, Hooks: hooks})
		if !sawKey {
			t.Errorf("fail=%t: the key was gone before disko ran", fail)
		}
		if _, err := os.Stat(key); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("fail=%t: %s is still there after disko: %v", fail, key, err)
		}
	}
}

type runnerFunc func(ctx context.Context, argv []string) ([]byte, error)

func (f runnerFunc) Run(ctx context.Context, argv []string) ([]byte, error) { return f(ctx, argv) }

// TestInterruptBetweenSteps: after an interrupt no further step starts, not even one that
// only writes files.
func TestInterruptBetweenSteps(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	p := Plan{Steps: []Step{
		{Name: "first", Commands: [][]string{{"true"}}},
		{Name: "write", Files: []File{{Path: "/tmp/xennix/disko.nix", Data: []byte("{ }\n")}}},
	}}
	err := Execute(ctx, p, runnerFunc(func(context.Context, []string) ([]byte, error) { cancel(); return nil, nil }),
		ExecOptions{StateFile: filepath.Join(dir, "s.json"), Root: dir})
	var se *StepError
	if !errors.As(err, &se) || se.Step != "write" || !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Execute = %v, want step write interrupted", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tmp/xennix/disko.nix")); err == nil {
		t.Error("a step started after the interrupt")
	}
}

// TestResumeReappliesStaticNetwork: the live system restarted between the failed run and
// the resume, so the static network it brought up is gone; the resume applies it again
// before the steps that download.
func TestResumeReappliesStaticNetwork(t *testing.T) {
	var now hwdetect.Report
	in, p := resumeInstaller(t, "bios-limine-static", func() hwdetect.Report { return now })
	now = in.Report
	var applied int
	in.ApplyNet = func(context.Context, netsetup.Config) ([]string, error) { applied++; return nil, nil }
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	hooks := in.Hooks()
	hooks[ActionVerify] = func(context.Context, Step, StepEvents) error { return nil }
	// The first run fails at the first command after the network step (disko).
	if err := Execute(context.Background(), p, &recorder{failAt: 0}, ExecOptions{StateFile: state, Root: dir, Hooks: hooks}); err == nil {
		t.Fatal("first run did not fail")
	}
	if applied != 1 {
		t.Fatalf("first run applied the network %d times, want 1", applied)
	}
	if err := Execute(context.Background(), p, &recorder{failAt: -1}, ExecOptions{StateFile: state, Root: dir, Resume: true, Hooks: hooks}); err != nil {
		t.Fatal(err)
	}
	if applied != 2 {
		t.Errorf("the resume applied the network %d more times, want 1", applied-1)
	}
}
