package installer

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xennix/xennix/assets"
	"github.com/xennix/xennix/hwdetect"
)

// TestSecretsNeverWritten: a plaintext password in the answers appears in no written file
// and not in the install log.
func TestSecretsNeverWritten(t *testing.T) {
	const secret = "correct-horse-battery-staple-4242"
	r := fixtureMachine("uefi-ext4-dhcp")
	data, _ := fs.ReadFile(assets.Examples, "examples/uefi-ext4-dhcp.yaml")
	file := strings.Replace(string(data), "users:\n  root:\n", "users:\n  root:\n    password: \""+secret+"\"\n", 1)
	a, err := ParseAndValidate("a.yaml", []byte(file), Defaults(&r), &r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(a, r, PlanOptions{Inputs: testInputs, HostModules: testModules})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "install.log")
	log, closer, err := NewLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	in := &Installer{Plan: p, Report: r, Headless: true, DryRun: true, Root: dir, LogPath: logPath,
		Rescan: func() (hwdetect.Report, error) { return r, nil }}
	if err := Execute(context.Background(), p, &DryRunner{}, ExecOptions{StateFile: filepath.Join(dir, "state.json"), Root: dir, Log: log, Hooks: in.Hooks()}); err != nil {
		t.Fatal(err)
	}
	closer.Close()
	n := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), secret) {
			t.Errorf("%s contains the plaintext password", path)
		}
		return nil
	})
	if n < 10 {
		t.Errorf("only %d files written; the test would prove nothing", n)
	}
	// The hash is in a root-only file outside /etc/nixos (whose flake source goes into the
	// world-readable store), and settings.nix only names it.
	settings := string(mustRead(t, filepath.Join(dir, "mnt/etc/nixos/xennix/settings.nix")))
	if !strings.Contains(settings, `hashedPasswordFile = "/var/lib/xennix/secrets/root.hash"`) || strings.Contains(settings, "$6$") {
		t.Errorf("settings.nix should name the password file and hold no hash:\n%s", settings)
	}
	for _, f := range []string{"mnt/etc/nixos/xennix/answers.yaml", "mnt/var/lib/xennix/applied-answers.yaml"} {
		if strings.Contains(string(mustRead(t, filepath.Join(dir, f))), "$6$") {
			t.Errorf("%s holds the password hash", f)
		}
	}
	hashFile := filepath.Join(dir, "mnt/var/lib/xennix/secrets/root.hash")
	if fi, err := os.Stat(hashFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file %s: %v, mode %v; want 0600", hashFile, err, fi.Mode())
	}
	if h := strings.TrimSpace(string(mustRead(t, hashFile))); !cryptRE.MatchString(h) || !strings.HasPrefix(h, "$6$") {
		t.Errorf("password file holds %q, want a SHA-512 crypt hash", h)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRedactor(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: Redactor("tok-123")}))
	log.Info("fetch", "url", "https://x/?t=tok-123", "argv", []string{"curl", "-H", "Bearer tok-123"})
	if strings.Contains(b.String(), "tok-123") || strings.Count(b.String(), "[redacted]") != 2 {
		t.Errorf("log = %s", b.String())
	}
}

// TestWebhook: the events are POSTed as JSON with the hardware report, to a server on
// 127.0.0.1; a failed install's event carries the error.
func TestWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
	}))
	defer srv.Close()
	_, r, p := examplePlan(t, "lvm-thinpool-bond-vlan", PlanOptions{Inputs: testInputs, HostModules: testModules})
	p.Host.Answers.Install.Webhook = srv.URL + "/events"
	in := &Installer{Plan: p, Report: r, Now: func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }}
	if err := in.Notify(context.Background(), EventStarted, nil); err != nil {
		t.Fatal(err)
	}
	if err := in.Notify(context.Background(), EventFailed, errors.New("step install failed: boom")); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0]["event"] != "started" || got[1]["event"] != "failed" || got[1]["error"] != "step install failed: boom" {
		t.Fatalf("webhook got %v", got)
	}
	hw, _ := got[0]["hardware"].(map[string]any)
	if got[0]["host"] != "rack-07" || got[0]["time"] != "2026-11-23T10:00:00Z" || hw == nil || hw["disks"] == nil {
		t.Errorf("started event = %v", got[0])
	}
	srv.Close()
	if err := in.Notify(context.Background(), EventSucceeded, nil); err == nil {
		t.Error("Notify to a closed server succeeded")
	}
}

func TestSupportBundle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := SupportBundle(p, map[string][]byte{"install.log": []byte("log\n"), "error.txt": []byte("boom\n")}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	if strings.Join(names, ",") != "error.txt,install.log" {
		t.Errorf("bundle holds %v", names)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example.org/x":                    "https://[redacted]@hooks.example.org/x",
		"https://user@hooks.example.org/x":                       "https://[redacted]@hooks.example.org/x",
		"https://hooks.example.org/x?a=b":                        "https://hooks.example.org/x?a=[redacted]",
		"https://hooks.example.org/x?token=s3cr3t-token&v=1":     "https://hooks.example.org/x?token=[redacted]&v=[redacted]",
		"https://hooks.example.org/x?access_token=abc&token=def": "https://hooks.example.org/x?access_token=[redacted]&token=[redacted]",
		"https://hooks.example.org/x#sig=abcdef":                 "https://hooks.example.org/x#[redacted]",
		"https://u:p%40ss@hooks.example.org:8443/x?k=v":          "https://[redacted]@hooks.example.org:8443/x?k=[redacted]",
		"http://[::1]:9/x":                                       "http://[::1]:9/x",
		"https://hooks.example.org/x":                            "https://hooks.example.org/x",
		"%%%not a url":                                           "[redacted URL]",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
