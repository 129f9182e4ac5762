package xenvm

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// CacheDir is where Boot keeps downloaded and unpacked Debian packages between runs:
// $XENNIX_XENVM_CACHE, else $XDG_CACHE_HOME/xennix-xenvm (or ~/.cache/xennix-xenvm), else
// /var/cache/xennix-xenvm.
func CacheDir() string {
	if d := os.Getenv("XENNIX_XENVM_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "xennix-xenvm")
	}
	return "/var/cache/xennix-xenvm"
}

// basePackages are what every dom0 is made of; the kernel is found through
// linux-image-amd64's dependency (the metapackage itself holds no kernel).
// xl's hotplug scripts (/etc/xen/scripts/vif-bridge) are bash and call xenstore-read and
// friends.
var basePackages = []string{"xen-hypervisor-4.17-amd64", "xen-utils-4.17", "xen-utils-common", "xenstore-utils",
	"busybox-static", "bash", "systemd"}

// debs is a set of unpacked Debian packages: package name to the directory it was
// unpacked in.
type debs map[string]string

// run runs argv with LC_ALL=C and returns its stdout; the error carries argv and stderr.
func run(ctx context.Context, dir string, argv ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// kernelPackage names the versioned kernel package linux-image-amd64 depends on.
func kernelPackage(ctx context.Context) (string, error) {
	out, err := run(ctx, "", "apt-cache", "depends", "linux-image-amd64")
	if err != nil {
		return "", fmt.Errorf("find the kernel package: %w", err)
	}
	deps := parseDepends(out)["linux-image-amd64"]
	for _, d := range deps {
		if strings.HasPrefix(d, "linux-image-") && len(d) > len("linux-image-") && d[len("linux-image-")] >= '0' && d[len("linux-image-")] <= '9' {
			return d, nil
		}
	}
	return "", fmt.Errorf("apt-cache depends linux-image-amd64 names no linux-image-<version> package (run apt-get update?)")
}

// parseDepends reads `apt-cache depends` output: for each package, its Depends and
// PreDepends that are real package names. A virtual dependency (<name>) is skipped:
// apt-cache lists its providers on the lines below, which are not dependencies themselves.
func parseDepends(out []byte) map[string][]string {
	deps := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if line[0] != ' ' {
			cur = strings.TrimSpace(line)
			if _, ok := deps[cur]; !ok {
				deps[cur] = nil
			}
			continue
		}
		f := strings.Fields(strings.TrimLeft(line, " |"))
		if len(f) != 2 || (f[0] != "Depends:" && f[0] != "PreDepends:") || strings.HasPrefix(f[1], "<") {
			continue
		}
		name := strings.TrimSuffix(f[1], ":any")
		if !contains(deps[cur], name) {
			deps[cur] = append(deps[cur], name)
		}
	}
	return deps
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// libClosure adds to pkgs, recursively, every dependency whose name starts with "lib" (and
// zlib1g):
// the shared libraries the packages' binaries need (and nothing like python3 or debconf,
// which this dom0 does not use).
func libClosure(ctx context.Context, pkgs []string) ([]string, error) {
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p] = true
	}
	todo := append([]string(nil), pkgs...)
	for len(todo) > 0 {
		argv := append([]string{"apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts",
			"--no-breaks", "--no-replaces", "--no-enhances"}, todo...)
		out, err := run(ctx, "", argv...)
		if err != nil {
			return nil, fmt.Errorf("resolve dependencies: %w", err)
		}
		todo = nil
		for _, ds := range parseDepends(out) {
			for _, d := range ds {
				if (strings.HasPrefix(d, "lib") || d == "zlib1g") && !seen[d] {
					seen[d] = true
					todo = append(todo, d)
				}
			}
		}
	}
	all := make([]string, 0, len(seen))
	for p := range seen {
		all = append(all, p)
	}
	sort.Strings(all)
	return all, nil
}

// parsePrintURIs reads `apt-get download --print-uris` output ('URI' FILE SIZE HASH per
// line) into the file names apt-get download will write, in order.
func parsePrintURIs(out []byte) []string {
	var files []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "'") && strings.HasSuffix(f[1], ".deb") {
			files = append(files, f[1])
		}
	}
	return files
}

