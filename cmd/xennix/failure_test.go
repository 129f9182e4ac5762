package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xennix/xennix/installer"
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
		b, _ := io.ReadAll(tr)
		out[h.Name] = string(b)
	}
}

// TestInterruptedInstallReports: an install stopped by SIGINT/SIGTERM (its context
// cancelled) still sends the "failed" webhook, leaves the FAILED marker and a support
// bundle; and the webhook's credentials (user information, a token in the query) appear in
// none of the console, the marker, the log or the bundle.
func TestInterruptedInstallReports(t *testing.T) {
	const pw, token = "hook-pass-Zx81", "tok-9f8e7d6c5b4a"
	var mu sync.Mutex
	var events []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		u, p, _ := r.BasicAuth()
		body["auth"] = u + ":" + p
		body["token"] = r.URL.Query().Get("token")
		mu.Lock()
		events = append(events, body)
		mu.Unlock()
	}))
	defer srv.Close()
	hook := strings.Replace(srv.URL, "http://", "http://ops:"+pw+"@", 1) + "/events?token=" + token

	dir := t.TempDir()
	logPath := filepath.Join(dir, "install.log")
	var a installer.Answers
	a.Host.Hostname = "xen-01"
	a.Install.Webhook = hook
	log, closer, err := installer.NewLog(logPath, a.Secrets()...)
	if err != nil {
		t.Fatal(err)
	}
	// What a failing step might log and print: its command line with the URL in it.
	log.Info("run", "argv", []string{"curl", hook})
	plan := installer.Plan{Hostname: "xen-01", Steps: []installer.Step{{Name: "install", Commands: [][]string{{"sleep", "60"}}}}}
	in := &installer.Installer{Answers: a, Plan: plan}

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the signal arrived
	failure := &installer.StepError{Step: "install", Err: fmt.Errorf("%w (context canceled): fetch %s: %w", installer.ErrInterrupted, hook, context.Canceled)}
	var out bytes.Buffer
	reportFailure(ctx, &out, in, plan, failure, log, logPath, failureDirs{work: dir, bundles: dir})
	closer.Close()

	if len(events) != 1 || events[0]["event"] != "failed" || !strings.Contains(fmt.Sprint(events[0]["error"]), "interrupted") {
		t.Fatalf("webhook got %v, want one failed event naming the interruption", events)
	}
	if events[0]["auth"] != "ops:"+pw || events[0]["token"] != token {
		t.Errorf("the webhook itself must get its credentials: %v", events[0])
	}
	marker, err := os.ReadFile(filepath.Join(dir, "FAILED"))
	if err != nil {
		t.Fatalf("no FAILED marker: %v", err)
	}
	bundles, _ := filepath.Glob(filepath.Join(dir, "xennix-support-*.tar.gz"))
	if len(bundles) != 1 {
		t.Fatalf("support bundles %v, want one", bundles)
	}
	entries := readBundle(t, bundles[0])
	logged, _ := os.ReadFile(logPath)
	places := map[string]string{"console": out.String(), "FAILED": string(marker), "install.log": string(logged)}
	for n, b := range entries {
		places["bundle "+n] = b
	}
	if !strings.Contains(entries["error.txt"], "interrupted") || entries["answers.yaml"] == "" {
		t.Errorf("bundle error.txt %q, answers %q", entries["error.txt"], entries["answers.yaml"])
	}
	for where, text := range places {
		if strings.Contains(text, pw) || strings.Contains(text, token) {
			t.Errorf("%s holds a webhook credential:\n%s", where, text)
		}
	}
	if !strings.Contains(out.String(), "INSTALL FAILED") || !strings.Contains(out.String(), "support bundle: ") {
		t.Errorf("console:\n%s", out.String())
	}
}

// TestWebhookErrorRedacted: a webhook that cannot be reached is reported without its
// credentials (Go's HTTP client puts the URL, query and all, into its error).
func TestWebhookErrorRedacted(t *testing.T) {
	const token = "tok-abcdef123456"
	srv := httptest.NewServer(http.NotFoundHandler())
	hook := srv.URL + "/x?token=" + token
	srv.Close()
	var a installer.Answers
	a.Install.Webhook = hook
	in := &installer.Installer{Answers: a}
	err := in.Notify(context.Background(), installer.EventFailed, errors.New("boom"))
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "token=[redacted]") {
		t.Errorf("Notify to a closed server = %v, want an error without the token", err)
	}
	var out bytes.Buffer
	reportFailure(context.Background(), &out, in, installer.Plan{}, errors.New("boom"), slog.New(slog.DiscardHandler), filepath.Join(t.TempDir(), "none.log"), failureDirs{work: t.TempDir(), bundles: t.TempDir()})
	if strings.Contains(out.String(), token) || !strings.Contains(out.String(), "could not tell the webhook") {
		t.Errorf("console:\n%s", out.String())
	}
}

// TestDryRunFailsAtPreflight: a dry run on a machine whose target disk is mounted exits
// non-zero with the message a real install would print, and writes no later step's files.
func TestDryRunFailsAtPreflight(t *testing.T) {
	dir := t.TempDir()
	hw, err := os.ReadFile("../../assets/examples/hardware/bios-limine-static.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(hw, &rep); err != nil {
		t.Fatal(err)
	}
	for _, d := range rep["disks"].([]any) {
		d.(map[string]any)["mounted"] = true
	}
	hw, _ = json.Marshal(rep)
	hwPath := filepath.Join(dir, "hw.json")
	os.WriteFile(hwPath, hw, 0o644)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"xennix", "install", "--dry-run", "--out", out,
		"--answers", "../../assets/examples/bios-limine-static.yaml", "--hardware", hwPath}, strings.NewReader(""), &stdout, &stderr)
	got := stdout.String() + stderr.String()
	if code == 0 || !strings.Contains(got, "INSTALL FAILED: step preflight failed: preflight failed:") || !strings.Contains(got, "is in use (mounted") {
		t.Errorf("dry run on a mounted disk: exit %d, output\n%s\nwant a non-zero exit and the preflight failure", code, got)
	}
	if strings.Contains(got, "Check the machine: done") || strings.Contains(got, "dry run done") {
		t.Errorf("the dry run claims success:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(out, "tmp/xennix/disko.nix")); err == nil {
		t.Error("the dry run went on past the failed preflight")
	}
}
