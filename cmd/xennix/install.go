package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xennix/xennix/assets"
	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

type installFlags struct {
	answers    string
	hardware   string
	dryRun     bool
	out        string
	resume     bool
	accessible bool
	root       string
}

func newInstallCmd() *cobra.Command {
	var f installFlags
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install XenNix on this machine, interactively or from an answers file",
		Long: `Install XenNix: probe the hardware, take the answers (--answers, or discovered on the
kernel command line or a volume labelled XENNIX-ANS), check them, plan the install, and
carry it out step by step, with one progress line per step.

--dry-run writes every file and the command transcript under --out and touches no disk.
A failed install keeps what was done; --resume continues at the failed step.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runInstall(cmd.Context(), cmd.OutOrStdout(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.answers, "answers", "", "answers file (path or http(s) URL) for a headless install")
	fl.BoolVar(&f.dryRun, "dry-run", false, "write the plan and files under --out and touch no disk")
	fl.StringVar(&f.out, "out", "xennix-dry-run", "directory for --dry-run output")
	fl.BoolVar(&f.resume, "resume", false, "continue a failed install from the failed step")
	fl.BoolVar(&f.accessible, "accessible", false, "plain sequential prompts instead of the full-screen interface")
	fl.StringVar(&f.root, "root", "/", "filesystem root to probe (for testing)")
	fl.StringVar(&f.hardware, "hardware", "", "use this hardware report (xennix probe --json) instead of probing (with --dry-run)")
	return cmd
}

// loadReport probes root, or reads a saved report.
func loadReport(root, hardware string) (hwdetect.Report, error) {
	if hardware == "" {
		rep, err := hwdetect.Scan(root)
		if err != nil {
			return rep, fmt.Errorf("probe hardware: %w", err)
		}
		return rep, nil
	}
	fh, err := os.Open(hardware)
	if err != nil {
		return hwdetect.Report{}, usageError{fmt.Errorf("--hardware: %w", err)}
	}
	defer fh.Close()
	return hwdetect.Load(fh)
}

// hostModules are the XenNix NixOS modules embedded in this binary.
func hostModules() fs.FS {
	sub, err := fs.Sub(assets.NixOS, "nixos")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// imageInputs reads the flake inputs of the XenNix image, or nil when not running from one.
func imageInputs() (installer.Inputs, error) {
	in, err := installer.LoadInputs(installer.InputsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return in, err
}

// printProblems prints answers problems one per line and returns errSilent, or returns err
// unchanged when it holds none.
func printProblems(w io.Writer, name string, err error) error {
	problems := installer.Problems(err)
	if len(problems) == 0 {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(w, p)
	}
	fmt.Fprintf(w, "%d problem(s) in %s\n", len(problems), name)
	return errSilent
}

func planFor(w io.Writer, data []byte, name string, rep hwdetect.Report) (installer.Answers, installer.Plan, error) {
	a, err := installer.ParseAndValidate(name, data, installer.Defaults(&rep), &rep)
	if err != nil {
		return a, installer.Plan{}, printProblems(w, name, err)
	}
	inputs, err := imageInputs()
	if err != nil {
		return a, installer.Plan{}, err
	}
	h, err := installer.Resolve(a, &rep)
	if err != nil {
		return a, installer.Plan{}, printProblems(w, name, err)
	}
	p, err := installer.NewPlan(h, installer.PlanOptions{Inputs: inputs, HostModules: hostModules()})
	if err != nil {
		return a, p, printProblems(w, name, err)
	}
	return a, p, nil
}

func runInstall(ctx context.Context, w io.Writer, f installFlags) error {
	if f.hardware != "" && !f.dryRun {
		return usageError{errors.New("--hardware is only for --dry-run: a real install probes the machine it runs on")}
	}
	rep, err := loadReport(f.root, f.hardware)
	if err != nil {
		return err
	}
	var data []byte
	var name string
	if f.answers != "" {
		data, name, err = readAnswers(ctx, f.answers, rep)
	} else {
		data, name, err = discoverAnswers(ctx, w, f.root, rep)
	}
	if err != nil {
		return err
	}
	if data == nil {
		return runInteractive(ctx, w, f, rep, installer.Defaults(&rep))
	}
	if a, ok, err := interactiveAnswers(name, data, rep); err != nil {
		return printProblems(w, name, err)
	} else if ok {
		return runInteractive(ctx, w, f, rep, a)
	}
	a, plan, err := planFor(w, data, name, rep)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Installing %s\n", plan.Summary)
	for _, n := range plan.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, d := range plan.WipeSummary() {
		fmt.Fprintf(w, "ERASES %s\n", d)
	}

	state := filepath.Join(installer.WorkDir, "state.json")
	logPath := filepath.Join(installer.WorkDir, "install.log")
	var runner installer.Runner = installer.ExecRunner{}
	var dry *installer.DryRunner
	root := ""
	if f.dryRun {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return err
		}
		if root, err = filepath.Abs(f.out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		state = filepath.Join(root, "state.json")
		logPath = filepath.Join(root, "install.log")
		dry = &installer.DryRunner{}
		runner = dry
		fmt.Fprintf(w, "dry run: nothing on this machine changes; files and transcript go to %s\n", root)
	}
	log, closer, err := installer.NewLog(logPath, a.Secrets()...)
	if err != nil {
		return err
	}
	defer closer.Close()
	log.Info("install", "summary", plan.Summary, "dry_run", f.dryRun, "resume", f.resume)

	in := &installer.Installer{Answers: a, Plan: plan, Report: rep, Headless: true, DryRun: f.dryRun, Root: root, LogPath: logPath, Out: w}
	if f.dryRun {
		// The report is the one given; do not rescan a machine that is not the target.
		in.Rescan = func() (hwdetect.Report, error) { return rep, nil }
		in.Euid = func() int { return 0 }
	}
	err = installer.Execute(ctx, plan, runner, installer.ExecOptions{
		StateFile: state, Resume: f.resume, Root: root, Log: log, Hooks: in.Hooks(),
		Events: progressLine(w),
	})
	if f.dryRun {
		t := plan.Transcript() + "\n# Commands as the dry run recorded them:\n$ " + strings.Join(dry.Transcript, "\n$ ") + "\n"
		if werr := installer.WriteFileAtomic(filepath.Join(root, "transcript.txt"), []byte(t), 0o644); werr != nil {
			return werr
		}
		if err == nil {
			fmt.Fprintf(w, "dry run done: %d files and %d commands in %s/transcript.txt\n", len(plan.Files()), len(dry.Transcript), root)
		}
	}
	if err == nil {
		return nil
	}
	if f.dryRun {
		// The same report as a real install's, without its side effects.
		fmt.Fprintf(w, "\nINSTALL FAILED: %s\n", installer.Redact(err.Error(), a.Secrets()...))
		return errSilent
	}
	reportFailure(ctx, w, in, plan, err, log, logPath, failureDirs{work: installer.WorkDir, bundles: "/tmp"})
	return errSilent
}

// failureDirs are where a failure leaves its marker (work/FAILED) and its support bundle.
type failureDirs struct{ work, bundles string }

// reportFailure is what every failed install does, an interrupted one (SIGINT, SIGTERM)
// included: the "failed" webhook, a failure marker and a support bundle, and where to look.
// ctx may be cancelled already (the interrupt): the webhook still gets its own bounded time.
func reportFailure(ctx context.Context, w io.Writer, in *installer.Installer, plan installer.Plan, failure error, log *slog.Logger, logPath string, dirs failureDirs) {
	if nerr := in.Notify(context.WithoutCancel(ctx), installer.EventFailed, failure); nerr != nil {
		log.Error("webhook", "error", nerr.Error())
		fmt.Fprintf(w, "could not tell the webhook: %s\n", installer.Redact(nerr.Error(), in.Answers.Secrets()...))
	}
	writeFailure(w, in, plan, failure, logPath, dirs)
}

// writeFailure leaves a failure marker and a support bundle, and says where: a failed
// headless install stays on the console and never reboots by itself. Webhook credentials
// are redacted in all of it.
func writeFailure(w io.Writer, in *installer.Installer, plan installer.Plan, failure error, logPath string, dirs failureDirs) {
	now := time.Now()
	secrets := in.Answers.Secrets()
	msg := installer.Redact(failure.Error(), secrets...)
	fmt.Fprintf(w, "\nINSTALL FAILED: %s\n", msg)
	if err := installer.WriteFileAtomic(filepath.Join(dirs.work, "FAILED"), []byte(msg+"\n"), 0o644); err != nil {
		fmt.Fprintf(w, "could not write the failure marker: %v\n", err)
	}
	entries := map[string][]byte{"error.txt": []byte(msg + "\n"), "plan.txt": []byte(installer.Redact(plan.Transcript(), secrets...))}
	if b, err := os.ReadFile(logPath); err == nil {
		entries["install.log"] = []byte(installer.Redact(string(b), secrets...))
	}
	if b, err := json.MarshalIndent(in.Report, "", "  "); err == nil {
		entries["hardware.json"] = b
	}
	if b, err := in.Answers.Marshal("answers of the failed install (secrets only as hashes)"); err == nil {
		entries["answers.yaml"] = []byte(installer.Redact(string(b), secrets...))
	}
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if b, err := (installer.ExecRunner{}).Run(dctx, []string{"dmesg", "--ctime"}); err == nil {
		lines := strings.Split(string(b), "\n")
		if len(lines) > 300 {
			lines = lines[len(lines)-300:]
		}
		entries["dmesg-tail.txt"] = []byte(strings.Join(lines, "\n"))
	}
	bundle := filepath.Join(dirs.bundles, fmt.Sprintf("xennix-support-%s.tar.gz", now.UTC().Format("20060102T150405Z")))
	if err := installer.SupportBundle(bundle, entries, now); err != nil {
		fmt.Fprintf(w, "could not write a support bundle: %v\n", err)
	} else {
		fmt.Fprintf(w, "support bundle: %s\n", bundle)
	}
	fmt.Fprintf(w, "install log: %s\nfix the cause, then continue with: xennix install --answers … --resume\n", logPath)
}

// progressLine prints one line per step on a plain terminal.
func progressLine(w io.Writer) func(installer.Event) {
	return func(e installer.Event) {
		n := fmt.Sprintf("[%d/%d]", e.Index+1, e.Total)
		switch e.Kind {
		case installer.StepStarted:
			fmt.Fprintf(w, "%s %s ...\n", n, e.Title)
		case installer.StepDone:
			fmt.Fprintf(w, "%s %s: done (%s)\n", n, e.Title, e.Duration.Round(100*time.Millisecond))
		case installer.StepSkipped:
			fmt.Fprintf(w, "%s %s: done before, skipped\n", n, e.Title)
		case installer.StepFailed:
			fmt.Fprintf(w, "%s %s: FAILED after %s\n", n, e.Title, e.Duration.Round(100*time.Millisecond))
		}
	}
}

func newPlanCmd() *cobra.Command {
	var f installFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print the install plan for an answers file: files, steps and commands",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.answers == "" {
				return usageError{errors.New("--answers is required")}
			}
			rep, err := loadReport(f.root, f.hardware)
			if err != nil {
				return err
			}
			data, name, err := readAnswers(cmd.Context(), f.answers, rep)
			if err != nil {
				return err
			}
			_, p, err := planFor(cmd.OutOrStdout(), data, name, rep)
			if err != nil {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), p.Transcript())
			return err
		},
	}
	cmd.Flags().StringVar(&f.answers, "answers", "", "answers file (path or http(s) URL)")
	cmd.Flags().StringVar(&f.hardware, "hardware", "", "hardware report (xennix probe --json) instead of probing this machine")
	cmd.Flags().StringVar(&f.root, "root", "/", "filesystem root to probe (for testing)")
	return cmd
}
