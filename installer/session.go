package installer

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

	"github.com/xennix/xennix/hwdetect"
)

// PlanInstall resolves the answers on the machine and makes the plan that installs them, for
// the TUI's review (answers from a file are resolved as they are read: ParseAndResolve).
func PlanInstall(a Answers, r hwdetect.Report, o PlanOptions) (Plan, error) {
	h, err := Resolve(a, &r)
	if err != nil {
		return Plan{}, err
	}
	return NewPlan(h, o)
}

// Session is one install on this machine, the same for `xennix install --answers` and for
// the TUI: it chooses the runner (the machine, or the dry run's recorder), opens the install
// log, saves the answers that --resume needs, runs the plan (preflight first) with the
// Installer's hooks, writes the dry run's transcript, and, when the install fails, tells the
// webhook and leaves the FAILED marker and a support bundle.
type Session struct {
	// Installer is the install: the answers, the plan, the machine it was made for, the dry
	// run and its Root, and the seams to the machine. The session sets its LogPath, and for
	// a dry run its Rescan and Euid (the report is the one given, of a machine that may not
	// be this one).
	Installer Installer
	// Resume continues at the step that failed, from the state file in WorkDir.
	Resume bool
	// Events receives Execute's progress and what the steps' actions report; may be nil.
	Events func(Event)
	// Console receives the install as a plain terminal shows it: the plan's summary, a line
	// per step, what the steps' actions report, the verification, and the failure report.
	// Nil prints nothing (the TUI draws the events instead).
	Console io.Writer
	// Scrub are files (under Installer.Root) removed when the session ends, whatever came
	// of it: the passphrase the TUI wrote for disko, which a retry writes again.
	Scrub []string
	// WorkDir holds the state file, the install log, the saved answers and the FAILED
	// marker: WorkDir by default, Installer.Root for a dry run.
	WorkDir string
	// BundleDir is where a failure's support bundle goes (default /tmp).
	BundleDir string
	// Runner runs the commands of an install (default ExecRunner). A dry run always records
	// them with a DryRunner, for its transcript.
	Runner Runner
}

// Result is what an install that ran to its end leaves for the operator.
type Result struct {
	// LogPath is the install log.
	LogPath string
	// Verification is the verdict on the installed system; nil for a dry run, which
	// verifies nothing.
	Verification *Verification
	// Notes are lines for the operator: where a dry run wrote its files, what could not be
	// cleaned up.
	Notes []string
}

// Failure is an install that failed once it had started, returned after the session
// reported it: Err is why (a *StepError when a step failed); Report is what the session did
// about it, as a console shows it (the failure, the support bundle, the log, how to
// resume), empty for a dry run, which does nothing about it; and Problems are what could
// not be done (the webhook, the FAILED marker, the bundle, the dry run's transcript), each
// also named in Report.
type Failure struct {
	Err      error
	Report   string
	Problems []error
}

// Error is the failure and its report.
func (f *Failure) Error() string {
	r := strings.TrimSpace(f.Report)
	if r == "" {
		return f.Err.Error()
	}
	return f.Err.Error() + "\n" + r
}

// Unwrap returns the failure and the problems in reporting it, for errors.Is and errors.As.
func (f *Failure) Unwrap() []error { return append([]error{f.Err}, f.Problems...) }

// problem records what could not be done about the failure.
func (f *Failure) problem(err error, format string, args ...any) {
	f.Problems = append(f.Problems, err)
	f.Report += fmt.Sprintf(format, args...)
}

func (s *Session) workDir() string {
	switch {
	case s.WorkDir != "":
		return s.WorkDir
	case s.Installer.DryRun:
		return s.Installer.Root
	}
	return WorkDir
}

// Run carries out the install. Before anything runs, an error (the install log, the answers
// --resume needs) stops it; once it has started, a failure is reported — on Console, to
// the webhook, by the FAILED marker and a support bundle — and returned as a *Failure.
func (s *Session) Run(ctx context.Context) (Result, error) {
	console := s.Console
	if console == nil {
		console = io.Discard
	}
	res, err := s.run(ctx, console)
	if serr := s.scrub(); serr != nil {
		// The passphrase outlives the install on the live system: say so, whatever came of it.
		fmt.Fprintln(console, serr)
		var f *Failure
		switch {
		case errors.As(err, &f):
			f.problem(serr, "%v\n", serr)
		case err != nil:
			err = errors.Join(err, serr)
		default:
			res.Notes = append(res.Notes, serr.Error())
		}
	}
	return res, err
}

