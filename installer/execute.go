package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Action is work a step does in Go rather than through an external command.
type Action string

// Actions a step can carry; Execute calls the hook registered for each.
const (
	ActionPreflight Action = "preflight"     // check the machine before anything is touched
	ActionNetwork   Action = "network-live"  // apply a static address live (netsetup)
	ActionVerify    Action = "verify-target" // check the installed system will boot Xen
	ActionSaveLog   Action = "save-log"      // copy the install log onto the target
	ActionWebhook   Action = "webhook"       // tell the webhook how the install goes
)

// File is a file a step writes before its commands run. Path is where it goes on the
// machine being installed (under the live system's /, the target is /mnt).
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
	// Secret marks a file whose contents are salted or sensitive (a password hash): the
	// transcript does not show them, and the plan hash covers only its path and mode, so that
	// a resume with a plaintext password (hashed anew, with a new salt, on every run) is
	// still the same plan.
	Secret bool
}

// Step is one unit of the install: it writes its files, runs its commands in order, then its
// action. Name is stable: the state file and --resume refer to steps by it.
type Step struct {
	Name     string
	Title    string
	Files    []File
	Commands [][]string
	Action   Action
	// Destroys lists the disks (by-id paths) whose data this step erases.
	Destroys []string
	// OnResume are commands run when this step is already done but a later one is not, to
	// bring back state a restarted installer lost (disko --mode mount).
	OnResume [][]string
	// UndoneBy names the later step that undoes what this one leaves behind (unmount undoes
	// the mounts): once it is done, OnResume is not run again, so a resume after the
	// unmount does not mount the target again and reboot with it mounted.
	UndoneBy string
	// Rerun marks a step that runs again on every resume even when it is done: the machine
	// checks, which a restarted installer must not take on trust from the state file.
	Rerun bool
	// Timeout bounds each of the step's commands (DefaultTimeout when zero); a command that
	// runs longer is killed and the step fails with ErrTimeout.
	Timeout time.Duration
	// Scrub are files (on the live system, under ExecOptions.Root) removed as soon as the
	// step ends, whether it succeeded or not: the encryption passphrase after disko.
	Scrub []string
	// MayFail marks a step whose failure is reported but does not stop the install.
	MayFail bool
}

// DefaultTimeout bounds a command of a step that sets no Timeout: long enough for any
// command that is not disko or nixos-install, short enough that a hung one does not keep a
// headless install waiting for ever.
const DefaultTimeout = 10 * time.Minute

// ErrTimeout is wrapped by the error of a command killed because it ran past its step's
// Timeout.
var ErrTimeout = errors.New("timed out")

// ErrInterrupted is wrapped by the error of an install stopped by a signal (SIGINT, SIGTERM)
// or otherwise cancelled: a failure like any other, with a state file to resume from.
var ErrInterrupted = errors.New("interrupted")

type doneKey struct{}

// DoneSteps returns the names of the steps the state file recorded as done when Execute
// resumed, for a hook that must know (preflight does not expect disks it partitioned itself
// to be empty). It is nil outside a resume.
func DoneSteps(ctx context.Context) []string {
	d, _ := ctx.Value(doneKey{}).([]string)
	return d
}

// EventKind says what happened in an Event.
type EventKind int

// Event kinds.
const (
	StepStarted EventKind = iota
	StepOutput
	StepDone
	StepSkipped
	StepFailed
	// StepNote is a line a step's action reports (a preflight finding, a change to the live
	// network, what a dry run would have done): the headless output prints it, unlike
	// StepOutput, which is commands' output for the log pane.
	StepNote
	// StepVerified carries the verification of the installed system (Event.Verification).
	StepVerified
)

// Event is progress from Execute, for the TUI and the headless output.
type Event struct {
	Kind     EventKind
	Index    int // 0-based step index
	Total    int
	Step     string
	Title    string
	Line     string // StepOutput: one line of output, or the command about to run; StepNote: the line
	Duration time.Duration
	Err      error
	// Verification is StepVerified's result, typed, for a display to show as it likes.
	Verification *Verification
}

