package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// interactiveOptions wires the TUI to the planner and the executor, as runInstall does for
// headless installs.
func interactiveOptions(f installFlags, rep hwdetect.Report, base installer.Answers) (tui.Options, error) {
	inputs, err := imageInputs()
	if err != nil {
		return tui.Options{}, err
	}
	work := installer.WorkDir
	root := ""
	if f.dryRun {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return tui.Options{}, err
		}
		if root, err = filepath.Abs(f.out); err != nil {
			return tui.Options{}, fmt.Errorf("--out: %w", err)
		}
		work = root
	}
	o := tui.Options{
		Report: rep, Base: base, Accessible: f.accessible, DryRun: f.dryRun, Out: root, Root: root,
		Plan: func(a installer.Answers) (installer.Plan, error) {
			h, err := installer.Resolve(a, &rep)
			if err != nil {
				return installer.Plan{}, err
			}
			return installer.NewPlan(h, installer.PlanOptions{Inputs: inputs, HostModules: hostModules()})
		},
		Install: func(ctx context.Context, req tui.InstallRequest) (tui.InstallResult, error) {
			return installInteractive(ctx, req, rep, f.dryRun, root, work)
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

// installInteractive carries out a confirmed plan for the TUI. What the installer's hooks
// print goes to the log pane as step output, never onto the screen.
func installInteractive(ctx context.Context, req tui.InstallRequest, rep hwdetect.Report, dryRun bool, root, work string) (tui.InstallResult, error) {
	logPath := filepath.Join(work, "install.log")
	res := tui.InstallResult{LogPath: logPath}
	// Saved first, so that `xennix install --answers … --resume` can continue this plan; an
	// install that could not be resumed does not start.
	b, err := req.Answers.Marshal("answers of an interactive install (secrets only as hashes)")
	if err == nil {
		err = os.MkdirAll(work, 0o755)
	}
	if err == nil {
		err = installer.WriteFileAtomic(filepath.Join(work, "answers.yaml"), b, 0o600)
	}
	if err != nil {
		return res, fmt.Errorf("save the answers that --resume needs: %w", err)
	}
	if !dryRun && req.Answers.Storage.Encryption.PassphraseFile == tui.KeyFile {
		// The TUI wrote the passphrase just before; disko's step removes it (Scrub), and so
		// does the end of an install that stopped before disko. A retry writes it again.
		defer os.Remove(filepath.Join(root, tui.KeyFile))
	}
	log, closer, err := installer.NewLog(logPath, req.Answers.Secrets()...)
	if err != nil {
		return res, err
	}
	defer closer.Close()
	log.Info("install", "summary", req.Plan.Summary, "dry_run", dryRun, "resume", req.Resume, "interactive", true)
	out := &eventWriter{events: req.Events}
	events := func(e installer.Event) {
		out.setStep(e)
		req.Events(e)
	}
	in := &installer.Installer{Answers: req.Answers, Plan: req.Plan, Report: rep, Confirmed: req.Confirmed,
		DryRun: dryRun, Root: root, LogPath: logPath, Out: out}
	var runner installer.Runner = installer.ExecRunner{}
	var dry *installer.DryRunner
	if dryRun {
		dry = &installer.DryRunner{}
		runner = dry
		in.Rescan = func() (hwdetect.Report, error) { return rep, nil }
		in.Euid = func() int { return 0 }
		// The TUI's dry run does not write the passphrase it took (writeKey).
		in.PassphraseLater = req.Answers.Storage.Encryption.PassphraseFile == tui.KeyFile
	}
	hooks := in.Hooks()
	var verdict bytes.Buffer
	if verify := hooks[installer.ActionVerify]; verify != nil {
		hooks[installer.ActionVerify] = func(ctx context.Context, s installer.Step) error {
			in.Out = io.MultiWriter(out, &verdict)
			defer func() { in.Out = out }()
			return verify(ctx, s)
		}
	}
	err = installer.Execute(ctx, req.Plan, runner, installer.ExecOptions{
		StateFile: filepath.Join(work, "state.json"), Resume: req.Resume, Root: root, Log: log, Hooks: hooks, Events: events,
	})
	res.Verification = verdict.String()
	if dryRun {
		t := req.Plan.Transcript() + "\n# Commands as the dry run recorded them:\n$ " + strings.Join(dry.Transcript, "\n$ ") + "\n"
		if werr := installer.WriteFileAtomic(filepath.Join(root, "transcript.txt"), []byte(t), 0o644); werr != nil && err == nil {
			err = werr
		}
		res.Notes = append(res.Notes, fmt.Sprintf("The plan's %d files are under %s and the command transcript is %s.",
			len(req.Plan.Files()), root, filepath.Join(root, "transcript.txt")))
		return res, err
	}
	if err != nil {
		var report bytes.Buffer
		reportFailure(ctx, &report, in, req.Plan, err, log, logPath, failureDirs{work: work, bundles: "/tmp"})
		return res, fmt.Errorf("%w\n%s", err, strings.TrimSpace(report.String()))
	}
	return res, nil
}

// eventWriter turns what the installer's hooks print into step output lines.
type eventWriter struct {
	mu     sync.Mutex
	events func(installer.Event)
	cur    installer.Event
	buf    []byte
}

func (w *eventWriter) setStep(e installer.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur = installer.Event{Kind: installer.StepOutput, Index: e.Index, Total: e.Total, Step: e.Step, Title: e.Title}
}

func (w *eventWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		e := w.cur
		e.Line = string(w.buf[:i])
		w.buf = w.buf[i+1:]
		w.events(e)
	}
	return len(p), nil
}
