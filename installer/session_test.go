package installer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xennix/xennix/hwdetect"
)

// readBundle returns the entries of a support bundle.
func readBundle(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = string(b)
	}
}

// testSession is a real (not dry-run) session of a small plan — the machine checks, one
// command, the verification and the log copy — on the uefi-ext4-dhcp machine, with every
// seam to the machine replaced: root is a directory holding an installed system in mnt/
// (the Installer's Root), the report is the fixture's with 2GiB of memory (a preflight
// warning), and commands go to run. Work and bundles are directories of their own.
func testSession(t *testing.T, run Runner) (s *Session, console *bytes.Buffer, events *[]Event) {
	t.Helper()
	_, r, example := examplePlan(t, "uefi-ext4-dhcp", PlanOptions{Inputs: testInputs, HostModules: testModules})
	root := tree(t, map[string]string{})
	mnt := filepath.Join(root, "mnt")
	for p, content := range with(installedSystem(bootV2), map[string]string{
		"boot/loader/loader.conf":                   "default xen-generation-1.conf\n",
		"boot/loader/entries/xen-generation-1.conf": "title NixOS (with Xen Hypervisor)\nefi /EFI/nixos/xen-generation-1.efi\n",
		"boot/EFI/nixos/xen-generation-1.efi":       "MZ",
	}) {
		full := filepath.Join(mnt, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	plan := Plan{Summary: "xen-01: test plan", Host: example.Host, Steps: []Step{
		{Name: "preflight", Title: "Check the machine", Action: ActionPreflight, Rerun: true},
		{Name: "install", Title: "Install NixOS", Commands: [][]string{{"nixos-install", "--root", "/mnt"}}},
		{Name: "verify", Title: "Verify the installed system", Action: ActionVerify},
		{Name: "save-log", Title: "Save the install log", Action: ActionSaveLog},
	}}
	plan.Host.Disks = nil // the test plan partitions nothing: preflight has no disk to check
	now := r
	now.Memory.TotalBytes = uint64(2 * GiB)
	console = &bytes.Buffer{}
	events = &[]Event{}
	s = &Session{
		Installer: Installer{Plan: plan, Report: r, Headless: true, Root: root,
			Euid:   func() int { return 0 },
			Rescan: func() (hwdetect.Report, error) { return now, nil },
			Online: func(context.Context) error { return nil },
			Now:    func() time.Time { return time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC) },
		},
		Console:   console,
		Events:    func(e Event) { *events = append(*events, e) },
		WorkDir:   t.TempDir(),
		BundleDir: t.TempDir(),
		Runner:    run,
	}
	return s, console, events
}

// TestSessionSucceeds: a session runs the plan through its runner; the hooks' findings and
// the verification come back as typed events (and as lines on the console); nothing
// failed, so there is no marker and no bundle.
func TestSessionSucceeds(t *testing.T) {
	rec := &recorder{failAt: -1}
	s, console, events := testSession(t, rec)
	s.Installer.Headless = false // interactive: the answers --resume needs are saved first
	s.Installer.Confirmed = nil  // the plan erases no disk
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatalf("Run = %v\n%s", err, console)
	}
	if got := strings.Join(rec.ran, "\n"); got != "nixos-install --root /mnt" {
		t.Errorf("ran %q", got)
	}
	if res.Verification == nil || !res.Verification.OK || res.Verification.Mode != "target" {
		t.Fatalf("Result.Verification = %+v, want a passed verification of the target", res.Verification)
	}
	var notes []string
	var verified *Verification
	for _, e := range *events {
		switch e.Kind {
		case StepNote:
			notes = append(notes, e.Step+": "+e.Line)
		case StepVerified:
			if e.Step != "verify" {
				t.Errorf("verification reported by step %s", e.Step)
			}
			verified = e.Verification
		}
	}
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "preflight: warning: 2GiB of memory") {
		t.Errorf("notes = %q, want the preflight's memory warning", notes)
	}
	if verified != res.Verification {
		t.Errorf("the verification event carries %p, the result %p", verified, res.Verification)
	}
	for _, want := range []string{
		"Installing xen-01: test plan\n",
		"[1/4] Check the machine ...\nwarning: 2GiB of memory",
		"[3/4] Verify the installed system ...\n" + res.Verification.String() + "[3/4] Verify the installed system: done",
	} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, console)
		}
	}
	if strings.Contains(console.String(), "FAILED") {
		t.Errorf("console:\n%s", console)
	}
	if _, err := Load(filepath.Join(s.WorkDir, "answers.yaml"), Defaults(nil)); err != nil {
		t.Errorf("the answers --resume needs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Installer.Root, TargetDir, "var/log/xennix/install.log")); err != nil {
		t.Errorf("the log was not saved on the target: %v", err)
	}
	if res.LogPath != filepath.Join(s.WorkDir, "install.log") {
		t.Errorf("LogPath = %s", res.LogPath)
	}
	if _, err := os.Stat(filepath.Join(s.WorkDir, "FAILED")); err == nil {
		t.Error("a FAILED marker after a successful install")
	}
	if b, _ := filepath.Glob(filepath.Join(s.BundleDir, "*")); len(b) != 0 {
		t.Errorf("bundles %v after a successful install", b)
	}
}

