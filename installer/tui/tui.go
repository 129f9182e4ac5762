package tui

import (
	"context"
	"errors"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
)

// ErrQuit is returned by Run when the operator quit before the install started (nothing was
// written) or after it failed (its state is kept for `xennix install --resume`).
var ErrQuit = errors.New("the installer was quit")

// Options configure Run. Report and Base are required; Plan and Install connect the screens
// to the installer, and without Install the run ends at the review confirmation.
type Options struct {
	// Report is the machine's hardware.
	Report hwdetect.Report
	// Base are the answers to start from: installer.Defaults, or a partial answers file
	// decoded onto them. Sections the file fully answers are not asked again unless listed
	// in its interactive: list.
	Base installer.Answers
	// Accessible replaces the full-screen interface with plain sequential prompts.
	Accessible bool
	// DryRun installs nothing: Install writes the plan and files under Out.
	DryRun bool
	// Out is the dry run's directory, shown to the operator.
	Out string
	// Root is prepended to where the encryption passphrase is written ("" on the real
	// machine, Out for a dry run).
	Root string
	// Input and Output are the terminal (default stdin and stdout).
	Input  io.Reader
	Output io.Writer
	// Getenv reads NO_COLOR and TERM (default os.Getenv).
	Getenv func(string) string
	// Plan makes the install plan for the answers (the image's inputs, the host modules).
	Plan func(a installer.Answers) (installer.Plan, error)
	// Install carries out a plan; it reports progress through req.Events.
	Install func(ctx context.Context, req InstallRequest) (InstallResult, error)
	// Reboot restarts the machine when the operator asks for it after a successful install.
	Reboot func(ctx context.Context) error
	// ProgramOptions are extra bubbletea options (tests).
	ProgramOptions []tea.ProgramOption
}

// InstallRequest is what the progress screen asks Options.Install to do.
type InstallRequest struct {
	// Answers are the answers as planned: the TUI turns install.reboot off, because it
	// offers the reboot itself once the operator has read the result.
	Answers installer.Answers
	Plan    installer.Plan
	// Confirmed are the by-id paths of the disks whose names the operator typed.
	Confirmed []string
	// Resume continues at the failed step (retry).
	Resume bool
	// Events receives Execute's progress and what the steps report, typed: lines
	// (StepOutput, StepNote) and the verification (StepVerified).
	Events func(installer.Event)
}

// InstallResult is what the done screen shows.
type InstallResult struct {
	// Verification is the verdict on the installed system; nil when there is none (a dry
	// run verifies nothing).
	Verification *installer.Verification
	// LogPath is the install log.
	LogPath string
	// Notes are extra lines for the operator (where a dry run wrote its files).
	Notes []string
}

// KeyFile is where an interactive install writes the encryption passphrase, mode 0600: the
// answers name only this path, never the passphrase.
const KeyFile = installer.WorkDir + "/luks.key"

// Run asks for the answers on a terminal and, when Install is set, installs. It returns
// the answers taken from the final model; ErrQuit when the operator quit.
func Run(ctx context.Context, o Options) (installer.Answers, error) {
	defaultTerminal(&o.Input, &o.Output, &o.Getenv)
	if o.Accessible {
		return runAccessible(ctx, o)
	}
	return runScreens(ctx, newApp(ctx, o), o.Input, o.Output, o.ProgramOptions, o.Base)
}

// defaultTerminal fills in the process's own terminal and environment where a run of the
// screens was given none.
func defaultTerminal(in *io.Reader, out *io.Writer, getenv *func(string) string) {
	if *in == nil {
		*in = os.Stdin
	}
	if *out == nil {
		*out = os.Stdout
	}
	if *getenv == nil {
		*getenv = os.Getenv
	}
}

// rootModel is a root model of the screens (the installer's, xennix-setup's, the guests'):
// when the program ends, the answers as the screens left them and why it ended.
type rootModel interface {
	tea.Model
	outcome() (installer.Answers, error)
}

func (m *app) outcome() (installer.Answers, error) { return m.st.a, m.err }

// runScreens runs the root model m full-screen and returns its outcome; the answers it was
// given when the program did not even start.
func runScreens(ctx context.Context, m rootModel, in io.Reader, out io.Writer, extra []tea.ProgramOption, given installer.Answers) (installer.Answers, error) {
	opts := append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out)}, extra...)
	final, err := tea.NewProgram(m, opts...).Run()
	if f, ok := final.(rootModel); ok {
		a, ferr := f.outcome()
		if err == nil {
			err = ferr
		}
		return a, err
	}
	return given, err
}
