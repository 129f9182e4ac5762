package xenvm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// consoleTail is how many console lines an error carries.
const consoleTail = 40

// qemuArgs is the QEMU command line for img in work.
func qemuArgs(work string, img image, opts Options) []string {
	// -cpu qemu64: with -cpu max the PV dom0 crashes at boot under TCG. /dev/kvm exists on
	// these machines but a KVM guest hangs: TCG. -nodefaults: no NIC, so no traffic leaves.
	args := []string{"-accel", "tcg", "-cpu", "qemu64", "-m", fmt.Sprint(opts.MemoryMiB), "-smp", "2",
		"-nodefaults", "-display", "none", "-vga", "none", "-no-reboot", "-monitor", "none",
		"-serial", "file:" + filepath.Join(work, "console.log"),
		"-serial", "file:" + filepath.Join(work, "results.log")}
	initrd := filepath.Join(work, "initrd.cpio")
	kargs := strings.TrimSpace("quiet loglevel=4 panic=-1 " + opts.KernelArgs)
	if opts.NoXen {
		return append(args, "-kernel", img.kernel, "-initrd", initrd, "-append", "console=ttyS0 "+kargs)
	}
	// bootscrub=0: scrubbing all memory under TCG takes CPU time dom0 needs to boot.
	xargs := strings.TrimSpace(fmt.Sprintf("console=com1 com1=115200,8n1 dom0_mem=%dM bootscrub=0 %s", opts.Dom0MiB, opts.XenArgs))
	// Multiboot modules: "file args,file" (QEMU hw/i386/multiboot.c); the first is dom0's
	// kernel with its command line, the second its initramfs.
	return append(args, "-kernel", img.xen, "-append", xargs,
		"-initrd", img.kernel+" console=hvc0 "+kargs+","+initrd)
}

// runQEMU boots img and collects the results, stopping QEMU when dom0 is done (it powers
// off itself; a hung poweroff is cut short) or when the timeout runs out.
func runQEMU(ctx context.Context, work string, img image, opts Options) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	for _, f := range []string{"console.log", "results.log"} {
		if err := os.WriteFile(filepath.Join(work, f), nil, 0o644); err != nil {
			return Result{}, err
		}
	}
	var qlog bytes.Buffer
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", qemuArgs(work, img, opts)...)
	cmd.Stdout, cmd.Stderr = &qlog, &qlog
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start qemu: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var res Result
	var steps []StepResult
	var ready, done bool
	var perr, qerr error
	var doneAt time.Time
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	read := func() {
		b, _ := os.ReadFile(filepath.Join(work, "results.log"))
		var r bool
		steps, r, done, perr = parseResults(b)
		if r && !ready {
			ready = true
			res.BootTime = time.Since(start)
		}
	}
loop:
	for {
		select {
		case qerr = <-exited:
			break loop
		case <-tick.C:
			read()
			if (done || perr != nil) && doneAt.IsZero() {
				doneAt = time.Now()
			}
			if !doneAt.IsZero() && time.Since(doneAt) > 20*time.Second {
				cmd.Process.Kill() // poweroff hung: the results are complete (or broken)
			}
		}
	}
	res.Total = time.Since(start)
	read()
	console, _ := os.ReadFile(filepath.Join(work, "console.log"))
	res.Console = strings.ReplaceAll(string(console), "\r", "")
	for _, s := range steps {
		if s.Name == "script" && opts.Script != "" {
			res.Output, res.ExitCode = s.Output, s.ExitCode
		} else {
			res.Steps = append(res.Steps, s)
		}
	}
	var why string
	switch {
	case perr != nil:
		why = perr.Error()
	case done:
		return res, nil
	case ctx.Err() != nil:
		why = fmt.Sprintf("no result within %s", opts.Timeout)
	case qerr != nil:
		why = fmt.Sprintf("qemu: %v: %s", qerr, strings.TrimSpace(qlog.String()))
	default:
		why = "qemu exited"
	}
	stage := "dom0 never became ready"
	if ready {
		stage = fmt.Sprintf("dom0 ran %d of its scripts", len(steps))
	}
	return res, fmt.Errorf("%w: %s (%s); last lines of the serial console:\n%s", ErrBoot, why, stage, tail(res.Console, consoleTail))
}
