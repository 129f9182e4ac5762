// Command xennix is the XenNix installer and host configurator. Run as xennix-setup (a
// symlink or a renamed copy) it is the host configurator, as `xennix setup`.
//
// Exit codes: 0 success; 1 the work failed or the input is invalid; 2 the command line is
// wrong.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise it comes from
// the module's build information.
var version = ""

// usageError marks an error as a command-line mistake (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// errSilent is returned after a command has already printed its own report of failure.
var errSilent = errors.New("failed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args (args[0] is the program name) and returns the exit
// code. It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	rest := args[1:]
	if filepath.Base(args[0]) == "xennix-setup" {
		rest = append([]string{"setup"}, rest...)
	}
	root.SetArgs(rest)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var u usageError
	switch {
	case errors.Is(err, errSilent):
		return 1
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "xennix: %v\n", err)
		fmt.Fprintln(stderr, "Run 'xennix --help' for usage.")
		return 2
	default:
		fmt.Fprintf(stderr, "xennix: %v\n", err)
		return 1
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "xennix",
		Short: "Install and configure XenNix, a NixOS-based Xen hypervisor host",
		Long: `xennix installs XenNix — NixOS as a Xen dom0 with a bridge for guests — on a bare
machine, interactively or from an answers file, and, run as xennix-setup on the
installed host, changes its configuration later.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	// An unknown subcommand is a command-line mistake like an unknown flag (exit 2). With
	// Args set, cobra hands the words to it instead of failing with a plain error.
	root.Args = func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown command %q for \"xennix\"", args[0])}
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	root.AddCommand(
		newValidateCmd(),
		newSchemaCmd(),
		newVersionCmd(),
		newProbeCmd(),
		newInstallCmd(),
		newPlanCmd(),
		newVerifyCmd(),
		newAnswersMediaCmd(),
		newSetupCmd(),
	)
	return root
}

// exactArgs is cobra.ExactArgs whose failure is a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of xennix",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "xennix %s\n", buildVersion())
			return err
		},
	}
}
