package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

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

// planOptions are the plan's inputs from this binary and the image it runs from.
func planOptions() (installer.PlanOptions, error) {
	inputs, err := imageInputs()
	if err != nil {
		return installer.PlanOptions{}, err
	}
	return installer.PlanOptions{Inputs: inputs, HostModules: hostModules()}, nil
}

func planFor(w io.Writer, data []byte, name string, rep hwdetect.Report) (installer.Answers, installer.Plan, error) {
	a, h, err := installer.ParseAndResolve(name, data, installer.Defaults(&rep), &rep)
	if err != nil {
		return a, installer.Plan{}, printProblems(w, name, err)
	}
	o, err := planOptions()
	if err != nil {
		return a, installer.Plan{}, err
	}
	p, err := installer.NewPlan(h, o)
	if err != nil {
		return a, p, printProblems(w, name, err)
	}
	return a, p, nil
}

// dryRunRoot makes the --out directory of a dry run and returns it absolute; it is "" for
// a real install.
func dryRunRoot(f installFlags) (string, error) {
	if !f.dryRun {
		return "", nil
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return "", err
	}
	root, err := filepath.Abs(f.out)
	if err != nil {
		return "", fmt.Errorf("--out: %w", err)
	}
	return root, nil
}

// reported is errSilent for an install failure the session has already reported.
func reported(err error) error {
	var f *installer.Failure
	if errors.As(err, &f) {
		return errSilent
	}
	return err
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
	_, plan, err := planFor(w, data, name, rep)
	if err != nil {
		return err
	}
	root, err := dryRunRoot(f)
	if err != nil {
		return err
	}
	s := &installer.Session{
		Installer: installer.Installer{Plan: plan, Report: rep, Headless: true, DryRun: f.dryRun, Root: root},
		Resume:    f.resume,
		Console:   w,
	}
	_, err = s.Run(ctx)
	return reported(err)
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
