package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/xennix/xennix/hwdetect"
	"github.com/xennix/xennix/installer"
	"github.com/xennix/xennix/installer/tui"
)

type setupFlags struct {
	root     string
	hardware string
	answers  string
	try      bool
	timeout  time.Duration
	// accessible asks plain sequential prompts instead of showing the screens.
	accessible bool
}

func newSetupCmd() *cobra.Command {
	var f setupFlags
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Change an installed XenNix host (also run as xennix-setup)",
		Long: `xennix-setup changes what the installer chose — network, Xen resources and passthrough,
persisted paths, users and SSH keys, and the guests — without hand-editing Nix. The answers live in
/etc/nixos/xennix/answers.yaml; xennix-setup renders them into xennix/settings.nix and
xennix/network.nix and never touches configuration.nix. The disk layout is shown but
cannot be changed.

  xennix-setup diff  [--answers FILE]   show what would change
  xennix-setup apply [--answers FILE] [--try]
  xennix-setup verify                   check this host is a working dom0
  xennix-setup guests                   the guests: list, add, edit, remove, review, apply
  xennix-setup --accessible [guests]    the same questions as plain prompts (screen
                                        readers, serial lines; also reads a pipe)

Edit answers.yaml (or pass --answers), then diff and apply.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, _, err := loadHost(f)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			in, err := setupInput(cmd, f, "xennix-setup without a command needs a terminal; use 'xennix-setup --accessible', or 'xennix-setup diff' and 'xennix-setup apply [--answers FILE]'")
			if err != nil {
				return err
			}
			var rep hwdetect.Report
			if h.Report != nil {
				rep = *h.Report
			}
			var report string // what Apply did, printed once the screen is gone
			_, err = tui.RunSetup(cmd.Context(), tui.SetupOptions{
				Report: rep, Answers: h.Answers, Input: in, Output: w, Accessible: f.accessible, Declared: declaredGuests(h),
				Diff: func(next installer.Answers) (string, error) {
					return previewText(h, next, f.root, true)
				},
				Apply: func(ctx context.Context, next installer.Answers) (string, error) {
					res, err := h.Apply(ctx, next, true, setupRunner(f.root))
					var b strings.Builder
					if err != nil {
						if len(res.Output) > 0 {
							fmt.Fprintf(&b, "%s\n", tailLines(string(res.Output), 20))
						}
						report = b.String()
						return report, err
					}
					if len(res.Changes) == 0 {
						b.WriteString("nothing to change\n")
					}
					b.WriteString(wroteFiles(res))
					if len(res.Changes) > 0 {
						b.WriteString(ranRebuild(f.root, res))
					}
					report = b.String()
					return report, nil
				},
			})
			return screensDone(w, f.accessible, report, err)
		},
	}
	cmd.PersistentFlags().StringVar(&f.root, "root", "/", "root of the host to configure (for testing)")
	cmd.PersistentFlags().StringVar(&f.hardware, "hardware", "", "hardware report (xennix probe --json) instead of probing (for testing)")
	cmd.PersistentFlags().BoolVar(&f.accessible, "accessible", false, "plain sequential prompts instead of the screens (screen readers, serial lines; reads a pipe too)")
	diff := &cobra.Command{
		Use:   "diff",
		Short: "Show the unified diff of the files xennix-setup would write",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, next, err := loadHost(f)
			if err != nil {
				return err
			}
			pv, err := h.Preview(next, f.answers != "")
			if err != nil {
				return printProblems(cmd.OutOrStdout(), "the answers", err)
			}
			if len(pv.Changes) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing to change")
				return nil
			}
			fmt.Fprint(cmd.OutOrStdout(), installer.Diff(pv.Changes))
			fmt.Fprint(cmd.OutOrStdout(), pv.Guests)
			fmt.Fprintf(cmd.OutOrStdout(), "apply would run: nixos-rebuild %s%s\n", pv.Mode, because(pv.Why))
			return nil
		},
	}
	diff.Flags().StringVar(&f.answers, "answers", "", "new answers file (default: /etc/nixos/xennix/answers.yaml as it stands)")
	apply := &cobra.Command{
		Use:   "apply",
		Short: "Write the changed files and rebuild; restore them if the rebuild fails",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSetupApply(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), f)
		},
	}
	apply.Flags().StringVar(&f.answers, "answers", "", "new answers file (default: /etc/nixos/xennix/answers.yaml as it stands)")
	apply.Flags().BoolVar(&f.try, "try", false, "apply a network change live first and keep it only if confirmed on the console")
	apply.Flags().DurationVar(&f.timeout, "timeout", 60*time.Second, "how long --try waits for the confirmation")
	verify := newVerifyCmd()
	verify.Short = "Check that this host is a working Xen dom0"
	cmd.AddCommand(diff, apply, verify, newSetupGuestsCmd(&f))
	return cmd
}

// setupInput is the input of the screens, which need a terminal, or of the plain prompts
// (--accessible), which read any input line by line.
func setupInput(cmd *cobra.Command, f setupFlags, noTerminal string) (io.Reader, error) {
	if f.accessible {
		return cmd.InOrStdin(), nil
	}
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(in.Fd()) {
		return nil, usageError{errors.New(noTerminal)}
	}
	return in, nil
}

func because(why []string) string {
	if len(why) == 0 {
		return ""
	}
	return " (the change takes effect at the next boot: " + strings.Join(why, ", ") + ")"
}

// loadHost reads the host and the answers to apply: --answers, or answers.yaml as it stands.
func loadHost(f setupFlags) (installer.InstalledHost, installer.Answers, error) {
	var rep *hwdetect.Report
	if r, err := loadReport(f.root, f.hardware); err == nil {
		rep = &r
	} else if f.root == "/" || f.hardware != "" {
		return installer.InstalledHost{}, installer.Answers{}, err
	}
	// (A --root tree without sys/ is a fixture: go on without hardware.)
	h, err := installer.LoadHost(f.root, rep)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return h, installer.Answers{}, fmt.Errorf("%w (is this a host installed by xennix?)", err)
		}
		return h, installer.Answers{}, err
	}
	next := h.Answers
	if f.answers != "" {
		data, err := installer.ReadFile(f.answers)
		if err != nil {
			return h, next, err
		}
		// Against this machine (or --hardware) when known: an uplink it does not have would
		// take a remote host off the network.
		next, err = installer.ParseAndValidate(f.answers, data, installer.Defaults(rep), h.Report)
		if err != nil {
			return h, next, printProblems(os.Stdout, f.answers, err)
		}
		if err := h.KeepPasswords(&next); err != nil {
			return h, next, err
		}
	}
	return h, next, nil
}

func runSetupApply(ctx context.Context, in io.Reader, w io.Writer, f setupFlags) error {
	h, next, err := loadHost(f)
	if err != nil {
		return err
	}
	if f.try && !reflect.DeepEqual(h.Applied.Network, next.Network) {
		if f.root != "/" {
			return usageError{errors.New("--try changes the running network: it cannot be used with --root")}
		}
		fmt.Fprintf(w, "Trying the new network live. Type yes and Enter within %s to keep it; otherwise it is undone.\n", f.timeout)
		res, err := h.Resolve(next)
		if err != nil {
			return err
		}
		kept, changes, err := installer.TryNetwork(ctx, nil, res.Network, confirmWithin(in, f.timeout))
		for _, c := range changes {
			fmt.Fprintf(w, "  %s\n", c)
		}
		if err != nil {
			return err
		}
		if !kept {
			fmt.Fprintln(w, "Not confirmed: the network is back as it was, and nothing was written.")
			return errSilent
		}
	}
	res, err := h.Apply(ctx, next, f.answers != "", setupRunner(f.root))
	if len(res.Output) > 0 && err != nil {
		fmt.Fprintf(w, "%s\n", tailLines(string(res.Output), 20))
	}
	if err != nil {
		return err
	}
	if len(res.Changes) == 0 {
		fmt.Fprintln(w, "nothing to change")
		return nil
	}
	fmt.Fprint(w, wroteFiles(res))
	fmt.Fprint(w, ranRebuild(f.root, res))
	return nil
}

// setupRunner runs the rebuild: on this host, or, with --root, confined to that tree — it
// builds the tree's flake and activates nothing, for the running system is not the tree's.
func setupRunner(root string) installer.Runner {
	if root == "/" {
		return installer.ExecRunner{}
	}
	return rootRunner{root: root}
}

type rootRunner struct{ root string }

func (r rootRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	if len(argv) > 0 && argv[0] == "nixos-rebuild" {
		abs, err := filepath.Abs(r.root)
		if err != nil {
			return nil, err
		}
		out := []string{"nixos-rebuild", "build"}
		for i := 2; i < len(argv); i++ {
			a := argv[i]
			if rest, ok := strings.CutPrefix(a, "/etc/nixos#"); ok {
				a = filepath.Join(abs, "etc/nixos") + "#" + rest
			}
			out = append(out, a)
		}
		argv = out
	}
	return installer.ExecRunner{}.Run(ctx, argv)
}

// ranRebuild says how the change was activated.
func ranRebuild(root string, res installer.ApplyResult) string {
	if root != "/" {
		return fmt.Sprintf("built %s (with --root nothing is activated; on that host, nixos-rebuild %s applies it)\n", filepath.Join(root, "etc/nixos"), res.Mode)
	}
	return fmt.Sprintf("ran nixos-rebuild %s%s\n", res.Mode, because(res.Why))
}

// confirmWithin waits for a line "yes" on in, for at most d.
func confirmWithin(in io.Reader, d time.Duration) func(context.Context) bool {
	return func(ctx context.Context) bool {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		got := make(chan bool, 1)
		go func() {
			line, _ := bufio.NewReader(in).ReadString('\n')
			got <- strings.EqualFold(strings.TrimSpace(line), "yes")
		}()
		select {
		case ok := <-got:
			return ok
		case <-ctx.Done():
			return false
		}
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// previewText is the review screens' diff: the files, what happens to the guests (unless
// the screens say it themselves), and how apply activates the change. Empty when nothing
// changes.
func previewText(h installer.InstalledHost, next installer.Answers, root string, guests bool) (string, error) {
	pv, err := h.Preview(next, true)
	if err != nil || len(pv.Changes) == 0 {
		return "", err
	}
	text := installer.Diff(pv.Changes)
	if guests {
		text += pv.Guests.String()
	}
	if root != "/" {
		return text + fmt.Sprintf("apply will build %s (with --root nothing is activated)\n", filepath.Join(root, "etc/nixos")), nil
	}
	return text + fmt.Sprintf("apply will run: nixos-rebuild %s%s\n", pv.Mode, because(pv.Why)), nil
}

// wroteFiles says which files an apply wrote.
func wroteFiles(res installer.ApplyResult) string {
	var b strings.Builder
	for _, c := range res.Changes {
		fmt.Fprintf(&b, "wrote /etc/nixos/%s (previous version kept as %s.prev)\n", c.Path, c.Path)
	}
	return b.String()
}

// screensDone ends a run of xennix-setup's screens: what their apply did, printed once the
// screen is gone (the plain prompts have shown it already), and a quit said as such.
func screensDone(w io.Writer, accessible bool, report string, err error) error {
	if !accessible {
		fmt.Fprint(w, report)
	}
	if errors.Is(err, tui.ErrQuit) {
		fmt.Fprintln(w, "xennix-setup: quit; nothing changed")
		return errSilent
	}
	return err
}