// TestSessionStepFails: a failed step is reported on the console and returned as a
// *Failure around the *StepError, with the FAILED marker and a support bundle written; a
// resume then continues at the failed step.
func TestSessionStepFails(t *testing.T) {
	rec := &recorder{failAt: 0}
	s, console, _ := testSession(t, rec)
	_, runErr := s.Run(context.Background())
	var f *Failure
	var se *StepError
	if !errors.As(runErr, &f) || !errors.As(runErr, &se) || se.Step != "install" {
		t.Fatalf("Run = %v, want a *Failure of step install", runErr)
	}
	if len(f.Problems) != 0 {
		t.Errorf("problems reporting the failure: %v", f.Problems)
	}
	marker, err := os.ReadFile(filepath.Join(s.WorkDir, "FAILED"))
	if err != nil || !strings.HasPrefix(string(marker), "step install failed: nixos-install --root /mnt: exit status 3") {
		t.Errorf("FAILED marker %q, %v", marker, err)
	}
	bundle := filepath.Join(s.BundleDir, "xennix-support-20261201T180000Z.tar.gz")
	entries := readBundle(t, bundle)
	for _, name := range []string{"error.txt", "plan.txt", "install.log", "hardware.json", "answers.yaml", "dmesg-tail.txt"} {
		if entries[name] == "" {
			t.Errorf("bundle entry %s is missing or empty", name)
		}
	}
	if _, ok := entries["missing.txt"]; ok {
		t.Errorf("bundle misses %s", entries["missing.txt"])
	}
	if got := rec.ran[len(rec.ran)-1]; got != "dmesg --ctime" {
		t.Errorf("last command %q, want the kernel messages for the bundle through the runner", got)
	}
	for _, want := range []string{"[2/4] Install NixOS: FAILED", "\nINSTALL FAILED: step install failed:", "support bundle: " + bundle + "\n", "install log: " + filepath.Join(s.WorkDir, "install.log")} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, console)
		}
	}
	// What the TUI shows is the error: the failure and the report.
	if !strings.Contains(runErr.Error(), "support bundle: "+bundle) || !strings.HasPrefix(runErr.Error(), se.Error()) {
		t.Errorf("Error() = %q", runErr.Error())
	}

	s.Resume, s.Runner = true, &recorder{failAt: -1}
	if _, err := s.Run(context.Background()); err != nil {
		t.Fatalf("resume = %v", err)
	}
	if got := s.Runner.(*recorder).ran; len(got) != 1 || got[0] != "nixos-install --root /mnt" {
		t.Errorf("resume ran %q, want the failed step's command", got)
	}
}