// StepEvents is the event sink of one step, which Execute hands to the step's hook: what
// the hook reports arrives as events of that step, typed, rather than as text that a
// display would have to parse back. The zero value discards everything.
type StepEvents struct {
	emit func(Event)
	step Event // the step's Index, Total, Step and Title
}

func (s StepEvents) send(e Event) {
	if s.emit == nil {
		return
	}
	e.Index, e.Total, e.Step, e.Title = s.step.Index, s.step.Total, s.step.Step, s.step.Title
	s.emit(e)
}

// Note reports one line the step's action has to say: a StepNote event.
func (s StepEvents) Note(line string) { s.send(Event{Kind: StepNote, Line: line}) }

// Verified reports the verification of the installed system: a StepVerified event.
func (s StepEvents) Verified(v Verification) { s.send(Event{Kind: StepVerified, Verification: &v}) }

// Hook carries out a step's action. ev is the step's event sink.
type Hook func(ctx context.Context, s Step, ev StepEvents) error

// StepError is an install that stopped at a step: it names the step and, for a command, the
// command, its exit status and the tail of its output.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string {
	var ce *CommandError
	if errors.As(e.Err, &ce) {
		return fmt.Sprintf("step %s failed: %v\n--- last lines of output ---\n%s", e.Step, e.Err, ce.Tail(20))
	}
	return fmt.Sprintf("step %s failed: %v", e.Step, e.Err)
}

// Unwrap returns the step's error.
func (e *StepError) Unwrap() error { return e.Err }

// ErrStateMismatch is returned by a resume whose state file belongs to a different plan.
var ErrStateMismatch = errors.New("the saved install state is for a different plan")

// State is what the state file records: which plan, which steps are done, what failed.
type State struct {
	Plan    string    `json:"plan"`
	Done    []string  `json:"done"`
	Failed  string    `json:"failed,omitempty"`
	Error   string    `json:"error,omitempty"`
	Updated time.Time `json:"updated"`
}

// ExecOptions configures Execute.
type ExecOptions struct {
	// StateFile records finished steps (default /tmp/xennix/state.json).
	StateFile string
	// Resume continues from the state file: done steps are skipped.
	Resume bool
	// Root is prepended to every file a step writes: "" for the real machine, the --out
	// directory for a dry run.
	Root string
	// Log receives the structured install log.
	Log *slog.Logger
	// Events receives progress; may be nil.
	Events func(Event)
	// Hooks run the steps' actions. A step whose action has no hook fails.
	Hooks map[Action]Hook
	// Now is the clock (tests).
	Now func() time.Time
}

