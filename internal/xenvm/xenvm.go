package xenvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options say what to put into dom0 and what to run there. The zero value boots Xen with a
// dom0 whose Xen daemons are running and runs nothing.
type Options struct {
	// Files are host files to copy into dom0: host path to dom0 path (e.g. a xennix binary
	// to /usr/bin/xennix). Executables get the shared libraries they need.
	Files map[string]string
	// Script is a shell script (busybox sh) run as root in dom0; Result.Output and
	// Result.ExitCode are its. It runs before Steps.
	Script string
	// Steps are more scripts run one after another in the same boot, each with its own
	// output and exit code in Result.Steps: one boot can serve several checks.
	Steps []Step
	// Modules are extra kernel modules to load (e.g. bonding, 8021q, veth, dummy), with
	// what they depend on, after those Xen and a bridge need.
	Modules []string
	// Packages are extra Debian packages (e.g. iproute2, pci.ids) whose files are installed
	// in dom0, with the libraries their programs need.
	Packages []string
	// Guest is what /guest/initrd.cpio, the PV guest initramfs in dom0, runs; dom0 also
	// has the guest kernel at /guest/vmlinuz.
	Guest Guest
	// Env is added to the environment of Script and Steps ("NAME=value").
	Env []string
	// NoXen boots the same kernel and root directly, without the hypervisor: a machine
	// that booted NixOS without Xen.
	NoXen bool
	// XenArgs are appended to Xen's command line, KernelArgs to dom0's.
	XenArgs, KernelArgs string
	// MemoryMiB is the machine's memory (default 1536), Dom0MiB dom0's (dom0_mem, default
	// 768).
	MemoryMiB, Dom0MiB int
	// Timeout bounds the whole boot, from QEMU's start to its exit (default 5 minutes).
	Timeout time.Duration
	// Cache is where packages are kept between runs (default CacheDir()).
	Cache string
	// Keep, when not empty, is a directory to leave the initramfs, console and results in.
	Keep string
}

// Guest describes the busybox initramfs for PV guests that dom0 carries at
// /guest/initrd.cpio. Its /init loads the modules, prints XENVM-GUEST-UP, runs Script,
// prints "XENVM-GUEST-RC <exit code>", then waits: `xl shutdown` powers it off.
type Guest struct {
	// Script is a busybox sh script (default: print the kernel version and interfaces).
	Script string
	// Modules are kernel modules to load beyond xen-netfront and xen-blkfront.
	Modules []string
}

// Step is one script run in dom0.
type Step struct {
	// Name identifies the step in Result.Steps and in errors.
	Name string
	// Script is the busybox sh script.
	Script string
	// Timeout, if set, kills the step after that long (exit code 137).
	Timeout time.Duration
}

// StepResult is what a step printed (stdout and stderr together) and its exit status.
type StepResult struct {
	Name     string
	Output   string
	ExitCode int
	// Duration is how long the step ran, by dom0's clock.
	Duration time.Duration
}

// Result is what ran in dom0.
type Result struct {
	// Output and ExitCode are Options.Script's.
	Output   string
	ExitCode int
	// Steps are the results of Options.Steps, in order.
	Steps []StepResult
	// Console is the serial console: Xen's and the dom0 kernel's messages.
	Console string
	// BootTime is from QEMU's start until dom0 was ready to run the first script.
	BootTime time.Duration
	// Total is from QEMU's start until it exited.
	Total time.Duration
}

// Step returns the result of the step named name.
func (r Result) Step(name string) (StepResult, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return StepResult{}, false
}

// ErrBoot is wrapped by Boot's error when the VM did not run every script to the end: it
// did not boot, crashed or timed out. The error carries the serial console's tail.
var ErrBoot = errors.New("xen vm did not finish")

// Prerequisites reports what Boot needs and this machine lacks (root is not needed; QEMU,
// apt with its package lists, and dpkg are), as an error naming what to install, or nil.
func Prerequisites() error {
	var missing []string
	for tool, pkg := range map[string]string{"qemu-system-x86_64": "qemu-system-x86", "apt-get": "apt", "apt-cache": "apt", "dpkg-deb": "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", tool, pkg))
		}
	}
	sort.Strings(missing)
	if lists, _ := filepath.Glob("/var/lib/apt/lists/*_Packages*"); len(lists) == 0 {
		missing = append(missing, "apt's package lists (run apt-get update)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("xenvm needs %s", strings.Join(missing, ", "))
	}
	return nil
}