// TestSessionMarkerUnwritable: a FAILED marker that cannot be written is reported — on the
// console, in the error, in the log, and as a problem of the *Failure — and the support
// bundle is still written.
func TestSessionMarkerUnwritable(t *testing.T) {
	s, console, _ := testSession(t, &recorder{failAt: 0})
	// A directory in the way of the marker: root may write anywhere, but cannot rename a
	// file over a directory.
	if err := os.MkdirAll(filepath.Join(s.WorkDir, "FAILED", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := s.Run(context.Background())
	var f *Failure
	if !errors.As(err, &f) || len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Error(), "FAILED") {
		t.Fatalf("Run = %v (problems %v), want a failure with the marker's problem", err, f)
	}
	var se *StepError
	if !errors.As(err, &se) || se.Step != "install" {
		t.Errorf("the step's error is lost: %v", err)
	}
	for where, text := range map[string]string{"console": console.String(), "error": err.Error()} {
		if !strings.Contains(text, "could not write the failure marker: write "+filepath.Join(s.WorkDir, "FAILED")) {
			t.Errorf("%s does not report the marker:\n%s", where, text)
		}
	}
	logged, _ := os.ReadFile(filepath.Join(s.WorkDir, "install.log"))
	if !strings.Contains(string(logged), `"msg":"failure marker"`) {
		t.Errorf("the log does not record the marker's failure:\n%s", logged)
	}
	if b, _ := filepath.Glob(filepath.Join(s.BundleDir, "xennix-support-*.tar.gz")); len(b) != 1 {
		t.Errorf("bundles %v, want one", b)
	} else if !strings.Contains(readBundle(t, b[0])["install.log"], "failure marker") {
		t.Error("the bundle's log does not record the marker's failure")
	}
}

// TestSessionScrubFails: a file the session must remove at its end (the passphrase) that
// cannot be removed is said, not dropped.
func TestSessionScrubFails(t *testing.T) {
	s, console, _ := testSession(t, &recorder{failAt: -1})
	key := "tmp/xennix/luks.key"
	if err := os.MkdirAll(filepath.Join(s.Installer.Root, key, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.Scrub = []string{key}
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "could not remove "+key) || !strings.Contains(console.String(), res.Notes[0]) {
		t.Errorf("notes %q, console:\n%s", res.Notes, console)
	}
	os.RemoveAll(filepath.Join(s.Installer.Root, key))
	s.Runner = &recorder{failAt: 0}
	_, err = s.Run(context.Background())
	var f *Failure
	if !errors.As(err, &f) || len(f.Problems) != 0 {
		t.Errorf("a scrub of a file already gone: %v", err)
	}
}

// TestInterruptedInstallReports: an install stopped by SIGINT/SIGTERM (its context
// cancelled while a command runs) still sends the "failed" webhook, leaves the FAILED
// marker and a support bundle; and the webhook's credentials (user information, a token in
// the query) appear in none of the console, the marker, the log or the bundle, though the
// command line and its error hold them.
func TestInterruptedInstallReports(t *testing.T) {
	const pw, token = "hook-pass-Zx81", "tok-9f8e7d6c5b4a"
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		u, p, _ := r.BasicAuth()
		body["auth"] = u + ":" + p
		body["token"] = r.URL.Query().Get("token")
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
	}))
	defer srv.Close()
	hook := strings.Replace(srv.URL, "http://", "http://ops:"+pw+"@", 1) + "/events?token=" + token

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, console, _ := testSession(t, runnerFunc(func(_ context.Context, argv []string) ([]byte, error) {
		if argv[0] == "dmesg" {
			return []byte("kernel: ok\n"), nil
		}
		cancel() // the signal arrives while the command runs
		return nil, fmt.Errorf("fetch %s: %w", hook, context.Canceled)
	}))
	s.Installer.Plan.Host.Answers.Install.Webhook = hook
	s.Installer.Plan.Steps = []Step{{Name: "fetch", Title: "Fetch", Commands: [][]string{{"curl", hook}}}}
	_, err := s.Run(ctx)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Run = %v, want an interruption", err)
	}

	if len(got) != 1 || got[0]["event"] != "failed" || !strings.Contains(fmt.Sprint(got[0]["error"]), "interrupted") {
		t.Fatalf("webhook got %v, want one failed event naming the interruption", got)
	}
	if got[0]["auth"] != "ops:"+pw || got[0]["token"] != token {
		t.Errorf("the webhook itself must get its credentials: %v", got[0])
	}
	marker, err := os.ReadFile(filepath.Join(s.WorkDir, "FAILED"))
	if err != nil {
		t.Fatalf("no FAILED marker: %v", err)
	}
	bundles, _ := filepath.Glob(filepath.Join(s.BundleDir, "xennix-support-*.tar.gz"))
	if len(bundles) != 1 {
		t.Fatalf("support bundles %v, want one", bundles)
	}
	entries := readBundle(t, bundles[0])
	logged, _ := os.ReadFile(filepath.Join(s.WorkDir, "install.log"))
	places := map[string]string{"console": console.String(), "FAILED": string(marker), "install.log": string(logged)}
	for n, b := range entries {
		places["bundle "+n] = b
	}
	if !strings.Contains(entries["error.txt"], "interrupted") || entries["answers.yaml"] == "" || !strings.Contains(string(logged), `"argv":["curl"`) {
		t.Errorf("bundle error.txt %q, answers %q; log:\n%s", entries["error.txt"], entries["answers.yaml"], logged)
	}
	for where, text := range places {
		if strings.Contains(text, pw) || strings.Contains(text, token) {
			t.Errorf("%s holds a webhook credential:\n%s", where, text)
		}
	}
	if !strings.Contains(console.String(), "INSTALL FAILED") || !strings.Contains(console.String(), "support bundle: ") {
		t.Errorf("console:\n%s", console)
	}
}