// Hash identifies a plan: its steps, commands and file contents. A resume is refused when
// the plan it would continue is not the one the state file was written for.
func (p Plan) Hash() string {
	h := sha256.New()
	for _, s := range p.Steps {
		fmt.Fprintf(h, "step %s %s\n", s.Name, s.Action)
		for _, c := range s.Commands {
			fmt.Fprintf(h, "cmd %q\n", c)
		}
		for _, f := range s.Files {
			if f.Secret {
				fmt.Fprintf(h, "secret %s %o\n", f.Path, f.Mode)
				continue
			}
			sum := sha256.Sum256(f.Data)
			fmt.Fprintf(h, "file %s %o %x\n", f.Path, f.Mode, sum)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Execute runs the plan's steps in order through runner. It stops at the first step that
// fails (unless the step MayFail), keeps everything done so far, and records finished steps
// in the state file, so that a later Execute with Resume continues at the failed step.
func Execute(ctx context.Context, p Plan, runner Runner, o ExecOptions) error {
	if o.StateFile == "" {
		o.StateFile = "/tmp/xennix/state.json"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	emit := func(e Event) {
		if o.Events != nil {
			o.Events(e)
		}
	}
	st := State{Plan: p.Hash()}
	if o.Resume {
		old, err := LoadState(o.StateFile)
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		if old.Plan != st.Plan {
			return fmt.Errorf("resume from %s: %w (were the answers changed?)", o.StateFile, ErrStateMismatch)
		}
		st.Done = old.Done
		ctx = context.WithValue(ctx, doneKey{}, slices.Clone(old.Done))
	}
	save := func() error {
		st.Updated = o.Now().UTC()
		return saveState(o.StateFile, st)
	}
	if err := save(); err != nil {
		return fmt.Errorf("write install state: %w", err)
	}
	total := len(p.Steps)
	done := func(name string) bool { return slices.Contains(st.Done, name) }
	pendingAfter := func(i int) bool {
		for _, later := range p.Steps[i+1:] {
			if !done(later.Name) {
				return true
			}
		}
		return false
	}
	for i, s := range p.Steps {
		ev := Event{Index: i, Total: total, Step: s.Name, Title: s.Title}
		if done(s.Name) && !s.Rerun {
			ev.Kind = StepSkipped
			emit(ev)
			o.Log.Info("step skipped: done before", "step", s.Name)
			if !pendingAfter(i) || (s.UndoneBy != "" && done(s.UndoneBy)) {
				continue
			}
			// What this step left behind (mounts) may be gone in a restarted installer.
			for _, argv := range s.OnResume {
				o.Log.Info("restore after resume", "step", s.Name, "argv", argv)
				if out, err := runCommand(ctx, s, runner, argv); err != nil {
					o.Log.Error("restore failed", "step", s.Name, "argv", argv, "output", string(out))
					return &StepError{Step: s.Name, Err: interrupted(ctx, err)}
				}
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			// Interrupted between steps: nothing of this one is started.
			err = interrupted(ctx, err)
			st.Failed, st.Error = s.Name, err.Error()
			if serr := save(); serr != nil {
				// Resume still works (the done steps were recorded), but the state file
				// does not say what failed: say so with the failure.
				o.Log.Error("write install state", "error", serr.Error())
				err = errors.Join(err, fmt.Errorf("record the failure in the install state: %w", serr))
			}
			return &StepError{Step: s.Name, Err: err}
		}
		ev.Kind = StepStarted
		emit(ev)
		start := o.Now()
		o.Log.Info("step started", "step", s.Name, "title", s.Title, "destroys", s.Destroys)
		err := runStep(ctx, s, runner, o, StepEvents{emit: emit, step: ev})
		dur := o.Now().Sub(start)
		for _, f := range s.Scrub {
			if rerr := os.Remove(filepath.Join(o.Root, f)); rerr == nil {
				o.Log.Info("removed", "step", s.Name, "path", f)
			} else if !errors.Is(rerr, fs.ErrNotExist) {
				o.Log.Error("remove", "step", s.Name, "path", f, "error", rerr.Error())
				// A failed step's error does not hide that the file (a passphrase) is left.
				rerr = fmt.Errorf("remove %s: %w", f, rerr)
				if err == nil {
					err = rerr
				} else {
					err = errors.Join(err, rerr)
				}
			}
		}
		if err != nil {
			err = interrupted(ctx, err)
			o.Log.Error("step failed", "step", s.Name, "duration", dur.String(), "error", err.Error())
			emit(Event{Kind: StepFailed, Index: i, Total: total, Step: s.Name, Title: s.Title, Duration: dur, Err: err})
			if s.MayFail && !errors.Is(err, ErrInterrupted) {
				continue
			}
			st.Failed, st.Error = s.Name, err.Error()
			if serr := save(); serr != nil {
				// Resume still works (the done steps were recorded), but the state file
				// does not say what failed: say so with the failure.
				o.Log.Error("write install state", "error", serr.Error())
				err = errors.Join(err, fmt.Errorf("record the failure in the install state: %w", serr))
			}
			return &StepError{Step: s.Name, Err: err}
		}
		o.Log.Info("step done", "step", s.Name, "duration", dur.String())
		if !done(s.Name) {
			st.Done = append(st.Done, s.Name)
		}
		st.Failed, st.Error = "", ""
		if err := save(); err != nil {
			return fmt.Errorf("write install state after %s: %w", s.Name, err)
		}
		emit(Event{Kind: StepDone, Index: i, Total: total, Step: s.Name, Title: s.Title, Duration: dur})
	}
	return nil
}

func runStep(ctx context.Context, s Step, runner Runner, o ExecOptions, ev StepEvents) error {
	line := func(l string) { ev.send(Event{Kind: StepOutput, Line: l}) }
	for _, f := range s.Files {
		dst := filepath.Join(o.Root, f.Path)
		if err := WriteFileAtomic(dst, f.Data, f.Mode); err != nil {
			return err
		}
		o.Log.Info("wrote file", "step", s.Name, "path", f.Path, "bytes", len(f.Data))
		line("wrote " + f.Path)
	}
	for _, argv := range s.Commands {
		if err := ctx.Err(); err != nil {
			return err
		}
		line("$ " + shellJoin(argv))
		o.Log.Info("run", "step", s.Name, "argv", argv)
		start := o.Now()
		out, err := runCommandLines(ctx, s, runner, argv, line)
		o.Log.Info("ran", "step", s.Name, "argv", argv, "duration", o.Now().Sub(start).String(), "output", string(out), "ok", err == nil)
		if err != nil {
			var ce *CommandError
			if !errors.As(err, &ce) {
				err = &CommandError{Argv: argv, ExitCode: -1, Output: out, Err: err}
			}
			return err
		}
	}
	if s.Action != "" {
		hook, ok := o.Hooks[s.Action]
		if !ok {
			return fmt.Errorf("no handler for action %s", s.Action)
		}
		if err := hook(ctx, s, ev); err != nil {
			return err
		}
	}
	return nil
}

// runCommand runs one command of step s, bounded by the step's timeout.
func runCommand(ctx context.Context, s Step, runner Runner, argv []string) ([]byte, error) {
	return runCommandLines(ctx, s, runner, argv, func(string) {})
}

func runCommandLines(ctx context.Context, s Step, runner Runner, argv []string, line func(string)) ([]byte, error) {
	limit := s.Timeout
	if limit <= 0 {
		limit = DefaultTimeout
	}
	cctx, cancel := context.WithTimeoutCause(ctx, limit, ErrTimeout)
	defer cancel()
	var out []byte
	var err error
	if lr, ok := runner.(LineRunner); ok {
		out, err = lr.RunLines(cctx, argv, line)
	} else {
		out, err = runner.Run(cctx, argv)
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if l != "" {
				line(l)
			}
		}
	}
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(cctx), ErrTimeout) {
		err = &CommandError{Argv: argv, ExitCode: -1, Output: out, Err: fmt.Errorf("%w after %s (the bound of step %s)", ErrTimeout, limit, s.Name)}
	}
	return out, err
}

// interrupted marks err as an interruption when ctx was cancelled (a signal), so that the
// report says so rather than blaming the command that happened to be running.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() == nil || errors.Is(err, ErrInterrupted) {
		return err
	}
	return fmt.Errorf("%w (%v): %w", ErrInterrupted, context.Cause(ctx), err)
}

// LoadState reads a state file.
func LoadState(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if err != nil {
		return st, fmt.Errorf("read install state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read install state %s: %w", path, err)
	}
	return st, nil
}

func saveState(path string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'), 0o600)
}

// WriteFileAtomic writes data to a temporary file beside path and renames it into place, so a
// reader never sees a half-written file. Missing parent directories are created.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) error {
	if mode == 0 {
		mode = 0o644
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return nil
}
