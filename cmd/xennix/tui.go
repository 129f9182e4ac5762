package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
	"github.com/xennix/xennix/installer/tui"
)

// runInteractive is `xennix install` with an operator: the TUI (or, with --accessible,
// plain prompts) takes the answers starting from base, and installs them — or, with
// --dry-run, writes the plan, files and transcript under --out.
func runInteractive(ctx context.Context, w io.Writer, f installFlags, rep hwdetect.Report, base installer.Answers) error {
	if !f.accessible && !term.IsTerminal(os.Stdin.Fd()) {
		return usageError{errors.New("no answers were found and there is no terminal for the interactive installer: give --answers FILE, or --accessible for plain prompts")}
	}
	o, err := interactiveOptions(f, rep, base)
	if err != nil {
		return err
	}
	o.Output = w
	_, err = tui.Run(ctx, o)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tui.ErrQuit):
		fmt.Fprintln(w, "xennix: the installer was quit; nothing more was done")
		return errSilent
	case len(installer.Problems(err)) > 0:
		return printProblems(w, "the answers", err)
	}
	var se *installer.StepError
	if errors.As(err, &se) {
		fmt.Fprintf(w, "install failed at step %s; what was done is kept.\ncontinue with: xennix install --answers %s --resume\n",
			se.Step, filepath.Join(installer.WorkDir, "answers.yaml"))
		return errSilent
	}
	return err
}

// interactiveAnswers decides whether an answers file given on a terminal opens the TUI: it
// does when it names sections in interactive: or does not answer everything (it does not
// validate on this machine). The returned answers are the file decoded onto the defaults.
func interactiveAnswers(name string, data []byte, rep hwdetect.Report) (installer.Answers, bool, error) {
	if !term.IsTerminal(os.Stdin.Fd()) {
		return installer.Answers{}, false, nil
	}
	a, err := installer.Parse(name, data, installer.Defaults(&rep))
	if err != nil {
		return a, false, err
	}
	return a, len(a.Interactive) > 0 || a.Validate(&rep) != nil, nil
}

// interactiveOptions wires the TUI to the planner and to an install session, as runInstall
// does for headless installs.
func interactiveOptions(f installFlags, rep hwdetect.Report, base installer.Answers) (tui.Options, error) {
	po, err := planOptions()
	if err != nil {
		return tui.Options{}, err
	}
	root, err := dryRunRoot(f)
	if err != nil {
		return tui.Options{}, err
	}
	o := tui.Options{
		Report: rep, Base: base, Accessible: f.accessible, DryRun: f.dryRun, Out: root, Root: root,
		Plan: func(a installer.Answers) (installer.Plan, error) { return installer.PlanInstall(a, rep, po) },
		Install: func(ctx context.Context, req tui.InstallRequest) (tui.InstallResult, error) {
			// The TUI wrote the passphrase to KeyFile just before, except in a dry run.
			keyFile := req.Answers.Storage.Encryption.PassphraseFile == tui.KeyFile
			s := &installer.Session{
				Installer: installer.Installer{Plan: req.Plan, Report: rep, Confirmed: req.Confirmed,
					DryRun: f.dryRun, Root: root, PassphraseLater: f.dryRun && keyFile},
				Resume: req.Resume,
				Events: req.Events,
			}
			if keyFile && !f.dryRun {
				// disko's step removes it (Scrub), and so does the end of an install that
				// stopped before disko; a retry writes it again.
				s.Scrub = []string{tui.KeyFile}
			}
			res, err := s.Run(ctx)
			return tui.InstallResult{Verification: res.Verification, LogPath: res.LogPath, Notes: res.Notes}, err
		},
	}
	if !f.dryRun {
		o.Reboot = func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_, err := installer.ExecRunner{}.Run(ctx, []string{"systemctl", "reboot"})
			return err
		}
	}
	return o, nil
}