// TestWebhookErrorRedacted: a webhook that cannot be reached is reported without its
// credentials (Go's HTTP client puts the URL, query and all, into its error), and is a
// problem of the failure.
func TestWebhookErrorRedacted(t *testing.T) {
	const token = "tok-abcdef123456"
	srv := httptest.NewServer(http.NotFoundHandler())
	hook := srv.URL + "/x?token=" + token
	srv.Close()
	var a Answers
	a.Install.Webhook = hook
	in := &Installer{Plan: Plan{Host: Resolved{Answers: a}}}
	err := in.Notify(context.Background(), EventFailed, errors.New("boom"))
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "token=[redacted]") {
		t.Errorf("Notify to a closed server = %v, want an error without the token", err)
	}

	s, console, _ := testSession(t, &recorder{failAt: 0})
	s.Installer.Plan.Host.Answers.Install.Webhook = hook
	_, err = s.Run(context.Background())
	var f *Failure
	if !errors.As(err, &f) || len(f.Problems) != 1 {
		t.Fatalf("Run = %v, want a failure with the webhook's problem", err)
	}
	if strings.Contains(console.String(), token) || strings.Contains(err.Error(), token) || !strings.Contains(console.String(), "could not tell the webhook") {
		t.Errorf("console:\n%s", console)
	}
}

// TestSessionDryRunTranscriptUnwritable: a dry run whose transcript cannot be written fails
// with that error; and when the install failed too, the transcript's problem is reported
// with the failure rather than dropped.
func TestSessionDryRunTranscriptUnwritable(t *testing.T) {
	for _, failed := range []bool{false, true} {
		s, console, _ := testSession(t, nil)
		s.Installer.DryRun = true
		s.WorkDir = ""
		if failed {
			s.Installer.Report.Memory.TotalBytes = uint64(GiB) // a hard preflight issue
		}
		if err := os.MkdirAll(filepath.Join(s.Installer.Root, "transcript.txt", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := s.Run(context.Background())
		var f *Failure
		switch {
		case err == nil || !strings.Contains(err.Error(), "transcript.txt"):
			t.Errorf("failed=%t: Run = %v, want the transcript's error", failed, err)
		case failed && (!errors.As(err, &f) || !errors.Is(err, ErrPreflight) || len(f.Problems) != 1):
			t.Errorf("failed=%t: Run = %v, want the preflight failure with the transcript's problem", failed, err)
		case !failed && errors.As(err, &f):
			t.Errorf("failed=%t: Run = %v, a *Failure of an install that ran", failed, err)
		}
		if _, err := os.Stat(filepath.Join(s.Installer.Root, "install.log")); err != nil {
			t.Errorf("failed=%t: the dry run's log is not in its Root: %v", failed, err)
		}
		if strings.Contains(console.String(), "dry run done") {
			t.Errorf("failed=%t: console claims success:\n%s", failed, console)
		}
	}
}