// fetch makes sure the packages (the base set, the kernel, extra and their libraries) are
// downloaded and unpacked in cache, and returns where each is. Downloads happen only for
// versions not yet cached; a lock file serialises concurrent test processes.
func fetch(ctx context.Context, cache string, extra []string) (debs, string, error) {
	for _, tool := range []string{"apt-cache", "apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, "", fmt.Errorf("%s not found: xenvm needs a Debian system's apt and dpkg: %w", tool, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(cache, "debs"), 0o755); err != nil {
		return nil, "", fmt.Errorf("cache: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cache, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("cache lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, "", fmt.Errorf("cache lock: %w", err)
	}
	kpkg, files, err := resolve(ctx, cache, extra)
	if err != nil {
		return nil, "", err
	}
	pkgs := make([]string, 0, len(files))
	for p := range files {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	var missing []string
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(cache, "debs", files[p])); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		tmp, err := os.MkdirTemp(cache, "download-")
		if err != nil {
			return nil, "", fmt.Errorf("cache: %w", err)
		}
		defer os.RemoveAll(tmp)
		// As root apt-get download drops to the _apt user, which cannot write here.
		argv := append([]string{"apt-get", "download", "-q", "-o", "APT::Sandbox::User=root"}, missing...)
		if _, err := run(ctx, tmp, argv...); err != nil {
			return nil, "", fmt.Errorf("download packages (run apt-get update?): %w", err)
		}
		got, err := filepath.Glob(filepath.Join(tmp, "*.deb"))
		if err != nil {
			return nil, "", err
		}
		for _, g := range got {
			if err := os.Rename(g, filepath.Join(cache, "debs", filepath.Base(g))); err != nil {
				return nil, "", fmt.Errorf("cache: %w", err)
			}
		}
	}
	d := debs{}
	for _, p := range pkgs {
		dir, err := unpack(ctx, cache, files[p])
		if err != nil {
			return nil, "", err
		}
		d[p] = dir
	}
	return d, kpkg, nil
}

// resolution is what resolve found, saved in the cache: asking apt-cache takes seconds.
type resolution struct {
	Key    string            `json:"key"`
	Kernel string            `json:"kernel"`
	Files  map[string]string `json:"files"`
}

// resolve names the kernel package and the .deb file of every package Boot needs (the
// base set, the kernel, extra, their libraries), asking apt only when its package lists
// changed since the last time for the same extra packages.
func resolve(ctx context.Context, cache string, extra []string) (string, map[string]string, error) {
	lists, err := os.Stat("/var/lib/apt/lists")
	if err != nil {
		return "", nil, fmt.Errorf("apt package lists: %w (run apt-get update)", err)
	}
	want := strings.Join(append(append([]string{}, basePackages...), extra...), " ")
	key := fmt.Sprintf("%d %s", lists.ModTime().UnixNano(), want)
	saved := filepath.Join(cache, fmt.Sprintf("resolved-%x.json", sha256.Sum256([]byte(want))))
	var r resolution
	if b, err := os.ReadFile(saved); err == nil && json.Unmarshal(b, &r) == nil && r.Key == key {
		return r.Kernel, r.Files, nil
	}
	kpkg, err := kernelPackage(ctx)
	if err != nil {
		return "", nil, err
	}
	roots := append(append([]string{kpkg}, basePackages...), extra...)
	pkgs, err := libClosure(ctx, roots)
	if err != nil {
		return "", nil, err
	}
	out, err := run(ctx, "", append([]string{"apt-get", "download", "--print-uris"}, pkgs...)...)
	if err != nil {
		return "", nil, fmt.Errorf("look up packages (run apt-get update?): %w", err)
	}
	files := map[string]string{} // package name to .deb file name
	for _, f := range parsePrintURIs(out) {
		files[strings.SplitN(f, "_", 2)[0]] = f
	}
	for _, p := range pkgs {
		if _, ok := files[p]; !ok {
			return "", nil, fmt.Errorf("apt-get download --print-uris gave no file for package %s", p)
		}
	}
	r = resolution{Key: key, Kernel: kpkg, Files: files}
	b, err := json.Marshal(r)
	if err != nil {
		return "", nil, err
	}
	err = writeFile(saved, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("cache: %w", err)
	}
	return kpkg, files, nil
}

// unpack extracts a cached .deb once, into cache/x/<name>, via a temporary directory.
func unpack(ctx context.Context, cache, file string) (string, error) {
	dir := filepath.Join(cache, "x", strings.TrimSuffix(file, ".deb"))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "unpack-")
	if err != nil {
		return "", fmt.Errorf("cache: %w", err)
	}
	if _, err := run(ctx, "", "dpkg-deb", "-x", filepath.Join(cache, "debs", file), tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("unpack %s: %w", file, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if errors.Is(err, os.ErrExist) {
			return dir, nil
		}
		return "", fmt.Errorf("cache: %w", err)
	}
	return dir, nil
}