func (s *Session) scrub() error {
	var errs []error
	for _, f := range s.Scrub {
		if err := os.Remove(filepath.Join(s.Installer.Root, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("could not remove %s: %w", f, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Session) run(ctx context.Context, console io.Writer) (Result, error) {
	in := s.Installer
	work := s.workDir()
	res := Result{LogPath: filepath.Join(work, "install.log")}
	in.LogPath = res.LogPath
	if s.Console != nil {
		fmt.Fprintf(console, "Installing %s\n", in.Plan.Summary)
		for _, n := range in.Plan.Notes {
			fmt.Fprintf(console, "note: %s\n", n)
		}
		for _, d := range in.Plan.WipeSummary() {
			fmt.Fprintf(console, "ERASES %s\n", d)
		}
	}
	if in.DryRun {
		fmt.Fprintf(console, "dry run: nothing on this machine changes; files and transcript go to %s\n", in.Root)
	}
	if !in.Headless {
		// An interactive install has no answers file to resume from: it is saved first, and
		// an install that could not be resumed does not start.
		if err := saveResumeAnswers(in.Plan.Host.Answers, work); err != nil {
			return res, err
		}
	}
	log, closer, err := NewLog(res.LogPath, in.Plan.Host.Answers.Secrets()...)
	if err != nil {
		return res, err
	}
	defer closer.Close() // written as it goes, unbuffered; the bundle and save-log read it before this
	attrs := []any{"summary", in.Plan.Summary, "dry_run", in.DryRun, "resume", s.Resume}
	if !in.Headless {
		attrs = append(attrs, "interactive", true)
	}
	log.Info("install", attrs...)

	runner := s.Runner
	if runner == nil {
		runner = ExecRunner{}
	}
	var dry *DryRunner
	if in.DryRun {
		dry = &DryRunner{}
		runner = dry
		rep := in.Report
		in.Rescan = func() (hwdetect.Report, error) { return rep, nil }
		in.Euid = func() int { return 0 }
	}
	events := func(e Event) {
		if e.Kind == StepVerified {
			res.Verification = e.Verification
		}
		printEvent(console, e)
		if s.Events != nil {
			s.Events(e)
		}
	}
	err = Execute(ctx, in.Plan, runner, ExecOptions{
		StateFile: filepath.Join(work, "state.json"), Resume: s.Resume, Root: in.Root, Log: log,
		Hooks: in.Hooks(), Events: events,
	})
	var werr error
	if in.DryRun {
		t := in.Plan.Transcript() + "\n# Commands as the dry run recorded them:\n$ " + strings.Join(dry.Transcript, "\n$ ") + "\n"
		path := filepath.Join(in.Root, "transcript.txt")
		werr = WriteFileAtomic(path, []byte(t), 0o644)
		if err == nil && werr == nil {
			fmt.Fprintf(console, "dry run done: %d files and %d commands in %s\n", len(in.Plan.Files()), len(dry.Transcript), path)
			res.Notes = append(res.Notes, fmt.Sprintf("The plan's %d files are under %s and the command transcript is %s.",
				len(in.Plan.Files()), in.Root, path))
		}
	}
	switch {
	case err == nil && werr == nil:
		return res, nil
	case err == nil:
		return res, werr
	}
	f := &Failure{Err: err}
	if in.DryRun {
		// The same report as a real install's, without its side effects: so without a
		// Report of what was done about it, only the line that says it failed.
		fmt.Fprintf(console, "\nINSTALL FAILED: %s\n", Redact(err.Error(), in.Plan.Host.Answers.Secrets()...))
		if werr != nil {
			f.problem(werr, "could not write the transcript: %v\n", werr)
		}
	} else {
		s.reportFailure(ctx, &in, f, log, runner, work)
	}
	fmt.Fprint(console, f.Report)
	return res, f
}

// saveResumeAnswers writes the answers (secrets only as hashes) where `xennix install
// --answers … --resume` finds them.
func saveResumeAnswers(a Answers, work string) error {
	b, err := a.Marshal("answers of an interactive install (secrets only as hashes)")
	if err == nil {
		err = os.MkdirAll(work, 0o755)
	}
	if err == nil {
		err = WriteFileAtomic(filepath.Join(work, "answers.yaml"), b, 0o600)
	}
	if err != nil {
		return fmt.Errorf("save the answers that --resume needs: %w", err)
	}
	return nil
}

// printEvent writes e as a plain terminal shows the install: a line when a step starts and
// when it ends, what its action reports and the verification. Commands' output goes only
// to the log.
func printEvent(w io.Writer, e Event) {
	n := fmt.Sprintf("[%d/%d]", e.Index+1, e.Total)
	switch e.Kind {
	case StepStarted:
		fmt.Fprintf(w, "%s %s ...\n", n, e.Title)
	case StepDone:
		fmt.Fprintf(w, "%s %s: done (%s)\n", n, e.Title, e.Duration.Round(100*time.Millisecond))
	case StepSkipped:
		fmt.Fprintf(w, "%s %s: done before, skipped\n", n, e.Title)
	case StepFailed:
		fmt.Fprintf(w, "%s %s: FAILED after %s\n", n, e.Title, e.Duration.Round(100*time.Millisecond))
	case StepNote:
		fmt.Fprintln(w, e.Line)
	case StepVerified:
		if e.Verification != nil {
			fmt.Fprint(w, e.Verification.String())
		}
	}
}

// reportFailure is what every failed install does, an interrupted one (SIGINT, SIGTERM)
// included: the "failed" webhook, the FAILED marker and a support bundle, and where to look;
// a failed headless install stays on the console and never reboots by itself. ctx may be
// cancelled already (the interrupt): the webhook still gets its own bounded time. Webhook
// credentials are redacted in all of it.
func (s *Session) reportFailure(ctx context.Context, in *Installer, f *Failure, log *slog.Logger, runner Runner, work string) {
	secrets := in.Plan.Host.Answers.Secrets()
	if err := in.Notify(context.WithoutCancel(ctx), EventFailed, f.Err); err != nil {
		log.Error("webhook", "error", err.Error())
		f.problem(err, "could not tell the webhook: %s\n", Redact(err.Error(), secrets...))
	}
	msg := Redact(f.Err.Error(), secrets...)
	f.Report += fmt.Sprintf("\nINSTALL FAILED: %s\n", msg)
	if err := WriteFileAtomic(filepath.Join(work, "FAILED"), []byte(msg+"\n"), 0o644); err != nil {
		log.Error("failure marker", "error", err.Error())
		f.problem(err, "could not write the failure marker: %v\n", err)
	}
	bundleDir := s.BundleDir
	if bundleDir == "" {
		bundleDir = "/tmp"
	}
	now := in.Now()
	bundle := filepath.Join(bundleDir, fmt.Sprintf("xennix-support-%s.tar.gz", now.UTC().Format("20060102T150405Z")))
	if err := SupportBundle(bundle, failureEntries(in, msg, log, runner), now); err != nil {
		log.Error("support bundle", "error", err.Error())
		f.problem(err, "could not write a support bundle: %v\n", err)
	} else {
		f.Report += fmt.Sprintf("support bundle: %s\n", bundle)
	}
	f.Report += fmt.Sprintf("install log: %s\nfix the cause, then continue with: xennix install --answers … --resume\n", in.LogPath)
}

// failureEntries gathers the support bundle: the error, the plan, the install log, the
// hardware report, the answers (secrets only as hashes) and the kernel's last messages.
// What cannot be gathered is logged and listed in the bundle's missing.txt, so that a
// bundle without the log says why.
func failureEntries(in *Installer, msg string, log *slog.Logger, runner Runner) map[string][]byte {
	secrets := in.Plan.Host.Answers.Secrets()
	entries := map[string][]byte{"error.txt": []byte(msg + "\n"), "plan.txt": []byte(Redact(in.Plan.Transcript(), secrets...))}
	var missing []string
	lack := func(name string, err error) {
		log.Error("support bundle: "+name, "error", err.Error())
		missing = append(missing, fmt.Sprintf("%s: %s", name, Redact(err.Error(), secrets...)))
	}
	if b, err := json.MarshalIndent(in.Report, "", "  "); err != nil {
		lack("hardware.json", err)
	} else {
		entries["hardware.json"] = b
	}
	if b, err := in.Plan.Host.Answers.Marshal("answers of the failed install (secrets only as hashes)"); err != nil {
		lack("answers.yaml", err)
	} else {
		entries["answers.yaml"] = []byte(Redact(string(b), secrets...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if b, err := runner.Run(ctx, []string{"dmesg", "--ctime"}); err != nil {
		lack("dmesg-tail.txt", err)
	} else {
		lines := strings.Split(string(b), "\n")
		if len(lines) > 300 {
			lines = lines[len(lines)-300:]
		}
		entries["dmesg-tail.txt"] = []byte(strings.Join(lines, "\n"))
	}
	// The log last, so that it holds what could not be gathered.
	if b, err := os.ReadFile(in.LogPath); err != nil {
		missing = append(missing, fmt.Sprintf("install.log: %s", Redact(err.Error(), secrets...)))
	} else {
		entries["install.log"] = []byte(Redact(string(b), secrets...))
	}
	if len(missing) > 0 {
		entries["missing.txt"] = []byte(strings.Join(missing, "\n") + "\n")
	}
	return entries
}