// Boot builds a dom0 from opts, boots it under QEMU (with Xen unless opts.NoXen) and
// returns what the scripts printed. A script failing is not an error (see its ExitCode);
// a VM that does not get through all of them is, wrapping ErrBoot.
func Boot(ctx context.Context, opts Options) (Result, error) {
	if err := Prerequisites(); err != nil {
		return Result{}, err
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.MemoryMiB == 0 {
		opts.MemoryMiB = 1536
	}
	if opts.Dom0MiB == 0 {
		opts.Dom0MiB = 768
	}
	if err := opts.validate(); err != nil {
		return Result{}, err
	}
	if opts.Cache == "" {
		opts.Cache = CacheDir()
	}
	d, kpkg, err := fetch(ctx, opts.Cache, opts.Packages)
	if err != nil {
		return Result{}, err
	}
	work := opts.Keep
	if work == "" {
		if work, err = os.MkdirTemp("", "xenvm-"); err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return Result{}, err
	}
	img, err := build(d, kpkg, opts)
	if err != nil {
		return Result{}, err
	}
	if err := writeFile(filepath.Join(work, "initrd.cpio"), img.root.writeCpio); err != nil {
		return Result{}, fmt.Errorf("write initramfs: %w", err)
	}
	if strings.ContainsAny(work, ", ") || strings.ContainsAny(img.kernel, ", ") {
		return Result{}, fmt.Errorf("paths with commas or spaces cannot be QEMU multiboot modules: %s, %s", work, img.kernel)
	}
	return runQEMU(ctx, work, img, opts)
}

func (o Options) validate() error {
	var errs []error
	seen := map[string]bool{"script": o.Script != ""}
	for i, s := range o.Steps {
		switch {
		case s.Name == "":
			errs = append(errs, fmt.Errorf("steps[%d].name: empty", i))
		case strings.ContainsAny(s.Name, " \t\n/"):
			errs = append(errs, fmt.Errorf("steps[%d].name: %q has a space or slash", i, s.Name))
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("steps[%d].name: %q used twice (\"script\" is Script's)", i, s.Name))
		}
		seen[s.Name] = true
		if s.Timeout < 0 {
			errs = append(errs, fmt.Errorf("steps[%d].timeout: negative", i))
		}
	}
	for src, dst := range o.Files {
		if !filepath.IsAbs(dst) {
			errs = append(errs, fmt.Errorf("files[%s]: dom0 path %q is not absolute", src, dst))
		}
		if fi, err := os.Stat(src); err != nil {
			errs = append(errs, fmt.Errorf("files[%s]: %w", src, err))
		} else if !fi.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("files[%s]: not a regular file", src))
		}
	}
	for _, e := range o.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" || strings.ContainsAny(e, "\n'") {
			errs = append(errs, fmt.Errorf("env: %q is not NAME=value (without newlines or single quotes)", e))
		}
	}
	if o.MemoryMiB < 0 || o.Dom0MiB < 0 || (o.MemoryMiB > 0 && o.Dom0MiB >= o.MemoryMiB) {
		errs = append(errs, fmt.Errorf("memory: dom0 %d MiB in a machine of %d MiB", o.Dom0MiB, o.MemoryMiB))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: negative"))
	}
	return errors.Join(errs...)
}

// writeFile writes path through a temporary file and a rename.
func writeFile(path string, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// results parses what dom0 wrote on the results port: READY, then per step
// "XENVM-OUT name size\n" size bytes "XENVM-RC name rc [seconds]\n", then DONE.
func parseResults(b []byte) (steps []StepResult, ready, done bool, err error) {
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return steps, ready, done, nil // the rest is still being written
		}
		f := strings.Fields(string(line))
		switch {
		case len(f) == 1 && f[0] == "XENVM-READY":
			ready = true
			b = rest
		case len(f) > 1 && f[0] == "XENVM-FAILED":
			return steps, ready, done, fmt.Errorf("dom0: %s", strings.TrimPrefix(string(line), "XENVM-FAILED "))
		case len(f) == 1 && f[0] == "XENVM-DONE":
			done = true
			b = rest
		case len(f) == 3 && f[0] == "XENVM-OUT":
			n, perr := strconv.Atoi(f[2])
			if perr != nil || n < 0 {
				return steps, ready, done, fmt.Errorf("results: bad size in %q", line)
			}
			if len(rest) < n {
				return steps, ready, done, nil
			}
			out := rest[:n]
			rcLine, after, ok := bytes.Cut(rest[n:], []byte("\n"))
			if !ok {
				return steps, ready, done, nil
			}
			rf := strings.Fields(string(rcLine))
			if len(rf) < 3 || len(rf) > 4 || rf[0] != "XENVM-RC" || rf[1] != f[1] {
				return steps, ready, done, fmt.Errorf("results: after %d bytes of %s want XENVM-RC %s, got %q", n, f[1], f[1], rcLine)
			}
			rc, perr := strconv.Atoi(rf[2])
			if perr != nil {
				return steps, ready, done, fmt.Errorf("results: bad exit code in %q", rcLine)
			}
			sr := StepResult{Name: f[1], Output: string(out), ExitCode: rc}
			if len(rf) == 4 {
				secs, perr := strconv.ParseFloat(rf[3], 64)
				if perr != nil {
					return steps, ready, done, fmt.Errorf("results: bad duration in %q", rcLine)
				}
				sr.Duration = time.Duration(secs * float64(time.Second))
			}
			steps = append(steps, sr)
			b = after
		default:
			return steps, ready, done, fmt.Errorf("results: unexpected line %q", line)
		}
	}
	return steps, ready, done, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
