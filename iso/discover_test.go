package iso

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRoot builds a root directory with the given files.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// labelLink links <root>/dev/disk/by-label/XENNIX-ANS to target, as udev does.
func labelLink(t *testing.T, root, target string) string {
	t.Helper()
	dir := filepath.Join(root, "dev/disk/by-label")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, VolumeLabel)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// noTXT is a resolver that knows no names.
func noTXT(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func answersServer(t *testing.T, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func testOptions(t *testing.T, root string) Options {
	f, _ := testFetcher(t)
	return Options{Root: root, Fetcher: f, LookupTXT: noTXT, Logf: t.Logf}
}

func TestDiscoverCmdlineURL(t *testing.T) {
	srv, _ := answersServer(t, testAnswers)
	sum := Digest(sha256.Sum256([]byte(testAnswers)))
	root := fakeRoot(t, map[string]string{
		"proc/cmdline": fmt.Sprintf("initrd=initrd xennix.answers=%s/a xennix.answers.sha256=%s xennix.bogus=1\n", srv.URL, sum),
	})
	var logged []string
	opts := testOptions(t, root)
	opts.Logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	src, data, err := Discover(context.Background(), opts)
	if err != nil || string(data) != testAnswers {
		t.Fatalf("Discover = %q, %v; want the answers", data, err)
	}
	want := Source{Kind: SourceCmdline, Location: srv.URL + "/a", SHA256: sum}
	if src != want {
		t.Errorf("Discover source = %+v, want %+v", src, want)
	}
	if !strings.HasPrefix(src.String(), "kernel command line: "+srv.URL+"/a (sha256 ") {
		t.Errorf("Source.String() = %q", src)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "unknown kernel parameter xennix.bogus") {
		t.Errorf("log %q, want a warning about xennix.bogus", logged)
	}
}

func TestDiscoverCmdlineFile(t *testing.T) {
	root := fakeRoot(t, map[string]string{
		"proc/cmdline":          "xennix.answers=file:/run/answers.yaml",
		"run/answers.yaml":      testAnswers,
		"etc/resolv.conf":       "search example.com\n",
		"dev/disk/by-label/.ok": "",
	})
	src, data, err := Discover(context.Background(), testOptions(t, root))
	if err != nil || string(data) != testAnswers {
		t.Fatalf("Discover = %q, %v; want the answers", data, err)
	}
	if src.Kind != SourceCmdline || src.Location != "file:/run/answers.yaml" {
		t.Errorf("Discover source = %+v", src)
	}
}

// A location on the command line that fails stops discovery: installing other answers
// than the ones asked for would be worse.
func TestDiscoverCmdlineFailureIsFinal(t *testing.T) {
	img := filepath.Join(t.TempDir(), "a.img")
	if err := WriteAnswersMedia(img, []byte(testAnswers), 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, cmdline, want string }{
		{"missing file", "xennix.answers=file:/nope.yaml", "nope.yaml: no such file or directory"},
		{"bad parameter", "xennix.answers=ftp://x/", "kernel command line: xennix.answers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeRoot(t, map[string]string{"proc/cmdline": tc.cmdline})
			labelLink(t, root, img)
			_, _, err := Discover(context.Background(), testOptions(t, root))
			if err == nil || errors.Is(err, ErrNoAnswers) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Discover error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDiscoverDNS(t *testing.T) {
	srv, _ := answersServer(t, testAnswers)
	sum := Digest(sha256.Sum256([]byte(testAnswers)))
	root := fakeRoot(t, map[string]string{
		"proc/cmdline":    "quiet",
		"etc/resolv.conf": "# generated\nnameserver 127.0.0.53\nsearch lab.example.com example.com\noptions edns0\n",
	})
	var asked []string
	opts := testOptions(t, root)
	opts.LookupTXT = func(ctx context.Context, name string) ([]string, error) {
		asked = append(asked, name)
		if _, ok := ctx.Deadline(); !ok {
			t.Errorf("LookupTXT(%s) without a deadline", name)
		}
		if name == "xennix-answers.example.com." {
			return []string{srv.URL + "/by-dns sha256=" + sum.String() + " future=1"}, nil
		}
		return noTXT(ctx, name)
	}
	src, data, err := Discover(context.Background(), opts)
	if err != nil || string(data) != testAnswers {
		t.Fatalf("Discover = %q, %v; want the answers", data, err)
	}
	want := Source{Kind: SourceDNS, Location: srv.URL + "/by-dns", Via: "xennix-answers.example.com.", SHA256: sum}
	if src != want {
		t.Errorf("Discover source = %+v, want %+v", src, want)
	}
	if wantAsked := []string{"xennix-answers.lab.example.com.", "xennix-answers.example.com."}; !reflect.DeepEqual(asked, wantAsked) {
		t.Errorf("looked up %q, want %q", asked, wantAsked)
	}
}

func TestDiscoverDNSErrors(t *testing.T) {
	srv, requests := answersServer(t, testAnswers)
	tests := []struct {
		name    string
		lookup  func(context.Context, string) ([]string, error)
		wantErr string // "" means discovery goes on to ErrNoAnswers
	}{
		{"not found", noTXT, ""},
		{"server failure is skipped", func(context.Context, string) ([]string, error) {
			return nil, &net.DNSError{Err: "server misbehaving", IsTemporary: true}
		}, ""},
		{"timeout is skipped", func(ctx context.Context, _ string) ([]string, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, ""},
		{"two records", func(context.Context, string) ([]string, error) {
			return []string{srv.URL + "/a", srv.URL + "/b"}, nil
		}, "has 2 records"},
		{"not a URL", func(context.Context, string) ([]string, error) {
			return []string{"v=spf1 -all"}, nil
		}, "want an http:// or https:// URL"},
		{"file location", func(context.Context, string) ([]string, error) {
			return []string{"file:/etc/answers.yaml"}, nil
		}, "not a local file"},
		{"wrong sha256", func(context.Context, string) ([]string, error) {
			return []string{srv.URL + " sha256=" + hexA}, nil
		}, "sha256 mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeRoot(t, map[string]string{"etc/resolv.conf": "domain example.com\n"})
			opts := testOptions(t, root)
			opts.LookupTXT = tc.lookup
			opts.DNSTimeout = 50 * time.Millisecond
			_, _, err := Discover(context.Background(), opts)
			if tc.wantErr == "" {
				if !errors.Is(err, ErrNoAnswers) {
					t.Errorf("Discover error = %v, want ErrNoAnswers", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "xennix-answers.example.com.") {
				t.Errorf("Discover error = %v, want one naming the record and containing %q", err, tc.wantErr)
			}
		})
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("answers server saw %d requests, want 1 (the wrong-sha256 case)", n)
	}
}

func TestParseTXT(t *testing.T) {
	pinned := Digest(sha256.Sum256([]byte("k")))
	tests := []struct {
		in       string
		want     Request
		warnings int
		err      string
	}{
		{in: "https://h/a", want: Request{Location: Location{URL: mustURL(t, "https://h/a")}}},
		{in: "  https://h/a   sha256=" + hexA, want: Request{Location: Location{URL: mustURL(t, "https://h/a")}, SHA256: digestOf(0xaa)}},
		{in: "https://h/a tlspin=" + pinned.String(), want: Request{Location: Location{URL: mustURL(t, "https://h/a")}, TLSPin: pinned}},
		{in: "https://h/a token=x junk", want: Request{Location: Location{URL: mustURL(t, "https://h/a")}}, warnings: 2},
		{in: "http://h/a tlspin=" + hexA, err: "not an https URL"},
		{in: "https://h/a sha256=12", err: "sha256: \"12\" is 2 characters"},
		{in: "", err: "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, warnings, err := ParseTXT(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("ParseTXT(%q) error = %v, want %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) || len(warnings) != tc.warnings {
				t.Errorf("ParseTXT(%q) = %+v, %q, %v; want %+v with %d warnings", tc.in, got, warnings, err, tc.want, tc.warnings)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	return mustLocation(t, s).URL
}

func TestSearchDomains(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"systemd-resolved stub", "# This is /run/systemd/resolve/stub-resolv.conf\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch corp.example.\n", []string{"corp.example"}},
		{"several", "search a.example b.example c.example\n", []string{"a.example", "b.example", "c.example"}},
		{"domain", "domain example.org\nnameserver 10.0.0.1\n", []string{"example.org"}},
		{"last wins", "search a.example\ndomain b.example\n", []string{"b.example"}},
		{"last wins again", "domain b.example\nsearch c.example d.example\n", []string{"c.example", "d.example"}},
		{"root domain skipped", "search .\n", nil},
		{"comments", "; search x.example\n# search y.example\n  search z.example\n", []string{"z.example"}},
		{"tabs", "search\tt.example\tu.example", []string{"t.example", "u.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SearchDomains([]byte(tc.in))
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SearchDomains(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDiscoverNothing(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"empty root":          {},
		"no xennix keys":      {"proc/cmdline": "ro quiet", "etc/resolv.conf": "search example.com"},
		"warnings only":       {"proc/cmdline": "xennix.answers.sha256=" + hexA},
		"answers unset again": {"proc/cmdline": "xennix.answers=https://h/a xennix.answers="},
	} {
		t.Run(name, func(t *testing.T) {
			_, data, err := Discover(context.Background(), testOptions(t, fakeRoot(t, files)))
			if !errors.Is(err, ErrNoAnswers) || data != nil {
				t.Errorf("Discover = %q, %v; want ErrNoAnswers", data, err)
			}
		})
	}
}

// TestDiscoverVolumeImage points the by-label link at an image file: go-diskfs reads it
// the way it reads a device, so this runs without root.
func TestDiscoverVolumeImage(t *testing.T) {
	img := filepath.Join(t.TempDir(), "a.img")
	if err := WriteAnswersMedia(img, []byte(testAnswers), 0); err != nil {
		t.Fatal(err)
	}
	root := fakeRoot(t, map[string]string{"proc/cmdline": "quiet"})
	link := labelLink(t, root, img)
	src, data, err := Discover(context.Background(), testOptions(t, root))
	if err != nil || string(data) != testAnswers {
		t.Fatalf("Discover = %q, %v; want the answers", data, err)
	}
	if src.Kind != SourceVolume || src.Via != link || src.Location != img+":answers.yaml" {
		t.Errorf("Discover source = %+v", src)
	}
}

func TestDiscoverVolumeWithoutAnswers(t *testing.T) {
	mkfs := needTool(t, "mkfs.fat")
	img := filepath.Join(t.TempDir(), "empty.img")
	if b, err := exec.Command(mkfs, "-C", "-n", VolumeLabel, img, "8192").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.fat: %v\n%s", err, b)
	}
	root := fakeRoot(t, nil)
	labelLink(t, root, img)
	_, _, err := Discover(context.Background(), testOptions(t, root))
	if err == nil || errors.Is(err, ErrNoAnswers) || !strings.Contains(err.Error(), "no answers.yaml") {
		t.Errorf("Discover error = %v, want a missing answers.yaml on the volume", err)
	}
}

// TestDiscoverLoopDevice attaches an answers-media image to a loop device with its
// partitions, links the partition as udev would, and discovers the answers from the
// block device. It also checks the partition device with fsck.fat.
func TestDiscoverLoopDevice(t *testing.T) {
	needRoot(t)
	losetup := needTool(t, "losetup")
	fsck := needTool(t, "fsck.fat")

	img := filepath.Join(t.TempDir(), "answers.img")
	if err := WriteAnswersMedia(img, []byte(testAnswers), 0); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(losetup, "-f", "--show", "-P", img).CombinedOutput()
	if err != nil {
		missing(t, fmt.Sprintf("losetup -f --show -P: %v: %s", err, out))
	}
	loop := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if b, err := exec.Command(losetup, "-d", loop).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", loop, err, b)
		}
	})
	part := loopPartition(t, loop)

	root := fakeRoot(t, map[string]string{"proc/cmdline": "quiet"})
	labelLink(t, root, part)
	src, data, err := Discover(context.Background(), testOptions(t, root))
	if err != nil || string(data) != testAnswers {
		t.Fatalf("Discover = %q, %v; want the answers", data, err)
	}
	if src.Kind != SourceVolume || !strings.HasPrefix(src.Location, part) {
		t.Errorf("Discover source = %+v, want the volume %s", src, part)
	}

	cmd := exec.Command(fsck, "-n", part)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("fsck.fat -n %s: %v\n%s", part, err, b)
	}
}

// loopPartition returns the device of the first partition of loop. Containers often lack
// udev, and the kernel may not scan the partitions on attach: then `partx -a` adds them,
// and if devtmpfs does not make the node either, one is made from sysfs.
func loopPartition(t *testing.T, loop string) string {
	t.Helper()
	part := loop + "p1"
	sys := filepath.Join("/sys/class/block", filepath.Base(part), "dev")
	exists := func() bool { _, err := os.Stat(sys); return err == nil }
	// Opening the whole device runs any partition rescan the kernel still owes it
	// (GD_NEED_PART_SCAN); on a kernel without the MBR parser (CONFIG_MSDOS_PARTITION off,
	// as in some VMs) that rescan would otherwise remove what partx adds below.
	if f, err := os.Open(loop); err == nil {
		f.Close()
	}
	if !exists() {
		if partx, err := exec.LookPath("partx"); err == nil {
			// partx fails if the kernel added the partition meanwhile; the loop below
			// decides.
			exec.Command(partx, "-a", loop).Run()
		}
	}
	for i := 0; i < 50 && !exists(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !exists() {
		missing(t, fmt.Sprintf("no partition %s after losetup -P and partx -a", part))
	}
	for i := 0; i < 50; i++ {
		if fi, err := os.Stat(part); err == nil && fi.Mode()&os.ModeDevice != 0 {
			return part
		}
		time.Sleep(20 * time.Millisecond)
	}
	majmin, err := os.ReadFile(sys)
	if err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(t.TempDir(), filepath.Base(part))
	major, minor, _ := strings.Cut(strings.TrimSpace(string(majmin)), ":")
	if b, err := exec.Command("mknod", node, "b", major, minor).CombinedOutput(); err != nil {
		t.Fatalf("mknod %s: %v: %s", node, err, b)
	}
	return node
}
